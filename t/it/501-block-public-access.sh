#!/bin/bash
# 501-block-public-access: Block Public Access and Object Ownership with AWS CLI v1, v2, boto3
# (501-block-public-access.py) and anonymous curl.  New buckets start with all four settings on;
# BlockPublicPolicy refuses a public bucket policy with 403 until it is turned off; an anonymous
# GET works only with a public policy and RestrictPublicBuckets off (which also cuts off other
# accounts granted by a public policy); the account-level configuration (aws s3control
# put-public-access-block, ACCOUNT.localhost) overrides a bucket without one; MalformedXML for bad
# values; ACLs disabled: owner-full-control ACLs, AccessControlListNotSupported for the others.
. "$(dirname "$0")/../lib/server.sh"

need_boto3
B_ACCT=444455556666
B_KEY=AKIABBBBBBBBBBBBBBBB
B_SECRET=secret-of-account-b
# localhost: S3 Control is addressed as ACCOUNT.localhost:PORT by every client.
start_server --localhost --extra-accounts "$B_ACCT:$B_KEY:$B_SECRET"
ACCT=000000000000
getent hosts "$ACCT.localhost" >/dev/null || fail "$ACCT.localhost does not resolve (libnss-myhostname, docs/hostnames.md)"
P=$T_TMP/p
mkdir -p "$P"
asb() { AWS_ACCESS_KEY_ID=$B_KEY AWS_SECRET_ACCESS_KEY=$B_SECRET "$@"; }
err_of() { cat "$T_TMP/expect.err"; }
# anon_get BUCKET KEY: HTTP status of an unsigned GET (body in $T_TMP/http.body).
anon_get() { http_status "$ENDPOINT/$1/$2"; }
bpa() { # bpa CLI BUCKET BlockPublicAcls IgnorePublicAcls BlockPublicPolicy RestrictPublicBuckets
	"$1" s3api put-public-access-block --bucket "$2" --public-access-block-configuration \
		"BlockPublicAcls=$3,IgnorePublicAcls=$4,BlockPublicPolicy=$5,RestrictPublicBuckets=$6"
}

aws1 s3 mb s3://bpa-demo >/dev/null
aws2 s3 mb s3://bpa-other >/dev/null
printf 'public bytes %s\n' "$RANDOM" >"$P/pub.txt"
printf 'private bytes\n' >"$P/priv.txt"
aws1 s3 cp "$P/pub.txt" s3://bpa-demo/public/index.txt >/dev/null
aws2 s3 cp "$P/priv.txt" s3://bpa-demo/private/secret.txt >/dev/null
aws1 s3 cp "$P/pub.txt" s3://bpa-other/public/index.txt >/dev/null

# ---------------------------------------------------------------- defaults
for cli in aws1 aws2; do
	out=$($cli s3api get-public-access-block --bucket bpa-demo --output json)
	assert_eq "True True True True" "$(printf '%s' "$out" | json_get - '" ".join(str(d["PublicAccessBlockConfiguration"][k]) for k in ("BlockPublicAcls","IgnorePublicAcls","BlockPublicPolicy","RestrictPublicBuckets"))')" \
		"new bucket BPA ($cli)"
done
expect_error NoSuchPublicAccessBlockConfiguration aws1 s3control get-public-access-block --account-id "$ACCT"
ok "a new bucket has all four BPA settings on (v1, v2); the account has no configuration (404)"

out=$(aws1 s3api get-bucket-acl --bucket bpa-demo --output json)
assert_eq 1 "$(printf '%s' "$out" | json_get - 'len(d["Grants"])')" "one grant"
assert_eq FULL_CONTROL "$(printf '%s' "$out" | json_get - 'd["Grants"][0]["Permission"]')" "permission"
assert_eq CanonicalUser "$(printf '%s' "$out" | json_get - 'd["Grants"][0]["Grantee"]["Type"]')" "grantee type"
assert_eq "$(printf '%s' "$out" | json_get - 'd["Owner"]["ID"]')" \
	"$(printf '%s' "$out" | json_get - 'd["Grants"][0]["Grantee"]["ID"]')" "the grantee is the owner"
out2=$(aws2 s3api get-object-acl --bucket bpa-demo --key public/index.txt --output json)
assert_eq "$(printf '%s' "$out" | json_get - 'd["Owner"]["ID"]')" "$(printf '%s' "$out2" | json_get - 'd["Owner"]["ID"]')" \
	"the bucket owner owns the object"
assert_eq FULL_CONTROL "$(printf '%s' "$out2" | json_get - '",".join(g["Permission"] for g in d["Grants"])')" "object ACL"
out=$(aws1 s3api get-bucket-ownership-controls --bucket bpa-demo --output json)
assert_eq BucketOwnerEnforced "$(printf '%s' "$out" | json_get - 'd["OwnershipControls"]["Rules"][0]["ObjectOwnership"]')" \
	"object ownership"
ok "ACLs disabled (BucketOwnerEnforced): GetBucketAcl (v1) / GetObjectAcl (v2) answer owner FULL_CONTROL only"

