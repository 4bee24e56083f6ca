"""t/rel/fuzz_seeds.py - seed corpora for the libFuzzer targets, made from the captured client
requests (t/data/captures) and a few hand-written documents, in each target's input layout.

    python3 fuzz_seeds.py SRCDIR OUTDIR

writes OUTDIR/xml, OUTDIR/query, OUTDIR/sigv4, OUTDIR/awschunk, OUTDIR/init (one file per seed,
named by the SHA-1 of its bytes, so reruns do not duplicate).  fuzz_policy's seeds are the JSON documents in
t/data/seeds and t/data/policy-cases, copied by the make rule.
"""
import glob
import hashlib
import json
import os
import re
import sys

# Same order as roots[] in t/fuzz/fuzz_xml.c.
XML_ROOTS = [None, "Delete", "CompleteMultipartUpload", "Tagging", "VersioningConfiguration",
             "CreateBucketConfiguration", "PublicAccessBlockConfiguration", "ServerSideEncryptionConfiguration",
             "CreateAccessPointRequest", "PutAccessPointPolicyRequest"]
NSDECL = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
HAND_XML = {
    "Delete": "<Delete%s><Object><Key>a</Key></Object><Object><Key>b&amp;c</Key><VersionId>v1</VersionId>"
              "</Object><Quiet>true</Quiet></Delete>",
    "CompleteMultipartUpload": "<CompleteMultipartUpload%s><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag>"
                               "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber>"
                               "<ETag>&quot;f&quot;</ETag></Part></CompleteMultipartUpload>",
    "Tagging": "<Tagging%s><TagSet><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>\u00e9</Key><Value/></Tag>"
               "</TagSet></Tagging>",
    "VersioningConfiguration": "<VersioningConfiguration%s><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete>"
                               "</VersioningConfiguration>",
    "CreateBucketConfiguration": "<CreateBucketConfiguration%s><LocationConstraint>eu-west-1</LocationConstraint>"
                                 "</CreateBucketConfiguration>",
    "PublicAccessBlockConfiguration": "<PublicAccessBlockConfiguration%s><BlockPublicAcls>true</BlockPublicAcls>"
                                      "<IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true"
                                      "</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets>"
                                      "</PublicAccessBlockConfiguration>",
    "ServerSideEncryptionConfiguration": "<ServerSideEncryptionConfiguration%s><Rule>"
                                         "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
                                         "</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true"
                                         "</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>",
    "CreateAccessPointRequest": "<CreateAccessPointRequest xmlns=\"http://awss3control.amazonaws.com/doc/"
                                "2018-08-20/\"><Bucket>b</Bucket><VpcConfiguration><VpcId>vpc-1</VpcId>"
                                "</VpcConfiguration></CreateAccessPointRequest>",
    "PutAccessPointPolicyRequest": "<PutAccessPointPolicyRequest><Policy>{\"Version\":\"2012-10-17\"}</Policy>"
                                   "</PutAccessPointPolicyRequest>",
}
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                                 "Action": "sts:AssumeRole"}]}
HAND_INIT = [
    {"s3iam_init": 1, "accounts": [{"id": "111122223333"}]},
    {"s3iam_init": 1, "comment": "every section", "accounts": [{
        "id": "111122223333", "region": "eu-west-1",
        "policies": [{"name": "p1", "document": ALLOW_ALL, "path": "/x/", "description": "d", "tags": [{"Key": "k", "Value": "v"}]}],
        "groups": [{"name": "g1", "attached_policies": ["p1", "arn:aws:iam::aws:policy/ReadOnlyAccess"],
                    "inline_policies": [{"name": "i", "document": ALLOW_ALL}]}],
        "users": [{"name": "u1", "groups": ["g1"], "password": "pw", "password_reset_required": True,
                   "access_keys": [{"id": "AKIAEXAMPLE000000001", "secret": "s" * 40, "status": "Inactive"}],
                   "tags": [{"Key": "team", "Value": "a"}]}],
        "roles": [{"name": "r1", "trust_policy": TRUST, "max_session_duration": 3600, "attached_policies": ["p1"]}],
        "buckets": [{"name": "seed-bucket", "versioning": "Enabled", "encryption": "AES256",
                     "public_access_block": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                             "BlockPublicPolicy": False, "RestrictPublicBuckets": False},
                     "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                "Action": "s3:*", "Resource": "arn:aws:s3:::seed-bucket/*"}]},
                     "tags": [{"Key": "a", "Value": "b"}]}],
        "access_points": [{"name": "ap1", "bucket": "seed-bucket", "network_origin": "VPC", "vpc_id": "vpc-1"}]}]},
]
METHODS4 = ["GET", "PUT", "POST", "DELETE"]
METHODS8 = ["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "get", ""]


def write(outdir, data):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def dechunk(body):
    """Remove HTTP/1.1 chunked framing (the capture keeps it)."""
    out = b""
    while body:
        line, _, rest = body.partition(b"\r\n")
        try:
            n = int(line.split(b";")[0], 16)
        except ValueError:
            return out
        if n == 0:
            return out
        out += rest[:n]
        body = rest[n + 2:]
    return out


def parse(path):
    raw = open(path, "rb").read()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) < 3:
        return None
    hdrs = []
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        hdrs.append((k.strip(), v.strip()))
    return parts[0].decode(), parts[1], hdrs, body


def main():
    src, out = sys.argv[1], sys.argv[2]
    n = {"xml": 0, "query": 0, "sigv4": 0, "awschunk": 0, "init": 0}
    for path in sorted(glob.glob(os.path.join(src, "t", "data", "captures", "*", "*.http"))):
        req = parse(path)
        if req is None:
            continue
        method, target, hdrs, body = req
        h = {k.lower(): v for k, v in hdrs}
        if h.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = dechunk(body)
        # XML bodies
        m = re.match(rb"\s*(?:<\?xml[^>]*\?>\s*)?<([A-Za-z]+)", body)
        if m and m.group(1).decode() in XML_ROOTS:
            write(os.path.join(out, "xml"), bytes([XML_ROOTS.index(m.group(1).decode())]) + body)
            write(os.path.join(out, "xml"), b"\x00" + body)
            n["xml"] += 2
        # request targets
        flags = (METHODS8.index(method) if method in METHODS8 else 0) | 8
        if h.get(b"content-type", b"").startswith(b"application/x-www-form-urlencoded"):
            flags |= 16
        write(os.path.join(out, "query"), bytes([flags]) + target + b"\n" + h.get(b"host", b"") + b"\n")
        n["query"] += 1
        # SigV4: flags, target, Authorization, x-amz-date, x-amz-content-sha256, other headers
        if b"authorization" in h or b"X-Amz-Signature" in target:
            f = 1 | ((METHODS4.index(method) if method in METHODS4 else 0) << 3)
            if h.get(b"x-amz-content-sha256", b"").startswith(b"e3b0c442"):
                f |= 2
            others = [b"%s:%s" % (k, v) for k, v in hdrs
                      if k.lower() not in (b"authorization", b"x-amz-date", b"x-amz-content-sha256")][:24]
            seed = b"\n".join([target, h.get(b"authorization", b""), h.get(b"x-amz-date", b""),
                               h.get(b"x-amz-content-sha256", b"")] + others)
            write(os.path.join(out, "sigv4"), bytes([f]) + seed)
            n["sigv4"] += 1
        # aws-chunked bodies: variant, piece size, body
        mode = h.get(b"x-amz-content-sha256", b"")
        variant = {b"STREAMING-AWS4-HMAC-SHA256-PAYLOAD": 0, b"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": 1,
                   b"STREAMING-UNSIGNED-PAYLOAD-TRAILER": 2}.get(mode)
        if variant is not None and body:
            for piece in (1, 7, 255):
                write(os.path.join(out, "awschunk"), bytes([variant, piece]) + body)
                n["awschunk"] += 1
    for root, doc in HAND_XML.items():
        text = (doc % NSDECL if "%s" in doc else doc).encode()
        write(os.path.join(out, "xml"), bytes([XML_ROOTS.index(root)]) + b'<?xml version="1.0" encoding="UTF-8"?>\n'
              + text)
        n["xml"] += 1
    # hand-made aws-chunked bodies (a signed one, an unsigned one with a trailer)
    write(os.path.join(out, "awschunk"), bytes([0, 16]) + b"5;chunk-signature=" + b"0" * 64 + b"\r\nhello\r\n"
          b"0;chunk-signature=" + b"0" * 64 + b"\r\n\r\n")
    write(os.path.join(out, "awschunk"), bytes([2, 3]) + b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n")
    for t in (b"/bucket/key?versionId=1&uploads", b"/b/%2e%2e/%00?x=%zz&=&&a", b"/?Action=ListUsers&Version=2010-05-08",
              b"/v20180820/accesspoint/ap", b"/_s3iam/health/"):
        write(os.path.join(out, "query"), b"\x08" + t + b"\nbucket.s3.localhost:4566\n")
    for doc in HAND_INIT:
        write(os.path.join(out, "init"), json.dumps(doc, indent=1).encode())
        n["init"] += 1
    for path in glob.glob(os.path.join(src, "examples", "*", "init.json")):
        write(os.path.join(out, "init"), open(path, "rb").read())
        n["init"] += 1
    print("seeds: " + ", ".join("%s %d" % kv for kv in sorted(n.items())))


if __name__ == "__main__":
    main()
