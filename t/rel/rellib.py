"""t/rel/rellib.py - shared pieces of the reliability tests (t/rel/*.py).

- Server: start s3iamd on a free loopback port with a given data dir, wait for /_s3iam/health,
  kill it (any signal) or stop it (SIGTERM, clean exit required), read its log.
- Store inspection straight from the data dir: blob files, the blobs the metadata references
  (sqlite3 CLI), PRAGMA integrity_check, temp files.
- Report: TAP-like "ok N - ..." lines; failures are collected (check()) so one run reports every
  broken property, and the script exits 1 at the end (report.finish()).

The scripts run under t/rel/*.sh, which source t/lib/server.sh for a hermetic environment
(S3IAMD, SRCDIR, credentials, no proxies) and a scratch dir.
"""
import atexit
import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ROOT_KEY = os.environ.get("AWS_ACCESS_KEY_ID", "AKIAS3IAMROOTEXAMPLE")
ROOT_SECRET = os.environ.get("AWS_SECRET_ACCESS_KEY", "s3iam-root-secret-key-change-me")
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
SANITIZER_RE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:")


# ---------------------------------------------------------------- reporting

class Report:
    """Counts passed checks and collects failures without stopping at the first one."""

    def __init__(self, name):
        self.name = name
        self.count = 0
        self.failures = []
        self.lock = threading.Lock()

    def ok(self, msg):
        with self.lock:
            self.count += 1
            print("ok %d - %s" % (self.count, msg), flush=True)

    def note(self, msg):
        print("# %s" % msg, flush=True)

    def fail(self, msg):
        with self.lock:
            self.failures.append(msg)
            print("FAIL: %s: %s" % (self.name, msg), file=sys.stderr, flush=True)

    def check(self, cond, msg, detail=""):
        """ok(msg) when cond holds, else a failure with detail; returns cond."""
        if cond:
            self.ok(msg)
        else:
            self.fail("%s%s" % (msg, (": " + detail) if detail else ""))
        return bool(cond)

    def fatal(self, msg):
        self.fail(msg)
        self.finish()

    def finish(self):
        if self.failures:
            print("# %s: %d checks passed, %d FAILED" % (self.name, self.count, len(self.failures)),
                  file=sys.stderr, flush=True)
            sys.exit(1)
        print("# %s: %d checks passed" % (self.name, self.count), flush=True)
        sys.exit(0)


# ---------------------------------------------------------------- the server

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def preload_env(shim):
    """LD_PRELOAD value that loads SHIM into s3iamd.  A sanitizer build must have its ASan
    runtime first in the list, so it is put in front when s3iamd links it."""
    s3iamd = os.environ["S3IAMD"]
    libs = []
    try:
        out = subprocess.run(["ldd", s3iamd], capture_output=True, text=True, timeout=30).stdout
        m = re.search(r"(\S*libasan\.so[.\d]*)\s+=>\s+(\S+)", out)
        if m:
            libs.append(m.group(2))
    except (OSError, subprocess.SubprocessError):
        pass
    libs.append(shim)
    return ":".join(libs)


