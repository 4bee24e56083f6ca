"""600-access-points.py: access points through boto3 and hand-made requests (t/lib/sign.py)
against a running s3iamd (ENDPOINT = http://localhost:PORT, region ap-southeast-2, account ACCT);
called by 600-access-points.sh after its set-up.

Phase "analyst KEYFILE ENGINEER_KEYFILE ALIAS": the analyst's PUT with SSE through the access
point ARN and the alias works, the same PUT to the bucket name is denied, without SSE it is
denied; the engineer (not named in the access point policy) is denied through it.
Phase "control": S3 Control with boto3 on a third bucket: create (PublicAccessBlockConfiguration,
VpcConfiguration), get, list with paging, policies, policy status, name rules, duplicates,
unknown buckets, malformed and public policies.
Phase "hosts ALIAS": the third addressing form, NAME-ACCOUNT.s3-accesspoint.REGION.localhost,
signed by botocore with the Host header of that name; and the alias as a virtual host.
"""
import json
import os
import sys
import urllib.parse

import boto3
import botocore.exceptions
from botocore.config import Config

import sign

E = os.environ["ENDPOINT"]
ACCT = os.environ["ACCT"]
REGION = "ap-southeast-2"
ROOT = dict(aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])
CFG = Config(retries={"max_attempts": 1})
checks = 0


def ok(msg):
    global checks
    checks += 1
    print("ok - %s" % msg)


def check(cond, what):
    if not cond:
        sys.exit("FAIL: 600-access-points.py: %s" % what)


def expect(code, fn, *args, status=None, contains=None, **kw):
    try:
        fn(*args, **kw)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        st = e.response["ResponseMetadata"]["HTTPStatusCode"]
        msg = e.response["Error"].get("Message", "")
        check(got == code, "expected %s, got %s (HTTP %s): %s" % (code, got, st, msg))
        check(status is None or st == status, "%s: expected HTTP %s, got %s" % (code, status, st))
        check(contains is None or contains in msg, "%s: message lacks %r: %r" % (code, contains, msg))
        return e.response
    sys.exit("FAIL: 600-access-points.py: expected %s, the call succeeded: %s %r" % (code, fn.__name__, kw))


def keyfile(path):
    k = json.load(open(path))["AccessKey"]
    return dict(aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])


def client(svc, creds=None, **cfg):
    return boto3.client(svc, endpoint_url=E, region_name=REGION, config=CFG.merge(Config(**cfg)) if cfg else CFG,
                        **(creds or ROOT))


def arn(name):
    return "arn:aws:s3:%s:%s:accesspoint/%s" % (REGION, ACCT, name)


