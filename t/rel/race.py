"""t/rel/race.py - 64 clients racing on the same few keys; the outcome must be explainable by
some serial order of the requests.  Run by t/rel/race.sh.

Every request is recorded with the client's clock just before it was sent (start) and just
after its answer was read (end).  A request that was answered 2xx took effect at one instant
between its start and end (that is what a store that serialises writes - s3iamd commits every
change in one SQLite transaction - must provide: linearizability).  From that, necessary
conditions that are cheap to check:

  final state   The object left on a key was written by some write W (PUT, CopyObject,
                CompleteMultipartUpload; a DELETE for "absent"; nothing at all if no write was
                acknowledged) such that no acknowledged write on that key started after W had
                ended.  (Such a write would be ordered after W, so W could not be last.)
  reads         A GET during the race returned the value of a write W that started before
                the GET ended, and no acknowledged write X on the key lies wholly between W and
                the GET (W ended before X started, X ended before the GET started).  The bytes
                are whole: they hash to the body W sent (or, for a copy, to the ETag it
                answered), never a mix of two writes.
  versions      In the versioned bucket ListObjectVersions shows every acknowledged PUT's
                version (same ETag) and every acknowledged delete marker, nothing that no
                request could have created, newest first in real-time order (if A ended before
                B started, A's version is older), and IsLatest on a possible last write.
  multipart     All clients share one upload id at a time: they upload parts 1 and 2 to it,
                and race CompleteMultipartUpload (with the parts ListParts just showed) and
                AbortMultipartUpload.  Distinct successful completions of one upload give the
                same object; no UploadPart starting after a successful Complete or Abort ended
                is acknowledged; a completed object holds exactly the parts its Complete named.

Writes identify themselves: every body starts with the request's id, and CopyObject and
CreateMultipartUpload set x-amz-meta-op.  Afterwards: no 5xx and no dropped connection during
the race, every open upload aborted, no orphan blob file while running nor removed by the next
start-up sweep, PRAGMA integrity_check ok.
"""
import argparse
import bisect
import hashlib
import os
import random
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rellib  # noqa: E402

NS = rellib.S3NS
BU, BV, BS = "race-u", "race-v", "race-src"
UKEYS = ["hot0", "hot1", "hot2"]
VKEYS = ["vhot0", "vhot1"]
MKEY = "mpu"
SRC = {"src-a": 3000, "src-b": 70000}
MIB = 1024 * 1024


class Op:
    __slots__ = ("kind", "bucket", "key", "oid", "start", "end", "status", "code", "md5", "sha", "etag",
                 "vid", "dm", "uid", "part", "parts", "meta")

    def __init__(self, kind, bucket, key, oid):
        self.kind, self.bucket, self.key, self.oid = kind, bucket, key, oid
        self.start = self.end = 0.0
        self.status = None   # None: no answer (connection error)
        self.code = None
        self.md5 = self.sha = self.etag = self.vid = self.uid = self.meta = None
        self.dm = False
        self.part = None
        self.parts = None

    @property
    def acked(self):
        return self.status is not None and 200 <= self.status < 300

    @property
    def unknown(self):
        return self.status is None or self.status >= 500

    def __repr__(self):
        return "<%s %s %s/%s %s..%s -> %s %s>" % (self.oid, self.kind, self.bucket, self.key,
                                                  "%.4f" % self.start, "%.4f" % self.end, self.status, self.code)


class Shared:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = []
        self.uid = None           # the upload everybody works on
        self.uid_meta = {}        # upload id -> x-amz-meta-op of its CreateMultipartUpload
        self.part_bytes = {}      # part ETag -> bytes
        self.bodies = {}          # md5 hex -> sha256 hex of every body some request wrote


def xml_text(el, name):
    x = el.find(NS + name)
    return x.text if x is not None else None


def run_op(cli, op, method, path, query="", headers=None, body=b""):
    op.start = time.monotonic()
    try:
        r = cli.request(method, path, query, headers, body)
    except Exception as e:  # noqa: BLE001 - recorded as "no answer"
        op.end = time.monotonic()
        op.code = type(e).__name__
        return None
    op.end = time.monotonic()
    op.status = r.status
    op.code = r.code
    return r


