"""t/rel/crash.py - crash consistency: concurrent writers, SIGKILL at a random moment, restart,
verify.  Run by t/rel/crash.sh (and crash-fsync.sh, check-long).

Each writer thread owns its keys, so the state of every key is known exactly from the answers
the thread got: every write that was acknowledged (2xx) is in the model.  The one request a
thread had in flight when the server died has an unknown outcome: after the restart it may or
may not have happened, and nothing else may have.  So after each restart, for every key:

  - unversioned bucket: the object is the last acknowledged state, or what the in-flight write
    would have made it; its bytes hash to that body, its ETag and its SHA-256 checksum are the
    ones the write reported (PUT, CopyObject, CompleteMultipartUpload; absent after DELETE);
    ListObjectsV2 lists exactly the keys the model says exist, with their sizes;
  - versioned bucket: ListObjectVersions shows exactly the acknowledged versions and delete
    markers, in order, newest flagged IsLatest, plus at most the in-flight one on top (its
    bytes must then be the in-flight body), minus at most the version an in-flight
    version-delete named; every version's bytes are verified once and sampled again later;
  - multipart: an acknowledged CreateMultipartUpload is listed with every acknowledged part
    (right ETag) until it is completed or aborted; an acknowledged Complete or Abort is never
    listed again; an in-flight Complete happened exactly when its upload is gone and the
    object is the upload's bytes;
  - IAM (--iam): an acknowledged CreateUser exists, an acknowledged DeleteUser does not, and a
    user's inline policy is the last acknowledged PutUserPolicy document (or none after
    DeleteUserPolicy); the in-flight IAM call may or may not have happened.

And for the store: the crashed database (a copy, before the restart touches it) and the
restarted one pass PRAGMA integrity_check; after the start-up sweep, tmp/ is empty and the set
of blob files equals the set of blobs the metadata references (no orphan, nothing missing).
"""
import argparse
import base64
import hashlib
import json
import os
import random
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rellib  # noqa: E402

MIB = 1024 * 1024
BU, BV, BS = "crash-u", "crash-v", "crash-src"
SOURCES = {"s-small": 1000, "s-seg": 65536, "s-big": 200000}