def analyst(keyf, engf, alias):
    s3 = client("s3", keyfile(keyf))
    eng = client("s3", keyfile(engf))
    ap = arn("demo-analysis-access")
    r = s3.put_object(Bucket=ap, Key="test/boto3-arn.txt", Body=b"boto3 via arn", ServerSideEncryption="AES256")
    check(r["ServerSideEncryption"] == "AES256", "PUT through the ARN: %r" % r)
    s3.put_object(Bucket=alias, Key="test/boto3-alias.txt", Body=b"boto3 via alias", ServerSideEncryption="AES256")
    r = expect("AccessDenied", s3.put_object, Bucket="demo-analysis", Key="test/boto3-direct.txt",
               Body=b"direct", ServerSideEncryption="AES256", status=403)
    hdr = r["ResponseMetadata"]["HTTPHeaders"].get("x-s3iam-decision", "")
    check("s3:DataAccessPointArn" in hdr, "the direct denial explains the missing s3:DataAccessPointArn: %r" % hdr)
    expect("AccessDenied", s3.put_object, Bucket=ap, Key="test/boto3-nosse.txt", Body=b"no sse", status=403)
    ok("boto3 analyst: PUT --sse through the ARN and the alias allowed; to the bucket name denied "
       "(s3:DataAccessPointArn absent); without SSE denied")

    check(s3.get_object(Bucket=ap, Key="test/boto3-alias.txt")["Body"].read() == b"boto3 via alias", "GET via ARN")
    check(s3.get_object(Bucket="demo-analysis", Key="test/boto3-arn.txt")["Body"].read() == b"boto3 via arn",
          "the analyst reads the bucket directly (GetAllS3Buckets)")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=ap, Prefix="test/boto3-")["Contents"]]
    check(keys == ["test/boto3-alias.txt", "test/boto3-arn.txt"], "list through the ARN: %r" % keys)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=alias, Prefix="test/boto3-")["Contents"]]
    check(keys == ["test/boto3-alias.txt", "test/boto3-arn.txt"], "list through the alias: %r" % keys)
    ok("boto3 analyst: GET and ListObjectsV2 through the ARN and the alias")

    expect("AccessDenied", eng.put_object, Bucket=ap, Key="test/eng.txt", Body=b"e", ServerSideEncryption="AES256",
           status=403)
    expect("AccessDenied", eng.get_object, Bucket=ap, Key="test/boto3-arn.txt", status=403)
    expect("AccessDenied", eng.list_objects_v2, Bucket=alias, status=403)
    check(eng.get_object(Bucket="demo-analysis", Key="test/boto3-arn.txt")["Body"].read() == b"boto3 via arn",
          "the engineer reads the bucket directly")
    ok("boto3 engineer (not in the access point policy): PUT, GET, list through the access point denied; "
       "direct GET allowed")


