"""500-bucket-policy.py: bucket policies through boto3 against a running s3iamd (ENDPOINT) that
hosts account B (B_ACCT, B_KEY, B_SECRET); called by 500-bucket-policy.sh with the key files of
carol (owner account) and dave (account B, allowed s3:GetObject on pol-demo/* by his identity).

Checks: a grant to carol and to account B takes effect and its removal revokes it at the next
request, a Deny for one prefix beats the grant, GetBucketPolicyStatus, MalformedPolicy codes.
"""
import json
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

E = os.environ["ENDPOINT"]
ACCT = "000000000000"
B_ACCT = os.environ["B_ACCT"]
ROOT = dict(aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])
B_ROOT = dict(aws_access_key_id=os.environ["B_KEY"], aws_secret_access_key=os.environ["B_SECRET"])
BUCKET = "pol-demo"
checks = 0


def s3(creds):
    return boto3.client("s3", endpoint_url=E, region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}), **creds)


def keyfile(path):
    k = json.load(open(path))["AccessKey"]
    return dict(aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])


def ok(msg):
    global checks
    checks += 1
    print("ok - boto3: %s" % msg)


def expect(code, fn, *args, contains=None, **kw):
    try:
        fn(*args, **kw)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        msg = e.response["Error"].get("Message", "")
        if got != code:
            sys.exit("FAIL: 500-bucket-policy.py: expected %s, got %s: %s" % (code, got, msg))
        if contains and contains not in msg:
            sys.exit("FAIL: 500-bucket-policy.py: %s message lacks %r: %r" % (code, contains, msg))
        return e.response
    sys.exit("FAIL: 500-bucket-policy.py: expected %s, the call succeeded: %s %s" % (code, fn.__name__, kw))


def check(cond, what):
    if not cond:
        sys.exit("FAIL: 500-bucket-policy.py: %s" % what)


def body(c, key):
    return c.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def main():
    root, broot = s3(ROOT), s3(B_ROOT)
    carol, dave = s3(keyfile(sys.argv[1])), s3(keyfile(sys.argv[2]))
    root.put_object(Bucket=BUCKET, Key="boto/one.txt", Body=b"boto one")
    root.put_object(Bucket=BUCKET, Key="boto/secret/two.txt", Body=b"boto two")

    expect("AccessDenied", carol.get_object, Bucket=BUCKET, Key="boto/one.txt")
    expect("AccessDenied", broot.get_object, Bucket=BUCKET, Key="boto/one.txt")
    expect("AccessDenied", dave.get_object, Bucket=BUCKET, Key="boto/one.txt")
    pol = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Carol", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:user/carol" % ACCT},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::%s/boto/*" % BUCKET},
        {"Sid": "AccountB", "Effect": "Allow", "Principal": {"AWS": B_ACCT},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::%s/boto/*" % BUCKET},
        {"Sid": "NotTheSecret", "Effect": "Deny", "Principal": {"AWS": [B_ACCT, "arn:aws:iam::%s:user/carol" % ACCT]},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::%s/boto/secret/*" % BUCKET}]}
    root.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(pol))
    check(json.loads(root.get_bucket_policy(Bucket=BUCKET)["Policy"]) == pol, "policy read back as written")
    check(root.get_bucket_policy_status(Bucket=BUCKET)["PolicyStatus"]["IsPublic"] is False, "not public")
    check(body(carol, "boto/one.txt") == b"boto one", "carol reads")
    check(body(broot, "boto/one.txt") == b"boto one", "B root reads")
    check(body(dave, "boto/one.txt") == b"boto one", "dave reads (identity + bucket policy)")
    ok("grant to carol and account B (account id as Principal): carol, B's root and dave read")

    for c, who in ((carol, "carol"), (broot, "B root"), (dave, "dave")):
        r = expect("AccessDenied", c.get_object, Bucket=BUCKET, Key="boto/secret/two.txt")
        check(r["ResponseMetadata"]["HTTPStatusCode"] == 403, "%s: 403" % who)
    r = expect("AccessDenied", carol.get_object, Bucket=BUCKET, Key="boto/secret/two.txt",
               contains="with an explicit deny in a resource-based policy")
    check("NotTheSecret" in r["ResponseMetadata"]["HTTPHeaders"].get("x-s3iam-decision", ""),
          "x-s3iam-decision names NotTheSecret: %r" % r["ResponseMetadata"]["HTTPHeaders"])
    ok("the Deny on boto/secret/* beats the grants for all three")

    root.delete_bucket_policy(Bucket=BUCKET)
    for c in (carol, broot, dave):
        expect("AccessDenied", c.get_object, Bucket=BUCKET, Key="boto/one.txt")
    expect("NoSuchBucketPolicy", root.get_bucket_policy_status, Bucket=BUCKET)
    ok("delete_bucket_policy: all three denied at the next request")

    expect("MalformedPolicy", root.put_bucket_policy, Bucket=BUCKET, Policy='{"Version": "2012-10-17", "Statement": [}',
           contains="line 1")
    bad_res = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": B_ACCT}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::elsewhere/*"}]}
    expect("MalformedPolicy", root.put_bucket_policy, Bucket=BUCKET, Policy=json.dumps(bad_res),
           contains="Policy has invalid resource")
    bad_act = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": B_ACCT}, "Action": "s3:CopyObject", "Resource": "arn:aws:s3:::%s/*" % BUCKET}]}
    expect("MalformedPolicy", root.put_bucket_policy, Bucket=BUCKET, Policy=json.dumps(bad_act),
           contains="Policy has invalid action")
    bad_pr = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:s3:::%s" % BUCKET}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::%s/*" % BUCKET}]}
    expect("MalformedPolicy", root.put_bucket_policy, Bucket=BUCKET, Policy=json.dumps(bad_pr),
           contains="Invalid principal in policy")
    expect("NoSuchBucketPolicy", root.get_bucket_policy, Bucket=BUCKET)
    ok("MalformedPolicy: invalid JSON (line), other bucket, s3:CopyObject, an S3 ARN as principal; nothing stored")
    print("# 500-bucket-policy.py: %d checks passed" % checks)


main()
