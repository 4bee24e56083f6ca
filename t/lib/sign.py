"""t/lib/sign.py - hand-made S3 requests for the integration tests.

Requests are signed with botocore's own SigV4 signer (so the tests do not depend on a second
SigV4 implementation of ours) and sent with http.client exactly as built: nothing adds, drops or
re-encodes a header on the way.  What botocore does not do (aws-chunked bodies with per-chunk
signatures, a clock that is off) is built here on top of it.

Environment: ENDPOINT (http://HOST:PORT), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_DEFAULT_REGION (default us-east-1), DATA (the server's data dir, for snapshot()).
"""
import base64
import contextlib
import datetime
import hashlib
import hmac
import http.client
import os
import re
import urllib.parse
import zlib

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def endpoint():
    u = urllib.parse.urlsplit(os.environ["ENDPOINT"])
    return u.hostname, u.port or 80


def creds(key=None, secret=None):
    return Credentials(key or os.environ["AWS_ACCESS_KEY_ID"],
                       secret or os.environ["AWS_SECRET_ACCESS_KEY"])


def region():
    return os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


class Response:
    """What came back: status, headers (lower-case names), body bytes, and the S3 error code."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def code(self):
        m = re.search(rb"<Code>([^<]*)</Code>", self.body)
        return m.group(1).decode() if m else None

    def __repr__(self):
        return "HTTP %d %s %r" % (self.status, self.code, self.body[:300])


@contextlib.contextmanager
def clock_offset(seconds):
    """Sign as if the clock were off by SECONDS (negative: in the past)."""
    real = botocore.auth.get_current_datetime

    def shifted(*a, **kw):
        return real(*a, **kw) + datetime.timedelta(seconds=seconds)

    botocore.auth.get_current_datetime = shifted
    try:
        yield
    finally:
        botocore.auth.get_current_datetime = real


def raw(method, target, headers, body=b""):
    """Send one request as given (TARGET is the request-target: path and query, already
    encoded) on a new connection; return a Response."""
    host, port = endpoint()
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        try:
            if body:
                if isinstance(body, (bytes, bytearray)):
                    conn.send(body)
                else:
                    for piece in body:
                        conn.send(piece)
        except (BrokenPipeError, ConnectionResetError):
            # The server may answer (e.g. 400 for a body over its limit) and close before it
            # has read the whole body; its answer is still there to read.
            pass
        try:
            resp = conn.getresponse()
            data = resp.read()
        except (ConnectionError, http.client.HTTPException) as e:
            return Response(0, {}, ("no response: %r" % e).encode())
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def host_header():
    host, port = endpoint()
    return "%s:%d" % (host, port) if port != 80 else host


def sign(method, path, query="", headers=None, body=b"", key=None, secret=None,
         payload_hash=None, skew=0, service="s3"):
    """Return the headers of a SigV4-signed request.  PATH must be plain (unreserved characters
    and '/'), QUERY already encoded.  PAYLOAD_HASH defaults to the body's SHA-256."""
    hdrs = {"Host": host_header()}
    hdrs.update(headers or {})
    hdrs["X-Amz-Content-SHA256"] = payload_hash or hashlib.sha256(body).hexdigest()
    url = "http://%s%s%s" % (host_header(), path, ("?" + query) if query else "")
    req = AWSRequest(method=method, url=url, headers=hdrs, data=body)
    with clock_offset(skew):
        SigV4Auth(creds(key, secret), service, region()).add_auth(req)
    return dict(req.headers.items())


def send(method, path, query="", headers=None, body=b"", **kw):
    """Sign (see sign()) and send; return a Response."""
    hdrs = sign(method, path, query, headers, body, **kw)
    if body or method in ("PUT", "POST"):
        hdrs["Content-Length"] = str(len(body))
    return raw(method, path + (("?" + query) if query else ""), hdrs, body)


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def signing_key(secret, date, reg, service="s3"):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (reg, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def streaming_put(path, data, chunk_size=65536, tamper_chunk=None, secret=None, extra_headers=None):
    """PUT DATA with Content-Encoding aws-chunked and x-amz-content-sha256
    STREAMING-AWS4-HMAC-SHA256-PAYLOAD: the seed signature from botocore's signer over the
    headers, then one signature per chunk chained from it (AWS "Signature Calculations for the
    Authorization Header: Transferring Payload in Multiple Chunks").  TAMPER_CHUNK (an index)
    gets a wrong chunk signature.  Returns a Response."""
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]

    def encoded_len():
        return sum(len("%x;chunk-signature=%s\r\n" % (len(c), "0" * 64)) + len(c) + 2 for c in chunks)

    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "Content-Length": str(encoded_len()),
    }
    headers.update(extra_headers or {})
    hdrs = sign("PUT", path, "", headers, b"", payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                secret=secret)
    amz_date = hdrs["X-Amz-Date"]
    seed = re.search(r"Signature=([0-9a-f]{64})", hdrs["Authorization"]).group(1)
    scope = "%s/%s/s3/aws4_request" % (amz_date[:8], region())
    key = signing_key(secret or os.environ["AWS_SECRET_ACCESS_KEY"], amz_date[:8], region())
    prev = seed
    body = []
    for i, c in enumerate(chunks):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY_SHA256,
                         hashlib.sha256(c).hexdigest()])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        prev = sig
        if i == tamper_chunk:
            sig = ("1" if sig[0] != "1" else "2") + sig[1:]
        body.append(("%x;chunk-signature=%s\r\n" % (len(c), sig)).encode() + c + b"\r\n")
    payload = b"".join(body)
    assert len(payload) == int(headers["Content-Length"])
    return raw("PUT", path, hdrs, payload)


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def trailer_put(path, data, trailer_value=None, chunk_size=65536):
    """PUT DATA as aws-chunked with STREAMING-UNSIGNED-PAYLOAD-TRAILER and an
    x-amz-checksum-crc32 trailer (what the SDKs send by default for streams).  TRAILER_VALUE
    replaces the right CRC32 (to send a wrong one).  Returns a Response."""
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)]
    crc = trailer_value or crc32_b64(data)
    body = b"".join(("%x\r\n" % len(c)).encode() + c + b"\r\n" for c in chunks)
    body += b"0\r\n" + ("x-amz-checksum-crc32:%s\r\n" % crc).encode() + b"\r\n"
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "Content-Length": str(len(body)),
    }
    hdrs = sign("PUT", path, "", headers, b"", payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    return raw("PUT", path, hdrs, body)


def snapshot(data_dir=None):
    """Files holding object bytes or partial uploads in the data dir, as {path: size}; the
    metadata database and its journals are left out (they change on every request)."""
    data_dir = data_dir or os.environ["DATA"]
    out = {}
    for root, _dirs, files in os.walk(data_dir):
        for f in files:
            if re.search(r"\.(db|db-wal|db-shm|db-journal|lock|pid)$|\.sqlite", f):
                continue
            p = os.path.join(root, f)
            try:
                out[os.path.relpath(p, data_dir)] = os.path.getsize(p)
            except FileNotFoundError:
                pass
    return out