def control():
    ctl = client("s3control")
    s3 = client("s3")
    r = ctl.create_access_point(AccountId=ACCT, Name="shared-ap", Bucket="demo-shared",
                                PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                                                "BlockPublicPolicy": True,
                                                                "RestrictPublicBuckets": True})
    check(r["AccessPointArn"] == arn("shared-ap"), "create answers the ARN: %r" % r)
    alias = r["Alias"]
    check(alias.startswith("shared-ap-") and alias.endswith("-s3alias") and len(alias) == len("shared-ap-") + 34 + 8,
          "alias NAME-<34 random>-s3alias: %r" % alias)
    r = ctl.create_access_point(AccountId=ACCT, Name="shared-vpc", Bucket="demo-shared",
                                VpcConfiguration={"VpcId": "vpc-0123456789abcdef0"})
    g = ctl.get_access_point(AccountId=ACCT, Name="shared-vpc")
    check(g["NetworkOrigin"] == "VPC" and g["VpcConfiguration"]["VpcId"] == "vpc-0123456789abcdef0", "VPC: %r" % g)
    g = ctl.get_access_point(AccountId=ACCT, Name="shared-ap")
    check(g["Name"] == "shared-ap" and g["Bucket"] == "demo-shared" and g["NetworkOrigin"] == "Internet"
          and g["Alias"] == alias and g["AccessPointArn"] == arn("shared-ap") and g["BucketAccountId"] == ACCT
          and all(g["PublicAccessBlockConfiguration"].values()) and g.get("CreationDate")
          and "s3-accesspoint.%s" % REGION in g["Endpoints"]["ipv4"], "get_access_point: %r" % g)
    ok("boto3 s3control: create (BPA, VPC origin), get: name, bucket, origin, alias, ARN, account, BPA, endpoints")

    for n in ("shared-c", "shared-b"):
        ctl.create_access_point(AccountId=ACCT, Name=n, Bucket="demo-shared")
    names, tok, pages = [], None, 0
    while True:
        kw = {"NextToken": tok} if tok else {}
        r = ctl.list_access_points(AccountId=ACCT, Bucket="demo-shared", MaxResults=1, **kw)
        pages += 1
        check(len(r["AccessPointList"]) == 1, "one per page: %r" % r)
        names += [a["Name"] for a in r["AccessPointList"]]
        tok = r.get("NextToken")
        if not tok:
            break
        check(pages < 10, "paging does not end")
    check(names == ["shared-ap", "shared-b", "shared-c", "shared-vpc"], "paged list, by name: %r" % names)
    allnames = [a["Name"] for a in ctl.list_access_points(AccountId=ACCT)["AccessPointList"]]
    check(set(names) < set(allnames) and "demo-analysis-access" in allnames, "list without bucket: %r" % allnames)
    ok("boto3 s3control: list_access_points by bucket, MaxResults=1 paging by NextToken (4 pages, by name); all")

    pol = {"Version": "2012-10-17", "Statement": [
        {"Sid": "RootReads", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCT},
         "Action": "s3:GetObject", "Resource": arn("shared-ap") + "/object/*"}]}
    expect("NoSuchAccessPointPolicy", ctl.get_access_point_policy, AccountId=ACCT, Name="shared-ap", status=404)
    ctl.put_access_point_policy(AccountId=ACCT, Name="shared-ap", Policy=json.dumps(pol))
    check(json.loads(ctl.get_access_point_policy(AccountId=ACCT, Name="shared-ap")["Policy"]) == pol, "policy back")
    st = ctl.get_access_point_policy_status(AccountId=ACCT, Name="shared-ap")["PolicyStatus"]
    check(st["IsPublic"] is False, "policy status: %r" % st)
    ctl.delete_access_point_policy(AccountId=ACCT, Name="shared-ap")
    expect("NoSuchAccessPointPolicy", ctl.get_access_point_policy, AccountId=ACCT, Name="shared-ap")
    ok("boto3 s3control: put/get/delete access point policy, policy status not public, 404 when none")

    bad = [
        ('{"Version": "2012-10-17", "Statement": [', "This policy contains invalid Json"),
        (json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::demo-shared/*"}]}), "Policy has invalid resource"),
        (json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "s3:GetObject",
             "Resource": arn("shared-b") + "/object/*"}]}), "Policy has invalid resource"),
        (json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "s3:CopyObject",
             "Resource": arn("shared-ap") + "/object/*"}]}), "Policy has invalid action"),
        (json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": arn("shared-ap") + "/object/*"}]}),
         "Missing required field Principal"),
    ]
    for doc, msg in bad:
        expect("MalformedPolicy", ctl.put_access_point_policy, AccountId=ACCT, Name="shared-ap", Policy=doc,
               status=400, contains=msg)
    public = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": arn("shared-ap") + "/object/*"}]})
    expect("AccessDenied", ctl.put_access_point_policy, AccountId=ACCT, Name="shared-ap", Policy=public, status=403)
    expect("NoSuchAccessPointPolicy", ctl.get_access_point_policy, AccountId=ACCT, Name="shared-ap")
    ctl.put_access_point_policy(AccountId=ACCT, Name="shared-vpc", Policy=public.replace("shared-ap", "shared-vpc"))
    check(ctl.get_access_point_policy_status(AccountId=ACCT, Name="shared-vpc")["PolicyStatus"]["IsPublic"] is False,
          "a VPC access point is never public")
    ok("boto3 s3control: MalformedPolicy (invalid JSON, bucket ARN, another access point, s3:CopyObject, no "
       "Principal); public policy 403 under BlockPublicPolicy; a VPC access point's policy is not public")

    expect("AccessPointAlreadyOwnedByYou", ctl.create_access_point, AccountId=ACCT, Name="shared-ap",
           Bucket="demo-shared", status=409)
    expect("InvalidRequest", ctl.create_access_point, AccountId=ACCT, Name="shared-x", Bucket="no-such-bucket-ap",
           status=400)
    nv = client("s3control", parameter_validation=False)
    for n in ("-hyphen-start", "cannot-end-s3alias", "cannot-have.dot"):
        expect("InvalidRequest", nv.create_access_point, AccountId=ACCT, Name=n, Bucket="demo-shared", status=400,
               contains="Your Amazon S3 AccessPoint name is invalid")
    got = [a["Name"] for a in ctl.list_access_points(AccountId=ACCT, Bucket="demo-shared")["AccessPointList"]]
    check(got == ["shared-ap", "shared-b", "shared-c", "shared-vpc"], "nothing half-created: %r" % got)
    ok("boto3 s3control: duplicate name 409 AccessPointAlreadyOwnedByYou, unknown bucket InvalidRequest, "
       "names with a leading hyphen, the -s3alias suffix or a dot InvalidRequest; nothing created")

    ctl.delete_access_point(AccountId=ACCT, Name="shared-c")
    expect("NoSuchAccessPoint", ctl.get_access_point, AccountId=ACCT, Name="shared-c", status=404)
    expect("NoSuchAccessPoint", ctl.delete_access_point, AccountId=ACCT, Name="shared-c", status=404)
    expect("NoSuchAccessPoint", ctl.put_access_point_policy, AccountId=ACCT, Name="shared-c", Policy=json.dumps(pol))
    ok("boto3 s3control: delete, then get / delete / put policy answer 404 NoSuchAccessPoint")

    # The data plane through the new access point as root.
    s3.put_object(Bucket=arn("shared-ap"), Key="root/a.txt", Body=b"root via arn")
    check(s3.get_object(Bucket=alias, Key="root/a.txt")["Body"].read() == b"root via arn", "root via the alias")
    check(s3.get_object(Bucket="demo-shared", Key="root/a.txt")["Body"].read() == b"root via arn", "in the bucket")
    ok("boto3 root: PUT through the ARN of a new access point, GET through its alias, the object is in the bucket")


def names_uri():
    """Names AWS answers with InvalidURI: recorded against AWS for "sa", 51 characters and a name with '_'."""
    nv = client("s3control", parameter_validation=False)
    for n in ("sa", "a" * 51, "under_score"):
        expect("InvalidURI", nv.create_access_point, AccountId=ACCT, Name=n, Bucket="demo-shared", status=400)
    ok("boto3 s3control: names that are too short / too long / have '_' -> 400 InvalidURI")


def hosts(alias):
    """The third form, NAME-ACCOUNT.s3-accesspoint.REGION.<anything>, and the alias as a virtual host."""
    port = urllib.parse.urlsplit(E).port
    host = "demo-analysis-access-%s.s3-accesspoint.%s.localhost:%d" % (ACCT, REGION, port)
    body = b"third addressing form"
    r = sign.send("PUT", "/hosts/third.txt", "", {"Host": host, "x-amz-server-side-encryption": "AES256"}, body)
    check(r.status == 200, "PUT via %s: %r" % (host, r))
    r = sign.send("GET", "/hosts/third.txt", "", {"Host": host})
    check(r.status == 200 and r.body == body, "GET via %s: %r" % (host, r))
    r = sign.send("GET", "/", "list-type=2&prefix=hosts%2F", {"Host": host})
    check(r.status == 200 and b"<Key>hosts/third.txt</Key>" in r.body, "list via %s: %r" % (host, r))
    r = sign.send("GET", "/hosts/third.txt", "", {"Host": "no-such-ap-%s.s3-accesspoint.%s.localhost:%d" % (ACCT, REGION, port)})
    check(r.status == 404 and r.code == "NoSuchAccessPoint", "unknown access point host: %r" % r)
    ok("NAME-ACCOUNT.s3-accesspoint.REGION.localhost (botocore-signed): PUT, GET, list; an unknown name 404 NoSuchAccessPoint")

    s3v = client("s3", s3={"addressing_style": "virtual"})
    s3v.put_object(Bucket=alias, Key="hosts/alias-vhost.txt", Body=b"alias as a virtual host")
    check(s3v.get_object(Bucket=alias, Key="hosts/alias-vhost.txt")["Body"].read() == b"alias as a virtual host",
          "alias virtual host")
    ok("the alias as a virtual host (ALIAS.localhost, boto3 addressing_style=virtual): PUT and GET")


phase = sys.argv[1]
if phase == "analyst":
    analyst(sys.argv[2], sys.argv[3], sys.argv[4])
elif phase == "control":
    control()
elif phase == "names-uri":
    names_uri()
else:
    hosts(sys.argv[2])
print("# 600-access-points.py %s: %d checks passed" % (phase, checks))
