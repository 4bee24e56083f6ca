"""250-bad-input: hand-made bad requests each get their AWS error code and status, and leave
nothing behind: the data dir's object files (blobs/, tmp/) and the listings are the same
afterwards.  Run by 250-bad-input.sh (which starts the server and sets ENDPOINT, DATA, ...).
Each bad case sits next to a good twin (positive control), so a server that refuses everything
fails too."""
import base64
import hashlib
import os
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET
from unittest import mock

sys.path.insert(0, os.path.join(os.environ["SRCDIR"], "t", "lib"))
import sign  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
B = "bad-input-bucket"
count = 0


def fail(msg):
    print("FAIL: 250-bad-input: %s" % msg, file=sys.stderr)
    sys.exit(1)


def ok(msg):
    global count
    count += 1
    print("ok %d - %s" % (count, msg))


def expect(resp, status, code, what):
    if resp.status != status or resp.code != code:
        fail("%s: expected %d %s, got %r" % (what, status, code, resp))


def expect_ok(resp, what, status=200):
    if resp.status != status:
        fail("%s: expected %d, got %r" % (what, status, resp))


def keys(bucket=B):
    r = sign.send("GET", "/" + bucket, "list-type=2")
    expect_ok(r, "list-objects-v2")
    root = ET.fromstring(r.body)
    return sorted(c.findtext(NS + "Key") for c in root.iter(NS + "Contents"))


def buckets():
    r = sign.send("GET", "/")
    expect_ok(r, "list-buckets")
    return sorted(b.findtext(NS + "Name") for b in ET.fromstring(r.body).iter(NS + "Bucket"))


def uploads():
    r = sign.send("GET", "/" + B, "uploads=")
    expect_ok(r, "list-multipart-uploads")
    return sorted(u.findtext(NS + "UploadId") for u in ET.fromstring(r.body).iter(NS + "Upload"))


class State:
    """What must not change across a refused request."""

    def __init__(self):
        self.take()

    def take(self):
        self.files = sign.snapshot()
        self.keys = keys()
        self.buckets = buckets()
        self.uploads = uploads()

    def unchanged(self, what):
        # A refused upload's temp file may be removed just after the answer went out: allow
        # the server a moment, but in the end nothing may remain.
        for _ in range(20):
            files = sign.snapshot()
            if files == self.files:
                break
            time.sleep(0.1)
        if files != self.files:
            new = {k: v for k, v in files.items() if self.files.get(k) != v}
            gone = sorted(set(self.files) - set(files))
            fail("%s: the data dir changed: new/changed %r, gone %r" % (what, new, gone))
        for name, now, before in (("keys", keys(), self.keys), ("buckets", buckets(), self.buckets),
                                  ("uploads", uploads(), self.uploads)):
            if now != before:
                fail("%s: %s changed: %r -> %r" % (what, name, before, now))


