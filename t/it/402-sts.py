"""402-sts.py: STS through boto3 against a running s3iamd (ENDPOINT); called by 402-sts.sh.

Phase "setup-and-use": roles, trust policies, AssumeRole outcomes, session policies, tokens,
GetSessionToken; writes the credentials of one session to the file given as argv[2].
Phase "expired": the saved session (argv[2]) must now get ExpiredToken (the server was restarted
with its clock moved past the expiry).
"""
import json
import os
import sys

import boto3
import botocore.exceptions

E = os.environ["ENDPOINT"]
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


def expect(code, fn, *args, contains=None, **kw):
    try:
        fn(*args, **kw)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        msg = e.response["Error"].get("Message", "")
        if got != code:
            sys.exit("FAIL: expected %s, got %s: %s" % (code, got, msg))
        if contains and contains not in msg:
            sys.exit("FAIL: %s message lacks %r: %r" % (code, contains, msg))
        return msg
    sys.exit("FAIL: expected %s, the call succeeded: %s" % (code, fn))


def creds_of(c):
    return dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                aws_session_token=c["SessionToken"])


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})


def setup_and_use(out_file):
    iam = client("iam", ROOT)
    s3root = client("s3", ROOT)
    s3root.create_bucket(Bucket="sts-demo")
    s3root.put_object(Bucket="sts-demo", Key="public/a.txt", Body=b"a")
    s3root.put_object(Bucket="sts-demo", Key="private/b.txt", Body=b"b")

    iam.create_user(UserName="alice")
    iam.create_user(UserName="carol")
    iam.put_user_policy(UserName="alice", PolicyName="assume-reader", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::%s:role/reader" % ACCT}]}))
    iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    alice = iam.create_access_key(UserName="alice")["AccessKey"]
    carol = iam.create_access_key(UserName="carol")["AccessKey"]
    alice = dict(aws_access_key_id=alice["AccessKeyId"], aws_secret_access_key=alice["SecretAccessKey"])
    carol = dict(aws_access_key_id=carol["AccessKeyId"], aws_secret_access_key=carol["SecretAccessKey"])

    r = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust("arn:aws:iam::%s:root" % ACCT),
                        MaxSessionDuration=7200, Description="reads sts-demo")["Role"]
    assert r["Arn"] == "arn:aws:iam::%s:role/reader" % ACCT and r["RoleId"].startswith("AROA"), r
    assert r["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole", r
    iam.attach_role_policy(RoleName="reader", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    iam.create_role(RoleName="alice-writer", AssumeRolePolicyDocument=trust("arn:aws:iam::%s:user/alice" % ACCT))
    iam.put_role_policy(RoleName="alice-writer", PolicyName="put", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::sts-demo/*"}]}))
    iam.create_role(RoleName="bob-only", AssumeRolePolicyDocument=trust("arn:aws:iam::%s:user/bob" % ACCT))
    ok("roles with trust policies (account, one user), MaxSessionDuration, managed and inline policies")

    sts_alice = client("sts", alice, "ap-southeast-2")
    resp = sts_alice.assume_role(RoleArn="arn:aws:iam::%s:role/reader" % ACCT, RoleSessionName="s1",
                                 DurationSeconds=7200)
    c = resp["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and len(c["AccessKeyId"]) == 20, c
    assert resp["AssumedRoleUser"]["Arn"] == "arn:aws:sts::%s:assumed-role/reader/s1" % ACCT, resp
    assert resp["AssumedRoleUser"]["AssumedRoleId"] == r["RoleId"] + ":s1", resp
    sess = creds_of(c)
    ident = client("sts", sess).get_caller_identity()
    assert ident["Arn"] == "arn:aws:sts::%s:assumed-role/reader/s1" % ACCT, ident
    assert ident["UserId"] == r["RoleId"] + ":s1", ident
    s3s = client("s3", sess, "ap-southeast-2")
    assert s3s.get_object(Bucket="sts-demo", Key="private/b.txt")["Body"].read() == b"b"
    expect("AccessDenied", s3s.put_object, Bucket="sts-demo", Key="x", Body=b"x",
           contains='User: arn:aws:sts::%s:assumed-role/reader/s1 is not authorized to perform: s3:PutObject on '
                    'resource: "arn:aws:s3:::sts-demo/x" because no identity-based policy allows the s3:PutObject '
                    'action' % ACCT)
    expect("AccessDenied", client("iam", sess).list_users,
           contains="arn:aws:sts::%s:assumed-role/reader/s1 is not authorized to perform: iam:ListUsers" % ACCT)
    ok("AssumeRole (trust names the account, identity policy allows): ASIA key works with the role's policies")

    with open(out_file, "w") as f:
        json.dump({"AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"],
                   "SessionToken": c["SessionToken"]}, f)

    # Session policy narrows the role.
    pol = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::sts-demo/public/*"}]})
    c2 = sts_alice.assume_role(RoleArn="arn:aws:iam::%s:role/reader" % ACCT, RoleSessionName="narrow",
                               Policy=pol)["Credentials"]
    s3n = client("s3", creds_of(c2))
    assert s3n.get_object(Bucket="sts-demo", Key="public/a.txt")["Body"].read() == b"a"
    expect("AccessDenied", s3n.get_object, Bucket="sts-demo", Key="private/b.txt", contains="session policy")
    ok("a session policy narrows the role's permissions")

    # Who may assume what.
    expect("AccessDenied", client("sts", carol).assume_role,
           RoleArn="arn:aws:iam::%s:role/reader" % ACCT, RoleSessionName="carol-s",
           contains="because no identity-based policy allows the sts:AssumeRole action")
    c3 = sts_alice.assume_role(RoleArn="arn:aws:iam::%s:role/alice-writer" % ACCT, RoleSessionName="writer")["Credentials"]
    client("s3", creds_of(c3)).put_object(Bucket="sts-demo", Key="by-role.txt", Body=b"w")
    expect("AccessDenied", sts_alice.assume_role, RoleArn="arn:aws:iam::%s:role/bob-only" % ACCT,
           RoleSessionName="bob-s", contains="because no resource-based policy allows the sts:AssumeRole action")
    expect("AccessDenied", sts_alice.assume_role, RoleArn="arn:aws:iam::%s:role/none" % ACCT, RoleSessionName="none-s")
    expect("AccessDenied", client("sts", ROOT).assume_role, RoleArn="arn:aws:iam::%s:role/reader" % ACCT,
           RoleSessionName="root-s", contains="Roles may not be assumed by root accounts.")
    ok("trust naming the account needs an identity allow (carol refused); trust naming alice admits her "
       "directly; a trust not naming the caller, a missing role and the root user are refused")

    expect("ValidationError", sts_alice.assume_role, RoleArn="arn:aws:iam::%s:role/reader" % ACCT,
           RoleSessionName="long", DurationSeconds=7201, contains="MaxSessionDuration")
    expect("ValidationError", sts_alice.assume_role, RoleArn="arn:aws:iam::%s:role/reader" % ACCT,
           RoleSessionName="x y")
    expect("MalformedPolicyDocument", sts_alice.assume_role, RoleArn="arn:aws:iam::%s:role/reader" % ACCT,
           RoleSessionName="bad", Policy="{nope")
    ok("DurationSeconds above MaxSessionDuration, a bad session name, a malformed session policy")

    # Temporary credentials need their token.
    notoken = dict(sess)
    del notoken["aws_session_token"]
    expect("InvalidAccessKeyId", client("s3", notoken).list_objects_v2, Bucket="sts-demo")
    expect("InvalidClientTokenId", client("sts", notoken).get_caller_identity)
    wrong = dict(sess)
    wrong["aws_session_token"] = sess["aws_session_token"][:-4] + "AAAA"
    expect("InvalidToken", client("s3", wrong).list_objects_v2, Bucket="sts-demo")
    ok("session credentials without (or with a wrong) session token are refused")

    # GetSessionToken: the user's own permissions, no IAM without MFA.
    gst = client("sts", alice).get_session_token(DurationSeconds=900)["Credentials"]
    tmp = creds_of(gst)
    assert client("sts", tmp).get_caller_identity()["Arn"] == "arn:aws:iam::%s:user/alice" % ACCT
    client("s3", tmp).get_object(Bucket="sts-demo", Key="public/a.txt")
    expect("InvalidClientTokenId", client("iam", tmp).get_user)
    expect("AccessDenied", client("sts", sess).get_session_token, contains="session credentials")
    ok("GetSessionToken: temporary credentials with the user's permissions; not for IAM; not from a session")

    # Role changes apply to live sessions at once; deleting the role leaves them nothing.
    iam.detach_role_policy(RoleName="reader", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    expect("AccessDenied", s3s.get_object, Bucket="sts-demo", Key="public/a.txt")
    iam.attach_role_policy(RoleName="reader", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    s3s.get_object(Bucket="sts-demo", Key="public/a.txt")
    ok("the role's policy changes apply to its live sessions at the next request")


def expired(cred_file):
    with open(cred_file) as f:
        c = json.load(f)
    sess = creds_of(c)
    expect("ExpiredToken", client("s3", sess).list_objects_v2, Bucket="sts-demo")
    expect("ExpiredToken", client("sts", sess).get_caller_identity)
    ok("after its expiry the session is refused: ExpiredToken (S3 and STS)")


if __name__ == "__main__":
    if sys.argv[1] == "setup-and-use":
        setup_and_use(sys.argv[2])
    else:
        expired(sys.argv[2])
    print("# 402-sts.py %s: %d checks passed" % (sys.argv[1], checks))