class Server:
    """One s3iamd process at a time on a fixed port and data dir; every start appends to LOG."""

    def __init__(self, data, log, args=(), env=None, port=None):
        self.data = data
        self.log = log
        self.args = list(args)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        self.env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        self.port = port or free_port()
        self.proc = None
        self.log_mark = 0
        atexit.register(self._reap)

    def _reap(self):
        """At interpreter exit (also after a failed check): no s3iamd is left behind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=10.0):
        """Start and wait until /_s3iam/health answers 200; raise RuntimeError otherwise."""
        with open(self.log, "ab") as f:
            self.log_mark = f.tell()
            f.write(("==== start %s --listen 127.0.0.1:%d --data %s %s\n" %
                     (os.environ["S3IAMD"], self.port, self.data, " ".join(self.args))).encode())
            f.flush()
            for attempt in range(3):
                self.proc = subprocess.Popen(
                    [os.environ["S3IAMD"], "--listen", "127.0.0.1:%d" % self.port, "--data", self.data] + self.args,
                    stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env)
                if self._wait_healthy(timeout):
                    return
                if self.proc.poll() is not None and "already in use" in self.log_since_start():
                    self.port = free_port()
                    continue
                break
        self.kill()
        raise RuntimeError("s3iamd did not become healthy on port %d:\n%s" % (self.port, self.log_tail()))

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.endpoint + "/_s3iam/health", timeout=2) as r:
                    if r.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        """Send sig and reap the process; returns its exit status (negative: signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        return rc

    def stop(self):
        """SIGTERM; True if it exited with status 0 within 15 s and without a sanitizer report."""
        if self.proc is None:
            return True
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            return False
        self.proc = None
        return rc == 0 and not self.sanitizer_report()

    def log_text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_since_start(self):
        with open(self.log, "rb") as f:
            f.seek(self.log_mark)
            return f.read().decode("utf-8", "replace")

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    def sanitizer_report(self):
        return bool(SANITIZER_RE.search(self.log_text()))

    def swept(self, timeout=60):
        """Orphan files the last start-up sweep removed.  blobs/ is swept in the background
        after the server listens, so this waits for storage's one summary line."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(r"start-up sweep removed (\d+) orphan", self.log_since_start())
            if m:
                return int(m.group(1))
            if time.monotonic() > deadline:
                raise RuntimeError("no 'start-up sweep removed N orphan' line within %d s:\n%s" %
                                   (timeout, self.log_tail()))
            time.sleep(0.02)

    def rss_kb(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return -1

    def threads(self):
        try:
            return len(os.listdir("/proc/%d/task" % self.proc.pid))
        except OSError:
            return -1


# ---------------------------------------------------------------- clients

def client(endpoint, service="s3", key=None, secret=None, session_token=None, read_timeout=60, pool=10):
    """A boto3 client for the server: path-style, no retries (a failure must be seen)."""
    cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                 read_timeout=read_timeout, max_pool_connections=pool,
                 s3={"addressing_style": "path"})
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, region_name=REGION, config=cfg,
        aws_access_key_id=key or ROOT_KEY, aws_secret_access_key=secret or ROOT_SECRET,
        aws_session_token=session_token)


S3NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class Resp:
    """An answer: status, headers (lower-case names), body, S3 error code (or None)."""

    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def code(self):
        m = re.search(rb"<Code>([^<]*)</Code>", self.body)
        return m.group(1).decode() if m else None

    def xml(self):
        return ET.fromstring(self.body)

    def __repr__(self):
        return "HTTP %d %s %r" % (self.status, self.code, self.body[:200])


class RawS3:
    """A light S3 client for many threads: one keep-alive http.client connection, requests
    signed by botocore's S3 SigV4 signer and sent exactly as built.  PATH must already be
    percent-encoded; QUERY is the encoded query string."""

    def __init__(self, endpoint, key=None, secret=None, timeout=60):
        u = urllib.parse.urlsplit(endpoint)
        self.host, self.port = u.hostname, u.port
        self.hosthdr = "%s:%d" % (self.host, self.port)
        self.creds = Credentials(key or ROOT_KEY, secret or ROOT_SECRET)
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def signed_headers(self, method, path, query="", headers=None, body=b""):
        hdrs = {"Host": self.hosthdr, "X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()}
        hdrs.update(headers or {})
        url = "http://%s%s%s" % (self.hosthdr, path, ("?" + query) if query else "")
        req = AWSRequest(method=method, url=url, headers=hdrs, data=body)
        S3SigV4Auth(self.creds, "s3", REGION).add_auth(req)
        return dict(req.headers.items())

    def request(self, method, path, query="", headers=None, body=b"", sign=True):
        hdrs = self.signed_headers(method, path, query, headers, body) if sign else dict(headers or {})
        hdrs.setdefault("Host", self.hosthdr)
        if body or method in ("PUT", "POST"):
            hdrs["Content-Length"] = str(len(body))
        target = path + (("?" + query) if query else "")
        # No retry: the tests must see every failure, and a retried write could apply twice.
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for k, v in hdrs.items():
                self.conn.putheader(k, v)
            self.conn.endheaders(body if body else None)
            r = self.conn.getresponse()
            data = r.read()
            out = Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
            if r.will_close:
                self.close()
            return out
        except Exception:
            self.close()
            raise


def err_code(exc):
    """The AWS error code of a botocore ClientError, or the exception's class name."""
    resp = getattr(exc, "response", None)
    if resp and "Error" in resp:
        return resp["Error"].get("Code") or str(resp.get("ResponseMetadata", {}).get("HTTPStatusCode"))
    return type(exc).__name__


def http_status(exc):
    resp = getattr(exc, "response", None)
    if resp:
        return resp.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return None


# ---------------------------------------------------------------- the data dir

def sqlite(db, sql, timeout=60):
    """Run sql with the sqlite3 CLI on db; return stdout lines.  Raises on a CLI error."""
    r = subprocess.run(["sqlite3", "-batch", "-noheader", db, sql], capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("sqlite3 %s: %s" % (db, r.stderr.strip()))
    return [line for line in r.stdout.splitlines() if line != ""]


def integrity(data, copy_to=None):
    """PRAGMA integrity_check of DATA/meta.db; returns the CLI's answer ("ok" when sound).
    With copy_to, the database and its WAL are copied there first and the copy is checked, so
    the check does not recover or checkpoint the original before the server sees it."""
    db = os.path.join(data, "meta.db")
    if copy_to:
        os.makedirs(copy_to, exist_ok=True)
        for suffix in ("", "-wal"):
            src = db + suffix
            dst = os.path.join(copy_to, "meta.db" + suffix)
            if os.path.exists(dst):
                os.unlink(dst)
            if os.path.exists(src):
                shutil.copyfile(src, dst)
        shm = os.path.join(copy_to, "meta.db-shm")
        if os.path.exists(shm):
            os.unlink(shm)
        db = os.path.join(copy_to, "meta.db")
    try:
        return "\n".join(sqlite(db, "PRAGMA integrity_check;"))
    except (RuntimeError, subprocess.SubprocessError) as e:
        return "sqlite3 failed: %s" % e


def blob_files(data):
    """Ids (32 hex digits) of the files under DATA/blobs/xx/."""
    out = set()
    root = os.path.join(data, "blobs")
    for sub in os.listdir(root):
        d = os.path.join(root, sub)
        if os.path.isdir(d):
            out.update(os.listdir(d))
        else:
            out.add(sub)
    return out


def referenced_blobs(data):
    """Ids of the blob files the metadata references (object versions and uploaded parts); a
    blob kept inline in SQLite (table blob_inline, schema 2) has no file and is left out."""
    db = os.path.join(data, "meta.db")
    sql = "SELECT lower(hex(blob_id)) FROM object_segs UNION SELECT lower(hex(blob_id)) FROM parts"
    if sqlite(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='blob_inline';"):
        sql += " EXCEPT SELECT lower(hex(id)) FROM blob_inline"
    return set(sqlite(db, sql + ";"))


def tmp_files(data):
    return sorted(os.listdir(os.path.join(data, "tmp")))


def blob_consistency(data, settle=3.0):
    """(orphans, missing): blob files nobody references, and referenced blobs with no file.
    A blob still held by a reader that just finished may linger a moment: retry until settle."""
    deadline = time.monotonic() + settle
    while True:
        files = blob_files(data)
        refs = referenced_blobs(data)
        orphans, missing = files - refs, refs - files
        if (not orphans and not missing) or time.monotonic() > deadline:
            return sorted(orphans), sorted(missing)
        time.sleep(0.1)


# ---------------------------------------------------------------- bodies

def body_for(tag, size):
    """Deterministic bytes for a write named tag: a readable header naming it, then filler."""
    head = ("<%s:%d>" % (tag, size)).encode()
    if size <= len(head):
        return head[:size]
    seed = hashlib.sha256(head).digest()
    reps = (size - len(head)) // len(seed) + 1
    return head + (seed * reps)[:size - len(head)]


def sha256(data):
    return hashlib.sha256(data).hexdigest()
