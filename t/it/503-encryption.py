"""503-encryption.py: server-side encryption through boto3 and hand-made requests (t/lib/sign.py)
against a running s3iamd (ENDPOINT); called by 503-encryption.sh with a bucket name.

Checks: SSE-C round trip (put, get, head, range, copy, multipart) with the right key; the wrong
key (403 AccessDenied), no key (400 InvalidRequest), SSE-C headers for an object that has none;
bad SSE-C requests: key MD5 that does not match, no MD5, a key of the wrong length, another
algorithm, SSE-C together with x-amz-server-side-encryption; an unknown
x-amz-server-side-encryption value; SSE-KMS key id and bucket-key flag echoed.  Nothing a refused
request sent is stored.
"""
import base64
import hashlib
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

import sign

E = os.environ["ENDPOINT"]
BUCKET = sys.argv[1]
checks = 0
KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


def ok(msg):
    global checks
    checks += 1
    print("ok - %s" % msg)


def check(cond, what):
    if not cond:
        sys.exit("FAIL: 503-encryption.py: %s" % what)


def expect(code, status, fn, *args, contains=None, **kw):
    try:
        fn(*args, **kw)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        st = e.response["ResponseMetadata"]["HTTPStatusCode"]
        msg = e.response["Error"].get("Message", "")
        check(got == code and st == status, "expected %s %s, got %s %s: %s" % (status, code, st, got, msg))
        check(contains is None or contains in msg, "%s message lacks %r: %r" % (code, contains, msg))
        return e.response
    sys.exit("FAIL: 503-encryption.py: expected %s, the call succeeded: %s %s" % (code, fn.__name__, kw))


def b64(b):
    return base64.b64encode(b).decode()


def md5b64(b):
    return b64(hashlib.md5(b).digest())


def ssec_headers(key, md5=None, alg="AES256", prefix="x-amz-"):
    h = {}
    if alg is not None:
        h[prefix + "server-side-encryption-customer-algorithm"] = alg
    if key is not None:
        h[prefix + "server-side-encryption-customer-key"] = b64(key)
    if md5 is not False:
        h[prefix + "server-side-encryption-customer-key-md5"] = md5 or md5b64(key)
    return h


