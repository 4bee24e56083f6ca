#!/bin/bash
# 400-iam-users: IAM through AWS CLI v1 and v2 as the root user (groups, users, managed and
# inline policies, attachments, access keys), then each user's key against S3 getting exactly the
# allows and denies its policies say (AWS's AccessDenied message, x-s3iam-decision header),
# changes taking effect at the next request, inactive/deleted keys refused at once, AWS error
# codes for bad input (NoSuchEntity, EntityAlreadyExists, DeleteConflict, LimitExceeded,
# MalformedPolicyDocument with line and column), nothing half-created, and a restart keeping it all.
. "$(dirname "$0")/../lib/server.sh"

start_server
ACCT=000000000000
P=$T_TMP/p
mkdir -p "$P"

# as KEYFILE CMD...: run CMD with the access key saved by create-access-key in KEYFILE.
as() {
	local f=$1
	shift
	AWS_ACCESS_KEY_ID=$(json_get "$f" 'd["AccessKey"]["AccessKeyId"]') \
		AWS_SECRET_ACCESS_KEY=$(json_get "$f" 'd["AccessKey"]["SecretAccessKey"]') "$@"
}

# ---------------------------------------------------------------- setup as root
aws1 s3 mb s3://demo >/dev/null
printf 'hello\n' >"$P/f.txt"
aws1 s3 cp "$P/f.txt" s3://demo/shared/a.txt >/dev/null
aws1 s3 cp "$P/f.txt" s3://demo/home/alice/a.txt >/dev/null

