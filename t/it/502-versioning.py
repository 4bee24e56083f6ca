"""502-versioning.py: versioning through boto3 against a running s3iamd (ENDPOINT); called by
502-versioning.sh.

Phase "paging BUCKET": ListObjectVersions paged by hand with MaxKeys, KeyMarker and
VersionIdMarker (every version and delete marker exactly once, newest first per key, the
markers in the response), prefix and delimiter; GetObject on a key whose latest version is a
delete marker (404 with x-amz-delete-marker / x-amz-version-id), GetObject / HeadObject of a
delete marker by its id (405), a version id that does not exist (NoSuchVersion).
Phase "ssec BUCKET": SSE-C objects in a versioned bucket: each version needs its own key.
"""
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

E = os.environ["ENDPOINT"]
checks = 0


def ok(msg):
    global checks
    checks += 1
    print("ok - boto3: %s" % msg)


def check(cond, what):
    if not cond:
        sys.exit("FAIL: 502-versioning.py: %s" % what)


def expect(code, fn, *args, status=None, **kw):
    try:
        fn(*args, **kw)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        st = e.response["ResponseMetadata"]["HTTPStatusCode"]
        check(got == code, "expected %s, got %s (HTTP %s): %s" % (code, got, st, e.response["Error"].get("Message")))
        check(status is None or st == status, "%s: expected HTTP %s, got %s" % (code, status, st))
        return e.response
    sys.exit("FAIL: 502-versioning.py: expected %s, the call succeeded: %s %r" % (code, fn.__name__, kw))


def client():
    return boto3.client("s3", endpoint_url=E, region_name="us-east-1", config=Config(retries={"max_attempts": 1}))


def vid(v):
    """A version id as recorded in paging(): delete markers carry a "DM:" prefix."""
    return v[3:] if v.startswith("DM:") else v