def main():
    s3 = boto3.client("s3", endpoint_url=E, region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
    c = dict(SSECustomerAlgorithm="AES256", SSECustomerKey=KEY)
    body = os.urandom(300 * 1024) + b"SSE-C boto3 body"
    r = s3.put_object(Bucket=BUCKET, Key="ssec/boto3.bin", Body=body, **c)
    check(r.get("SSECustomerAlgorithm") == "AES256" and r.get("SSECustomerKeyMD5") == md5b64(KEY),
          "PUT echoes the algorithm and key MD5: %r" % r)
    check("ServerSideEncryption" not in r, "no x-amz-server-side-encryption for SSE-C: %r" % r)
    g = s3.get_object(Bucket=BUCKET, Key="ssec/boto3.bin", **c)
    check(g["Body"].read() == body and g.get("SSECustomerKeyMD5") == md5b64(KEY), "GET with the key")
    g = s3.get_object(Bucket=BUCKET, Key="ssec/boto3.bin", Range="bytes=307000-307199", **c)
    check(g["Body"].read() == body[307000:307200], "ranged GET with the key")
    h = s3.head_object(Bucket=BUCKET, Key="ssec/boto3.bin", **c)
    check(h["ContentLength"] == len(body), "HEAD with the key")
    ok("boto3 SSE-C: put, get, ranged get, head with the key (algorithm and key MD5 echoed)")

    expect("AccessDenied", 403, s3.get_object, Bucket=BUCKET, Key="ssec/boto3.bin",
           SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER,
           contains="must provide the correct secret key")
    expect("InvalidRequest", 400, s3.get_object, Bucket=BUCKET, Key="ssec/boto3.bin",
           contains="The object was stored using a form of Server Side Encryption")
    try:
        s3.head_object(Bucket=BUCKET, Key="ssec/boto3.bin", SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER)
        sys.exit("FAIL: 503-encryption.py: HEAD with the wrong key succeeded")
    except botocore.exceptions.ClientError as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 403, "HEAD with the wrong key: 403")
    s3.put_object(Bucket=BUCKET, Key="ssec/plain.txt", Body=b"plain")
    expect("InvalidRequest", 400, s3.get_object, Bucket=BUCKET, Key="ssec/plain.txt", **c)
    ok("boto3 SSE-C: wrong key 403 AccessDenied, no key 400 InvalidRequest, a key for a non-SSE-C object 400")

    # CopyObject: the source needs its key (x-amz-copy-source-...), the destination its own.
    s3.copy_object(Bucket=BUCKET, Key="ssec/copy.bin", CopySource={"Bucket": BUCKET, "Key": "ssec/boto3.bin"},
                   CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=KEY,
                   SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER)
    check(s3.get_object(Bucket=BUCKET, Key="ssec/copy.bin", SSECustomerAlgorithm="AES256",
                        SSECustomerKey=OTHER)["Body"].read() == body, "the copy opens with the new key")
    expect("InvalidRequest", 400, s3.copy_object, Bucket=BUCKET, Key="ssec/copy2.bin",
           CopySource={"Bucket": BUCKET, "Key": "ssec/boto3.bin"})
    expect("AccessDenied", 403, s3.copy_object, Bucket=BUCKET, Key="ssec/copy3.bin",
           CopySource={"Bucket": BUCKET, "Key": "ssec/boto3.bin"},
           CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=OTHER)
    expect("404", 404, s3.head_object, Bucket=BUCKET, Key="ssec/copy2.bin")
    expect("404", 404, s3.head_object, Bucket=BUCKET, Key="ssec/copy3.bin")
    ok("boto3 SSE-C CopyObject: source key + new destination key; no source key 400, wrong source key 403")

    # Multipart with SSE-C: every part carries the key.
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="ssec/mp.bin", **c)["UploadId"]
    p1, p2 = os.urandom(5 * 1024 * 1024), os.urandom(1024)
    e1 = s3.upload_part(Bucket=BUCKET, Key="ssec/mp.bin", UploadId=up, PartNumber=1, Body=p1, **c)["ETag"]
    e2 = s3.upload_part(Bucket=BUCKET, Key="ssec/mp.bin", UploadId=up, PartNumber=2, Body=p2, **c)["ETag"]
    s3.complete_multipart_upload(Bucket=BUCKET, Key="ssec/mp.bin", UploadId=up, MultipartUpload={
        "Parts": [{"ETag": e1, "PartNumber": 1}, {"ETag": e2, "PartNumber": 2}]})
    check(s3.get_object(Bucket=BUCKET, Key="ssec/mp.bin", **c)["Body"].read() == p1 + p2, "multipart SSE-C bytes")
    expect("InvalidRequest", 400, s3.get_object, Bucket=BUCKET, Key="ssec/mp.bin")
    ok("boto3 SSE-C multipart: parts with the key, the object opens only with it")

    # Hand-made SSE-C requests: what the SDKs never send.
    path = "/%s/ssec/raw.bin" % BUCKET
    bad = [
        ("a key MD5 that does not match", ssec_headers(KEY, md5=md5b64(OTHER)), 400, "InvalidArgument",
         "The calculated MD5 hash of the key did not match the hash that was provided."),
        ("an MD5 that is not base64 of 16 bytes", ssec_headers(KEY, md5="bm90LWFuLW1kNQ=="), 400, "InvalidArgument", None),
        ("no key MD5", ssec_headers(KEY, md5=False), 400, "InvalidArgument", None),
        ("no key", ssec_headers(None, md5=md5b64(KEY)), 400, "InvalidArgument", None),
        ("a 16-byte key", ssec_headers(KEY[:16]), 400, "InvalidArgument", None),
        ("algorithm AES128", ssec_headers(KEY, alg="AES128"), 400, "InvalidEncryptionAlgorithmError", None),
        ("SSE-C and x-amz-server-side-encryption together",
         dict(ssec_headers(KEY), **{"x-amz-server-side-encryption": "AES256"}), 400, "InvalidArgument",
         "Server Side Encryption with Customer provided key is incompatible with the encryption method specified"),
        ("x-amz-server-side-encryption: AES512", {"x-amz-server-side-encryption": "AES512"}, 400, "InvalidArgument", None),
        ("a KMS key id with AES256", {"x-amz-server-side-encryption": "AES256",
                                      "x-amz-server-side-encryption-aws-kms-key-id": "k1"}, 400, "InvalidArgument", None),
    ]
    for what, hdrs, status, code, msg in bad:
        r = sign.send("PUT", path, "", hdrs, b"raw body that must not be stored")
        check(r.status == status and r.code == code, "%s: expected %d %s, got %r" % (what, status, code, r))
        check(msg is None or msg.encode() in r.body, "%s: message %r not in %r" % (what, msg, r.body))
    expect("NoSuchKey", 404, s3.get_object, Bucket=BUCKET, Key="ssec/raw.bin")
    ok("hand-made PUTs: bad key MD5 / no MD5 / no key / 16-byte key -> InvalidArgument, AES128 -> "
       "InvalidEncryptionAlgorithmError, SSE-C + SSE-S3 and AES512 and KMS key with AES256 -> InvalidArgument; nothing stored")

    r = sign.send("GET", "/%s/ssec/boto3.bin" % BUCKET, "", ssec_headers(KEY, md5=md5b64(OTHER)))
    check(r.status == 400 and r.code == "InvalidArgument", "GET with a bad key MD5: %r" % r)
    r = sign.send("GET", "/%s/ssec/boto3.bin" % BUCKET, "", ssec_headers(KEY))
    check(r.status == 200 and r.body == body, "GET with hand-made SSE-C headers: %r" % r)
    ok("hand-made GET: bad key MD5 400 InvalidArgument, the right headers 200 with the bytes")

    # SSE-KMS: stored and echoed (no KMS service behind it).
    r = s3.put_object(Bucket=BUCKET, Key="kms/obj.txt", Body=b"kms", ServerSideEncryption="aws:kms",
                      SSEKMSKeyId="arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                      BucketKeyEnabled=True)
    check(r.get("ServerSideEncryption") == "aws:kms", "PUT answers aws:kms: %r" % r)
    h = s3.head_object(Bucket=BUCKET, Key="kms/obj.txt")
    check(h.get("ServerSideEncryption") == "aws:kms" and h.get("SSEKMSKeyId", "").endswith("1234567890ab")
          and h.get("BucketKeyEnabled") is True, "HEAD echoes the KMS key id and bucket key: %r" % h)
    check(s3.get_object(Bucket=BUCKET, Key="kms/obj.txt")["Body"].read() == b"kms", "the KMS object reads back")
    ok("boto3 SSE-KMS: key id and BucketKeyEnabled stored and echoed by PUT/HEAD")
    print("# 503-encryption.py: %d checks passed" % checks)


main()
