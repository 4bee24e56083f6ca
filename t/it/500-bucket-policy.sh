#!/bin/bash
# 500-bucket-policy: bucket policies with AWS CLI v1, v2 and boto3 (500-bucket-policy.py) against an
# s3iamd hosting two accounts.  A policy grants an IAM user of the owner account (no identity
# policy needed) and another account (whose users also need an identity Allow), its removal takes
# effect at the next request; an explicit Deny in the bucket policy beats an identity Allow; the
# owner's root user is denied by a Deny but keeps Get/Put/DeleteBucketPolicy (lockout exception),
# another account may never call those three (405); MalformedPolicy for invalid JSON (line and
# column), a Resource in another bucket, an unknown action, invalid principals, no Principal;
# GetBucketPolicyStatus; a policy survives a restart and dies with its bucket.
. "$(dirname "$0")/../lib/server.sh"

need_boto3
B_ACCT=444455556666
B_KEY=AKIABBBBBBBBBBBBBBBB
B_SECRET=secret-of-account-b
start_server --extra-accounts "$B_ACCT:$B_KEY:$B_SECRET"
ACCT=000000000000
P=$T_TMP/p
mkdir -p "$P"
export B_ACCT B_KEY B_SECRET

# as KEYFILE CMD...: run CMD with the access key saved by create-access-key in KEYFILE.
as() {
	local f=$1
	shift
	AWS_ACCESS_KEY_ID=$(json_get "$f" 'd["AccessKey"]["AccessKeyId"]') \
		AWS_SECRET_ACCESS_KEY=$(json_get "$f" 'd["AccessKey"]["SecretAccessKey"]') "$@"
}
# asb CMD...: run CMD as the root user of account B.
asb() { AWS_ACCESS_KEY_ID=$B_KEY AWS_SECRET_ACCESS_KEY=$B_SECRET "$@"; }
# policy FILE JSON: write a policy document.
policy() { printf '%s\n' "$2" >"$1"; }
# err_of: the last expect_error's stderr.
err_of() { cat "$T_TMP/expect.err"; }

# ---------------------------------------------------------------- set-up
aws1 s3 mb s3://pol-demo >/dev/null
printf 'shared bytes\n' >"$P/a.txt"
aws1 s3 cp "$P/a.txt" s3://pol-demo/shared/a.txt >/dev/null
aws2 s3 cp "$P/a.txt" s3://pol-demo/private/p.txt >/dev/null
aws1 iam create-user --user-name carol >/dev/null
aws1 iam create-access-key --user-name carol --output json >"$P/carol.json"
aws2 iam create-user --user-name erin >/dev/null
aws2 iam put-user-policy --user-name erin --policy-name all-s3 \
	--policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
aws2 iam create-access-key --user-name erin --output json >"$P/erin.json"
out=$(asb aws1 sts get-caller-identity --output json)
assert_eq "arn:aws:iam::$B_ACCT:root" "$(printf '%s' "$out" | json_get - 'd["Arn"]')" "account B root"
asb aws2 iam create-user --user-name dave >/dev/null
asb aws2 iam create-access-key --user-name dave --output json >"$P/dave.json"
out=$(as "$P/dave.json" aws1 sts get-caller-identity --output json)
assert_eq "arn:aws:iam::$B_ACCT:user/dave" "$(printf '%s' "$out" | json_get - 'd["Arn"]')" "dave is in account B"
ok "two accounts: users carol, erin in $ACCT, dave in $B_ACCT (created by B's root)"

# ---------------------------------------------------------------- before any policy
expect_error NoSuchBucketPolicy aws1 s3api get-bucket-policy --bucket pol-demo
expect_error NoSuchBucketPolicy aws2 s3api get-bucket-policy-status --bucket pol-demo
expect_error AccessDenied as "$P/carol.json" aws1 s3api get-object --bucket pol-demo --key shared/a.txt "$P/o"
assert_contains "$(err_of)" "because no identity-based policy allows the s3:GetObject action" "carol: implicit deny"
expect_error 403 asb aws2 s3api head-object --bucket pol-demo --key shared/a.txt
expect_error AccessDenied asb aws1 s3api get-object --bucket pol-demo --key shared/a.txt "$P/o"
assert_not_contains "$(err_of)" "is not authorized" "a cross-account caller is told only 'Access Denied'"
ok "no policy: NoSuchBucketPolicy; carol and account B denied (B gets a bare Access Denied)"