def paging(bucket):
    s3 = client()
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    want = {}   # key -> [version ids, oldest first]; "DM:" prefix for delete markers
    for key in ("a/one.txt", "a/two.txt", "b/three.txt", "top.txt"):
        want[key] = []
        for i in range(3):
            r = s3.put_object(Bucket=bucket, Key=key, Body=("%s v%d" % (key, i)).encode())
            want[key].append(r["VersionId"])
    r = s3.delete_object(Bucket=bucket, Key="a/two.txt")
    check(r.get("DeleteMarker") is True and r.get("VersionId"), "delete marker in the response: %r" % r)
    want["a/two.txt"].append("DM:" + r["VersionId"])
    ids = [vid(v) for vs in want.values() for v in vs]
    check(len(set(ids)) == len(ids), "version ids are unique")

    # page through with MaxKeys=2 and the markers
    seen, kw, pages = [], {}, 0
    while True:
        r = s3.list_object_versions(Bucket=bucket, MaxKeys=2, **kw)
        pages += 1
        entries = [(v["Key"], v["VersionId"], v["IsLatest"], False) for v in r.get("Versions", [])] + \
                  [(d["Key"], d["VersionId"], d["IsLatest"], True) for d in r.get("DeleteMarkers", [])]
        check(1 <= len(entries) <= 2, "page %d has %d entries" % (pages, len(entries)))
        check(r["MaxKeys"] == 2, "MaxKeys echoed")
        seen.extend(entries)
        if not r["IsTruncated"]:
            check("NextKeyMarker" not in r, "no NextKeyMarker on the last page")
            break
        check(r.get("NextKeyMarker") and r.get("NextVersionIdMarker"), "markers on a truncated page: %r" % r)
        kw = {"KeyMarker": r["NextKeyMarker"], "VersionIdMarker": r["NextVersionIdMarker"]}
        check(pages < 20, "paging does not end")
    check(len(seen) == 13 and pages == 7, "13 entries on 7 pages, got %d on %d" % (len(seen), pages))
    by_key = {}
    for key, version, latest, dm in seen:
        by_key.setdefault(key, []).append((version, latest, dm))
    check(list(by_key) == sorted(want), "keys in order: %r" % list(by_key))
    for key, vs in want.items():
        got = by_key[key]
        exp = [vid(v) for v in reversed(vs)]
        # within a page versions and markers are listed apart; compare as sets plus latest
        check(sorted(g[0] for g in got) == sorted(exp), "%s: versions %r, want %r" % (key, got, exp))
        latest = [g for g in got if g[1]]
        check(len(latest) == 1 and latest[0][0] == exp[0], "%s: one IsLatest, the newest: %r" % (key, got))
    dms = [g for g in seen if g[3]]
    check(len(dms) == 1 and dms[0][0] == "a/two.txt" and dms[0][2], "one delete marker, latest: %r" % dms)
    ok("ListObjectVersions paged by MaxKeys=2 + KeyMarker/VersionIdMarker: 13 entries on 7 pages, once each")

    # newest first within a key (a whole key on one page)
    r = s3.list_object_versions(Bucket=bucket, Prefix="top.txt")
    check([v["VersionId"] for v in r["Versions"]] == list(reversed(want["top.txt"])), "newest first: %r" % r["Versions"])
    # a marker in the middle of a key's versions
    r = s3.list_object_versions(Bucket=bucket, KeyMarker="top.txt", VersionIdMarker=want["top.txt"][2])
    check([v["VersionId"] for v in r.get("Versions", [])] == [want["top.txt"][1], want["top.txt"][0]],
          "after the newest version of top.txt come the two older: %r" % r.get("Versions"))
    r = s3.list_object_versions(Bucket=bucket, KeyMarker="b/three.txt")
    check({v["Key"] for v in r.get("Versions", [])} == {"top.txt"}, "KeyMarker alone skips the whole key")
    r = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    check([p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["a/", "b/"], "common prefixes: %r" % r)
    check({v["Key"] for v in r.get("Versions", [])} == {"top.txt"}, "only top.txt at the top level")
    r = s3.list_object_versions(Bucket=bucket, Prefix="a/", Delimiter="/")
    check(len(r.get("Versions", [])) == 6 and len(r.get("DeleteMarkers", [])) == 1, "prefix a/: %r" % r)
    ok("ListObjectVersions: newest first, VersionIdMarker inside a key, KeyMarker, Prefix, Delimiter")

    # the delete marker is what a plain GET sees
    e = expect("NoSuchKey", s3.get_object, Bucket=bucket, Key="a/two.txt", status=404)
    h = e["ResponseMetadata"]["HTTPHeaders"]
    check(h.get("x-amz-delete-marker") == "true", "x-amz-delete-marker on the 404: %r" % h)
    check(h.get("x-amz-version-id") == want["a/two.txt"][-1][3:], "x-amz-version-id names the marker: %r" % h)
    try:
        s3.head_object(Bucket=bucket, Key="a/two.txt")
        sys.exit("FAIL: 502-versioning.py: HEAD of a deleted key succeeded")
    except botocore.exceptions.ClientError as ex:
        h = ex.response["ResponseMetadata"]["HTTPHeaders"]
        check(ex.response["ResponseMetadata"]["HTTPStatusCode"] == 404, "HEAD: 404")
        check(h.get("x-amz-delete-marker") == "true", "HEAD: x-amz-delete-marker: %r" % h)
    ok("GET / HEAD of a key whose latest version is a delete marker: 404 with x-amz-delete-marker and its version id")

    marker = want["a/two.txt"][-1][3:]
    e = expect("MethodNotAllowed", s3.get_object, Bucket=bucket, Key="a/two.txt", VersionId=marker, status=405)
    check(e["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker") == "true", "405 names the marker")
    b = s3.get_object(Bucket=bucket, Key="a/two.txt", VersionId=want["a/two.txt"][1])["Body"].read()
    check(b == b"a/two.txt v1", "an older version is still readable: %r" % b)
    old = want["top.txt"][0]
    s3.delete_object(Bucket=bucket, Key="top.txt", VersionId=old)
    expect("NoSuchVersion", s3.get_object, Bucket=bucket, Key="top.txt", VersionId=old, status=404)
    ok("GET of a delete marker by id: 405 MethodNotAllowed; older versions readable; a deleted version: NoSuchVersion")


def ssec(bucket):
    import base64
    import hashlib
    s3 = client()

    def kw(key):
        return dict(SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    k1, k2 = b"1" * 32, b"2" * 32
    v1 = s3.put_object(Bucket=bucket, Key="ssec.bin", Body=b"first", **kw(k1))["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="ssec.bin", Body=b"second", **kw(k2))["VersionId"]
    check(s3.get_object(Bucket=bucket, Key="ssec.bin", VersionId=v1, **kw(k1))["Body"].read() == b"first", "v1")
    check(s3.get_object(Bucket=bucket, Key="ssec.bin", **kw(k2))["Body"].read() == b"second", "latest")
    expect("AccessDenied", s3.get_object, Bucket=bucket, Key="ssec.bin", VersionId=v1, status=403, **kw(k2))
    expect("AccessDenied", s3.get_object, Bucket=bucket, Key="ssec.bin", status=403, **kw(k1))
    md5 = base64.b64encode(hashlib.md5(k1).digest()).decode()
    h = s3.head_object(Bucket=bucket, Key="ssec.bin", VersionId=v1, **kw(k1))
    check(h.get("SSECustomerKeyMD5") == md5, "HEAD echoes the key MD5: %r" % h)
    ok("SSE-C in a versioned bucket: each version opens only with its own key (403 otherwise)")


if sys.argv[1] == "paging":
    paging(sys.argv[2])
else:
    ssec(sys.argv[2])
print("# 502-versioning.py %s: %d checks passed" % (sys.argv[1], checks))
