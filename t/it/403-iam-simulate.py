"""403-iam-simulate.py: the IAM policy simulator agrees with what real requests get (boto3).

The notes' engineer_access policy (seed, missing comma added) is attached to engineer-demo's
group; each case runs the real request with the user's key and simulates the same action,
resource and context, and the two decisions must agree.  Then the details of a simulation:
MatchedStatements with the statement's line and column, MissingContextValues,
SimulateCustomPolicy with a resource policy, GetContextKeysFor*Policy.
"""
import json
import os
import sys

import boto3
import botocore.exceptions

E = os.environ["ENDPOINT"]
SRC = os.environ["SRCDIR"]
ACCT = "000000000000"
ROOT = dict(aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])
checks = 0


def client(svc, creds, region="us-east-1"):
    return boto3.client(svc, endpoint_url=E, region_name=region, **creds)


def ok(msg):
    global checks
    checks += 1
    print("ok - %s" % msg)


def fail(msg):
    sys.exit("FAIL: 403-iam-simulate.py: %s" % msg)


def real(fn, **kw):
    """'allowed' or 'explicitDeny'/'implicitDeny' from the AccessDenied message."""
    try:
        fn(**kw)
        return "allowed"
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "AccessDenied":
            fail("unexpected %s" % e)
        return "explicitDeny" if "explicit deny" in e.response["Error"]["Message"] else "implicitDeny"


def ctx(**keys):
    return [{"ContextKeyName": k.replace("__", ":").replace("_", "-"), "ContextKeyValues": [v],
             "ContextKeyType": "string"} for k, v in keys.items()]


lines = open(os.path.join(SRC, "t/data/seeds/engineer_access_2.json")).read().split("\n")
lines[77] = lines[77].rstrip() + ","          # the seed's missing comma (line 78)
doc = "\n".join(lines)

