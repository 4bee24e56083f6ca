"""900-boto3: the core S3 operations through boto3 (run by 900-boto3.sh and, with --virtual, by
910-boto3-virtual-host.sh).

Default: path-style addressing against http://127.0.0.1:PORT.  Buckets, put/get/head/list/copy/
delete, tagging, multipart through the transfer manager, flexible checksums (CRC32, CRC32C,
SHA1, SHA256, CRC64NVME; botocore computes the ones it can, the others are computed here and
sent as values), GET with ChecksumMode=ENABLED (botocore validates), presigned URLs (SigV2, the
default, and s3v4) fetched with urllib.

--virtual: virtual-host addressing (bucket.localhost:PORT, which libnss-myhostname resolves to
::1 and 127.0.0.1) against a server started with --listen localhost:PORT.
"""
import hashlib
import io
import os
import socket
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.environ["SRCDIR"], "t", "lib"))
import crc  # noqa: E402

import boto3  # noqa: E402
import botocore  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

VIRTUAL = "--virtual" in sys.argv
NAME = "910-boto3-virtual-host" if VIRTUAL else "900-boto3"
count = 0
MiB = 1 << 20


def fail(msg):
    print("FAIL: %s: %s" % (NAME, msg), file=sys.stderr)
    sys.exit(1)


def ok(msg):
    global count
    count += 1
    print("ok %d - %s" % (count, msg))


def eq(want, got, what):
    if want != got:
        fail("%s: expected %r, got %r" % (what, want, got))


def error_code(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def sha(b):
    return hashlib.sha256(b).hexdigest()


def client(**cfg):
    s3 = {"addressing_style": "virtual" if VIRTUAL else "path"}
    s3.update(cfg.pop("s3", {}))
    return boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                        config=Config(s3=s3, retries={"max_attempts": 1}, **cfg))


