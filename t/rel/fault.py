"""t/rel/fault.py - file-system faults injected into a running s3iamd (t/fault/faultinj.so,
armed per request through its control file).  Run by t/rel/fault.sh.

For every scenario: arm one rule (call family, path inside the data dir, which matching call,
errno), send the request, disarm, then check
  - the answer is 500 InternalError (an I/O failure has no more precise AWS code);
  - the fault really fired (the shim's log grew), so the scenario is not vacuous;
  - nothing partial is visible: the key reads as before (404 or the old bytes), listings,
    versions, parts and uploads are unchanged;
  - tmp/ is empty, the blob files are exactly the referenced ones (no orphan, none missing),
    PRAGMA integrity_check says ok;
  - the server keeps serving: the same request without the fault succeeds.
At the end: a clean SIGTERM, a restart without the shim, every object of the model reads back,
and the start-up sweep had nothing to remove (a fault must not leak files until a restart).
A scenario that fails is reported and the next one runs; the script fails if any did.
"""
import argparse
import os
import signal
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rellib  # noqa: E402

NS = rellib.S3NS
B, BV = "fault-b", "fault-v"


class Fault:
    def __init__(self, rep, srv, data, ctl, log):
        self.rep, self.srv, self.data, self.ctl, self.log = rep, srv, data, ctl, log
        self.cli = rellib.RawS3(srv.endpoint)
        self.model = {}          # key in B -> bytes (None: absent)
        self.failed = 0

    # ---------------------------------------------------------------- shim control

    def arm(self, call, path, nth=1, err="EIO", count=1, mode="fail"):
        text = "CALL=%s\nPATH=%s\nNTH=%d\nCOUNT=%d\nERRNO=%s\nMODE=%s\nLOG=%s\n" % (
            call, path, nth, count, err, mode, self.log)
        tmp = self.ctl + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.ctl)
        time.sleep(0.01)       # a new mtime even on coarse clocks

    def disarm(self):
        if os.path.exists(self.ctl):
            os.unlink(self.ctl)

    def injected(self):
        try:
            with open(self.log) as f:
                return sum(1 for line in f if line.startswith(("inject", "short")))
        except FileNotFoundError:
            return 0

    # ---------------------------------------------------------------- requests

    def put(self, key, body, bucket=B, headers=None):
        return self.cli.request("PUT", "/%s/%s" % (bucket, key), body=body, headers=headers)

    def get(self, key, bucket=B, query=""):
        return self.cli.request("GET", "/%s/%s" % (bucket, key), query)

    def reads_as(self, key, want, bucket=B):
        """'' if key reads as want (bytes, or None for absent), else what it read as."""
        try:
            r = self.get(key, bucket)
        except Exception as e:  # noqa: BLE001
            return "GET failed: %s" % e
        if want is None:
            return "" if r.status == 404 else "expected 404, got %r" % r
        if r.status != 200:
            return "expected the old %d bytes, got %r" % (len(want), r)
        if r.body != want:
            return "expected the old %d bytes, got %d other bytes" % (len(want), len(r.body))
        return ""

    def store_ok(self):
        """Problems with the data dir right now (empty list when fine)."""
        bad = []
        left = rellib.tmp_files(self.data)
        if left:
            bad.append("tmp/ holds %s" % left[:3])
        orphans, missing = rellib.blob_consistency(self.data)
        if orphans:
            bad.append("orphan blob files %s" % orphans[:3])
        if missing:
            bad.append("referenced blobs missing %s" % missing[:3])
        chk = rellib.integrity(self.data)
        if chk != "ok":
            bad.append("integrity_check: %s" % chk[:300])
        return bad

    # ---------------------------------------------------------------- one scenario

    def scenario(self, name, rule, action, unchanged, retry=None, status=500, code="InternalError"):
        """rule: kwargs for arm(); action(): the request (returns a Resp); unchanged(): list of
        problems with what must not have changed; retry(): the request again, without the
        fault, must succeed (returns a problem string or '')."""
        bad = []
        before = self.injected()
        self.arm(**rule)
        try:
            r = action()
        except Exception as e:  # noqa: BLE001
            r = None
            bad.append("no answer: %s: %s" % (type(e).__name__, e))
        finally:
            self.disarm()
        fired = self.injected() - before
        if fired == 0:
            bad.append("the fault never fired (rule %s)" % rule)
        codes = code if isinstance(code, tuple) else (code,)
        if r is not None and (r.status != status or r.code not in codes):
            bad.append("answered %r, expected %d %s" % (r, status, "/".join(codes)))
        if not self.srv.alive():
            bad.append("s3iamd died:\n%s" % self.srv.log_tail())
            self.report(name, bad)
            self.rep.fatal("cannot go on without the server")
        bad += unchanged()
        bad += self.store_ok()
        if retry is not None:
            p = retry()
            if p:
                bad.append("without the fault: %s" % p)
            bad += self.store_ok()
        self.report(name, bad, fired)

    def report(self, name, bad, fired=0):
        if bad:
            self.failed += 1
            for b in bad:
                self.rep.fail("%s: %s" % (name, b))
        else:
            self.rep.ok("%s (%d call(s) failed)" % (name, fired))

    # ---------------------------------------------------------------- helpers for scenarios

    def keep(self, *keys, bucket=B):
        def check():
            return ["%s: %s" % (k, p) for k in keys for p in [self.reads_as(k, self.model.get(k), bucket)] if p]
        return check

    def put_retry(self, key, body):
        def again():
            r = self.put(key, body)
            if r.status != 200:
                return "PUT %s: %r" % (key, r)
            self.model[key] = body
            return self.reads_as(key, body)
        return again

    def versions(self, key):
        r = self.cli.request("GET", "/" + BV, "versions&prefix=" + urllib.parse.quote(key, safe=""))
        if r.status != 200:
            return "ListObjectVersions: %r" % r
        return [(v.findtext(NS + "VersionId"), v.findtext(NS + "ETag")) for v in r.xml()
                if v.tag in (NS + "Version", NS + "DeleteMarker")]

    def uploads(self):
        r = self.cli.request("GET", "/" + B, "uploads")
        return sorted(u.findtext(NS + "UploadId") for u in r.xml().iter(NS + "Upload"))

    def parts(self, key, uid):
        r = self.cli.request("GET", "/%s/%s" % (B, key), "uploadId=" + urllib.parse.quote(uid, safe=""))
        return [(p.findtext(NS + "PartNumber"), p.findtext(NS + "ETag")) for p in r.xml().iter(NS + "Part")]