def b64sha(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def md5q(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


def pick_size(rng):
    r = rng.random()
    if r < 0.03:
        return 0
    if r < 0.35:
        return rng.randint(1, 1000)
    if r < 0.65:
        return rng.randint(1001, 65535)
    if r < 0.72:
        return rng.choice((65536, 131072, 65537))
    return rng.randint(65537, 300000)


class Obj:
    """One object state: what a GET must return."""

    def __init__(self, sha, size, etag, cksum, what):
        self.sha, self.size, self.etag, self.cksum, self.what = sha, size, etag, cksum, what

    def __repr__(self):
        return "<%s size=%d sha=%s etag=%s>" % (self.what, self.size, self.sha[:12], self.etag)


class Version:
    def __init__(self, vid, obj):
        self.vid = vid        # None while unknown (in flight)
        self.obj = obj        # None for a delete marker
        self.verified = False


class Pending:
    """The request a thread had in flight when the server died."""

    def __init__(self, kind, key, obj=None, vid=None, upload=None):
        self.kind, self.key, self.obj, self.vid, self.upload = kind, key, obj, vid, upload


class Upload:
    def __init__(self, uid, key):
        self.uid, self.key = uid, key
        self.parts = {}       # number -> (etag, sha256 b64, bytes) acknowledged
        self.state = "open"   # open | done


class Writer:
    """A thread's keys, model and workload."""

    def __init__(self, idx, nkeys, seed, iam):
        self.idx = idx
        self.rng = random.Random(seed)
        self.ukeys = ["u/t%d/k%d" % (idx, i) for i in range(nkeys)]
        self.vkeys = ["v/t%d/k%d" % (idx, i) for i in range(nkeys)]
        self.u = {k: None for k in self.ukeys}          # key -> Obj or None
        self.v = {k: [] for k in self.vkeys}            # key -> [Version] oldest first
        self.uploads = {}                               # uid -> Upload
        self.users = {}                                 # IAM user -> None / "" / policy document
        self.iam = iam
        self.pending = None
        self.seq = 0
        self.acked = 0
        self.kinds = {}
        self.errors = []

    def tag(self, what):
        self.seq += 1
        return "t%d-%s-%d-%d" % (self.idx, what, self.seq, self.rng.getrandbits(32))

    # ---------------------------------------------------------------- operations

    def op_put(self, s3):
        key = self.rng.choice(self.ukeys)
        body = rellib.body_for(self.tag("put"), pick_size(self.rng))
        obj = Obj(rellib.sha256(body), len(body), md5q(body), b64sha(body), "put")
        self.pending = Pending("u", key, obj)
        r = s3.put_object(Bucket=BU, Key=key, Body=body, ChecksumAlgorithm="SHA256")
        if r["ETag"] != obj.etag or r.get("ChecksumSHA256") != obj.cksum:
            self.errors.append("PUT %s answered ETag %s checksum %s, expected %s %s" %
                               (key, r["ETag"], r.get("ChecksumSHA256"), obj.etag, obj.cksum))
        self.u[key] = obj

    def op_delete(self, s3):
        key = self.rng.choice(self.ukeys)
        self.pending = Pending("u", key, None)
        s3.delete_object(Bucket=BU, Key=key)
        self.u[key] = None

    def op_copy(self, s3, sources):
        key = self.rng.choice(self.ukeys)
        src = self.rng.choice(sorted(sources))
        body = sources[src]
        obj = Obj(rellib.sha256(body), len(body), md5q(body), b64sha(body), "copy")
        self.pending = Pending("u", key, obj)
        r = s3.copy_object(Bucket=BU, Key=key, CopySource={"Bucket": BS, "Key": src})
        if r["CopyObjectResult"]["ETag"] != obj.etag:
            self.errors.append("CopyObject %s answered ETag %s, expected %s" %
                               (key, r["CopyObjectResult"]["ETag"], obj.etag))
        self.u[key] = obj

    def op_copy_src(self, sources):
        def op_copy(c):
            return self.op_copy(c, sources)
        return op_copy

    def op_mpu(self, s3):
        key = self.rng.choice(self.ukeys)
        if self.rng.random() < 0.3:
            sizes = [5 * MIB, self.rng.randint(1, 70000)]
        else:
            sizes = [self.rng.randint(0, 150000)]
        self.pending = Pending("create", key)
        uid = s3.create_multipart_upload(Bucket=BU, Key=key, ChecksumAlgorithm="SHA256")["UploadId"]
        up = self.uploads[uid] = Upload(uid, key)
        self.pending = None
        tag = self.tag("mpu")
        for n, size in enumerate(sizes, 1):
            data = rellib.body_for("%s-p%d" % (tag, n), size)
            self.pending = Pending("part", key, upload=up)
            r = s3.upload_part(Bucket=BU, Key=key, UploadId=uid, PartNumber=n, Body=data,
                               ChecksumAlgorithm="SHA256")
            up.parts[n] = (r["ETag"], r.get("ChecksumSHA256"), data)
            self.pending = None
        if self.rng.random() < 0.15:
            self.pending = Pending("abort", key, upload=up)
            s3.abort_multipart_upload(Bucket=BU, Key=key, UploadId=uid)
            up.state = "done"
            self.pending = None
            return
        whole = b"".join(up.parts[n][2] for n in sorted(up.parts))
        etag = '"%s-%d"' % (hashlib.md5(b"".join(hashlib.md5(up.parts[n][2]).digest()
                                                 for n in sorted(up.parts))).hexdigest(), len(up.parts))
        cks = base64.b64encode(hashlib.sha256(b"".join(base64.b64decode(up.parts[n][1])
                                                       for n in sorted(up.parts))).digest()).decode()
        obj = Obj(rellib.sha256(whole), len(whole), etag, "%s-%d" % (cks, len(up.parts)), "mpu")
        self.pending = Pending("complete", key, obj, upload=up)
        parts = [{"PartNumber": n, "ETag": up.parts[n][0], "ChecksumSHA256": up.parts[n][1]} for n in sorted(up.parts)]
        r = s3.complete_multipart_upload(Bucket=BU, Key=key, UploadId=uid, MultipartUpload={"Parts": parts})
        if r["ETag"] != etag:
            self.errors.append("CompleteMultipartUpload %s answered ETag %s, expected %s" % (key, r["ETag"], etag))
        up.state = "done"
        self.u[key] = obj

    def op_vput(self, s3):
        key = self.rng.choice(self.vkeys)
        body = rellib.body_for(self.tag("vput"), pick_size(self.rng))
        obj = Obj(rellib.sha256(body), len(body), md5q(body), b64sha(body), "vput")
        self.pending = Pending("vput", key, obj)
        r = s3.put_object(Bucket=BV, Key=key, Body=body, ChecksumAlgorithm="SHA256")
        self.v[key].append(Version(r["VersionId"], obj))

    def op_vdm(self, s3):
        key = self.rng.choice(self.vkeys)
        self.pending = Pending("vdm", key)
        r = s3.delete_object(Bucket=BV, Key=key)
        if not r.get("DeleteMarker") or not r.get("VersionId"):
            self.errors.append("DeleteObject on versioned %s made no delete marker: %r" % (key, r))
            return
        self.v[key].append(Version(r["VersionId"], None))

    def op_vdel(self, s3):
        cands = [k for k in self.vkeys if self.v[k]]
        if not cands:
            return self.op_vput(s3)
        key = max(cands, key=lambda k: len(self.v[k])) if self.rng.random() < 0.5 else self.rng.choice(cands)
        vers = self.v[key]
        ver = vers[0] if self.rng.random() < 0.6 else self.rng.choice(vers)
        self.pending = Pending("vdel", key, vid=ver.vid)
        s3.delete_object(Bucket=BV, Key=key, VersionId=ver.vid)
        vers.remove(ver)

    def op_iam(self, iam):
        """CreateUser, PutUserPolicy (a unique document) or DeleteUserPolicy + DeleteUser; the
        model is users[name] = None (absent) or the inline policy document ("" for none)."""
        name = "crash-t%d-%d" % (self.idx, self.rng.randint(0, 4))
        doc = self.users.get(name)
        if doc is None:
            self.pending = Pending("iam-add", name)
            iam.create_user(UserName=name)
            self.users[name] = ""
        elif self.rng.random() < 0.6:
            new = '{"Version":"2012-10-17","Statement":[{"Sid":"S%s","Effect":"Allow","Action":"s3:GetObject",' \
                  '"Resource":"*"}]}' % self.tag("pol").replace("-", "x")
            self.pending = Pending("iam-pol", name, obj=new)
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=new)
            self.users[name] = new
        else:
            if doc:
                self.pending = Pending("iam-delpol", name)
                iam.delete_user_policy(UserName=name, PolicyName="p")
                self.users[name] = ""
                self.pending = None
            self.pending = Pending("iam-del", name)
            iam.delete_user(UserName=name)
            self.users[name] = None

    def run(self, endpoint, sources, stop, fatal, ready):
        # Clients live across cycles (urllib3 drops pooled connections the dead server closed);
        # making them is slow, so the kill timer starts only once every thread is ready.
        if getattr(self, "s3", None) is None:
            self.s3 = rellib.client(endpoint, read_timeout=30)
            self.iamc = rellib.client(endpoint, "iam", read_timeout=30) if self.iam else None
        s3, iam = self.s3, self.iamc
        ready.set()
        ops = [(self.op_put, 28), (self.op_delete, 8), (self.op_mpu, 8), (self.op_copy_src(sources), 8),
               (self.op_vput, 22), (self.op_vdm, 6), (self.op_vdel, 12)]
        total = sum(w for _, w in ops)
        while not stop.is_set():
            if iam and self.rng.random() < 0.08:
                fn, client = self.op_iam, iam
            else:
                r = self.rng.uniform(0, total)
                for fn, w in ops:
                    r -= w
                    if r <= 0:
                        break
                client = s3
            try:
                fn(client)
                self.pending = None
                self.acked += 1
                kind = getattr(fn, "__name__", "op_copy")
                self.kinds[kind] = self.kinds.get(kind, 0) + 1
            except Exception as e:  # noqa: BLE001 - every failure is classified below
                if stop.is_set():
                    return        # the server is being killed: the outcome is unknown
                fatal.append("thread %d: %s failed before the kill: %s %s" %
                             (self.idx, getattr(fn, "__name__", "op"), rellib.err_code(e), e))
                self.pending = None
                return


# ---------------------------------------------------------------- verification

class Verifier:
    def __init__(self, rep, srv, writers, iam, s3, iamc):
        self.rep, self.srv, self.writers, self.iam = rep, srv, writers, iam
        self.s3, self.iamc = s3, iamc
        self.bad = []
        self.verified_bytes = 0
        self.verified_objects = 0

    def err(self, msg):
        self.bad.append(msg)

    def get(self, key, bucket=BU, vid=None):
        """(Obj-like facts, data) or (None, None) if absent."""
        kw = {"Bucket": bucket, "Key": key, "ChecksumMode": "ENABLED"}
        if vid:
            kw["VersionId"] = vid
        try:
            r = self.s3.get_object(**kw)
        except Exception as e:  # noqa: BLE001
            if rellib.err_code(e) in ("NoSuchKey", "404"):
                return None, None
            raise
        data = r["Body"].read()
        self.verified_bytes += len(data)
        self.verified_objects += 1
        return r, data

    def match(self, what, r, data, cands):
        """Which candidate Obj (or None = absent) the observed object is; reports mismatches.
        Bodies are unique per write except empty ones, so ETag and checksum pick among equals."""
        if r is None:
            if None in cands:
                return None, True
            self.err("%s: missing; expected %r" % (what, cands))
            return None, False
        sha = rellib.sha256(data)
        same = [c for c in cands if c is not None and c.sha == sha]
        for c in same:
            if len(data) == c.size and r["ETag"] == c.etag and r.get("ChecksumSHA256") == c.cksum:
                return c, True
        if same:
            self.err("%s: bytes match %r but size/ETag/checksum are %d %s %s" %
                     (what, same[0], len(data), r["ETag"], r.get("ChecksumSHA256")))
            return same[0], False
        self.err("%s: %d bytes (sha %s, ETag %s) match no write that was made: expected one of %r" %
                 (what, len(data), sha[:12], r["ETag"], cands))
        return None, False

    def unversioned(self, w):
        p = w.pending if w.pending and w.pending.kind in ("u", "complete") else None
        listed = {}
        pag = self.s3.get_paginator("list_objects_v2")
        for page in pag.paginate(Bucket=BU, Prefix="u/t%d/" % w.idx):
            for o in page.get("Contents", []):
                listed[o["Key"]] = o["Size"]
        for key in w.ukeys:
            cands = [w.u[key]]
            if p and p.key == key:
                cands.append(p.obj)
            r, data = self.get(key)
            got, ok = self.match("%s/%s" % (BU, key), r, data, cands)
            if not ok:
                continue
            if p and p.key == key and p.kind == "complete":
                gone = p.upload.uid not in self.uploads_listed
                if (got is p.obj) != gone:
                    self.err("%s: in-flight CompleteMultipartUpload: object is %r but the upload is %s" %
                             (key, got, "gone" if gone else "still listed"))
                if gone:
                    p.upload.state = "done"
            w.u[key] = got
            if (got is None) != (key not in listed) or (got is not None and listed[key] != got.size):
                self.err("%s: ListObjectsV2 says %r, GET says %r" % (key, listed.get(key), got))
        extra = set(listed) - set(w.ukeys)
        if extra:
            self.err("ListObjectsV2 lists keys no writer made: %s" % sorted(extra))

    def versioned(self, w):
        p = w.pending if w.pending and w.pending.kind in ("vput", "vdm", "vdel") else None
        seen = {k: {"ver": [], "dm": [], "all": {}} for k in w.vkeys}
        pag = self.s3.get_paginator("list_object_versions")
        for page in pag.paginate(Bucket=BV, Prefix="v/t%d/" % w.idx):
            for kind, lst in (("ver", page.get("Versions", [])), ("dm", page.get("DeleteMarkers", []))):
                for o in lst:
                    if o["Key"] not in seen:
                        self.err("ListObjectVersions lists a key no writer made: %s" % o["Key"])
                        continue
                    seen[o["Key"]][kind].append(o["VersionId"])
                    seen[o["Key"]]["all"][o["VersionId"]] = (kind == "dm", o)
        for key, s in seen.items():
            model = w.v[key]
            ids = s["all"]
            want = [v.vid for v in model]
            extra = [vid for vid in ids if vid not in want]
            missing = [vid for vid in want if vid not in ids]
            if p and p.key == key and p.kind == "vdel" and p.vid in missing:
                missing.remove(p.vid)            # the in-flight version delete happened
                model[:] = [v for v in model if v.vid != p.vid]
            if p and p.key == key and p.kind in ("vput", "vdm") and len(extra) == 1:
                if ids[extra[0]][0] != (p.kind == "vdm"):
                    self.err("%s: in-flight %s shows up as a %s" %
                             (key, p.kind, "delete marker" if ids[extra[0]][0] else "version"))
                model.append(Version(extra[0], p.obj if p.kind == "vput" else None))
                extra = []
            if missing:
                self.err("%s: acknowledged versions lost: %s" % (key, missing))
            if extra:
                self.err("%s: versions nobody acknowledged: %s" % (key, extra))
            if missing or extra:
                continue
            # each list is newest first; the model is oldest first
            if s["ver"] != [v.vid for v in reversed(model) if v.obj is not None] or \
                    s["dm"] != [v.vid for v in reversed(model) if v.obj is None]:
                self.err("%s: versions listed in the wrong order: %s / %s, expected %s" %
                         (key, s["ver"], s["dm"], [v.vid for v in reversed(model)]))
            latest = [vid for vid, (_dm, o) in ids.items() if o.get("IsLatest")]
            if model and latest != [model[-1].vid]:
                self.err("%s: IsLatest on %s, expected %s" % (key, latest, model[-1].vid))
            for v in model:
                if ids[v.vid][0] != (v.obj is None):
                    self.err("%s version %s: delete marker %s, expected %s" %
                             (key, v.vid, ids[v.vid][0], v.obj is None))
                    continue
                if v.obj is None or (v.verified and w.rng.random() > 0.1):
                    continue
                r, data = self.get(key, BV, v.vid)
                got, ok = self.match("%s/%s?versionId=%s" % (BV, key, v.vid), r, data, [v.obj])
                if ok and got is not None:
                    v.verified = True
            # the newest version is what a GET without a version id returns
            if model:
                r, data = self.get(key, BV)
                top = model[-1]
                if top.obj is None:
                    if r is not None:
                        self.err("%s: latest is a delete marker but GET returned %d bytes" % (key, len(data)))
                else:
                    self.match("%s/%s (latest)" % (BV, key), r, data, [top.obj])

    def uploads(self, w):
        listed = self.uploads_listed
        p = w.pending
        for uid, up in list(w.uploads.items()):
            if up.state == "done":
                if uid in listed:
                    self.err("upload %s (%s) was completed or aborted but is still listed" % (uid, up.key))
                continue
            in_flight = p is not None and p.upload is up and p.kind in ("complete", "abort")
            if uid not in listed:
                if not in_flight:
                    self.err("upload %s (%s): CreateMultipartUpload was acknowledged but it is gone" % (uid, up.key))
                up.state = "done"
                continue
            parts = {}
            for page in self.s3.get_paginator("list_parts").paginate(Bucket=BU, Key=up.key, UploadId=uid):
                for pt in page.get("Parts", []):
                    parts[pt["PartNumber"]] = pt["ETag"]
            for n, (etag, _c, _d) in up.parts.items():
                if parts.get(n) != etag:
                    self.err("upload %s part %d: listed ETag %s, acknowledged %s" % (uid, n, parts.get(n), etag))
        mine = {uid for uid, key in listed.items() if key.startswith("u/t%d/" % w.idx)}
        unknown = mine - set(w.uploads)
        if unknown and not (p and p.kind == "create" and len(unknown) == 1):
            self.err("uploads nobody acknowledged creating: %s" % sorted(unknown))

    def abort_all(self):
        """Abort every upload still open (AbortMultipartUpload must answer 204), so uploads do
        not pile up across cycles."""
        for uid, key in self.uploads_listed.items():
            self.s3.abort_multipart_upload(Bucket=BU, Key=key, UploadId=uid)
        for w in self.writers:
            for up in w.uploads.values():
                up.state = "done"
            w.uploads.clear()
        left = self.list_uploads()
        if left:
            self.err("uploads still listed after AbortMultipartUpload: %s" % sorted(left))

    def list_uploads(self):
        out = {}
        for page in self.s3.get_paginator("list_multipart_uploads").paginate(Bucket=BU):
            for u in page.get("Uploads", []):
                out[u["UploadId"]] = u["Key"]
        return out

    def iam_users(self, w):
        names = set()
        for page in self.iamc.get_paginator("list_users").paginate():
            names.update(u["UserName"] for u in page["Users"] if u["UserName"].startswith("crash-t%d-" % w.idx))
        p = w.pending if w.pending and w.pending.kind.startswith("iam-") else None
        for name in sorted(set(w.users) | names):
            want = w.users.get(name)
            cands = [want]
            if p and p.key == name:
                cands.append({"iam-add": "", "iam-pol": p.obj, "iam-delpol": "", "iam-del": None}[p.kind])
            if name not in names:
                got = None
            else:
                try:
                    got = json_doc(self.iamc.get_user_policy(UserName=name, PolicyName="p")["PolicyDocument"])
                except Exception as e:  # noqa: BLE001
                    if rellib.err_code(e) != "NoSuchEntity":
                        raise
                    got = ""
            if got not in [json_doc(c) if c else c for c in cands]:
                self.err("IAM user %s: %s, but the acknowledged state is %r%s" %
                         (name, "absent" if got is None else "policy %r" % got, want,
                          " (or %r in flight)" % cands[1] if len(cands) > 1 else ""))
            w.users[name] = got

    def run(self):
        self.uploads_listed = self.list_uploads()
        for w in self.writers:
            self.unversioned(w)
            self.versioned(w)
            self.uploads(w)
            if self.iam:
                self.iam_users(w)
            w.pending = None
        self.abort_all()
        return self.bad


def json_doc(doc):
    """A policy document in one canonical form (IAM may return it URL-encoded or re-spaced)."""
    if isinstance(doc, dict):
        return json.dumps(doc, sort_keys=True)
    if isinstance(doc, str) and doc.startswith("%7B"):
        doc = urllib.parse.unquote(doc)
    return json.dumps(json.loads(doc), sort_keys=True)


def setup(srv, sources):
    s3 = rellib.client(srv.endpoint)
    for b in (BU, BV, BS):
        s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=BV, VersioningConfiguration={"Status": "Enabled"})
    for name, size in SOURCES.items():
        body = rellib.body_for("source-" + name, size)
        s3.put_object(Bucket=BS, Key=name, Body=body, ChecksumAlgorithm="SHA256")
        sources[name] = body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--fsync", action="store_true")
    ap.add_argument("--iam", action="store_true", help="IAM writers too (CreateUser/DeleteUser)")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--keys", type=int, default=6)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()

    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    name = "crash%s" % ("-fsync" if a.fsync else "")
    rep = rellib.Report(name)
    rep.note("seed %d (rerun with --seed %d), %d cycles, %d writer threads%s%s" %
             (seed, seed, a.cycles, a.threads, ", --fsync" if a.fsync else "", ", IAM writers" if a.iam else ""))
    data = os.path.join(a.tmp, "data")
    srv = rellib.Server(data, a.log, ["--fsync"] if a.fsync else [])
    srv.start()
    sources = {}
    setup(srv, sources)
    writers = [Writer(i, a.keys, rng.randrange(1 << 30), a.iam) for i in range(a.threads)]
    vs3 = rellib.client(srv.endpoint)
    viam = rellib.client(srv.endpoint, "iam") if a.iam else None
    totals = {"acked": 0, "bytes": 0, "objects": 0, "swept": 0, "inflight": 0}
    for cycle in range(1, a.cycles + 1):
        stop = threading.Event()
        fatal = []
        ready = [threading.Event() for _ in writers]
        threads = [threading.Thread(target=w.run, args=(srv.endpoint, sources, stop, fatal, ready[i]))
                   for i, w in enumerate(writers)]
        before = sum(w.acked for w in writers)
        for t in threads:
            t.start()
        for e in ready:
            e.wait(60)
        time.sleep(rng.choice((0.02, 0.1)) if rng.random() < 0.15 else rng.uniform(0.2, 1.5))
        stop.set()
        srv.kill()
        for t in threads:
            t.join(60)
        acked = sum(w.acked for w in writers) - before
        inflight = sum(1 for w in writers if w.pending)
        totals["acked"] += acked
        totals["inflight"] += inflight
        for w in writers:
            fatal.extend(w.errors)
            w.errors = []
        if fatal:
            rep.fatal("cycle %d: %s" % (cycle, "; ".join(fatal[:5])))
        chk = rellib.integrity(data, copy_to=os.path.join(a.tmp, "crashed-db"))
        if chk != "ok":
            rep.fail("cycle %d: integrity_check of the crashed database: %s" % (cycle, chk[:500]))
        try:
            srv.start()
        except RuntimeError as e:
            rep.fatal("cycle %d: restart after SIGKILL: %s" % (cycle, e))
        swept = srv.swept()
        totals["swept"] += swept
        left = rellib.tmp_files(data)
        if left:
            rep.fail("cycle %d: tmp/ not empty after the start-up sweep: %s" % (cycle, left[:5]))
        v = Verifier(rep, srv, writers, a.iam, vs3, viam)
        try:
            bad = v.run()
        except Exception as e:  # noqa: BLE001
            bad = ["verification request failed: %s %s" % (rellib.err_code(e), e)]
        totals["bytes"] += v.verified_bytes
        totals["objects"] += v.verified_objects
        orphans, missing = rellib.blob_consistency(data)
        if orphans:
            bad.append("%d orphan blob file(s) after the sweep and verification: %s" % (len(orphans), orphans[:3]))
        if missing:
            bad.append("%d referenced blob(s) have no file: %s" % (len(missing), missing[:3]))
        chk = rellib.integrity(data)
        if chk != "ok":
            bad.append("integrity_check after restart: %s" % chk[:500])
        if bad:
            for b in bad[:20]:
                rep.fail("cycle %d: %s" % (cycle, b))
            rep.fatal("cycle %d: state after SIGKILL + restart is wrong (seed %d)" % (cycle, seed))
        rep.ok("cycle %d: %d writes acknowledged, %d in flight at SIGKILL, sweep removed %d, "
               "%d objects verified" % (cycle, acked, inflight, swept,
                                        v.verified_objects))
    if not srv.stop():
        rep.fail("s3iamd did not stop cleanly at the end:\n%s" % srv.log_tail())
    kinds = {}
    for w in writers:
        for k, n in w.kinds.items():
            kinds[k] = kinds.get(k, 0) + n
    rep.note("acknowledged operations: " + ", ".join("%s %d" % (k[3:], n) for k, n in sorted(kinds.items())))
    rep.note("summary: %d kill cycles, %d writes acknowledged, %d in flight at a kill, %d object reads "
             "verified (%d bytes), %d orphan files swept, 0 lost" %
             (a.cycles, totals["acked"], totals["inflight"], totals["objects"], totals["bytes"], totals["swept"]))
    rep.finish()


if __name__ == "__main__":
    main()