def fetch(url, data=None, method=None):
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main():
    s3 = client()
    seen_hosts = set()
    s3.meta.events.register("before-send.s3", lambda request, **kw: seen_hosts.add(
        request.url.split("/")[2]))
    B = "boto3-virtual" if VIRTUAL else "boto3-bucket"

    if VIRTUAL:
        try:
            addrs = {a[4][0] for a in socket.getaddrinfo(B + ".localhost", None)}
        except socket.gaierror as e:
            fail("%s.localhost does not resolve (%s): install libnss-myhostname and put "
                 "'myhostname' on the hosts: line of /etc/nsswitch.conf (docs/hostnames.md)" % (B, e))
        if not addrs & {"::1", "127.0.0.1"}:
            fail("%s.localhost resolves to %r, not to loopback" % (B, addrs))
        ok("%s.localhost resolves to %s" % (B, ", ".join(sorted(addrs))))

    # ------------------------------------------------ buckets
    s3.create_bucket(Bucket=B)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    if B not in names:
        fail("list_buckets: %r" % names)
    s3.head_bucket(Bucket=B)
    eq(None, s3.get_bucket_location(Bucket=B).get("LocationConstraint"), "get_bucket_location")
    eq("NoSuchBucket", error_code(s3.list_objects_v2, Bucket="boto3-no-such-bucket"), "missing bucket")
    ok("create_bucket, list_buckets, head_bucket, get_bucket_location")
    if VIRTUAL:
        want = "%s.localhost:%s" % (B, os.environ["PORT"])
        if want not in seen_hosts:
            fail("requests did not go to %s (hosts seen: %r)" % (want, seen_hosts))
        ok("requests went to the virtual host %s" % want)

    # ------------------------------------------------ objects
    data = os.urandom(300 * 1024)
    r = s3.put_object(Bucket=B, Key="obj/one", Body=data, ContentType="application/x-one",
                      Metadata={"Mixed-Case": "Value", "x": "1"}, Tagging="t=1")
    eq('"%s"' % hashlib.md5(data).hexdigest(), r["ETag"], "put_object ETag")
    h = s3.head_object(Bucket=B, Key="obj/one")
    eq(len(data), h["ContentLength"], "head ContentLength")
    eq("application/x-one", h["ContentType"], "head ContentType")
    eq({"mixed-case": "Value", "x": "1"}, h["Metadata"], "head Metadata")
    g = s3.get_object(Bucket=B, Key="obj/one")
    eq(sha(data), sha(g["Body"].read()), "get_object bytes")
    eq(1, g.get("TagCount"), "TagCount")
    g = s3.get_object(Bucket=B, Key="obj/one", Range="bytes=-100")
    eq(data[-100:], g["Body"].read(), "suffix range")
    eq("bytes %d-%d/%d" % (len(data) - 100, len(data) - 1, len(data)), g["ContentRange"], "ContentRange")
    eq("InvalidRange", error_code(s3.get_object, Bucket=B, Key="obj/one", Range="bytes=%d-" % len(data)),
       "range past the end")
    eq("NoSuchKey", error_code(s3.get_object, Bucket=B, Key="obj/none"), "missing key")
    ok("put_object (content-type, metadata, tagging), head_object, get_object (full, suffix range, "
       "InvalidRange, NoSuchKey)")

    for i in range(25):
        s3.put_object(Bucket=B, Key="list/%02d" % i, Body=b"%d" % i)
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=B, Prefix="list/",
                                                               PaginationConfig={"PageSize": 7}))
    eq(4, len(pages), "pages of 7 over 25 keys")
    eq(["list/%02d" % i for i in range(25)], [c["Key"] for p in pages for c in p["Contents"]], "paged keys")
    r = s3.list_objects_v2(Bucket=B, Delimiter="/")
    eq(["list/", "obj/"], [p["Prefix"] for p in r["CommonPrefixes"]], "CommonPrefixes")
    pages = list(s3.get_paginator("list_objects").paginate(Bucket=B, Prefix="list/",
                                                            PaginationConfig={"PageSize": 10}))
    eq(25, sum(len(p["Contents"]) for p in pages), "list_objects paging")
    ok("list_objects_v2 and list_objects with paginators (pages of 7 and 10), delimiter")

    s3.copy_object(Bucket=B, Key="obj/copy", CopySource={"Bucket": B, "Key": "obj/one"})
    eq(sha(data), sha(s3.get_object(Bucket=B, Key="obj/copy")["Body"].read()), "copy bytes")
    s3.copy_object(Bucket=B, Key="obj/copy", CopySource={"Bucket": B, "Key": "obj/one"},
                   MetadataDirective="REPLACE", Metadata={"new": "yes"}, ContentType="text/plain")
    h = s3.head_object(Bucket=B, Key="obj/copy")
    eq(({"new": "yes"}, "text/plain"), (h["Metadata"], h["ContentType"]), "copy REPLACE")
    s3.put_object_tagging(Bucket=B, Key="obj/copy", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    eq([{"Key": "a", "Value": "b"}], s3.get_object_tagging(Bucket=B, Key="obj/copy")["TagSet"], "tags")
    s3.delete_object_tagging(Bucket=B, Key="obj/copy")
    eq([], s3.get_object_tagging(Bucket=B, Key="obj/copy")["TagSet"], "tags deleted")
    r = s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": "list/%02d" % i} for i in range(25)]})
    eq(25, len(r["Deleted"]), "delete_objects Deleted")
    eq(0, s3.list_objects_v2(Bucket=B, Prefix="list/")["KeyCount"], "keys left after delete_objects")
    ok("copy_object (COPY, REPLACE), object tagging, delete_objects")

    # ------------------------------------------------ checksums
    body = os.urandom(200 * 1024)
    native = {"CRC32", "SHA1", "SHA256"}
    try:
        from botocore.httpchecksum import _CHECKSUM_CLS
        native = {a.upper() for a in _CHECKSUM_CLS}
    except ImportError:
        pass
    for algo in ("CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"):
        want = crc.checksum_b64(algo, body)
        key = "sum/" + algo
        field = "Checksum" + algo
        if algo in native:
            r = s3.put_object(Bucket=B, Key=key, Body=body, ChecksumAlgorithm=algo)
            how = "computed by botocore"
        else:
            r = s3.put_object(Bucket=B, Key=key, Body=body, **{field: want})
            how = "computed here (botocore needs awscrt)"
        eq(want, r.get(field), "PutObject %s echoed" % field)
        h = s3.head_object(Bucket=B, Key=key, ChecksumMode="ENABLED")
        eq(want, h.get(field), "HeadObject %s" % field)
        g = s3.get_object(Bucket=B, Key=key, ChecksumMode="ENABLED")
        got = g["Body"].read()  # botocore checks the algorithms it has while reading
        eq(sha(body), sha(got), "GetObject bytes (%s)" % algo)
        eq(want, g.get(field), "GetObject %s" % field)
        a = s3.get_object_attributes(Bucket=B, Key=key, ObjectAttributes=["Checksum", "ObjectSize"])
        eq(want, a.get("Checksum", {}).get(field), "GetObjectAttributes %s" % field)
        # A wrong value is refused.
        bad = crc.checksum_b64(algo, b"other bytes")
        eq("BadDigest", error_code(s3.put_object, Bucket=B, Key=key + "-bad", Body=body, **{field: bad}),
           "wrong %s" % field)
        eq("404", error_code(s3.head_object, Bucket=B, Key=key + "-bad"), "no object after wrong %s" % field)
        ok("checksum %s (%s): stored, returned by head/get/attributes, validated on get; a wrong value: "
           "BadDigest" % (algo, how))

    # Default: botocore sends a CRC32 on every put (in a header: it uses trailers over TLS only).
    r = s3.put_object(Bucket=B, Key="sum/default", Body=io.BytesIO(body))
    eq(crc.checksum_b64("CRC32", body), r.get("ChecksumCRC32"), "default CRC32 on a stream body")
    ok("default request checksum (CRC32) on a file-like body")

    # ------------------------------------------------ multipart (transfer manager)
    big = os.urandom(12 * MiB + 12345)
    tc = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
    s3.upload_fileobj(io.BytesIO(big), B, "mp/big", Config=tc)
    h = s3.head_object(Bucket=B, Key="mp/big")
    eq(len(big), h["ContentLength"], "multipart size")
    if not h["ETag"].endswith('-3"'):
        fail("multipart ETag %s does not end in -3" % h["ETag"])
    out = io.BytesIO()
    s3.download_fileobj(B, "mp/big", out, Config=tc)
    eq(sha(big), sha(out.getvalue()), "multipart download (ranged GETs)")
    ok("upload_fileobj 12 MiB in 5 MiB parts (ETag -3), download_fileobj in ranges: same sha256")

    mpu = s3.create_multipart_upload(Bucket=B, Key="mp/sha", ChecksumAlgorithm="SHA256")
    parts = []
    chunks = [big[:5 * MiB], big[5 * MiB:10 * MiB], big[10 * MiB:]]
    for n, c in enumerate(chunks, 1):
        r = s3.upload_part(Bucket=B, Key="mp/sha", UploadId=mpu["UploadId"], PartNumber=n, Body=c,
                           ChecksumAlgorithm="SHA256")
        eq(crc.checksum_b64("SHA256", c), r.get("ChecksumSHA256"), "part %d ChecksumSHA256" % n)
        parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
    lp = s3.list_parts(Bucket=B, Key="mp/sha", UploadId=mpu["UploadId"])
    eq([p["ChecksumSHA256"] for p in parts], [p.get("ChecksumSHA256") for p in lp["Parts"]], "list_parts checksums")
    r = s3.complete_multipart_upload(Bucket=B, Key="mp/sha", UploadId=mpu["UploadId"],
                                     MultipartUpload={"Parts": parts})
    import base64
    composite = base64.b64encode(hashlib.sha256(b"".join(
        base64.b64decode(p["ChecksumSHA256"]) for p in parts)).digest()).decode() + "-3"
    eq(composite, r.get("ChecksumSHA256"), "composite SHA256 of the parts")
    a = s3.get_object_attributes(Bucket=B, Key="mp/sha", ObjectAttributes=["ObjectParts", "Checksum"])
    eq(3, a.get("ObjectParts", {}).get("TotalPartsCount"), "ObjectParts.TotalPartsCount")
    ok("multipart with SHA256 part checksums: per-part values, list_parts, composite checksum -3, "
       "get_object_attributes ObjectParts")

    # ------------------------------------------------ presigned URLs
    v2url = s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "obj/one"}, ExpiresIn=300)
    if "AWSAccessKeyId=" not in v2url:
        fail("default presign is not SigV2: %s" % v2url)
    s3v4 = client(signature_version="s3v4")
    v4url = s3v4.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "obj/one"}, ExpiresIn=300)
    if "X-Amz-Signature=" not in v4url:
        fail("s3v4 presign is not SigV4: %s" % v4url)
    for url, kind in ((v2url, "SigV2"), (v4url, "SigV4")):
        if VIRTUAL and ("//%s.localhost:" % B) not in url:
            fail("%s presigned URL is not virtual-host style: %s" % (kind, url))
        status, got = fetch(url)
        eq(200, status, "%s presigned GET status" % kind)
        eq(sha(data), sha(got), "%s presigned GET bytes" % kind)
    put_url = s3v4.generate_presigned_url("put_object", Params={"Bucket": B, "Key": "obj/presigned-put"},
                                          ExpiresIn=300)
    status, _ = fetch(put_url, data=b"via presigned put", method="PUT")
    eq(200, status, "presigned PUT status")
    eq(b"via presigned put", s3.get_object(Bucket=B, Key="obj/presigned-put")["Body"].read(), "presigned PUT bytes")
    status, body403 = fetch(v4url.replace("obj/one", "obj/copy"))
    eq(403, status, "presigned URL used for another key")
    if b"SignatureDoesNotMatch" not in body403:
        fail("presigned URL for another key: %r" % body403[:300])
    ok("presigned URLs (default SigV2 and s3v4) fetched with urllib: GET, PUT; another key: 403")

    # ------------------------------------------------ clean up
    keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=B) for o in p.get("Contents", [])]
    s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
    s3.delete_bucket(Bucket=B)
    eq("404", error_code(s3.head_bucket, Bucket=B), "head_bucket after delete")
    ok("emptied and deleted the bucket")
    print("# %s: %d checks passed (boto3 %s, botocore %s)" % (NAME, count, boto3.__version__,
                                                               botocore.__version__))


if __name__ == "__main__":
    main()