def body(tag, size):
    return rellib.body_for(tag, size)


def run(f, fsync):
    d = f.data
    tmpdir, blobs, wal = d + "/tmp/", d + "/blobs/", d + "/meta.db-wal"
    cli = f.cli
    for b in (B, BV):
        r = cli.request("PUT", "/" + b)
        if r.status != 200:
            f.rep.fatal("create bucket %s: %r" % (b, r))
    cli.request("PUT", "/" + BV, "versioning",
                body=b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>")
    for k, size in (("old-small", 500), ("old-big", 300000), ("old-copy", 1000), ("old-del", 700)):
        f.model[k] = body(k, size)
        r = f.put(k, f.model[k])
        if r.status != 200:
            f.rep.fatal("seed PUT %s: %r" % (k, r))

    # -- object bytes: the temp file.  Objects up to 64 KiB are kept inline in SQLite (no file),
    # so these bodies are larger; the WAL scenarios below use small, inline ones.
    for err in ("ENOSPC", "EIO"):
        k = "new-%s" % err.lower()
        f.model[k] = None
        data = body(k, 100000)
        f.scenario("PUT new key, write() to tmp/ fails with %s" % err,
                   dict(call="write", path=tmpdir, err=err), lambda k=k, data=data: f.put(k, data),
                   f.keep(k), f.put_retry(k, data))
    data = body("big-over", 300000)
    f.scenario("PUT over an existing key, 3rd write() of a 300 KB body fails (EIO)",
               dict(call="write", path=tmpdir, nth=3, err="EIO"), lambda: f.put("old-big", data),
               f.keep("old-big"), f.put_retry("old-big", data))
    data = body("short", 150000)
    f.scenario("PUT, a short write() then ENOSPC on tmp/",
               dict(call="write", path=tmpdir, err="ENOSPC", mode="short"), lambda: f.put("old-small", data),
               f.keep("old-small"), f.put_retry("old-small", data))
    data = body("emfile", 100000)
    f.scenario("PUT, openat() of the temp file fails (EMFILE)",
               dict(call="openat", path=tmpdir, err="EMFILE"), lambda: f.put("old-small", data),
               f.keep("old-small"), f.put_retry("old-small", data))
    data = body("rename", 100000)
    f.scenario("PUT, renameat() into blobs/ fails (EIO)",
               dict(call="rename", path=blobs, err="EIO"), lambda: f.put("old-small", data),
               f.keep("old-small"), f.put_retry("old-small", data))
    if fsync:
        data = body("fdatasync", 100000)
        f.scenario("PUT --fsync, fdatasync() of the temp file fails (EIO)",
                   dict(call="fsync", path=tmpdir, err="EIO"), lambda: f.put("old-small", data),
                   f.keep("old-small"), f.put_retry("old-small", data))
        data = body("dirsync", 100000)
        f.scenario("PUT --fsync, fsync() of the blobs/ directory fails (EIO)",
                   dict(call="fsync", path=blobs, err="EIO"), lambda: f.put("old-small", data),
                   f.keep("old-small"), f.put_retry("old-small", data))

    # -- metadata: SQLite's write-ahead log
    data = body("wal", 3000)
    f.scenario("PUT of a small (inline) object, the metadata commit cannot write the WAL (EIO)",
               dict(call="write,pwrite", path=wal, err="EIO"), lambda: f.put("old-small", data),
               f.keep("old-small"), f.put_retry("old-small", data))
    data = body("wal-nospc", 3000)
    f.scenario("PUT of a small (inline) object, the metadata commit cannot write the WAL (ENOSPC)",
               dict(call="write,pwrite", path=wal, err="ENOSPC"), lambda: f.put("old-small", data),
               f.keep("old-small"), f.put_retry("old-small", data))

    def delete_unchanged():
        return f.keep("old-del")()

    def delete_retry():
        r = cli.request("DELETE", "/%s/old-del" % B)
        if r.status != 204:
            return "DELETE: %r" % r
        f.model["old-del"] = None
        return f.reads_as("old-del", None)
    f.scenario("DeleteObject, the metadata commit cannot write the WAL (EIO)",
               dict(call="write,pwrite", path=wal, err="EIO"),
               lambda: cli.request("DELETE", "/%s/old-del" % B), delete_unchanged, delete_retry)

    def copy_req(dst):
        return cli.request("PUT", "/%s/%s" % (B, dst), headers={"x-amz-copy-source": "/%s/old-big" % B})

    def copy_retry():
        r = copy_req("old-copy")
        if r.status != 200:
            return "CopyObject: %r" % r
        f.model["old-copy"] = f.model["old-big"]
        return f.reads_as("old-copy", f.model["old-big"])
    f.scenario("CopyObject, write() of the copy's temp file fails (ENOSPC)",
               dict(call="write", path=tmpdir, err="ENOSPC"), lambda: copy_req("old-copy"), f.keep("old-copy"),
               copy_retry)
    f.scenario("CopyObject, the metadata commit cannot write the WAL (EIO)",
               dict(call="write,pwrite", path=wal, err="EIO"), lambda: copy_req("old-small"), f.keep("old-small"))

    # -- versioned bucket
    r = f.put("vk", body("v1", 100), bucket=BV)
    v_before = f.versions("vk")

    def versions_same():
        now = f.versions("vk")
        return [] if now == v_before else ["versions changed: %s -> %s" % (v_before, now)]

    def vput_retry():
        r = f.put("vk", body("v3", 100), bucket=BV)
        return "" if r.status == 200 and len(f.versions("vk")) == len(v_before) + 1 else "versioned PUT: %r" % r
    f.scenario("versioned PUT, the metadata commit cannot write the WAL (EIO)",
               dict(call="write,pwrite", path=wal, err="EIO"), lambda: f.put("vk", body("v2", 100), bucket=BV),
               versions_same, vput_retry)
    v_before = f.versions("vk")
    f.scenario("versioned DELETE (marker), the metadata commit cannot write the WAL (EIO)",
               dict(call="write,pwrite", path=wal, err="EIO"), lambda: cli.request("DELETE", "/%s/vk" % BV),
               versions_same)

    # -- multipart
    r = cli.request("POST", "/%s/mp" % B, "uploads")
    uid = r.xml().findtext(NS + "UploadId")
    q = "uploadId=" + urllib.parse.quote(uid, safe="")
    p1 = body("part1", 5 * 1024 * 1024)
    p2 = body("part2", 1000)

    def parts_none():
        got = f.parts("mp", uid)
        return [] if not got else ["ListParts shows %s after a failed UploadPart" % got]

    def part_retry():
        r = cli.request("PUT", "/%s/mp" % B, "partNumber=1&" + q, body=p1)
        return "" if r.status == 200 else "UploadPart: %r" % r
    f.scenario("UploadPart, write() to tmp/ fails on the 20th call (ENOSPC)",
               dict(call="write", path=tmpdir, nth=20, err="ENOSPC"),
               lambda: cli.request("PUT", "/%s/mp" % B, "partNumber=1&" + q, body=p1), parts_none, part_retry)
    before_parts = f.parts("mp", uid)

    def parts_same():
        got = f.parts("mp", uid)
        return [] if got == before_parts else ["ListParts changed: %s -> %s" % (before_parts, got)]
    f.scenario("UploadPart, the metadata commit cannot write the WAL (EIO)",
               dict(call="write,pwrite", path=wal, err="EIO"),
               lambda: cli.request("PUT", "/%s/mp" % B, "partNumber=2&" + q, body=p2), parts_same)
    r = cli.request("PUT", "/%s/mp" % B, "partNumber=2&" + q, body=p2)
    parts = f.parts("mp", uid)
    doc = ("<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(
        "<Part><PartNumber>%s</PartNumber><ETag>%s</ETag></Part>" % p for p in parts)).encode()
    f.model["mp"] = None

    def mp_unchanged():
        bad = f.keep("mp")()
        if uid not in f.uploads():
            bad.append("the upload is gone after a failed CompleteMultipartUpload")
        return bad

    def complete_retry():
        r = cli.request("POST", "/%s/mp" % B, q, body=doc)
        if r.status != 200 or b"<Error>" in r.body:
            return "CompleteMultipartUpload: %r" % r
        f.model["mp"] = p1 + p2
        return f.reads_as("mp", p1 + p2)
    f.scenario("CompleteMultipartUpload, the metadata commit cannot write the WAL (EIO)",
               dict(call="write,pwrite", path=wal, err="EIO"),
               lambda: cli.request("POST", "/%s/mp" % B, q, body=doc), mp_unchanged, complete_retry)

    # -- buckets
    def no_bucket():
        r = cli.request("HEAD", "/fault-new")
        return [] if r.status == 404 else ["bucket exists after a failed CreateBucket: %r" % r]

    def bucket_retry():
        r = cli.request("PUT", "/fault-new")
        return "" if r.status == 200 else "CreateBucket: %r" % r
    f.scenario("CreateBucket, the metadata commit cannot write the WAL (EIO)",
               dict(call="write,pwrite", path=wal, err="EIO"), lambda: cli.request("PUT", "/fault-new"),
               no_bucket, bucket_retry)

    # -- IAM: the account's IAM state is one document in the metadata database
    iam = rellib.client(f.srv.endpoint, "iam")

    def iam_call(fn, **kw):
        try:
            fn(**kw)
            return rellib.Resp(200, {}, b"")
        except Exception as e:  # noqa: BLE001
            return rellib.Resp(rellib.http_status(e) or 0, {}, ("<Code>%s</Code>" % rellib.err_code(e)).encode())

    def users():
        return sorted(u["UserName"] for u in iam.list_users()["Users"])
    users_before = users()

    def users_same():
        now = users()
        return [] if now == users_before else ["IAM users changed: %s -> %s" % (users_before, now)]

    def user_retry():
        r = iam_call(iam.create_user, UserName="fault-user")
        return "" if r.status == 200 and "fault-user" in users() else "CreateUser: %r" % r
    f.scenario("IAM CreateUser, the metadata commit cannot write the WAL (EIO)",
               dict(call="write,pwrite", path=wal, err="EIO"), lambda: iam_call(iam.create_user, UserName="fault-user"),
               users_same, user_retry, code=("InternalError", "ServiceFailure", "InternalFailure"))

    # -- reading: a blob that cannot be opened must not be served as a 200 with missing bytes
    f.scenario("GET, openat() of the object's blob fails (EIO)",
               dict(call="openat", path=blobs, err="EIO"), lambda: f.get("old-big"), f.keep("old-big"))