class Client:
    def __init__(self, idx, endpoint, sh, deadline, seed):
        self.idx, self.sh, self.deadline = idx, sh, deadline
        self.cli = rellib.RawS3(endpoint, timeout=60)
        self.rng = random.Random(seed)
        self.n = 0

    def oid(self):
        self.n += 1
        return "c%d-%d" % (self.idx, self.n)

    def record(self, op):
        self.sh.ops.append(op)    # list.append is atomic

    def body(self, oid):
        size = self.rng.choice((self.rng.randint(64, 2000), self.rng.randint(2000, 70000)))
        data = rellib.body_for(oid, size)
        md5 = hashlib.md5(data).hexdigest()
        self.sh.bodies[md5] = rellib.sha256(data)
        return data, md5

    # ---------------------------------------------------------------- operations

    def put(self, bucket, keys):
        op = Op("put", bucket, self.rng.choice(keys), self.oid())
        data, op.md5 = self.body(op.oid)
        op.sha = rellib.sha256(data)
        r = run_op(self.cli, op, "PUT", "/%s/%s" % (bucket, op.key), body=data)
        if r is not None:
            op.etag = r.headers.get("etag", "").strip('"')
            op.vid = r.headers.get("x-amz-version-id")
        self.record(op)

    def delete(self, bucket, keys):
        op = Op("delete", bucket, self.rng.choice(keys), self.oid())
        r = run_op(self.cli, op, "DELETE", "/%s/%s" % (bucket, op.key))
        if r is not None:
            op.vid = r.headers.get("x-amz-version-id")
            op.dm = r.headers.get("x-amz-delete-marker") == "true"
        self.record(op)

    def copy(self):
        op = Op("copy", BU, self.rng.choice(UKEYS), self.oid())
        src = "/%s/%s" % ((BS, self.rng.choice(sorted(SRC))) if self.rng.random() < 0.4
                          else (BU, self.rng.choice(UKEYS)))
        r = run_op(self.cli, op, "PUT", "/%s/%s" % (BU, op.key),
                   headers={"x-amz-copy-source": src, "x-amz-metadata-directive": "REPLACE",
                            "x-amz-meta-op": op.oid})
        if r is not None and r.status == 200:
            op.etag = (xml_text(r.xml(), "ETag") or "").strip('"')
        self.record(op)

    def get(self, bucket, keys):
        op = Op("get", bucket, self.rng.choice(keys), self.oid())
        r = run_op(self.cli, op, "GET", "/%s/%s" % (bucket, op.key))
        if r is not None and r.status == 200:
            op.etag = r.headers.get("etag", "").strip('"')
            op.md5 = hashlib.md5(r.body).hexdigest()
            op.sha = rellib.sha256(r.body)
            op.meta = r.headers.get("x-amz-meta-op")
            op.vid = r.headers.get("x-amz-version-id")
            op.parts = r.body[:40]
        self.record(op)

    def rotate(self, old):
        """Start a new shared upload unless somebody already replaced old."""
        with self.sh.lock:
            if self.sh.uid != old:
                return
            meta = "up-%s" % self.oid()
            r = self.cli.request("POST", "/%s/%s" % (BU, MKEY), "uploads", {"x-amz-meta-op": meta})
            if r.status != 200:
                raise RuntimeError("CreateMultipartUpload: %r" % r)
            self.sh.uid = xml_text(r.xml(), "UploadId")
            self.sh.uid_meta[self.sh.uid] = meta

    def part(self):
        uid = self.sh.uid
        op = Op("part", BU, MKEY, self.oid())
        op.uid = uid
        op.part = self.rng.choice((1, 1, 2))
        size = 5 * MIB if op.part == 1 and self.rng.random() < 0.04 else self.rng.randint(64, 20000)
        data = rellib.body_for(op.oid, size)
        op.md5 = hashlib.md5(data).hexdigest()
        r = run_op(self.cli, op, "PUT", "/%s/%s" % (BU, MKEY), "partNumber=%d&uploadId=%s" %
                   (op.part, urllib.parse.quote(uid, safe="")), body=data)
        if r is not None and r.status == 200:
            op.etag = r.headers.get("etag", "").strip('"')
            self.sh.part_bytes[op.etag] = data
        self.record(op)
        if r is not None and r.code == "NoSuchUpload":
            self.rotate(uid)

    def complete(self):
        uid = self.sh.uid
        q = "uploadId=%s" % urllib.parse.quote(uid, safe="")
        lp = self.cli.request("GET", "/%s/%s" % (BU, MKEY), q)
        if lp.status != 200:
            if lp.code == "NoSuchUpload":
                self.rotate(uid)
            elif lp.status >= 500:
                op = Op("listparts", BU, MKEY, self.oid())
                op.status, op.code = lp.status, lp.code
                self.record(op)
            return
        parts = [(int(xml_text(p, "PartNumber")), xml_text(p, "ETag").strip('"'))
                 for p in lp.xml().iter(NS + "Part")]
        if not parts:
            return
        if len(parts) > 1 and self.rng.random() < 0.5:
            parts = parts[:1]
        op = Op("complete", BU, MKEY, self.oid())
        op.uid, op.parts = uid, parts
        doc = "<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(
            "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>" % p for p in parts)
        r = run_op(self.cli, op, "POST", "/%s/%s" % (BU, MKEY), q, body=doc.encode())
        if r is not None and r.status == 200:
            op.etag = (xml_text(r.xml(), "ETag") or "").strip('"')
        self.record(op)
        if r is not None and (r.status == 200 or r.code == "NoSuchUpload"):
            self.rotate(uid)

    def abort(self):
        uid = self.sh.uid
        op = Op("abort", BU, MKEY, self.oid())
        op.uid = uid
        r = run_op(self.cli, op, "DELETE", "/%s/%s" % (BU, MKEY), "uploadId=%s" % urllib.parse.quote(uid, safe=""))
        self.record(op)
        if r is not None and r.status in (204, 404):
            self.rotate(uid)

    def run(self, failures):
        ops = [(lambda: self.put(BU, UKEYS), 18), (lambda: self.delete(BU, UKEYS), 9), (self.copy, 10),
               (lambda: self.get(BU, UKEYS + [MKEY]), 14), (lambda: self.put(BV, VKEYS), 12),
               (lambda: self.delete(BV, VKEYS), 5), (lambda: self.get(BV, VKEYS), 4),
               (self.part, 14), (self.complete, 6), (self.abort, 1)]
        total = sum(w for _, w in ops)
        try:
            while time.monotonic() < self.deadline:
                r = self.rng.uniform(0, total)
                for fn, w in ops:
                    r -= w
                    if r <= 0:
                        break
                fn()
        except Exception as e:  # noqa: BLE001
            failures.append("client %d stopped: %s: %s" % (self.idx, type(e).__name__, e))
        finally:
            self.cli.close()