expect_error AccessControlListNotSupported aws1 s3api put-object --bucket bpa-demo --key acl/x.txt --body "$P/pub.txt" --acl public-read
expect_error AccessControlListNotSupported aws2 s3 cp "$P/pub.txt" s3://bpa-demo/acl/y.txt --acl public-read
expect_error AccessControlListNotSupported aws2 s3api put-object --bucket bpa-demo --key acl/z.txt --body "$P/pub.txt" \
	--grant-read uri=http://acs.amazonaws.com/groups/global/AllUsers
expect_error AccessControlListNotSupported aws1 s3api create-multipart-upload --bucket bpa-demo --key acl/m.bin --acl authenticated-read
expect_error 404 aws1 s3api head-object --bucket bpa-demo --key acl/x.txt
aws1 s3api put-object --bucket bpa-demo --key acl/owner.txt --body "$P/pub.txt" --acl bucket-owner-full-control >/dev/null
aws2 s3 cp "$P/pub.txt" s3://bpa-demo/acl/private.txt --acl private >/dev/null
ok "PutObject / s3 cp / CreateMultipartUpload with a public ACL or grant: AccessControlListNotSupported; private and bucket-owner-full-control accepted"
expect_error AccessControlListNotSupported aws1 s3api put-bucket-acl --bucket bpa-demo --acl public-read
ok "put-bucket-acl --acl public-read answers AccessControlListNotSupported"
expect_error InvalidBucketAclWithObjectOwnership aws1 s3api create-bucket --bucket bpa-acl --acl public-read
ok "create-bucket --acl public-read answers InvalidBucketAclWithObjectOwnership (400)"
expect_error 404 aws2 s3api head-bucket --bucket bpa-acl