def wal_fsync_then_crash(rep, srv, f):
    """With --fsync, a failed fsync of the WAL at commit, then a crash before any other write.
    SQLite has already written the transaction's frames: after the failed sync it does not count
    them, but WAL recovery at the next start may.  So the outcome is open (like any request
    answered 500, the write may or may not have happened) - but whichever state comes back must
    be whole: the old bytes, or all of the new ones; never metadata whose blob was deleted."""
    d = f.data
    old = f.model["old-small"]
    data = body("walsync", 3000)
    before = f.injected()
    f.arm(call="fsync", path=d + "/meta.db-wal", err="EIO")
    try:
        r = f.put("old-small", data)
    finally:
        f.disarm()
    bad = []
    if f.injected() == before:
        bad.append("the fault never fired")
    if r.status != 500 or r.code != "InternalError":
        bad.append("answered %r, expected 500 InternalError" % r)
    srv.kill(signal.SIGKILL)
    srv.start()
    f.cli.close()
    try:
        got = f.get("old-small")
    except Exception as e:  # noqa: BLE001
        got = rellib.Resp(0, {}, ("%s: %s" % (type(e).__name__, e)).encode())
    if got.status != 200:
        bad.append("after the crash the object reads as %r: its metadata came back without its bytes" % got)
    elif got.body == data:
        f.model["old-small"] = data
        rep.note("the PUT answered 500 came back whole after the crash (WAL recovery replayed its commit)")
    elif got.body != old:
        bad.append("after the crash the object holds %d bytes that are neither the old nor the new ones" %
                   len(got.body))
    bad += f.store_ok()
    f.report("PUT --fsync, fsync() of the WAL at commit fails (EIO), then SIGKILL + restart", bad, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shim", required=True)
    ap.add_argument("--fsync", action="store_true")
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    rep = rellib.Report("fault%s" % ("-fsync" if a.fsync else ""))
    tmp = os.path.realpath(a.tmp)       # the shim sees resolved paths
    data = os.path.join(tmp, "data")
    ctl, flog = os.path.join(tmp, "fault.ctl"), os.path.join(tmp, "fault.log")
    env = {"LD_PRELOAD": rellib.preload_env(os.path.realpath(a.shim)), "FAULT_CTL": ctl}
    rep.note("LD_PRELOAD=%s" % env["LD_PRELOAD"])
    srv = rellib.Server(data, a.log, ["--fsync"] if a.fsync else [], env=env)
    srv.start()
    f = Fault(rep, srv, data, ctl, flog)
    run(f, a.fsync)
    if a.fsync:
        wal_fsync_then_crash(rep, srv, f)
    f.cli.close()
    rep.check(srv.stop(), "s3iamd stops cleanly after the faults", srv.log_tail())
    srv.env.pop("LD_PRELOAD", None)
    srv.start()
    rep.check(srv.swept() == 0, "the start-up sweep after the faults finds nothing left behind",
              "it removed %d file(s): failed requests leaked them until the restart" % srv.swept())
    f.cli = rellib.RawS3(srv.endpoint)
    bad = f.keep(*sorted(f.model))()
    rep.check(not bad, "after the restart every key reads as the model says (%d keys)" % len(f.model), "; ".join(bad))
    bad = f.store_ok()
    rep.check(not bad, "data dir consistent after the restart", "; ".join(bad))
    f.cli.close()
    rep.check(srv.stop(), "s3iamd stops cleanly")
    rep.finish()


if __name__ == "__main__":
    main()