# ---------------------------------------------------------------- checks

class Writes:
    """The writes on one key, with what is needed for the interval rules."""

    def __init__(self, ops):
        self.all = ops
        acked = sorted((o for o in ops if o.acked), key=lambda o: o.end)
        self.acked_ends = [o.end for o in acked]
        self.prefix_max_start = []
        m = float("-inf")
        for o in acked:
            m = max(m, o.start)
            self.prefix_max_start.append(m)
        starts = sorted((o.start, id(o)) for o in ops if o.acked)
        self.top = starts[-2:]

    def can_be_last(self, w):
        """No acknowledged write other than w started after w ended."""
        for s, i in reversed(self.top):
            if i != id(w):
                return s <= w.end
        return True

    def can_be_read(self, w, r):
        """r (a read) may return w's value: w started before r ended and no acknowledged write
        started after w ended and ended before r started."""
        if w is not None and w.start > r.end:
            return False
        k = bisect.bisect_left(self.acked_ends, r.start)
        if k == 0:
            return True
        latest_start = self.prefix_max_start[k - 1]
        return latest_start <= (w.end if w is not None else float("-inf"))


def mpu_result(sh, complete):
    """(md5 hex, sha256 hex) of the object a Complete would make from its parts, or None if a
    part's bytes are unknown (never acknowledged)."""
    datas = []
    for _n, etag in complete.parts:
        if etag not in sh.part_bytes:
            return None
        datas.append(sh.part_bytes[etag])
    whole = b"".join(datas)
    return hashlib.md5(whole).hexdigest(), rellib.sha256(whole)