# ---------------------------------------------------------------- a grant to a user and an account
policy "$P/grant.json" '{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "CarolReadsShared",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::'"$ACCT"':user/carol"},
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::pol-demo", "arn:aws:s3:::pol-demo/shared/*"]
    },
    {
      "Sid": "AccountBReads",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::'"$B_ACCT"':root"},
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::pol-demo", "arn:aws:s3:::pol-demo/*"]
    }
  ]
}'
aws1 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/grant.json"
out=$(aws2 s3api get-bucket-policy --bucket pol-demo --output json)
assert_eq CarolReadsShared "$(printf '%s' "$out" | json_get - 'json.loads(d["Policy"])["Statement"][0]["Sid"]')" \
	"policy read back"
out=$(aws1 s3api get-bucket-policy-status --bucket pol-demo --output json)
assert_eq False "$(printf '%s' "$out" | json_get - 'd["PolicyStatus"]["IsPublic"]')" "grants to fixed principals are not public"
ok "put-bucket-policy (v1), get-bucket-policy (v2), get-bucket-policy-status IsPublic=false (v1)"

as "$P/carol.json" aws1 s3 cp s3://pol-demo/shared/a.txt "$P/got1" >/dev/null
assert_same_file "$P/a.txt" "$P/got1"
as "$P/carol.json" aws2 s3api get-object --bucket pol-demo --key shared/a.txt "$P/got2" >/dev/null
assert_same_file "$P/a.txt" "$P/got2"
out=$(as "$P/carol.json" aws2 s3 ls s3://pol-demo/shared/)
assert_contains "$out" "a.txt" "carol lists"
expect_error AccessDenied as "$P/carol.json" aws1 s3api get-object --bucket pol-demo --key private/p.txt "$P/o"
expect_error AccessDenied as "$P/carol.json" aws2 s3 cp "$P/a.txt" s3://pol-demo/shared/new.txt
ok "carol (same account, no identity policy): the bucket policy alone lets her read shared/* (v1, v2), nothing else"

asb aws1 s3 cp s3://pol-demo/private/p.txt "$P/got3" >/dev/null
assert_same_file "$P/a.txt" "$P/got3"
out=$(asb aws2 s3api list-objects-v2 --bucket pol-demo --query 'Contents[].Key' --output text)
assert_eq "private/p.txt	shared/a.txt" "$out" "B's root lists"
expect_error AccessDenied asb aws1 s3 cp "$P/a.txt" s3://pol-demo/b-wrote.txt
ok "account B's root: reads and lists through the account grant (v1, v2), may not write"

expect_error AccessDenied as "$P/dave.json" aws2 s3api get-object --bucket pol-demo --key shared/a.txt "$P/o"
asb aws1 iam put-user-policy --user-name dave --policy-name read-pol-demo --policy-document \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-demo/*"}]}'
as "$P/dave.json" aws2 s3api get-object --bucket pol-demo --key shared/a.txt "$P/got4" >/dev/null
assert_same_file "$P/a.txt" "$P/got4"
expect_error AccessDenied as "$P/dave.json" aws1 s3api list-objects-v2 --bucket pol-demo
ok "dave (account B): needs both sides: denied until B gives him an identity Allow, then reads; no ListBucket of his own"

# Removal takes effect at the next request.
aws2 s3api delete-bucket-policy --bucket pol-demo
expect_error AccessDenied as "$P/carol.json" aws1 s3api get-object --bucket pol-demo --key shared/a.txt "$P/o"
expect_error AccessDenied asb aws2 s3api get-object --bucket pol-demo --key private/p.txt "$P/o"
expect_error AccessDenied as "$P/dave.json" aws1 s3api get-object --bucket pol-demo --key shared/a.txt "$P/o"
expect_error NoSuchBucketPolicy aws1 s3api get-bucket-policy --bucket pol-demo
aws1 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/grant.json"
as "$P/carol.json" aws1 s3 cp s3://pol-demo/shared/a.txt "$P/got5" >/dev/null
ok "delete-bucket-policy revokes carol, B's root and dave at the next request; putting it back restores them"

# ---------------------------------------------------------------- explicit Deny beats an identity Allow
policy "$P/deny.json" '{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "NoWritesToLocked",
      "Effect": "Deny",
      "Principal": {"AWS": "arn:aws:iam::'"$ACCT"':user/erin"},
      "Action": ["s3:PutObject", "s3:DeleteObject"],
      "Resource": "arn:aws:s3:::pol-demo/locked/*"
    }
  ]
}'
as "$P/erin.json" aws1 s3 cp "$P/a.txt" s3://pol-demo/locked/x.txt >/dev/null
aws2 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/deny.json"
expect_error AccessDenied as "$P/erin.json" aws1 s3 cp "$P/a.txt" s3://pol-demo/locked/y.txt
assert_contains "$(err_of)" "with an explicit deny in a resource-based policy" "explicit deny reason"
expect_error AccessDenied as "$P/erin.json" aws2 s3 rm s3://pol-demo/locked/x.txt
assert_contains "$(err_of)" "NoWritesToLocked" "the deciding statement is named"
dbg=$(as "$P/erin.json" aws1 s3api put-object --bucket pol-demo --key locked/z.txt --body "$P/a.txt" --debug 2>&1 || true)
assert_contains "$dbg" "x-s3iam-decision" "decision header present"
assert_contains "$dbg" "ExplicitDeny; denied-by=bucket policy of pol-demo#NoWritesToLocked" "decision header names the Deny"
as "$P/erin.json" aws2 s3 cp "$P/a.txt" s3://pol-demo/open/x.txt >/dev/null
as "$P/erin.json" aws1 s3 cp s3://pol-demo/locked/x.txt "$P/got6" >/dev/null
ok "erin (s3:* on *): the bucket policy's Deny on locked/* wins (reason and statement named), other keys still work"

# ---------------------------------------------------------------- the root user and the lockout exception
policy "$P/deny-all.json" '{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyEveryone",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::pol-demo", "arn:aws:s3:::pol-demo/*"]
    }
  ]
}'
aws1 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/deny-all.json"
expect_error AccessDenied aws1 s3api get-object --bucket pol-demo --key shared/a.txt "$P/o"
expect_error AccessDenied aws2 s3 cp "$P/a.txt" s3://pol-demo/root.txt
expect_error AccessDenied aws1 s3api list-objects-v2 --bucket pol-demo
expect_error AccessDenied aws2 s3api put-bucket-versioning --bucket pol-demo --versioning-configuration Status=Enabled
ok "a bucket-policy Deny applies to the owner's root user too (Get, Put, List, PutBucketVersioning)"
out=$(aws2 s3api get-bucket-policy --bucket pol-demo --output json)
assert_contains "$out" "DenyEveryone" "root reads the policy that denies it"
aws1 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/deny-all.json"
expect_error AccessDenied as "$P/erin.json" aws1 s3api get-bucket-policy --bucket pol-demo
expect_error AccessDenied as "$P/erin.json" aws2 s3api delete-bucket-policy --bucket pol-demo
aws2 s3api delete-bucket-policy --bucket pol-demo
aws1 s3 cp s3://pol-demo/shared/a.txt "$P/got7" >/dev/null
assert_same_file "$P/a.txt" "$P/got7"
ok "lockout exception: root still gets, puts and deletes the policy (v1, v2); erin (s3:*) does not"

# Another account may never call the three policy operations on the bucket, even when granted:
# 405 MethodNotAllowed (API reference, Permissions of PutBucketPolicy).
policy "$P/grant-b-policy.json" '{"Version":"2012-10-17","Statement":[{"Sid":"BReadsPolicy","Effect":"Allow",
 "Principal":{"AWS":"'"$B_ACCT"'"},"Action":["s3:GetBucketPolicy","s3:PutBucketPolicy"],"Resource":"arn:aws:s3:::pol-demo"}]}'
aws1 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/grant-b-policy.json"
cross_account_get() {
	expect_error MethodNotAllowed asb aws2 s3api get-bucket-policy --bucket pol-demo
	assert_not_contains "$(cat "$T_TMP/expect.out")" "BReadsPolicy" "the policy text was not sent to account B"
}
cross_account_put() {
	expect_error MethodNotAllowed asb aws1 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/deny-all.json"
	out=$(aws1 s3api get-bucket-policy --bucket pol-demo --query Policy --output text)
	assert_contains "$out" "BReadsPolicy" "account B must not have replaced the owner's policy"
}
cross_account_get
ok "another account granted s3:GetBucketPolicy gets 405 MethodNotAllowed (v2)"
cross_account_put
ok "another account granted s3:PutBucketPolicy gets 405 MethodNotAllowed, the policy unchanged (v1)"
expect_error AccessDenied asb aws2 s3api delete-bucket-policy --bucket pol-demo
aws1 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/grant-b-policy.json"

# ---------------------------------------------------------------- MalformedPolicy
printf '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow"\n      "Principal": "*",\n      "Action": "s3:GetObject",\n      "Resource": "arn:aws:s3:::pol-demo/*"\n    }\n  ]\n}\n' \
	>"$P/bad-json.json"
expect_error MalformedPolicy aws1 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/bad-json.json"
assert_contains "$(err_of)" "This policy contains invalid Json" "invalid JSON message"
assert_contains "$(err_of)" "line 6, column" "invalid JSON: line"
expect_error MalformedPolicy aws2 s3api put-bucket-policy --bucket pol-demo --policy '{"Version":"2012-10-17","Statement":['
ok "invalid JSON: MalformedPolicy 'This policy contains invalid Json' with line and column (v1, v2)"

expect_error MalformedPolicy aws2 s3api put-bucket-policy --bucket pol-demo --policy '{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"'"$B_ACCT"'"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::other-bucket/*"}]}'
assert_contains "$(err_of)" "Policy has invalid resource" "resource message"
expect_error MalformedPolicy aws1 s3api put-bucket-policy --bucket pol-demo --policy '{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"'"$B_ACCT"'"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-demo-other/*"}]}'
assert_contains "$(err_of)" "Policy has invalid resource" "a bucket whose name starts like this one is another bucket"
expect_error MalformedPolicy aws1 s3api put-bucket-policy --bucket pol-demo --policy '{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"'"$B_ACCT"'"},"Action":"s3:CopyObject","Resource":"arn:aws:s3:::pol-demo/*"}]}'
assert_contains "$(err_of)" "Policy has invalid action" "action message"
expect_error MalformedPolicy aws2 s3api put-bucket-policy --bucket pol-demo --policy '{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"'"$B_ACCT"'"},"Action":"s3:GetObjects","Resource":"arn:aws:s3:::pol-demo/*"}]}'
assert_contains "$(err_of)" "Policy has invalid action" "a misspelt action"
ok "MalformedPolicy: Resource in another bucket, unknown actions s3:CopyObject / s3:GetObjects"

expect_error MalformedPolicy aws1 s3api put-bucket-policy --bucket pol-demo --policy '{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-demo/*"}]}'
assert_contains "$(err_of)" "Invalid principal in policy" "principal message"
expect_error MalformedPolicy aws2 s3api put-bucket-policy --bucket pol-demo --policy '{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-demo/*"}]}'
assert_contains "$(err_of)" "Invalid principal in policy" "a wildcard inside a principal ARN"
expect_error MalformedPolicy aws1 s3api put-bucket-policy --bucket pol-demo --policy '{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-demo/*"}]}'
assert_contains "$(err_of)" "Missing required field Principal" "no Principal"
out=$(aws2 s3api get-bucket-policy --bucket pol-demo --query Policy --output text)
assert_contains "$out" "BReadsPolicy" "a refused put leaves the old policy"
ok "MalformedPolicy: principal 'bob', arn:aws:iam::*:root, no Principal at all; the old policy stays in force"
# A principal whose account id is not 12 digits, and a user that does not exist in the owner's
# account: S3 resolves the principals of a bucket policy and refuses both.
expect_error MalformedPolicy aws2 s3api put-bucket-policy --bucket pol-demo --policy '{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::44445555:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-demo/*"}]}'
assert_contains "$(err_of)" "Invalid principal in policy" "8-digit account"
expect_error MalformedPolicy aws1 s3api put-bucket-policy --bucket pol-demo --policy '{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'"$ACCT"':user/nosuch"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-demo/*"}]}'
assert_contains "$(err_of)" "Invalid principal in policy" "a user that does not exist"
out=$(aws2 s3api get-bucket-policy --bucket pol-demo --query Policy --output text)
assert_contains "$out" "BReadsPolicy" "the refused puts left the old policy"
ok "MalformedPolicy 'Invalid principal in policy': arn:aws:iam::44445555:root (8-digit account), user/nosuch (no such user)"
expect_error NoSuchBucket aws1 s3api put-bucket-policy --bucket no-such-bucket-here --policy "file://$P/grant.json"
ok "NoSuchBucket for the policy of a missing bucket"

# ---------------------------------------------------------------- GetBucketPolicyStatus
aws1 s3api put-public-access-block --bucket pol-demo --public-access-block-configuration \
	BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false
policy "$P/public.json" '{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",
 "Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-demo/shared/*"}]}'
aws2 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/public.json"
out=$(aws2 s3api get-bucket-policy-status --bucket pol-demo --output json)
assert_eq True "$(printf '%s' "$out" | json_get - 'd["PolicyStatus"]["IsPublic"]')" "Principal * is public"
policy "$P/ip.json" '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
 "Resource":"arn:aws:s3:::pol-demo/*","Condition":{"IpAddress":{"aws:SourceIp":"10.1.2.0/24"}}}]}'
aws1 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/ip.json"
out=$(aws1 s3api get-bucket-policy-status --bucket pol-demo --output json)
assert_eq False "$(printf '%s' "$out" | json_get - 'd["PolicyStatus"]["IsPublic"]')" "* limited to a /24 is not public"
policy "$P/ip8.json" '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
 "Resource":"arn:aws:s3:::pol-demo/*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}}]}'
aws2 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/ip8.json"
out=$(aws2 s3api get-bucket-policy-status --bucket pol-demo --output json)
assert_eq True "$(printf '%s' "$out" | json_get - 'd["PolicyStatus"]["IsPublic"]')" "* limited to a /1 is public"
policy "$P/deleg.json" '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*",
 "Resource":["arn:aws:s3:::pol-demo","arn:aws:s3:::pol-demo/*"],
 "Condition":{"StringEquals":{"s3:DataAccessPointAccount":"'"$ACCT"'"}}}]}'
aws1 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/deleg.json"
out=$(aws1 s3api get-bucket-policy-status --bucket pol-demo --output json)
assert_eq False "$(printf '%s' "$out" | json_get - 'd["PolicyStatus"]["IsPublic"]')" "access point delegation is not public"
ok "GetBucketPolicyStatus: Principal * public; * with a /24 SourceIp or the delegation condition not public; /1 public"

# ---------------------------------------------------------------- boto3
aws2 s3api delete-bucket-policy --bucket pol-demo
py "$SRCDIR/t/it/500-bucket-policy.py" "$P/carol.json" "$P/dave.json"
ok "boto3: 500-bucket-policy.py passed"

# ---------------------------------------------------------------- restart; a policy dies with its bucket
aws1 s3api put-bucket-policy --bucket pol-demo --policy "file://$P/grant.json"
restart_server
as "$P/carol.json" aws2 s3 cp s3://pol-demo/shared/a.txt "$P/got8" >/dev/null
assert_same_file "$P/a.txt" "$P/got8"
asb aws1 s3 cp s3://pol-demo/private/p.txt "$P/got9" >/dev/null
ok "the bucket policy survives a restart"

aws1 s3 mb s3://pol-gone >/dev/null
aws1 s3api put-bucket-policy --bucket pol-gone --policy "$(sed 's/pol-demo/pol-gone/g' "$P/grant.json")"
as "$P/carol.json" aws1 s3api list-objects-v2 --bucket pol-gone >/dev/null
aws2 s3 rb s3://pol-gone >/dev/null
aws1 s3 mb s3://pol-gone >/dev/null
expect_error NoSuchBucketPolicy aws2 s3api get-bucket-policy --bucket pol-gone
expect_error AccessDenied as "$P/carol.json" aws1 s3api list-objects-v2 --bucket pol-gone
ok "a bucket deleted and created again is not governed by the old bucket's policy (carol denied)"
restart_server
expect_error AccessDenied as "$P/carol.json" aws1 s3api list-objects-v2 --bucket pol-gone
ok "after a restart the recreated bucket has no policy in force either"