iam = client("iam", ROOT)
# aws:RequestedRegion for S3 is the bucket's region: one bucket where the seeds' policies allow
# (ap-southeast-2), one where they do not (us-east-1).
client("s3", ROOT).create_bucket(Bucket="sim-bucket", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
client("s3", ROOT).create_bucket(Bucket="sim-bucket-use1")
iam.create_group(GroupName="engineer")
arn = iam.create_policy(PolicyName="engineer_access", PolicyDocument=doc)["Policy"]["Arn"]
iam.attach_group_policy(GroupName="engineer", PolicyArn=arn)
iam.create_user(UserName="engineer-demo")
iam.add_user_to_group(GroupName="engineer", UserName="engineer-demo")
k = iam.create_access_key(UserName="engineer-demo")["AccessKey"]
eng = dict(aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
user_arn = "arn:aws:iam::%s:user/engineer-demo" % ACCT


def sim(action, resource, entries):
    r = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=[action], ResourceArns=[resource],
                                      ContextEntries=entries)["EvaluationResults"]
    if len(r) != 1:
        fail("one result expected: %r" % r)
    return r[0]


cases = [
    ("put with SSE in ap-southeast-2", "s3:PutObject", "arn:aws:s3:::sim-bucket/a.txt",
     lambda: real(client("s3", eng, "ap-southeast-2").put_object, Bucket="sim-bucket", Key="a.txt", Body=b"x",
                  ServerSideEncryption="AES256"),
     ctx(aws__RequestedRegion="ap-southeast-2", s3__x_amz_server_side_encryption="AES256")),
    ("put without SSE", "s3:PutObject", "arn:aws:s3:::sim-bucket/b.txt",
     lambda: real(client("s3", eng, "ap-southeast-2").put_object, Bucket="sim-bucket", Key="b.txt", Body=b"x"),
     ctx(aws__RequestedRegion="ap-southeast-2")),
    ("list in ap-southeast-2", "s3:ListBucket", "arn:aws:s3:::sim-bucket",
     lambda: real(client("s3", eng, "ap-southeast-2").list_objects_v2, Bucket="sim-bucket"),
     ctx(aws__RequestedRegion="ap-southeast-2")),
    ("list a bucket in us-east-1", "s3:ListBucket", "arn:aws:s3:::sim-bucket-use1",
     lambda: real(client("s3", eng, "us-east-1").list_objects_v2, Bucket="sim-bucket-use1"),
     ctx(aws__RequestedRegion="us-east-1")),
    ("own access keys", "iam:ListAccessKeys", user_arn,
     lambda: real(client("iam", eng).list_access_keys),
     ctx(aws__RequestedRegion="us-east-1")),
    ("another user's keys", "iam:ListAccessKeys", "arn:aws:iam::%s:user/someone" % ACCT,
     lambda: real(client("iam", eng).list_access_keys, UserName="someone"),
     ctx(aws__RequestedRegion="us-east-1")),
    ("create a user", "iam:CreateUser", "arn:aws:iam::%s:user/eve" % ACCT,
     lambda: real(client("iam", eng).create_user, UserName="eve"),
     ctx(aws__RequestedRegion="us-east-1")),
]
seen = set()
for name, action, resource, request, entries in cases:
    got = request()
    s = sim(action, resource, entries)
    if s["EvalDecision"] != got:
        fail("%s: the request got %s, the simulation says %s" % (name, got, s["EvalDecision"]))
    seen.add(got)
if seen != {"allowed", "explicitDeny", "implicitDeny"}:
    fail("the cases should cover all three decisions: %r" % seen)
ok("SimulatePrincipalPolicy agrees with the real request in %d cases (allowed, explicitDeny, implicitDeny)"
   % len(cases))

# MatchedStatements: the Deny statement, where it is in the document.
s = sim("s3:PutObject", "arn:aws:s3:::sim-bucket/c.txt", ctx(aws__RequestedRegion="ap-southeast-2"))
m = s["MatchedStatements"]
sid_line = next(i for i, l in enumerate(lines) if '"DenyUnencryptedS3ObjectUploads"' in l) + 1
open_line = max(i for i in range(sid_line) if lines[i - 1].strip() == "{")
if len(m) != 1 or m[0]["SourcePolicyId"] != "engineer_access" or m[0]["SourcePolicyType"] != "user-managed":
    fail("matched statements: %r" % m)
if m[0]["StartPosition"]["Line"] != open_line or m[0]["StartPosition"]["Column"] != lines[open_line - 1].index("{") + 1:
    fail("start position %r, the statement's '{' is at line %d column %d"
         % (m[0]["StartPosition"], open_line, lines[open_line - 1].index("{") + 1))
if m[0]["EndPosition"]["Line"] <= open_line:
    fail("end position %r" % m[0]["EndPosition"])
ok("MatchedStatements names engineer_access (user-managed) and the Deny statement's line and column")

s = sim("s3:ListBucket", "arn:aws:s3:::sim-bucket", [])
if s["EvalDecision"] != "implicitDeny" or "aws:RequestedRegion" not in s.get("MissingContextValues", []):
    fail("missing context values: %r" % s)
ok("without ContextEntries the region condition fails and aws:RequestedRegion is a MissingContextValue")

# SimulateCustomPolicy: several actions, a resource policy, positions in a small document.
custom = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Sid": "A", "Effect": "Allow", "Action": "s3:Get*", ' \
         '"Resource": "*"},\n    {"Sid": "D", "Effect": "Deny", "Action": "s3:GetObject", ' \
         '"Resource": "arn:aws:s3:::b/secret/*"}\n  ]\n}'
r = iam.simulate_custom_policy(PolicyInputList=[custom], ActionNames=["s3:GetObject", "s3:PutObject"],
                               ResourceArns=["arn:aws:s3:::b/secret/x", "arn:aws:s3:::b/open/x"])["EvaluationResults"]
dec = {(e["EvalActionName"], e["EvalResourceName"]): e for e in r}
want = {("s3:GetObject", "arn:aws:s3:::b/secret/x"): "explicitDeny", ("s3:GetObject", "arn:aws:s3:::b/open/x"): "allowed",
        ("s3:PutObject", "arn:aws:s3:::b/secret/x"): "implicitDeny", ("s3:PutObject", "arn:aws:s3:::b/open/x"): "implicitDeny"}
for key, d in want.items():
    if dec[key]["EvalDecision"] != d:
        fail("custom %r: %s, want %s" % (key, dec[key]["EvalDecision"], d))
ms = dec[("s3:GetObject", "arn:aws:s3:::b/secret/x")]["MatchedStatements"][0]
if ms["SourcePolicyId"] != "PolicyInputList.1" or ms["StartPosition"] != {"Line": 5, "Column": 5}:
    fail("custom matched statement: %r" % ms)
rp = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:user/visitor" % ACCT}, "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::b/*"}]})
r = iam.simulate_custom_policy(PolicyInputList=[custom], ActionNames=["s3:PutObject"],
                               ResourceArns=["arn:aws:s3:::b/open/x"], ResourcePolicy=rp,
                               CallerArn="arn:aws:iam::%s:user/visitor" % ACCT)["EvaluationResults"][0]
if r["EvalDecision"] != "allowed" or r["EvalDecisionDetails"].get("Resource Policy") != "allowed" \
        or r["EvalDecisionDetails"].get("IAM Policy") != "implicitDeny":
    fail("resource policy simulation: %r" % r)
ok("SimulateCustomPolicy: actions x resources, statement positions, a resource policy naming the caller")

keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=user_arn)["ContextKeyNames"]
for k in ("aws:RequestedRegion", "s3:x-amz-server-side-encryption", "aws:username"):
    if k not in keys:
        fail("context keys lack %s: %r" % (k, keys))
keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[custom])["ContextKeyNames"]
if keys:
    fail("the custom policy has no condition keys: %r" % keys)
ok("GetContextKeysForPrincipalPolicy / CustomPolicy")

try:
    iam.simulate_principal_policy(PolicySourceArn="arn:aws:iam::%s:user/nobody" % ACCT, ActionNames=["s3:GetObject"])
    fail("simulating a missing user succeeded")
except botocore.exceptions.ClientError as e:
    if e.response["Error"]["Code"] != "NoSuchEntity":
        fail("missing user: %s" % e)
try:
    iam.simulate_custom_policy(PolicyInputList=["{"], ActionNames=["s3:GetObject"])
    fail("a malformed input policy was simulated")
except botocore.exceptions.ClientError as e:
    if e.response["Error"]["Code"] != "MalformedPolicyDocument":
        fail("malformed input: %s" % e)
ok("NoSuchEntity for a missing principal, MalformedPolicyDocument for a bad input policy")
print("# 403-iam-simulate.py: %d checks passed" % checks)