class Checker:
    def __init__(self, rep, sh):
        self.rep, self.sh = rep, sh
        self.bad = []
        self.byid = {o.oid: o for o in sh.ops}
        # CompleteMultipartUpload: the object each successful one made, by the object's ETag
        self.mpu_by_etag = {}
        for o in sh.ops:
            if o.kind == "complete" and o.acked:
                res = mpu_result(sh, o)
                if res is None:
                    self.bad.append("%r completed with a part ETag no UploadPart was acknowledged for" % o)
                    continue
                o.md5, o.sha = res
                self.sh.bodies[o.md5] = o.sha
                self.mpu_by_etag.setdefault(o.etag, []).append(o)

    def writes(self, bucket, key):
        out = []
        for o in self.sh.ops:
            if o.bucket != bucket or o.key != key:
                continue
            if o.kind in ("put", "delete") and (o.acked or o.unknown):
                out.append(o)
            elif o.kind in ("copy", "complete") and (o.acked or o.unknown):
                out.append(o)
        return out

    def writer_of(self, bucket, key, etag, meta, body_head):
        """The write whose value a GET saw (identified by x-amz-meta-op, the body's leading
        request id, or the multipart ETag); None if it cannot be found."""
        if meta and meta.startswith("up-"):
            for c in self.mpu_by_etag.get(etag, []):
                if self.sh.uid_meta.get(c.uid) == meta:
                    return c
            return None
        if meta:
            return self.byid.get(meta)
        if body_head and body_head.startswith(b"<"):
            oid = body_head[1:].split(b":", 1)[0].decode("ascii", "replace")
            return self.byid.get(oid)
        return None

    def value_ok(self, w, etag, md5, sha):
        if w.kind == "put":
            return md5 == w.md5 and sha == w.sha and etag == w.md5
        if w.kind == "copy":
            return md5 == etag and self.sh.bodies.get(md5) == sha and (w.etag is None or w.etag == md5)
        if w.kind == "complete":
            return sha == w.sha and etag == w.etag
        return False

    def reads(self):
        n = 0
        cache = {}
        for r in self.sh.ops:
            if r.kind != "get" or r.status not in (200, 404):
                continue
            k = (r.bucket, r.key)
            if k not in cache:
                cache[k] = Writes(self.writes(*k))
            ws = cache[k]
            n += 1
            if r.status == 404:
                dels = [w for w in ws.all if w.kind == "delete"]
                if not any(ws.can_be_read(d, r) for d in dels) and not ws.can_be_read(None, r):
                    self.bad.append("stale or impossible 404: %r (no DELETE explains it)" % r)
                continue
            w = self.writer_of(r.bucket, r.key, r.etag, r.meta, r.parts)
            if w is None:
                self.bad.append("GET %s/%s returned bytes no request wrote (ETag %s, meta %s, head %r)" %
                                (r.bucket, r.key, r.etag, r.meta, r.parts))
                continue
            if not self.value_ok(w, r.etag, r.md5, r.sha):
                self.bad.append("GET %s/%s: torn or wrong bytes for %r (ETag %s md5 %s)" %
                                (r.bucket, r.key, w, r.etag, r.md5))
            if not ws.can_be_read(w, r):
                self.bad.append("stale read: %r returned the value of %r although a later write had "
                                "completed before it started" % (r, w))
        return n

    def final_unversioned(self, cli):
        for key in UKEYS + [MKEY]:
            ws = Writes(self.writes(BU, key))
            r = cli.request("GET", "/%s/%s" % (BU, key))
            if r.status == 404:
                dels = [w for w in ws.all if w.kind == "delete"]
                if not any(ws.can_be_last(d) for d in dels) and any(w.acked for w in ws.all):
                    self.bad.append("%s is absent, but no DELETE can have been the last write" % key)
                continue
            if r.status != 200:
                self.bad.append("final GET %s: %r" % (key, r))
                continue
            etag = r.headers.get("etag", "").strip('"')
            w = self.writer_of(BU, key, etag, r.headers.get("x-amz-meta-op"), r.body[:40])
            if w is None:
                self.bad.append("%s holds bytes no request wrote (ETag %s)" % (key, etag))
                continue
            if not self.value_ok(w, etag, hashlib.md5(r.body).hexdigest(), rellib.sha256(r.body)):
                self.bad.append("%s: final bytes do not match %r" % (key, w))
            if not ws.can_be_last(w):
                self.bad.append("%s ends as written by %r, but an acknowledged write started after it "
                                "ended" % (key, w))

    def versions(self, cli):
        listed = []        # newest first per key, in the server's order
        q = "versions"
        while True:
            r = cli.request("GET", "/%s" % BV, q)
            if r.status != 200:
                self.bad.append("ListObjectVersions: %r" % r)
                return 0
            root = r.xml()
            for el in root:
                tag = el.tag.replace(NS, "")
                if tag in ("Version", "DeleteMarker"):
                    listed.append((xml_text(el, "Key"), xml_text(el, "VersionId"), tag == "DeleteMarker",
                                   xml_text(el, "IsLatest") == "true", (xml_text(el, "ETag") or "").strip('"')))
            if xml_text(root, "IsTruncated") != "true":
                break
            q = "versions&key-marker=%s&version-id-marker=%s" % (
                urllib.parse.quote(xml_text(root, "NextKeyMarker"), safe=""),
                urllib.parse.quote(xml_text(root, "NextVersionIdMarker"), safe=""))
        pos = {(k, v): i for i, (k, v, _dm, _l, _e) in enumerate(listed)}
        info = {(k, v): (dm, latest, etag) for k, v, dm, latest, etag in listed}
        ops = [o for o in self.sh.ops if o.bucket == BV and o.kind in ("put", "delete")]
        acked = [o for o in ops if o.acked]
        for o in acked:
            if not o.vid:
                self.bad.append("versioned %r answered without x-amz-version-id" % o)
                continue
            got = info.get((o.key, o.vid))
            if got is None:
                self.bad.append("ListObjectVersions lacks the acknowledged version of %r (%s)" % (o, o.vid))
            elif got[0] != (o.kind == "delete") or (o.kind == "put" and got[2] != o.md5):
                self.bad.append("version %s of %r is listed as %r" % (o.vid, o, got))
        known = {(o.key, o.vid) for o in acked}
        possible = len([o for o in ops if o.unknown])
        unexplained = [kv for kv in pos if kv not in known]
        if len(unexplained) > possible:
            self.bad.append("%d listed versions match no acknowledged request (only %d requests had no "
                            "answer): %s" % (len(unexplained), possible, unexplained[:5]))
        # real-time order: A ended before B started => A listed after B (newest first)
        for key in VKEYS:
            mine = sorted((o for o in acked if o.key == key and (o.key, o.vid) in pos), key=lambda o: o.start)
            ends = sorted(mine, key=lambda o: o.end)
            for b in mine:
                for a in ends:
                    if a.end >= b.start:
                        break
                    if pos[(key, a.vid)] < pos[(key, b.vid)]:
                        self.bad.append("%s: %r is listed as newer than %r, which started after it ended" %
                                        (key, a, b))
                        break
            latest = [v for (k, v), (_dm, lt, _e) in info.items() if k == key and lt]
            if len(latest) > 1:
                self.bad.append("%s: several versions flagged IsLatest: %s" % (key, latest))
            elif latest:
                w = next((o for o in mine if o.vid == latest[0]), None)
                ws = Writes([o for o in ops if o.key == key])
                if w is not None and not ws.can_be_last(w):
                    self.bad.append("%s: IsLatest on %r but an acknowledged write started after it ended" %
                                    (key, w))
        return len(listed)

    def multipart(self):
        by_uid = {}
        for o in self.sh.ops:
            if o.uid:
                by_uid.setdefault(o.uid, []).append(o)
        completed = 0
        for uid, ops in by_uid.items():
            done = [o for o in ops if o.kind == "complete" and o.acked]
            ends = [o for o in ops if o.kind in ("complete", "abort") and o.acked]
            if len({o.etag for o in done}) > 1:
                self.bad.append("upload %s completed twice with different results: %r" % (uid, done))
            if done:
                completed += 1
            if ends:
                first_end = min(o.end for o in ends)
                late = [o for o in ops if o.kind == "part" and o.acked and o.start > first_end]
                if late:
                    self.bad.append("upload %s: UploadPart acknowledged after the upload was completed or "
                                    "aborted: %r" % (uid, late[:3]))
            if any(o.kind == "abort" and o.acked for o in ops) and done:
                ab = min(o.end for o in ops if o.kind == "abort" and o.acked)
                late = [o for o in done if o.start > ab]
                if late:
                    self.bad.append("upload %s: CompleteMultipartUpload succeeded after an abort: %r" % (uid, late))
        return completed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    rep = rellib.Report("race")
    rep.note("seed %d, %d clients, %.0f s" % (seed, a.clients, a.seconds))
    data = os.path.join(a.tmp, "data")
    srv = rellib.Server(data, a.log)
    srv.start()
    cli = rellib.RawS3(srv.endpoint)
    for b in (BU, BV, BS):
        r = cli.request("PUT", "/" + b)
        if r.status != 200:
            rep.fatal("create bucket %s: %r" % (b, r))
    r = cli.request("PUT", "/" + BV, "versioning",
                    body=b'<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>')
    if r.status != 200:
        rep.fatal("enable versioning: %r" % r)
    sh = Shared()
    for name, size in SRC.items():
        body = rellib.body_for("src-" + name, size)
        sh.bodies[hashlib.md5(body).hexdigest()] = rellib.sha256(body)
        cli.request("PUT", "/%s/%s" % (BS, name), body=body)
    boot = Client(-1, srv.endpoint, sh, 0, 0)
    boot.rotate(None)

    deadline = time.monotonic() + a.seconds
    failures = []
    clients = [Client(i, srv.endpoint, sh, deadline, rng.randrange(1 << 30)) for i in range(a.clients)]
    threads = [threading.Thread(target=c.run, args=(failures,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(a.seconds + 120)
    ops = sh.ops
    kinds = {}
    for o in ops:
        kinds.setdefault(o.kind, [0, 0])
        kinds[o.kind][0] += 1
        kinds[o.kind][1] += o.acked
    rep.note("requests: " + ", ".join("%s %d (%d ok)" % (k, v[0], v[1]) for k, v in sorted(kinds.items())))
    rep.check(not failures, "every client ran to the deadline", "; ".join(failures[:5]))
    srv_err = [o for o in ops if o.unknown]
    rep.check(not srv_err, "no 5xx answer and no dropped connection under contention (%d requests)" % len(ops),
              "%d: %s" % (len(srv_err), srv_err[:5]))
    rep.check(rellib.integrity(data) == "ok", "integrity_check after the race")

    chk = Checker(rep, sh)
    nreads = chk.reads()
    rep.check(not chk.bad, "%d reads during the race returned whole bytes of a write that may be current" % nreads,
              "; ".join(chk.bad[:8]))
    chk.bad = []
    chk.final_unversioned(cli)
    rep.check(not chk.bad, "final objects of %s are consistent with a serial order" % ", ".join(UKEYS + [MKEY]),
              "; ".join(chk.bad[:8]))
    chk.bad = []
    nver = chk.versions(cli)
    rep.check(not chk.bad, "ListObjectVersions shows every acknowledged version and marker (%d listed) in "
              "real-time order" % nver, "; ".join(chk.bad[:8]))
    chk.bad = []
    ncomp = chk.multipart()
    rep.check(not chk.bad, "shared upload ids: %d completed; no double completion, no part accepted after "
              "the end" % ncomp, "; ".join(chk.bad[:8]))

    # Leave nothing open, then nothing may be left on disk.
    r = cli.request("GET", "/" + BU, "uploads")
    for u in r.xml().iter(NS + "Upload"):
        x = cli.request("DELETE", "/%s/%s" % (BU, xml_text(u, "Key")),
                        "uploadId=%s" % urllib.parse.quote(xml_text(u, "UploadId"), safe=""))
        if x.status != 204:
            rep.fail("abort leftover upload: %r" % x)
    orphans, missing = rellib.blob_consistency(data)
    rep.check(not orphans and not missing, "blob files match the metadata while running (no orphan, none missing)",
              "orphans %s missing %s" % (orphans[:3], missing[:3]))
    rep.check(not rellib.tmp_files(data), "tmp/ empty when idle", str(rellib.tmp_files(data)[:5]))
    cli.close()
    rep.check(srv.stop(), "s3iamd stops cleanly after the race", srv.log_tail())
    srv.start()
    rep.check(srv.swept() == 0, "the next start-up sweep finds nothing to remove", "it removed %d" % srv.swept())
    rep.check(srv.stop(), "s3iamd stops cleanly")
    rep.finish()


if __name__ == "__main__":
    main()
