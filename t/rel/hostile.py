"""t/rel/hostile.py - hostile and malformed requests: each gets a clean error (or, for keys that
are merely odd, is stored byte for byte), nothing outside the data dir is touched, nothing is
read from disk on an XML parser's behalf, no huge allocation is made, and the server keeps
serving everybody else.  Run by t/rel/hostile.sh.

Also: requests libmicrohttpd refuses while parsing their query (431) must not leak the request
state s3iamd allocated for them (RSS over 300 of them; LeakSanitizer in a sanitizer build).

The server runs with t/fault/faultinj.so preloaded in trace mode (no fault, just a log line for
every open/openat of a path containing "xxe-canary"), which is how "nothing is read from disk"
is observed.  Every case is followed by a health check.
"""
import argparse
import base64
import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rellib  # noqa: E402

NS = rellib.S3NS
B = "hostile-b"


def raw_exchange(port, data, timeout=10, shutdown=False, read_all=False):
    """Send raw bytes; return (status or None, headers dict, body bytes, seconds).  status None
    means the server closed the connection without an answer."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    buf = b""
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if shutdown:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            buf += chunk
            if not read_all:
                head, sep, rest = buf.partition(b"\r\n\r\n")
                if sep:
                    clen = 0
                    for line in head.split(b"\r\n")[1:]:
                        k, _, v = line.partition(b":")
                        if k.strip().lower() == b"content-length":
                            clen = int(v.strip() or 0)
                    if len(rest) >= clen:
                        break
    finally:
        s.close()
    dt = time.monotonic() - t0
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/"):
        return None, {}, buf, dt
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        hdrs[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    return status, hdrs, body, dt


def code_of(body):
    try:
        return ET.fromstring(body).findtext("Code")
    except ET.ParseError:
        return None


class Hostile:
    def __init__(self, rep, srv, data, tmp, trace_log):
        self.rep, self.srv, self.data, self.tmp, self.trace_log = rep, srv, data, tmp, trace_log
        self.cli = rellib.RawS3(srv.endpoint)

    def alive(self, what):
        try:
            r = self.cli.request("GET", "/_s3iam/health", sign=False)
            ok = r.status == 200
        except Exception:  # noqa: BLE001
            self.cli.close()
            ok = False
        if not ok or not self.srv.alive():
            self.rep.fatal("%s: the server stopped answering:\n%s" % (what, self.srv.log_tail()))

    def signed_raw(self, method, target, extra_headers=None, body_hash="UNSIGNED-PAYLOAD"):
        """Request head (bytes, ending in the blank line) signed for target (already encoded)."""
        path, _, query = target.partition("?")
        hdrs = self.cli.signed_headers(method, path, query, {"X-Amz-Content-SHA256": body_hash})
        lines = ["%s %s HTTP/1.1" % (method, target)] + ["%s: %s" % kv for kv in hdrs.items()]
        lines += ["%s: %s" % kv for kv in (extra_headers or [])]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def outside_snapshot(self):
        """Everything under the test's scratch dir except the data dir and logs, plus a few
        well-known system files: none of it may change."""
        out = {}
        for root, dirs, files in os.walk(self.tmp):
            if os.path.realpath(root).startswith(os.path.realpath(self.data)):
                dirs[:] = []
                continue
            for f in files:
                p = os.path.join(root, f)
                if f.endswith(".log") or f.endswith(".ctl"):
                    continue
                st = os.stat(p)
                out[p] = (st.st_size, st.st_mtime_ns)
        for p in ("/etc/passwd", "/etc/hosts", "/tmp"):
            try:
                st = os.stat(p)
                out[p] = (st.st_size, st.st_mtime_ns) if p != "/tmp" else sorted(
                    n for n in os.listdir("/tmp") if "passwd" in n or n.startswith(".."))
            except OSError:
                pass
        return out

    # ---------------------------------------------------------------- cases

    def traversal(self):
        before = self.outside_snapshot()
        keys = ["../../etc/passwd", "../../../../../../../../etc/passwd", "a/../../b", "..", ".", "./x",
                "/leading-slash", "..\\..\\windows\\win.ini", "....//....//etc/passwd",
                "../" * 40 + "deep", "%2e%2e/%2e%2e/etc", "blobs/../meta.db", "../tmp/x"]
        stored = {}
        for i, k in enumerate(keys):
            body = ("traversal %d %s" % (i, k)).encode()
            path = "/%s/%s" % (B, urllib.parse.quote(k, safe=""))
            r = self.cli.request("PUT", path, body=body)
            if not self.rep.check(r.status == 200, "key %r is just a key: PUT stores it" % k, repr(r)):
                continue
            g = self.cli.request("GET", path)
            self.rep.check(g.status == 200 and g.body == body, "key %r: GET returns the same bytes" % k, repr(g))
            stored[k] = body
        # the same keys with the dots and slashes as they are on the request line
        for k in ("../../etc/passwd", "a/./b/../c"):
            path = "/%s/%s" % (B, k)
            body = b"raw " + k.encode()
            r = self.cli.request("PUT", path, body=body)
            g = self.cli.request("GET", path)
            self.rep.check(r.status == 200 and g.status == 200 and g.body == body,
                           "unencoded %r on the request line is kept as a key, byte for byte" % k,
                           "PUT %r GET %r" % (r, g))
            stored[k] = body
        listed = set()
        r = self.cli.request("GET", "/" + B, "list-type=2&max-keys=1000")
        for c in r.xml().iter(NS + "Contents"):
            listed.add(c.findtext(NS + "Key"))
        self.rep.check(set(stored) <= listed, "ListObjectsV2 lists the traversal keys verbatim",
                       "missing %s" % sorted(set(stored) - listed))
        after = self.outside_snapshot()
        self.rep.check(before == after, "nothing outside the data dir was created or changed",
                       "%s" % {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
                               if before.get(k) != after.get(k)})
        for name in ("..", "../etc", "%2e%2e", "a..b", ".hidden", "UPPER", "x" * 64, "a/b"):
            enc = urllib.parse.quote(name, safe="")
            r = self.cli.request("PUT", "/" + enc)
            self.rep.check(r.status == 400 and r.code == "InvalidBucketName",
                           "bucket name %r: CreateBucket answers InvalidBucketName" % name, repr(r))
        for name in ("..", "%2e%2e", "../" + B):
            r = self.cli.request("GET", "/%s/k" % name)
            # (a signer may canonicalise such a path differently: SignatureDoesNotMatch is clean too)
            self.rep.check(r.status in (400, 403, 404) and r.code in ("InvalidBucketName", "NoSuchBucket",
                                                                      "SignatureDoesNotMatch"),
                           "GET /%s/k: a clean 4xx (%s)" % (name, r.code), repr(r))
        self.alive("traversal")

    def xml_bodies(self):
        canary_dir = os.path.join(self.tmp, "xxe-canary")
        os.makedirs(canary_dir, exist_ok=True)
        canary = os.path.join(canary_dir, "secret.txt")
        with open(canary, "w") as f:
            f.write("XXE-CANARY-CONTENT-7f3a\n")
        r = self.cli.request("POST", "/%s/mpu-k" % B, "uploads")
        uid = r.xml().findtext(NS + "UploadId")
        self.cli.request("PUT", "/%s/tagged" % B, body=b"x")
        targets = [
            ("PUT", "/%s" % B, "versioning", "VersioningConfiguration", "<Status>Enabled</Status>"),
            ("PUT", "/%s/tagged" % B, "tagging", "Tagging", "<TagSet><Tag><Key>k</Key><Value>&xxe;</Value></Tag></TagSet>"),
            ("POST", "/%s" % B, "delete", "Delete", "<Object><Key>&xxe;</Key></Object>"),
            ("POST", "/%s/mpu-k" % B, "uploadId=" + urllib.parse.quote(uid, safe=""), "CompleteMultipartUpload",
             "<Part><PartNumber>1</PartNumber><ETag>&xxe;</ETag></Part>"),
            ("PUT", "/hostile-newbucket", "", "CreateBucketConfiguration",
             "<LocationConstraint>&xxe;</LocationConstraint>"),
            ("PUT", "/%s" % B, "publicAccessBlock", "PublicAccessBlockConfiguration",
             "<BlockPublicAcls>&xxe;</BlockPublicAcls>"),
            ("PUT", "/%s" % B, "encryption", "ServerSideEncryptionConfiguration",
             "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>&xxe;</SSEAlgorithm>"
             "</ApplyServerSideEncryptionByDefault></Rule>"),
        ]
        doctypes = {
            "external entity (file)": '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://%s">]>' % canary,
            "external entity (relative path)": '<!DOCTYPE r [<!ENTITY xxe SYSTEM "%s">]>' % canary,
            "parameter entity": '<!DOCTYPE r [<!ENTITY %% p SYSTEM "file://%s"> %%p;]>' % canary,
            "external DTD": '<!DOCTYPE r SYSTEM "file://%s">' % canary,
            "billion laughs": "<!DOCTYPE r [" + '<!ENTITY xxe "lol">' + "".join(
                '<!ENTITY l%d "%s">' % (i, ("&l%d;" % (i - 1) if i else "&xxe;") * 10) for i in range(10)) + "]>",
        }
        rss0 = self.srv.rss_kb()
        for method, path, query, root, inner in targets:
            for what, dt in doctypes.items():
                if what == "billion laughs":
                    inner2 = inner.replace("&xxe;", "&l9;")
                else:
                    inner2 = inner
                doc = '<?xml version="1.0"?>%s<%s xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s</%s>' % (
                    dt.replace("<!DOCTYPE r", "<!DOCTYPE " + root), root, inner2, root)
                body = doc.encode()
                hdrs = {"Content-MD5": content_md5(body)} if query == "delete" else None
                t0 = time.monotonic()
                r = self.cli.request(method, path, query, hdrs, body)
                dt_s = time.monotonic() - t0
                self.rep.check(r.status == 400 and r.code == "MalformedXML" and b"XXE-CANARY" not in r.body
                               and dt_s < 5,
                               "%s %s?%s with %s: 400 MalformedXML (%.2fs)" % (method, path, query.split("=")[0],
                                                                             what, dt_s), repr(r))
        rss1 = self.srv.rss_kb()
        self.rep.check(rss1 - rss0 < 64 * 1024, "entity expansion did not blow up memory (RSS %d -> %d kB)" %
                       (rss0, rss1))
        traced = open(self.trace_log).read() if os.path.exists(self.trace_log) else ""
        self.rep.check("xxe-canary" not in traced, "the XML parser never opened the canary file",
                       traced[:500])
        # Positive control: the same shim and rule see a process that does open the canary.
        env = dict(os.environ, LD_PRELOAD=self.srv.env["LD_PRELOAD"].split(":")[-1],
                   FAULT_CALL="open,openat", FAULT_PATH="xxe-canary", FAULT_NTH="1000000", FAULT_TRACE="1",
                   FAULT_LOG=self.trace_log + ".control")
        subprocess.run(["cat", canary], env=env, stdout=subprocess.DEVNULL, check=False)
        ctl = open(self.trace_log + ".control").read() if os.path.exists(self.trace_log + ".control") else ""
        self.rep.check("xxe-canary" in ctl, "control: the trace shim does see an open of the canary", ctl[:200])
        r = self.cli.request("GET", "/%s/tagged" % B, "tagging")
        self.rep.check(r.status == 200 and b"<Tag>" not in r.body, "object tags unchanged by the refused documents",
                       repr(r))
        r = self.cli.request("GET", "/%s" % B, "versioning")
        self.rep.check(r.status == 200 and b"Enabled" not in r.body, "versioning unchanged", repr(r))
        r = self.cli.request("HEAD", "/hostile-newbucket")
        self.rep.check(r.status == 404, "no bucket created by a refused CreateBucketConfiguration", repr(r))
        self.alive("xml")

    def huge_content_length(self):
        port = self.srv.port
        rss0 = self.srv.rss_kb()
        tmp0 = rellib.tmp_files(self.data)
        for clen, what in ((10 * 1024 ** 3, "10 GiB"), (2 ** 63 - 1, "2^63-1"), (99999999999999999999, "2^66")):
            head = self.signed_raw("PUT", "/%s/huge" % B, [("Content-Length", str(clen))])
            st, _h, body, dt = raw_exchange(port, head + b"0123456789", timeout=10, shutdown=True)
            # past 2^64 libmicrohttpd itself refuses the number: 413
            ok = ((st == 400 and code_of(body) in ("EntityTooLarge", "InvalidArgument")) or
                  (st == 413 and clen >= 2 ** 64)) and dt < 5
            self.rep.check(ok, "PUT with Content-Length %s and a 10-byte body: 400 EntityTooLarge at once (%s, %.2fs)" %
                           (what, st, dt), "status %s code %s" % (st, code_of(body)))
        # below the limit: the server waits for the body; the client gives up
        head = self.signed_raw("PUT", "/%s/huge" % B, [("Content-Length", str(4 * 1024 ** 3))])
        st, _h, body, dt = raw_exchange(port, head + b"0123456789", timeout=5, shutdown=True)
        self.rep.check(st in (None, 400) and (st is None or code_of(body) == "IncompleteBody"),
                       "PUT announcing 4 GiB, sending 10 bytes, closing: no object, connection closed or "
                       "400 IncompleteBody", "status %s body %r" % (st, body[:200]))
        head = self.signed_raw("POST", "/%s?delete" % B, [("Content-Length", str(10 * 1024 ** 3))])
        st, _h, body, dt = raw_exchange(port, head + b"<Delete>", timeout=10, shutdown=True)
        self.rep.check(st == 400 and dt < 5, "DeleteObjects with Content-Length 10 GiB: 400 at once (%s)" %
                       code_of(body), "status %s body %r" % (st, body[:200]))
        r = self.cli.request("HEAD", "/%s/huge" % B)
        self.rep.check(r.status == 404, "no object 'huge' was stored", repr(r))
        time.sleep(0.5)
        self.rep.check(rellib.tmp_files(self.data) == tmp0, "no temp file left behind",
                       str(rellib.tmp_files(self.data)))
        rss1 = self.srv.rss_kb()
        self.rep.check(rss1 - rss0 < 64 * 1024, "no huge allocation (RSS %d -> %d kB)" % (rss0, rss1))
        for bad in ("-1", "abc", "1e3", "0x10", " ", "18446744073709551616"):
            head = self.signed_raw("PUT", "/%s/badlen" % B, [("Content-Length", bad)])
            st, _h, body, _dt = raw_exchange(port, head, timeout=5, shutdown=True)
            self.rep.check(st == 400 or (st == 413 and bad.isdigit()), "Content-Length %r: 400 (%s)" % (bad, st),
                           "status %s %r" % (st, body[:200]))
        head = self.signed_raw("PUT", "/%s/dup" % B, [("Content-Length", "3"), ("Content-Length", "5")])
        st, _h, body, _dt = raw_exchange(port, head + b"abcde", timeout=5, shutdown=True)
        self.rep.check(st == 400, "two different Content-Length headers: 400", "status %s %r" % (st, body[:200]))
        self.alive("content-length")

    def chunked_and_length(self):
        port = self.srv.port
        head = self.signed_raw("PUT", "/%s/smuggle" % B, [("Content-Length", "4"), ("Transfer-Encoding", "chunked")])
        smuggled = b"GET /%s/secret-probe HTTP/1.1\r\nHost: x\r\n\r\n" % B.encode()
        st, _h, body, _dt = raw_exchange(port, head + b"5\r\nhello\r\n0\r\n\r\n" + smuggled, timeout=5,
                                         shutdown=True, read_all=True)
        answers = body.count(b"HTTP/1.1 ") + (1 if st else 0)
        self.rep.check(st == 400, "Transfer-Encoding: chunked together with Content-Length: 400",
                       "status %s %r" % (st, body[:300]))
        self.rep.check(answers <= 1, "the bytes after that request are not run as a second request",
                       "%d answers: %r" % (answers, body[:500]))
        r = self.cli.request("HEAD", "/%s/smuggle" % B)
        self.rep.check(r.status == 404, "nothing stored by the ambiguous request", repr(r))
        self.alive("chunked+length")

    def header_limits(self):
        port = self.srv.port
        many = "".join("X-Junk-%d: v\r\n" % i for i in range(10000))
        req = ("GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (B, many)).encode()
        st, _h, body, dt = raw_exchange(port, req, timeout=20)
        self.rep.check(st in (400, 431), "10,000 headers: 431 or 400 (%.2fs)" % dt,
                       "status %s code %s" % (st, code_of(body)))
        req = ("GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %s\r\n\r\n" % (B, "a" * (1 << 20))).encode()
        st, _h, body, dt = raw_exchange(port, req, timeout=20)
        self.rep.check(st in (400, 431), "one 1 MiB header: 431 or 400", "status %s" % st)
        req = ("GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %s\r\n\r\n" % (B, "a" * 16000)).encode()
        st, _h, body, dt = raw_exchange(port, req, timeout=20)
        self.rep.check(st is not None and st < 500, "a 16 KB header: a clean answer (%s %s)" % (st, code_of(body)))
        if st not in (400, 431):
            self.rep.note("a 16 KB header is accepted (S3 refuses header sections over 8 KB with 400 "
                          "RequestHeaderSectionTooLarge); libmicrohttpd's 128 KiB pool is the only limit")
        req = ("GET /%s/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (B, "k" * (1 << 20))).encode()
        st, _h, body, dt = raw_exchange(port, req, timeout=20)
        self.rep.check(st in (400, 414, 431), "a 1 MiB URL: 414 or 400", "status %s" % st)
        for n in (1000, 10000):
            q = "&".join("p%d=v" % i for i in range(n))
            st, _h, body, dt = raw_exchange(port, self.signed_raw("GET", "/%s?%s" % (B, q)), timeout=20)
            # libmicrohttpd answers 431 when the request head outgrows its 128 KiB pool, then closes
            # with the rest of the request unread: the kernel's RST may destroy the answer.
            self.rep.check((st is None or st < 500) and dt < 5, "%d signed query parameters: a clean answer "
                           "or a hang-up (%s %s, %.2fs)" % (n, st, code_of(body), dt), "status %s %r" % (st, body[:200]))
            if st is None:
                self.rep.note("%d query parameters: the connection was reset before an answer could be read" % n)
        # libmicrohttpd refuses that request (431) after s3iamd's URI callback has allocated the
        # request: whatever it allocated must be freed, or any client can exhaust memory.
        req = self.signed_raw("GET", "/%s?%s" % (B, "&".join("p%d=v" % i for i in range(10000))))
        for _ in range(20):
            raw_exchange(port, req, timeout=20)
        rss0 = self.srv.rss_kb()
        for _ in range(300):
            raw_exchange(port, req, timeout=20)
        rss1 = self.srv.rss_kb()
        self.rep.check(rss1 - rss0 < 12 * 1024, "300 requests refused while their query is parsed do not leak "
                       "(RSS %d -> %d kB)" % (rss0, rss1), "about %d bytes kept per request" %
                       ((rss1 - rss0) * 1024 // 300))
        st, _h, body, dt = raw_exchange(port, ("GET /%s?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" %
                                               (B, "&".join("x" * 50 + "%d" % i for i in range(10000)))).encode())
        self.rep.check(st is not None and st < 500, "10,000 unsigned query parameters: a clean answer",
                       "status %s" % st)
        self.alive("headers")

    def encodings(self):
        port = self.srv.port
        for raw in ("%FF%FE%FD", "a%C0%AFb", "%ED%A0%80", "%F8%88%80%80%80", "%E2%82"):
            r = self.cli.request("PUT", "/%s/%s" % (B, raw), body=b"utf8")
            self.rep.check(r.status == 400 and r.code in ("InvalidURI", "InvalidArgument"),
                           "key bytes %s (not UTF-8): 400 InvalidURI/InvalidArgument" % raw, repr(r))
        r = self.cli.request("GET", "/" + B, "list-type=2")
        try:
            ET.fromstring(r.body)
            wf = True
        except ET.ParseError as e:
            wf = "%s" % e
        self.rep.check(r.status == 200 and wf is True, "ListObjectsV2 is still well-formed XML", "%s" % wf)
        for target, what in (("/%s/%%zz" % B, "key %zz"), ("/%s/%%" % B, "key ending in %"),
                             ("/%s/a%%4" % B, "key with %4"), ("/%%zz/k", "bucket %zz"),
                             ("/%s?prefix=%%zz&list-type=2" % B, "query value %zz"),
                             ("/%s?%%zz=1" % B, "query name %zz"), ("/%s/%%00" % B, "key %00"),
                             ("/%%00/k", "bucket %00"), ("/%s/a%%00b" % B, "key a%00b")):
            path, _, query = target.partition("?")
            head = self.signed_raw("GET", target)
            st, _h, body, _dt = raw_exchange(port, head)
            self.rep.check(st == 400 and code_of(body) in ("InvalidURI", "InvalidArgument", "InvalidBucketName"),
                           "%s: 400 (%s)" % (what, code_of(body)), "status %s %r" % (st, body[:200]))
        r = self.cli.request("GET", "/" + B, "list-type=2&prefix=a%00b")
        self.rep.check(r.status in (200, 400), "NUL in a query value: a clean answer (%d)" % r.status, repr(r))
        for req, what in ((b"GET /%s/k\x00x HTTP/1.1\r\nHost: x\r\n\r\n" % B.encode(), "NUL in the request line"),
                          (b"GET /%s HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n" % B.encode(), "NUL in a header"),
                          (b"GET /%s HTTP/1.1\r\nHost: x\r\nX\x00A: a\r\n\r\n" % B.encode(), "NUL in a header name"),
                          (b"FOO /%s HTTP/1.1\r\nHost: x\r\n\r\n" % B.encode(), "unknown method"),
                          (b"GET /%s HTTP/9.9\r\nHost: x\r\n\r\n" % B.encode(), "HTTP/9.9"),
                          (b"\r\n\r\n\r\n", "blank lines"),
                          (b"GET\r\n\r\n", "request line without a target")):
            st, _h, body, _dt = raw_exchange(port, req, timeout=5, shutdown=True)
            # what is not HTTP at all may simply be hung up on
            self.rep.check((st is not None and 400 <= st < 500) or st in (501, 505) or
                           (st is None and what in ("blank lines", "request line without a target")),
                           "%s: 4xx (or 501/505), no crash (%s)" % (what, st), "status %s %r" % (st, body[:200]))
        self.alive("encodings")

    def slowloris(self):
        port = self.srv.port
        threads0 = self.srv.threads()
        socks = []
        for i in range(200):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(b"GET /_s3iam/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                socks.append(s)
            except OSError:
                break
        self.rep.check(len(socks) == 200, "200 slow-header connections open", "only %d" % len(socks))
        worst = 0.0
        served = 0
        t_end = time.monotonic() + 4
        data = b"served while slow clients hang"
        while time.monotonic() < t_end:
            for s in socks:
                try:
                    s.send(b"a")
                except OSError:
                    pass
            t0 = time.monotonic()
            try:
                r = self.cli.request("PUT", "/%s/slow" % B, body=data)
                g = self.cli.request("GET", "/%s/slow" % B)
                if r.status == 200 and g.body == data:
                    served += 1
            except Exception:  # noqa: BLE001
                self.cli.close()
            worst = max(worst, time.monotonic() - t0)
            time.sleep(0.2)
        self.rep.check(served >= 5 and worst < 5, "other clients are served while 200 connections trickle their "
                       "headers (%d round trips, worst %.2fs)" % (served, worst))
        for s in socks:
            s.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.srv.threads() > threads0 + 5:
            time.sleep(0.2)
        self.rep.check(self.srv.threads() <= threads0 + 5, "their threads are gone once they disconnect "
                       "(%d -> %d)" % (threads0, self.srv.threads()))
        self.alive("slowloris")


def content_md5(body):
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shim", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    rep = rellib.Report("hostile")
    tmp = os.path.realpath(a.tmp)
    data = os.path.join(tmp, "data")
    trace = os.path.join(tmp, "trace.log")
    # (a small ASan quarantine, so that freed memory does not look like growth)
    env = {"ASAN_OPTIONS": "detect_leaks=1:quarantine_size_mb=4",
           "LD_PRELOAD": rellib.preload_env(os.path.realpath(a.shim)), "FAULT_CALL": "open,openat",
           "FAULT_PATH": "xxe-canary", "FAULT_NTH": "1000000000", "FAULT_TRACE": "1", "FAULT_LOG": trace}
    srv = rellib.Server(data, a.log, env=env)
    srv.start()
    h = Hostile(rep, srv, data, tmp, trace)
    r = h.cli.request("PUT", "/" + B)
    if r.status != 200:
        rep.fatal("create bucket: %r" % r)
    for case in (h.traversal, h.xml_bodies, h.huge_content_length, h.chunked_and_length, h.header_limits,
                 h.encodings, h.slowloris):
        try:
            case()
        except Exception as e:  # noqa: BLE001
            rep.fail("%s raised %s: %s" % (case.__name__, type(e).__name__, e))
            h.cli.close()
            h.alive(case.__name__)
    h.cli.close()
    rep.check(srv.stop(), "s3iamd stops cleanly (no sanitizer report)", srv.log_tail())
    rep.finish()


if __name__ == "__main__":
    main()