# ---------------------------------------------------------------- BlockPublicPolicy
cat >"$P/public.json" <<'EOF'
{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "PublicReadIndex", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::bpa-demo/public/*"},
    {"Sid": "AccountBReadsPrivate", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bpa-demo/private/*"}
  ]
}
EOF
assert_eq 403 "$(anon_get bpa-demo public/index.txt)" "anonymous GET before any policy"
expect_error AccessDenied aws1 s3api put-bucket-policy --bucket bpa-demo --policy "file://$P/public.json"
expect_error AccessDenied aws2 s3api put-bucket-policy --bucket bpa-demo --policy "file://$P/public.json"
expect_error NoSuchBucketPolicy aws1 s3api get-bucket-policy --bucket bpa-demo
ok "BlockPublicPolicy on: a public policy is refused with 403 AccessDenied (v1, v2) and not stored"

bpa aws2 bpa-demo true true false true
aws1 s3api put-bucket-policy --bucket bpa-demo --policy "file://$P/public.json"
out=$(aws2 s3api get-bucket-policy-status --bucket bpa-demo --output json)
assert_eq True "$(printf '%s' "$out" | json_get - 'd["PolicyStatus"]["IsPublic"]')" "IsPublic"
ok "with BlockPublicPolicy off the same policy is accepted; GetBucketPolicyStatus IsPublic=true"

# RestrictPublicBuckets still on: only the owner account's principals may use the public policy.
assert_eq 403 "$(anon_get bpa-demo public/index.txt)" "RestrictPublicBuckets blocks anonymous"
ok "RestrictPublicBuckets on (bucket): an anonymous GET allowed by the public policy is 403"
expect_error AccessDenied asb aws1 s3api get-object --bucket bpa-demo --key private/secret.txt "$P/o"
ok "RestrictPublicBuckets on (bucket): account B's grant inside the public policy is blocked too"
aws2 s3 cp s3://bpa-demo/public/index.txt "$P/got0" >/dev/null
assert_same_file "$P/pub.txt" "$P/got0" "the owner reads"
ok "RestrictPublicBuckets on: the owner account still reads"

bpa aws1 bpa-demo true true false false
assert_eq 200 "$(anon_get bpa-demo public/index.txt)" "anonymous GET with a public policy and BPA off"
assert_same_file "$P/pub.txt" "$T_TMP/http.body" "anonymous bytes"
assert_eq 403 "$(anon_get bpa-demo private/secret.txt)" "a key the public statement does not cover"
assert_eq 403 "$(http_status "$ENDPOINT/bpa-demo?list-type=2")" "anonymous list"
assert_eq 403 "$(http_status "$ENDPOINT/bpa-demo/public/new.txt" -X PUT --data-binary @"$P/pub.txt")" "anonymous PUT"
expect_error 404 aws1 s3api head-object --bucket bpa-demo --key public/new.txt
assert_eq 403 "$(anon_get bpa-other public/index.txt)" "another bucket without a policy"
asb aws1 s3api get-object --bucket bpa-demo --key private/secret.txt "$P/got1" >/dev/null
assert_same_file "$P/priv.txt" "$P/got1" "account B reads through the policy"
ok "RestrictPublicBuckets off: curl GET 200 with the bytes; other keys, list, PUT, other buckets 403; account B reads"

bpa aws2 bpa-demo false false false true
assert_eq 403 "$(anon_get bpa-demo public/index.txt)" "RestrictPublicBuckets on again"
ok "RestrictPublicBuckets turned on again blocks the anonymous GET at the next request"
bpa aws2 bpa-demo false false false false
assert_eq 200 "$(anon_get bpa-demo public/index.txt)" "and off again"
ok "turning RestrictPublicBuckets off again: anonymous 200"

aws1 s3api delete-public-access-block --bucket bpa-demo
expect_error NoSuchPublicAccessBlockConfiguration aws2 s3api get-public-access-block --bucket bpa-demo
assert_eq 200 "$(anon_get bpa-demo public/index.txt)" "no BPA at all"
ok "delete-public-access-block: 404 NoSuchPublicAccessBlockConfiguration afterwards, the public policy still works"

# ---------------------------------------------------------------- account level (S3 Control)
aws1 s3control put-public-access-block --account-id "$ACCT" --public-access-block-configuration \
	BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=true
account_bpa_read() { # account_bpa_read CLI: the four settings as "True False ..."
	"$1" s3control get-public-access-block --account-id "$ACCT" --output json | json_get - \
		'" ".join(str(d["PublicAccessBlockConfiguration"].get(k)) for k in ("BlockPublicAcls","IgnorePublicAcls","BlockPublicPolicy","RestrictPublicBuckets"))'
}
assert_eq "False False False True" "$(account_bpa_read aws2)" "account BPA read back (v2)"
ok "s3control get-public-access-block (v2) reads back the account configuration"
assert_eq "False False False True" "$(account_bpa_read aws1)" "account BPA read back (v1)"
ok "s3control get-public-access-block (v1) reads back the account configuration"
expect_error NoSuchPublicAccessBlockConfiguration aws1 s3api get-public-access-block --bucket bpa-demo
assert_eq 403 "$(anon_get bpa-demo public/index.txt)" "account RestrictPublicBuckets"
ok "account RestrictPublicBuckets blocks the anonymous GET of a bucket without BPA"

aws2 s3control put-public-access-block --account-id "$ACCT" --public-access-block-configuration \
	BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=true,RestrictPublicBuckets=false
aws1 s3api delete-public-access-block --bucket bpa-other
expect_error AccessDenied aws1 s3api put-bucket-policy --bucket bpa-other --policy "$(sed 's/bpa-demo/bpa-other/g' "$P/public.json")"
expect_error NoSuchBucketPolicy aws2 s3api get-bucket-policy --bucket bpa-other
assert_eq 200 "$(anon_get bpa-demo public/index.txt)" "an existing public policy keeps working"
ok "account BlockPublicPolicy refuses a new public policy (403) even where the bucket has no BPA; existing ones unaffected"

expect_error AccessDenied aws1 s3control put-public-access-block --account-id "$B_ACCT" --public-access-block-configuration \
	BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
expect_error NoSuchPublicAccessBlockConfiguration asb aws2 s3control get-public-access-block --account-id "$B_ACCT"
aws1 s3control delete-public-access-block --account-id "$ACCT"
expect_error NoSuchPublicAccessBlockConfiguration aws2 s3control get-public-access-block --account-id "$ACCT"
aws2 s3api put-bucket-policy --bucket bpa-other --policy "$(sed 's/bpa-demo/bpa-other/g' "$P/public.json")"
assert_eq 200 "$(anon_get bpa-other public/index.txt)" "account BPA deleted"
ok "another account's configuration is not ours to set (AccessDenied); delete-public-access-block (account) restores"

# ---------------------------------------------------------------- bad XML, boto3
bpa aws1 bpa-other true true true true
aws1 s3api delete-bucket-policy --bucket bpa-other
py "$SRCDIR/t/it/501-block-public-access.py" bucket bpa-other
ok "501-block-public-access.py bucket (boto3, raw requests): every check passed"
py "$SRCDIR/t/it/501-block-public-access.py" account
ok "boto3 s3control get_public_access_block reads back the account configuration"
aws1 s3control delete-public-access-block --account-id "$ACCT"
expect_error NoSuchBucket aws2 s3api put-public-access-block --bucket no-such-bpa-bucket --public-access-block-configuration \
	BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
ok "PutPublicAccessBlock on a missing bucket: NoSuchBucket"

# ---------------------------------------------------------------- restart
bpa aws2 bpa-demo false false false true
restart_server
out=$(aws1 s3api get-public-access-block --bucket bpa-demo --output json)
assert_eq "False False False True" "$(printf '%s' "$out" | json_get - '" ".join(str(d["PublicAccessBlockConfiguration"][k]) for k in ("BlockPublicAcls","IgnorePublicAcls","BlockPublicPolicy","RestrictPublicBuckets"))')" \
	"BPA after restart"
ok "bucket BPA survives a restart"
assert_eq 403 "$(anon_get bpa-demo public/index.txt)" "still restricted after restart"
ok "RestrictPublicBuckets enforced after a restart"