cat >"$P/read.json" <<'EOF'
{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadDemo",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::demo", "arn:aws:s3:::demo/*"]
        },
        {
            "Sid": "OwnHome",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": "arn:aws:s3:::demo/home/${aws:username}/*"
        }
    ]
}
EOF
cat >"$P/deny-delete.json" <<'EOF'
{"Version": "2012-10-17", "Statement": [{"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}
EOF
cat >"$P/all-s3.json" <<'EOF'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
EOF

out=$(aws1 iam create-group --group-name readers --output json)
assert_eq "arn:aws:iam::$ACCT:group/readers" "$(printf '%s' "$out" | json_get - 'd["Group"]["Arn"]')" "group ARN"
out=$(aws2 iam create-user --user-name alice --path /staff/ --tags Key=team,Value=blue --output json)
assert_eq "arn:aws:iam::$ACCT:user/staff/alice" "$(printf '%s' "$out" | json_get - 'd["User"]["Arn"]')" "user ARN"
assert_contains "$(printf '%s' "$out" | json_get - 'd["User"]["UserId"]')" "AIDA" "user id"
aws1 iam create-user --user-name bob >/dev/null
aws1 iam add-user-to-group --group-name readers --user-name alice
aws2 iam add-user-to-group --group-name readers --user-name bob
out=$(aws2 iam get-group --group-name readers --output json)
assert_eq "alice bob" "$(printf '%s' "$out" | json_get - '" ".join(sorted(u["UserName"] for u in d["Users"]))')" "members"
out=$(aws1 iam list-groups-for-user --user-name alice --output json)
assert_eq readers "$(printf '%s' "$out" | json_get - 'd["Groups"][0]["GroupName"]')" "groups of alice"
ok "groups and users (paths, tags, membership) with v1 and v2"

out=$(aws1 iam create-policy --policy-name read-demo --policy-document "file://$P/read.json" --output json)
POL=$(printf '%s' "$out" | json_get - 'd["Policy"]["Arn"]')
assert_eq "arn:aws:iam::$ACCT:policy/read-demo" "$POL" "policy ARN"
aws2 iam attach-group-policy --group-name readers --policy-arn "$POL"
out=$(aws1 iam list-attached-group-policies --group-name readers --output json)
assert_eq read-demo "$(printf '%s' "$out" | json_get - 'd["AttachedPolicies"][0]["PolicyName"]')" "attached"
out=$(aws2 iam get-policy-version --policy-arn "$POL" --version-id v1 --output json)
assert_eq ReadDemo "$(printf '%s' "$out" | json_get - 'd["PolicyVersion"]["Document"]["Statement"][0]["Sid"]')" \
	"document comes back (URL-encoded on the wire, decoded by the CLI)"
out=$(aws1 iam list-entities-for-policy --policy-arn "$POL" --output json)
assert_eq readers "$(printf '%s' "$out" | json_get - 'd["PolicyGroups"][0]["GroupName"]')" "entities for policy"
out=$(aws2 iam get-policy --policy-arn "$POL" --output json)
assert_eq 1 "$(printf '%s' "$out" | json_get - 'd["Policy"]["AttachmentCount"]')" "attachment count"
ok "managed policy created, attached to the group, listed (v1, v2)"

aws1 iam put-user-policy --user-name bob --policy-name all-s3 --policy-document "file://$P/all-s3.json"
aws2 iam put-user-policy --user-name bob --policy-name no-deletes --policy-document "file://$P/deny-delete.json"
out=$(aws1 iam list-user-policies --user-name bob --output json)
assert_eq "all-s3 no-deletes" "$(printf '%s' "$out" | json_get - '" ".join(sorted(d["PolicyNames"]))')" "inline names"
out=$(aws2 iam get-user-policy --user-name bob --policy-name no-deletes --output json)
assert_eq Deny "$(printf '%s' "$out" | json_get - 'd["PolicyDocument"]["Statement"][0]["Effect"]')" "inline document"
ok "inline policies put, listed, read back (v1, v2)"

aws1 iam create-access-key --user-name alice --output json >"$P/alice.json"
aws2 iam create-access-key --user-name bob --output json >"$P/bob.json"
assert_eq 20 "$(json_get "$P/alice.json" 'len(d["AccessKey"]["AccessKeyId"])')" "key id length"
assert_eq 40 "$(json_get "$P/alice.json" 'len(d["AccessKey"]["SecretAccessKey"])')" "secret length"
aws1 iam create-access-key --user-name alice --output json >"$P/alice2.json"
expect_error LimitExceeded aws2 iam create-access-key --user-name alice
assert_contains "$(cat "$T_TMP/expect.err")" "AccessKeysPerUser: 2" "limit message"
out=$(aws1 iam list-access-keys --user-name alice --output json)
assert_eq 2 "$(printf '%s' "$out" | json_get - 'len(d["AccessKeyMetadata"])')" "two keys"
ok "access keys: 20/40 characters, at most two per user (LimitExceeded)"

# ---------------------------------------------------------------- the users' keys against S3
out=$(as "$P/alice.json" aws1 sts get-caller-identity --output json)
assert_eq "arn:aws:iam::$ACCT:user/staff/alice" "$(printf '%s' "$out" | json_get - 'd["Arn"]')" "caller"
as "$P/alice.json" aws1 s3 cp s3://demo/shared/a.txt "$P/got.txt" >/dev/null
assert_same_file "$P/f.txt" "$P/got.txt"
as "$P/alice.json" aws2 s3 ls s3://demo/shared/ >/dev/null
as "$P/alice.json" aws2 s3 cp "$P/f.txt" s3://demo/home/alice/new.txt >/dev/null
ok "alice (group policy): read demo, write her \${aws:username} home prefix (v1, v2)"

expect_error AccessDenied as "$P/alice.json" aws1 s3 cp "$P/f.txt" s3://demo/shared/b.txt
assert_contains "$(cat "$T_TMP/expect.err")" \
	"User: arn:aws:iam::$ACCT:user/staff/alice is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::demo/shared/b.txt\" because no identity-based policy allows the s3:PutObject action" \
	"implicit deny message"
expect_error AccessDenied as "$P/alice.json" aws2 s3 cp "$P/f.txt" s3://demo/home/bob/x.txt
expect_error AccessDenied as "$P/alice.json" aws1 s3 mb s3://alice-bucket
expect_error AccessDenied as "$P/alice.json" aws1 s3api list-buckets
ok "alice: writes outside her home, CreateBucket, ListBuckets refused with AWS's message"

dbg=$(as "$P/alice.json" aws1 s3api put-object --bucket demo --key shared/c.txt --body "$P/f.txt" --debug 2>&1 || true)
assert_contains "$dbg" "x-s3iam-decision" "decision header"
assert_contains "$dbg" "OwnHome" "the closest statement is named"
grep -q "authz DENY .*principal=arn:aws:iam::$ACCT:user/staff/alice action=s3:PutObject" "$SERVER_LOG" \
	|| fail "no authz DENY line in the server log"
ok "denials name the closest statement (x-s3iam-decision) and are logged"

as "$P/bob.json" aws1 s3 cp "$P/f.txt" s3://demo/bob.txt >/dev/null
expect_error AccessDenied as "$P/bob.json" aws2 s3 rm s3://demo/bob.txt
assert_contains "$(cat "$T_TMP/expect.err")" "with an explicit deny in an identity-based policy" "explicit deny"
ok "bob: s3:* allowed, but an explicit Deny beats the Allow"

# Changes take effect at the next request.
aws1 iam detach-group-policy --group-name readers --policy-arn "$POL"
expect_error AccessDenied as "$P/alice.json" aws1 s3api get-object --bucket demo --key shared/a.txt "$P/got2.txt"
aws2 iam attach-group-policy --group-name readers --policy-arn "$POL"
as "$P/alice.json" aws1 s3 cp s3://demo/shared/a.txt "$P/got2.txt" >/dev/null
aws1 iam remove-user-from-group --group-name readers --user-name alice
expect_error AccessDenied as "$P/alice.json" aws2 s3api get-object --bucket demo --key shared/a.txt "$P/got3.txt"
aws1 iam add-user-to-group --group-name readers --user-name alice
ok "detach / re-attach / group removal take effect at the next request"

# A missing key: 404 to a caller with s3:ListBucket.
expect_error 404 as "$P/alice.json" aws1 s3api head-object --bucket demo --key shared/none.txt
ok "HEAD of a missing key answers 404 to a caller allowed to list"

# Inactive and deleted keys stop working at once.
AK=$(json_get "$P/alice.json" 'd["AccessKey"]["AccessKeyId"]')
aws1 iam update-access-key --user-name alice --access-key-id "$AK" --status Inactive
expect_error InvalidAccessKeyId as "$P/alice.json" aws1 s3 ls s3://demo/
expect_error InvalidClientTokenId as "$P/alice.json" aws2 sts get-caller-identity
out=$(aws1 iam list-access-keys --user-name alice --output json)
assert_eq Inactive "$(printf '%s' "$out" | json_get - '[k["Status"] for k in d["AccessKeyMetadata"] if k["AccessKeyId"]=="'"$AK"'"][0]')" "status"
aws2 iam update-access-key --user-name alice --access-key-id "$AK" --status Active
as "$P/alice.json" aws1 s3 ls s3://demo/ >/dev/null
out=$(aws1 iam get-access-key-last-used --access-key-id "$AK" --output json)
assert_eq s3 "$(printf '%s' "$out" | json_get - 'd["AccessKeyLastUsed"]["ServiceName"]')" "last used service"
aws1 iam delete-access-key --user-name alice --access-key-id "$AK"
expect_error InvalidAccessKeyId as "$P/alice.json" aws2 s3 ls s3://demo/
as "$P/alice2.json" aws2 s3 ls s3://demo/ >/dev/null
ok "Inactive key refused at once (S3 InvalidAccessKeyId, STS InvalidClientTokenId), Active again works, deleted key refused"

# ---------------------------------------------------------------- bad input
expect_error NoSuchEntity aws1 iam get-user --user-name nobody
assert_contains "$(cat "$T_TMP/expect.err")" "The user with name nobody cannot be found." "NoSuchEntity message"
expect_error NoSuchEntity aws2 iam attach-user-policy --user-name bob --policy-arn "arn:aws:iam::$ACCT:policy/none"
expect_error NoSuchEntity aws1 iam get-group --group-name nogroup
expect_error EntityAlreadyExists aws2 iam create-user --user-name ALICE
expect_error EntityAlreadyExists aws1 iam create-group --group-name readers
expect_error DeleteConflict aws1 iam delete-user --user-name alice
assert_contains "$(cat "$T_TMP/expect.err")" "must delete access keys first" "DeleteConflict message"
expect_error DeleteConflict aws2 iam delete-group --group-name readers
expect_error DeleteConflict aws1 iam delete-policy --policy-arn "$POL"
expect_error ValidationError aws1 iam create-user --user-name 'bad name'
ok "NoSuchEntity, EntityAlreadyExists, DeleteConflict, ValidationError (v1, v2)"

expect_error MalformedPolicyDocument aws1 iam create-policy --policy-name engineer_access \
	--policy-document "file://$SRCDIR/t/data/seeds/engineer_access_1.json"
assert_contains "$(cat "$T_TMP/expect.err")" "line 87, column 21" "line and column"
expect_error MalformedPolicyDocument aws2 iam put-user-policy --user-name bob --policy-name p \
	--policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}'
assert_contains "$(cat "$T_TMP/expect.err")" "principal" "principal message"
expect_error MalformedPolicyDocument aws1 iam create-policy --policy-name old \
	--policy-document '{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
assert_contains "$(cat "$T_TMP/expect.err")" "2012-10-17" "version message"
python3 - "$P/big.json" <<'EOF'
import json, sys
res = ["arn:aws:s3:::bucket-number-%04d/*" % i for i in range(250)]
json.dump({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": res}]},
          open(sys.argv[1], "w"))
EOF
expect_error LimitExceeded aws2 iam create-policy --policy-name big --policy-document "file://$P/big.json"
expect_error LimitExceeded aws1 iam put-user-policy --user-name bob --policy-name big --policy-document "file://$P/big.json"
assert_contains "$(cat "$T_TMP/expect.err")" "Maximum policy size of 2048 bytes exceeded for user bob" "inline quota"
out=$(aws1 iam list-policies --scope Local --output json)
assert_eq read-demo "$(printf '%s' "$out" | json_get - '" ".join(p["PolicyName"] for p in d["Policies"])')" \
	"nothing half-created"
out=$(aws2 iam list-user-policies --user-name bob --output json)
assert_eq 2 "$(printf '%s' "$out" | json_get - 'len(d["PolicyNames"])')" "no inline policy half-created"
ok "MalformedPolicyDocument (line/column, Principal, Version), LimitExceeded (size), nothing half-created"

for i in 2 3 4 5; do
	aws1 iam create-policy-version --policy-arn "$POL" --policy-document "file://$P/read.json" >/dev/null
done
expect_error LimitExceeded aws2 iam create-policy-version --policy-arn "$POL" --policy-document "file://$P/read.json"
out=$(aws1 iam list-policy-versions --policy-arn "$POL" --output json)
assert_eq 5 "$(printf '%s' "$out" | json_get - 'len(d["Versions"])')" "five versions"
expect_error DeleteConflict aws1 iam delete-policy-version --policy-arn "$POL" --version-id v1
aws2 iam set-default-policy-version --policy-arn "$POL" --version-id v5
aws1 iam delete-policy-version --policy-arn "$POL" --version-id v1
aws2 iam create-policy-version --policy-arn "$POL" --policy-document "file://$P/all-s3.json" --set-as-default >/dev/null
as "$P/alice2.json" aws1 s3 cp "$P/f.txt" s3://demo/shared/by-v6.txt >/dev/null
ok "policy versions: at most five (LimitExceeded on the sixth), default cannot be deleted, new default applies at once"

# ---------------------------------------------------------------- AWS managed policies, reports
out=$(aws1 iam list-policies --scope AWS --output json)
for name in AdministratorAccess PowerUserAccess ReadOnlyAccess IAMFullAccess IAMReadOnlyAccess \
	IAMUserChangePassword AmazonS3FullAccess AmazonS3ReadOnlyAccess; do
	assert_contains "$out" "arn:aws:iam::aws:policy/$name" "AWS managed policy $name"
done
aws1 iam create-user --user-name reader >/dev/null
aws2 iam attach-user-policy --user-name reader --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess
aws1 iam create-access-key --user-name reader --output json >"$P/reader.json"
as "$P/reader.json" aws1 s3 cp s3://demo/shared/a.txt "$P/got4.txt" >/dev/null
as "$P/reader.json" aws2 iam list-users >/dev/null
expect_error AccessDenied as "$P/reader.json" aws1 iam create-user --user-name eve
assert_contains "$(cat "$T_TMP/expect.err")" \
	"User: arn:aws:iam::$ACCT:user/reader is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::$ACCT:user/eve because no identity-based policy allows the iam:CreateUser action" \
	"IAM AccessDenied message"
expect_error AccessDenied as "$P/reader.json" aws2 s3 cp "$P/f.txt" s3://demo/shared/no.txt
out=$(aws1 iam get-account-summary --output json)
assert_eq 3 "$(printf '%s' "$out" | json_get - 'd["SummaryMap"]["Users"]')" "summary users"
assert_eq 2048 "$(printf '%s' "$out" | json_get - 'd["SummaryMap"]["UserPolicySizeQuota"]')" "summary quota"
out=$(aws2 iam get-account-authorization-details --output json)
assert_eq "alice bob reader" "$(printf '%s' "$out" | json_get - '" ".join(u["UserName"] for u in d["UserDetailList"])')" "details"
ok "AWS managed policies listed; ReadOnlyAccess reads S3 and IAM, refuses writes; account summary and details"

# ---------------------------------------------------------------- a restart keeps everything
restart_server
out=$(aws2 iam get-user --user-name alice --output json)
assert_eq blue "$(printf '%s' "$out" | json_get - 'd["User"]["Tags"][0]["Value"]')" "tags after restart"
as "$P/alice2.json" aws1 s3 cp s3://demo/shared/a.txt "$P/got5.txt" >/dev/null
expect_error AccessDenied as "$P/bob.json" aws2 s3 rm s3://demo/bob.txt
ok "users, groups, policies, keys survive a restart"

# Clean-up order works as IAM's does.
aws1 iam delete-user-policy --user-name bob --policy-name all-s3
aws1 iam delete-user-policy --user-name bob --policy-name no-deletes
aws1 iam remove-user-from-group --group-name readers --user-name bob
aws1 iam delete-access-key --user-name bob --access-key-id "$(json_get "$P/bob.json" 'd["AccessKey"]["AccessKeyId"]')"
aws2 iam delete-user --user-name bob
expect_error InvalidAccessKeyId as "$P/bob.json" aws1 s3 ls s3://demo/
ok "a user freed of keys, groups and policies can be deleted; its key is gone"
