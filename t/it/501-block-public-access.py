"""501-block-public-access.py: Block Public Access checks through boto3 and hand-made requests
(t/lib/sign.py) against a running s3iamd (ENDPOINT, on localhost); called by
501-block-public-access.sh with a bucket name that exists and has no policy.

Phase "bucket NAME": PutPublicAccessBlock bodies with bad values (MalformedXML) change nothing,
missing elements mean false, the new-bucket defaults, HTTP 403 for a public policy under
BlockPublicPolicy.  Phase "account": the account-level configuration through boto3's S3 Control.
"""
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

import sign

E = os.environ["ENDPOINT"]
ACCT = "000000000000"
PHASE = sys.argv[1]
checks = 0


def ok(msg):
    global checks
    checks += 1
    print("ok - %s" % msg)


def check(cond, what):
    if not cond:
        sys.exit("FAIL: 501-block-public-access.py: %s" % what)


def expect(code, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, "expected %s, got %s: %s" % (code, got, e.response["Error"].get("Message")))
        return e.response
    sys.exit("FAIL: 501-block-public-access.py: expected %s, the call succeeded" % code)


NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def pab_xml(inner):
    return ("<PublicAccessBlockConfiguration %s>%s</PublicAccessBlockConfiguration>" % (NS, inner)).encode()


CFG = Config(retries={"max_attempts": 1})


def bucket_phase(bucket):
    """BUCKET exists, has all four settings on and no policy."""
    s3 = boto3.client("s3", endpoint_url=E, region_name="us-east-1", config=CFG)
    before = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    check(before == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                     "RestrictPublicBuckets": True}, "new bucket defaults: %r" % before)
    ok("boto3: a new bucket starts with all four BPA settings on")

    bad = [
        ("a value that is not true/false", pab_xml("<BlockPublicAcls>yes</BlockPublicAcls>")),
        ("an empty value", pab_xml("<BlockPublicPolicy></BlockPublicPolicy>")),
        ("a word", pab_xml("<RestrictPublicBuckets>maybe</RestrictPublicBuckets>")),
        ("the wrong root element", ("<PublicAccessBlock %s><BlockPublicAcls>false</BlockPublicAcls>"
                                    "</PublicAccessBlock>" % NS).encode()),
        ("XML that is not well-formed", pab_xml("<BlockPublicAcls>false</BlockPublicAcl>")),
        ("not XML at all", b"BlockPublicAcls=false"),
    ]
    for what, body in bad:
        r = sign.send("PUT", "/" + bucket, "publicAccessBlock", {"Content-Type": "application/xml"}, body)
        check(r.status == 400 and r.code == "MalformedXML", "%s: expected 400 MalformedXML, got %r" % (what, r))
    after = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    check(after == before, "a refused PutPublicAccessBlock changed the configuration: %r" % after)
    ok("PutPublicAccessBlock with bad values / bad XML: 400 MalformedXML (%d bodies), nothing changed" % len(bad))

    r = sign.send("PUT", "/" + bucket, "publicAccessBlock", {"Content-Type": "application/xml"},
                  pab_xml("<BlockPublicAcls>true</BlockPublicAcls><BlockPublicPolicy>false</BlockPublicPolicy>"))
    check(r.status == 200, "a partial configuration is accepted: %r" % r)
    got = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    check(got == {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                  "RestrictPublicBuckets": False}, "missing elements mean false: %r" % got)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=before)
    ok("a partial configuration: the elements left out are false")

    pol = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",' \
          '"Resource":"arn:aws:s3:::%s/*"}]}' % bucket
    r = expect("AccessDenied", s3.put_bucket_policy, Bucket=bucket, Policy=pol)
    check(r["ResponseMetadata"]["HTTPStatusCode"] == 403, "BlockPublicPolicy: HTTP 403: %r" % r["ResponseMetadata"])
    expect("NoSuchBucketPolicy", s3.get_bucket_policy, Bucket=bucket)
    s3.delete_public_access_block(Bucket=bucket)
    r = expect("NoSuchPublicAccessBlockConfiguration", s3.get_public_access_block, Bucket=bucket)
    check(r["ResponseMetadata"]["HTTPStatusCode"] == 404, "no BPA: HTTP 404")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=before)
    ok("boto3: a public policy under BlockPublicPolicy is HTTP 403 AccessDenied; a deleted configuration is 404")


def account_phase():
    """The account has no configuration; leaves one in place (RestrictPublicBuckets only)."""
    ctl = boto3.client("s3control", endpoint_url=E, region_name="us-east-1", config=CFG)
    expect("NoSuchPublicAccessBlockConfiguration", ctl.get_public_access_block, AccountId=ACCT)
    ctl.put_public_access_block(AccountId=ACCT, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": False})
    got = ctl.get_public_access_block(AccountId=ACCT)["PublicAccessBlockConfiguration"]
    check(got == {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
                  "RestrictPublicBuckets": False}, "account BPA read back: %r" % got)
    r = ctl.delete_public_access_block(AccountId=ACCT)
    check(r["ResponseMetadata"]["HTTPStatusCode"] in (200, 204), "delete: %r" % r["ResponseMetadata"])
    expect("NoSuchPublicAccessBlockConfiguration", ctl.get_public_access_block, AccountId=ACCT)
    ok("boto3 s3control: account BPA absent (404), put, read back, deleted")


if PHASE == "bucket":
    bucket_phase(sys.argv[2])
else:
    account_phase()
print("# 501-block-public-access.py %s: %d checks passed" % (PHASE, checks))