def main():
    expect_ok(sign.send("PUT", "/" + B), "create bucket")
    expect_ok(sign.send("PUT", "/%s/base" % B, body=b"base object"), "put base")
    st = State()
    body = os.urandom(100 * 1024)

    # ------------------------------------------------ credentials and signatures
    expect(sign.send("PUT", "/%s/k1" % B, body=body, secret="wrong-secret"), 403,
           "SignatureDoesNotMatch", "wrong secret")
    st.unchanged("wrong secret")
    expect(sign.send("PUT", "/%s/k1" % B, body=body, key="AKIANOSUCHKEY0000000"), 403,
           "InvalidAccessKeyId", "unknown access key")
    st.unchanged("unknown access key")
    r = raw_unsigned = sign.raw("PUT", "/%s/k1" % B, {"Host": sign.host_header(),
                                                       "Content-Length": str(len(body))}, body)
    expect(raw_unsigned, 403, "AccessDenied", "anonymous PUT")
    st.unchanged("anonymous PUT")
    ok("wrong secret: SignatureDoesNotMatch; unknown key: InvalidAccessKeyId; anonymous: AccessDenied")

    expect(sign.send("PUT", "/%s/k1" % B, body=body, skew=-20 * 60), 403, "RequestTimeTooSkewed",
           "signed 20 minutes ago")
    st.unchanged("signed 20 minutes ago")
    expect(sign.send("PUT", "/%s/k1" % B, body=body, skew=20 * 60), 403, "RequestTimeTooSkewed",
           "signed 20 minutes ahead")
    st.unchanged("signed 20 minutes ahead")
    expect_ok(sign.send("PUT", "/%s/skew-ok" % B, body=b"ok", skew=-5 * 60), "signed 5 minutes ago")
    st.take()
    ok("clock skewed by 20 min: RequestTimeTooSkewed (5 min is accepted)")

    r = sign.send("PUT", "/%s/k1" % B, body=body, payload_hash=hashlib.sha256(b"other").hexdigest())
    expect(r, 400, "XAmzContentSHA256Mismatch", "x-amz-content-sha256 of other bytes")
    st.unchanged("x-amz-content-sha256 mismatch")
    ok("x-amz-content-sha256 that does not match the body: XAmzContentSHA256Mismatch")

    # ------------------------------------------------ presigned URLs
    s3v4 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name=sign.region(),
                        config=Config(signature_version="s3v4"))
    s3v2 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name=sign.region())

    def put_url(url, data):
        # http.client, not urllib: urllib adds a Content-Type, which SigV2 signs.
        u = urllib.parse.urlsplit(url)
        return sign.raw("PUT", u.path + "?" + u.query,
                        {"Host": u.netloc, "Content-Length": str(len(data))}, data)

    with sign.clock_offset(-2 * 3600):
        url = s3v4.generate_presigned_url("put_object", Params={"Bucket": B, "Key": "k1"}, ExpiresIn=60)
    assert "X-Amz-Signature=" in url
    expect(put_url(url, body), 403, "AccessDenied", "expired SigV4 presigned PUT")
    st.unchanged("expired SigV4 presigned PUT")
    with mock.patch("botocore.auth.time.time", return_value=time.time() - 2 * 3600):
        url = s3v2.generate_presigned_url("put_object", Params={"Bucket": B, "Key": "k1"}, ExpiresIn=60)
    assert "AWSAccessKeyId=" in url and "Expires=" in url, url
    expect(put_url(url, body), 403, "AccessDenied", "expired SigV2 presigned PUT")
    st.unchanged("expired SigV2 presigned PUT")
    for client, name in ((s3v4, "SigV4"), (s3v2, "SigV2")):
        url = client.generate_presigned_url("put_object", Params={"Bucket": B, "Key": "pre-" + name},
                                            ExpiresIn=300)
        expect_ok(put_url(url, b"presigned " + name.encode()), "valid %s presigned PUT" % name)
    st.take()
    ok("expired presigned PUT (SigV4 and SigV2): AccessDenied, nothing stored; valid ones work")

    # ------------------------------------------------ aws-chunked with chunk signatures
    r = sign.streaming_put("/%s/chunked-good" % B, body, chunk_size=8192 * 4)
    expect_ok(r, "aws-chunked with good chunk signatures")
    g = sign.send("GET", "/%s/chunked-good" % B)
    if g.body != body:
        fail("aws-chunked upload stored %d bytes, not the %d sent" % (len(g.body), len(body)))
    st.take()
    for idx, what in ((1, "second chunk"), (4, "last (empty) chunk")):
        r = sign.streaming_put("/%s/chunked-bad" % B, body, chunk_size=8192 * 4, tamper_chunk=idx)
        expect(r, 403, "SignatureDoesNotMatch", "aws-chunked with a bad signature on the " + what)
        st.unchanged("tampered chunk signature (%s)" % what)
    r = sign.streaming_put("/%s/chunked-bad" % B, body, chunk_size=8192 * 4, secret="wrong-secret")
    expect(r, 403, "SignatureDoesNotMatch", "aws-chunked with a wrong seed signature")
    st.unchanged("wrong seed signature")
    ok("aws-chunked: chunk signatures verified (good one stored; tampered 2nd or final chunk: "
       "SignatureDoesNotMatch, nothing stored)")

    # ------------------------------------------------ digests and checksums
    hdr = {"Content-MD5": sign.md5_b64(b"something else")}
    expect(sign.send("PUT", "/%s/k1" % B, headers=hdr, body=body), 400, "BadDigest", "Content-MD5 of other bytes")
    st.unchanged("bad Content-MD5")
    for bad in ("not-base64!!", base64.b64encode(b"12345").decode(), ""):
        expect(sign.send("PUT", "/%s/k1" % B, headers={"Content-MD5": bad}, body=body), 400, "InvalidDigest",
               "Content-MD5 %r" % bad)
        st.unchanged("invalid Content-MD5 %r" % bad)
    expect_ok(sign.send("PUT", "/%s/md5-ok" % B, headers={"Content-MD5": sign.md5_b64(body)}, body=body),
              "right Content-MD5")
    st.take()
    ok("Content-MD5: other bytes' digest: BadDigest; not a 16-byte base64 value: InvalidDigest")

    hdr = {"x-amz-checksum-crc32": sign.crc32_b64(b"other"), "x-amz-sdk-checksum-algorithm": "CRC32"}
    expect(sign.send("PUT", "/%s/k1" % B, headers=hdr, body=body), 400, "BadDigest", "wrong x-amz-checksum-crc32")
    st.unchanged("wrong x-amz-checksum-crc32 header")
    expect(sign.trailer_put("/%s/k1" % B, body, trailer_value=sign.crc32_b64(b"other")), 400, "BadDigest",
           "wrong CRC32 trailer")
    st.unchanged("wrong CRC32 trailer")
    expect_ok(sign.trailer_put("/%s/trailer-ok" % B, body), "right CRC32 trailer")
    g = sign.send("GET", "/%s/trailer-ok" % B)
    if g.body != body:
        fail("trailer upload stored %d bytes, not the %d sent" % (len(g.body), len(body)))
    st.take()
    ok("CRC32 checksum wrong in a header or an aws-chunked trailer: BadDigest; right trailer stored")

    # ------------------------------------------------ XML bodies
    def xml_req(method, path, query, doc, what, code="MalformedXML", status=400):
        hdr = {"Content-MD5": sign.md5_b64(doc), "Content-Type": "application/xml"}
        expect(sign.send(method, path, query, headers=hdr, body=doc), status, code, what)
        st.unchanged(what)

    xml_req("POST", "/" + B, "delete=", b"<Delete><Object><Key>base</Key></Object>", "truncated Delete")
    xml_req("POST", "/" + B, "delete=", b"<Delete><Nope>base</Nope></Delete>", "Delete of the wrong shape")
    xml_req("POST", "/" + B, "delete=", b"hello, not xml", "Delete that is not XML")
    xml_req("POST", "/" + B, "delete=", b"", "empty Delete body")
    many = b"<Delete>" + b"".join(b"<Object><Key>k%d</Key></Object>" % i for i in range(1001)) + b"</Delete>"
    xml_req("POST", "/" + B, "delete=", many, "Delete of 1,001 keys")
    xml_req("PUT", "/%s/base" % B, "tagging=", b"<Tagging><TagSet><Tag><Key>a</Key>", "truncated Tagging")
    xml_req("PUT", "/bad-input-newbucket", "",
            b"<CreateBucketConfiguration><LocationConstraint>", "truncated CreateBucketConfiguration")
    big = b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet>" + b" " * (2 << 20) + b"</Tagging>"
    xml_req("PUT", "/%s/base" % B, "tagging=", big, "2 MiB Tagging document", code="MaxMessageLengthExceeded")

    r = sign.send("POST", "/%s/mpu" % B, "uploads=")
    expect_ok(r, "create multipart upload")
    uid = ET.fromstring(r.body).findtext(NS + "UploadId")
    part = os.urandom(64 * 1024)
    expect_ok(sign.send("PUT", "/%s/mpu" % B, "partNumber=1&uploadId=" + uid, body=part), "upload part")
    st.take()
    xml_req("POST", "/%s/mpu" % B, "uploadId=" + uid, b"<CompleteMultipartUpload><Part>",
            "truncated CompleteMultipartUpload")
    xml_req("POST", "/%s/mpu" % B, "uploadId=" + uid,
            b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>\"a\"</ETag></Part>"
            b"</CompleteMultipartUpload>", "CompleteMultipartUpload with a bad PartNumber")
    expect_ok(sign.send("DELETE", "/%s/mpu" % B, "uploadId=" + uid), "abort", status=204)
    st.take()
    r = sign.send("GET", "/%s/base" % B, "tagging=")
    expect_ok(r, "get tagging")
    if list(ET.fromstring(r.body).iter(NS + "Tag")):
        fail("refused tagging documents changed the tags: %r" % r.body)
    ok("malformed, mis-shaped, empty and non-XML bodies: MalformedXML; 1,001 keys: MalformedXML; "
       "2 MiB: MaxMessageLengthExceeded; nothing changed")

    # ------------------------------------------------ names, keys, ranges
    for bad in ("Bad_Name", "ab", "-dash", "a..b", "192.168.1.1", "x" * 64):
        expect(sign.send("PUT", "/" + bad), 400, "InvalidBucketName", "bucket name %r" % bad)
        st.unchanged("bucket name %r" % bad)
    expect(sign.send("PUT", "/%s/%s" % (B, "k" * 1025), body=b"x"), 400, "KeyTooLongError", "1,025-byte key")
    st.unchanged("1,025-byte key")
    ok("invalid bucket names: InvalidBucketName; 1,025-byte key: KeyTooLongError")

    r = sign.send("GET", "/%s/base" % B, headers={"Range": "bytes=11-"})
    expect(r, 416, "InvalidRange", "Range starting at the size")
    r = sign.send("GET", "/%s/base" % B, headers={"Range": "bytes=500-600"})
    expect(r, 416, "InvalidRange", "Range past the end")
    if "bytes */11" not in r.headers.get("content-range", ""):
        fail("416 without Content-Range: bytes */11: %r" % r.headers)
    r = sign.send("GET", "/%s/base" % B, headers={"Range": "bytes=2-4"})
    expect_ok(r, "good range", status=206)
    if r.body != b"se " or r.headers.get("content-range") != "bytes 2-4/11":
        fail("bytes=2-4 of 'base object': %r %r" % (r.body, r.headers.get("content-range")))
    st.unchanged("ranges")
    ok("Range past the end: 416 InvalidRange with Content-Range bytes */size; good range: 206")

    print("# 250-bad-input: %d checks passed" % count)


if __name__ == "__main__":
    main()
