#!/bin/bash
# 600-access-points: S3 access points end to end with AWS CLI v1, v2 and boto3
# (600-access-points.py), as issue 6 asks.  s3iamd runs on localhost (so S3 Control's
# ACCOUNT.localhost and an ARN's NAME-ACCOUNT.localhost resolve) in ap-southeast-2 for account
# 111122223333, with a second account.  The landing-zone buckets get one access point each (v1 and
# v2) with the seeds' access point policies, account and names filled in
# (examples/landing-zone/policies/); the analyst (the seeds' analyst_access) may PUT with --sse
# AES256 through the ARN and the alias but not to the bucket name; the engineer, not named in the
# access point policy, is denied through it; object listing and multipart through the access
# point; bucket-level operations refused through it; S3 Control get/list/delete (v1, v2);
# deleting an access point stops its alias (NoSuchBucket) and its ARN (NoSuchAccessPoint); bad
# input (names, duplicates, unknown buckets, policies, ARNs for another region or account); the
# three addressing forms (alias, ARN -> NAME-ACCOUNT.localhost, NAME-ACCOUNT.s3-accesspoint.
# REGION.localhost with curl --aws-sigv4 and botocore); the delegation bucket policy; a restart
# keeps aliases.
. "$(dirname "$0")/../lib/server.sh"

need_boto3
ACCT=111122223333
B_ACCT=444455556666
B_KEY=AKIABBBBBBBBBBBBBBBB
B_SECRET=secret-of-account-b
REGION=ap-southeast-2
NAME=demo
export AWS_DEFAULT_REGION=$REGION ACCT
start_server --localhost --region "$REGION" --account-id "$ACCT" --extra-accounts "$B_ACCT:$B_KEY:$B_SECRET"
for h in "$ACCT.localhost" "$NAME-analysis-access-$ACCT.localhost" "x-$ACCT.s3-accesspoint.$REGION.localhost"; do
	getent hosts "$h" >/dev/null || fail "$h does not resolve (libnss-myhostname, docs/hostnames.md)"
done
P=$T_TMP/p
mkdir -p "$P"
LZ=$NAME-landing-zone
AN=$NAME-analysis
LZ_AP=$LZ-access
AN_AP=$AN-access
LZ_ARN=arn:aws:s3:$REGION:$ACCT:accesspoint/$LZ_AP
AN_ARN=arn:aws:s3:$REGION:$ACCT:accesspoint/$AN_AP
POL=$SRCDIR/examples/landing-zone/policies
err_of() { cat "$T_TMP/expect.err"; }
as() {
	local f=$1
	shift
	AWS_ACCESS_KEY_ID=$(json_get "$f" 'd["AccessKey"]["AccessKeyId"]') \
		AWS_SECRET_ACCESS_KEY=$(json_get "$f" 'd["AccessKey"]["SecretAccessKey"]') "$@"
}
asb() { AWS_ACCESS_KEY_ID=$B_KEY AWS_SECRET_ACCESS_KEY=$B_SECRET "$@"; }
fill() { sed -e "s/<name>/$NAME/g" -e "s/<aws-account-id>/$ACCT/g" "$1"; }

# ---------------------------------------------------------------- set-up: buckets, users
aws1 s3 mb "s3://$LZ" >/dev/null
aws2 s3 mb "s3://$AN" >/dev/null
aws1 s3 mb s3://demo-shared >/dev/null
fill "$POL/analyst_access.json" >"$P/analyst_access.json"
aws1 iam create-policy --policy-name analyst_access --policy-document "file://$P/analyst_access.json" >/dev/null
aws2 iam create-group --group-name analyst >/dev/null
aws1 iam attach-group-policy --group-name analyst --policy-arn "arn:aws:iam::$ACCT:policy/analyst_access"
aws2 iam create-user --user-name "analyst-$NAME" >/dev/null
aws1 iam add-user-to-group --group-name analyst --user-name "analyst-$NAME"
aws2 iam create-access-key --user-name "analyst-$NAME" --output json >"$P/analyst.json"
aws1 iam create-user --user-name "engineer-$NAME" >/dev/null
aws2 iam put-user-policy --user-name "engineer-$NAME" --policy-name s3-demo --policy-document \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::demo-*","arn:aws:s3:::demo-*/*"]}]}'
aws1 iam create-access-key --user-name "engineer-$NAME" --output json >"$P/engineer.json"
printf 'analyst data\n' >"$P/f.txt"
ok "set-up: buckets $LZ, $AN, demo-shared; analyst-$NAME (the seeds' analyst_access), engineer-$NAME (s3:* on demo-*)"

# ---------------------------------------------------------------- S3 Control: create, get, list
out=$(aws1 s3control create-access-point --account-id "$ACCT" --name "$LZ_AP" --bucket "$LZ" --output json)
assert_eq "$LZ_ARN" "$(printf '%s' "$out" | json_get - 'd["AccessPointArn"]')" "create (v1): ARN"
LZ_ALIAS=$(printf '%s' "$out" | json_get - 'd["Alias"]')
out=$(aws2 s3control create-access-point --account-id "$ACCT" --name "$AN_AP" --bucket "$AN" \
	--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true \
	--output json)
assert_eq "$AN_ARN" "$(printf '%s' "$out" | json_get - 'd["AccessPointArn"]')" "create (v2): ARN"
AN_ALIAS=$(printf '%s' "$out" | json_get - 'd["Alias"]')
[[ $AN_ALIAS =~ ^$AN_AP-[a-z0-9]{34}-s3alias$ ]] || fail "alias '$AN_ALIAS' is not NAME-<34 [a-z0-9]>-s3alias"
assert_ne "$LZ_ALIAS" "$AN_ALIAS" "aliases differ"
ok "create-access-point (v1 $LZ_AP, v2 $AN_AP with BPA): ARNs, aliases NAME-<random>-s3alias"

for cli in aws1 aws2; do
	out=$($cli s3control get-access-point --account-id "$ACCT" --name "$AN_AP" --output json)
	assert_eq "$AN_AP $AN Internet $AN_ALIAS $AN_ARN $ACCT" \
		"$(printf '%s' "$out" | json_get - '" ".join(d[k] for k in ("Name","Bucket","NetworkOrigin","Alias","AccessPointArn","BucketAccountId"))')" \
		"get-access-point ($cli)"
	assert_eq "True True True True" "$(printf '%s' "$out" | json_get - '" ".join(str(v) for v in d["PublicAccessBlockConfiguration"].values())')" \
		"access point BPA ($cli)"
done
out=$(aws1 s3control list-access-points --account-id "$ACCT" --bucket "$AN" --output json)
assert_eq "$AN_AP" "$(printf '%s' "$out" | json_get - '" ".join(a["Name"] for a in d["AccessPointList"])')" "list by bucket (v1)"
out=$(aws2 s3control list-access-points --account-id "$ACCT" --output json)
assert_eq "$AN_AP $LZ_AP" "$(printf '%s' "$out" | json_get - '" ".join(a["Name"] for a in d["AccessPointList"])')" "list all (v2)"
out=$(aws1 s3control list-access-points --account-id "$ACCT" --max-results 1 --output json)
assert_eq "$AN_AP" "$(printf '%s' "$out" | json_get - '" ".join(a["Name"] for a in d["AccessPointList"])')" "page 1 (v1)"
tok=$(printf '%s' "$out" | json_get - 'd["NextToken"]')
out=$(aws2 s3control list-access-points --account-id "$ACCT" --max-results 1 --next-token "$tok" --output json)
assert_eq "$LZ_AP" "$(printf '%s' "$out" | json_get - '" ".join(a["Name"] for a in d["AccessPointList"])')" "page 2 (v2)"
assert_eq "" "$(printf '%s' "$out" | json_get - 'd.get("NextToken")')" "no third page"
ok "get-access-point (v1, v2): name, bucket, Internet origin, alias, ARN, account, BPA; list-access-points by bucket, all, paged"

# ---------------------------------------------------------------- the seeds' access point policies
# The seeds' policy for the landing-zone access point names only the access point ARN.
aws1 s3 cp "$P/f.txt" "s3://$LZ/in/data.txt" >/dev/null
fill "$POL/access-point.seed.json" >"$P/seed-ap.json"
aws1 s3control put-access-point-policy --account-id "$ACCT" --name "$LZ_AP" --policy "file://$P/seed-ap.json"
expect_error AccessDenied as "$P/analyst.json" aws1 s3api get-object --bucket "$LZ_ARN" --key in/data.txt "$P/o"
assert_contains "$(err_of)" "accesspoint/$LZ_AP/object/in/data.txt" "the object resource through an access point"
as "$P/analyst.json" aws2 s3api list-objects-v2 --bucket "$LZ_ARN" >/dev/null
ok "the seeds' access point policy as written (access point ARN only): the analyst lists but may not GET through it"

fill "$POL/landing-zone-access.json" >"$P/lz-ap.json"
fill "$POL/analysis-access.json" >"$P/an-ap.json"
aws2 s3control put-access-point-policy --account-id "$ACCT" --name "$LZ_AP" --policy "file://$P/lz-ap.json"
aws1 s3control put-access-point-policy --account-id "$ACCT" --name "$AN_AP" --policy "file://$P/an-ap.json"
out=$(aws2 s3control get-access-point-policy --account-id "$ACCT" --name "$AN_AP" --query Policy --output text)
assert_contains "$out" "accesspoint/$AN_AP/object/*" "policy read back (v2)"
out=$(aws1 s3control get-access-point-policy-status --account-id "$ACCT" --name "$LZ_AP" --output json)
assert_eq False "$(printf '%s' "$out" | json_get - 'd["PolicyStatus"]["IsPublic"]')" "policy status (v1)"
as "$P/analyst.json" aws1 s3api get-object --bucket "$LZ_ARN" --key in/data.txt "$P/lzgot" >/dev/null
assert_same_file "$P/f.txt" "$P/lzgot" "analyst GET through the landing-zone access point"
ok "the corrected seed policies (.../object/*) put (v1, v2), read back, not public; the analyst now GETs through $LZ_AP"

# ---------------------------------------------------------------- the analyst: ARN and alias yes, bucket no
for cli in aws1 aws2; do
	as "$P/analyst.json" $cli s3 cp "$P/f.txt" "s3://$AN_ARN/test/$cli-arn.txt" --sse AES256 >/dev/null
	as "$P/analyst.json" $cli s3 cp "$P/f.txt" "s3://$AN_ALIAS/test/$cli-alias.txt" --sse AES256 >/dev/null
	expect_error AccessDenied as "$P/analyst.json" $cli s3 cp "$P/f.txt" "s3://$AN/test/$cli-direct.txt" --sse AES256
	expect_error AccessDenied as "$P/analyst.json" $cli s3 cp "$P/f.txt" "s3://$AN_ARN/test/$cli-nosse.txt"
	assert_contains "$(err_of)" "DenyUnencryptedS3ObjectUploads" "without --sse: the seeds' Deny"
done
out=$(aws1 s3api list-objects-v2 --bucket "$AN" --prefix test/ --query 'Contents[].Key' --output text)
assert_eq "test/aws1-alias.txt	test/aws1-arn.txt	test/aws2-alias.txt	test/aws2-arn.txt" "$out" "what landed in the bucket"
as "$P/analyst.json" aws2 s3api get-object --bucket "$AN" --key test/aws1-arn.txt "$P/got" >/dev/null
assert_same_file "$P/f.txt" "$P/got" "bytes"
dbg=$(as "$P/analyst.json" aws1 s3api put-object --bucket "$AN" --key test/dbg.txt --body "$P/f.txt" \
	--server-side-encryption AES256 --debug 2>&1 || true)
assert_contains "$dbg" "PutAnalysisS3BucketLimitedBySource" "the direct denial names the closest statement"
assert_contains "$dbg" "s3:DataAccessPointArn (request: absent)" "and the missing key"
ok "analyst (v1, v2): PUT --sse AES256 through the ARN and the alias succeeds; to the bucket name denied (s3:DataAccessPointArn absent); without --sse denied"

expect_error AccessDenied as "$P/analyst.json" aws1 s3 cp "$P/f.txt" "s3://$LZ_ARN/test/lz.txt" --sse AES256
as "$P/analyst.json" aws2 s3api list-objects-v2 --bucket "$AN_ALIAS" >/dev/null
out=$(as "$P/analyst.json" aws1 s3 ls "s3://$AN_ARN/test/")
assert_contains "$out" "aws2-alias.txt" "analyst lists through the ARN"
ok "analyst: no PUT through the landing-zone access point (its identity policy allows writes to $AN only); lists through $AN_AP"

for cli in aws1 aws2; do
	expect_error AccessDenied as "$P/engineer.json" $cli s3 cp "$P/f.txt" "s3://$AN_ARN/test/eng-$cli.txt" --sse AES256
	expect_error AccessDenied as "$P/engineer.json" $cli s3api get-object --bucket "$AN_ALIAS" --key test/aws1-arn.txt "$P/o"
done
as "$P/engineer.json" aws1 s3 cp "$P/f.txt" "s3://$AN/test/eng-direct.txt" >/dev/null
expect_error AccessDenied asb aws2 s3api get-object --bucket "$AN_ARN" --key test/aws1-arn.txt "$P/o"
ok "engineer (s3:* on the buckets, not in the access point policy): denied through the ARN and alias, allowed directly; account B denied"

py "$SRCDIR/t/it/600-access-points.py" analyst "$P/analyst.json" "$P/engineer.json" "$AN_ALIAS"
ok "600-access-points.py analyst (boto3): every check passed"

# ---------------------------------------------------------------- objects, listing, multipart through the access point
mkfile "$P/big.bin" $((10 * 1024 * 1024))
aws1 s3 cp "$P/big.bin" "s3://$AN_ARN/mp/big-arn.bin" >/dev/null
aws2 s3 cp "$P/big.bin" "s3://$AN_ALIAS/mp/big-alias.bin" >/dev/null
aws1 s3 cp "s3://$AN/mp/big-arn.bin" "$P/big1" >/dev/null
assert_same_file "$P/big.bin" "$P/big1" "multipart through the ARN"
aws2 s3 cp "s3://$AN_ARN/mp/big-alias.bin" "$P/big2" >/dev/null
assert_same_file "$P/big.bin" "$P/big2" "multipart through the alias"
UP=$(aws1 s3api create-multipart-upload --bucket "$AN_ALIAS" --key mp/open.bin --query UploadId --output text)
head -c $((5 * 1024 * 1024)) "$P/big.bin" >"$P/part1"
aws1 s3api upload-part --bucket "$AN_ARN" --key mp/open.bin --upload-id "$UP" --part-number 1 --body "$P/part1" >/dev/null
out=$(aws2 s3api list-multipart-uploads --bucket "$AN_ALIAS" --output json)
assert_eq mp/open.bin "$(printf '%s' "$out" | json_get - '" ".join(u["Key"] for u in d["Uploads"])')" "uploads through the alias"
assert_eq 1 "$(aws2 s3api list-parts --bucket "$AN_ARN" --key mp/open.bin --upload-id "$UP" --query 'length(Parts)' --output text)" "parts"
aws1 s3api abort-multipart-upload --bucket "$AN_ARN" --key mp/open.bin --upload-id "$UP"
out=$(aws1 s3api list-objects --bucket "$AN_ALIAS" --prefix mp/ --output json)
assert_eq "mp/big-alias.bin mp/big-arn.bin" "$(printf '%s' "$out" | json_get - '" ".join(o["Key"] for o in d["Contents"])')" "ListObjects v1 API"
aws2 s3 rm "s3://$AN_ARN/mp/big-alias.bin" >/dev/null
expect_error 404 aws1 s3api head-object --bucket "$AN" --key mp/big-alias.bin
ok "root: 10 MiB multipart through the ARN (v1) and the alias (v2); create/upload-part/list-uploads/list-parts/abort mixing ARN and alias; ListObjects; delete"

mp_analyst() {
	as "$P/analyst.json" aws2 s3 cp "$P/big.bin" "s3://$AN_ARN/test/big-analyst.bin" --sse AES256 >/dev/null
	aws1 s3 cp "s3://$AN/test/big-analyst.bin" "$P/big3" >/dev/null
	assert_same_file "$P/big.bin" "$P/big3" "analyst multipart"
}
mp_analyst
ok "analyst: a 10 MiB multipart upload --sse AES256 through the access point ARN (UploadPart under the seeds' Null-condition Deny)"

# ---------------------------------------------------------------- bucket-level operations through an access point
expect_error InvalidRequest aws1 s3api put-bucket-policy --bucket "$AN_ALIAS" --policy "file://$P/an-ap.json"
expect_error NoSuchBucketPolicy aws2 s3api get-bucket-policy --bucket "$AN"
expect_error InvalidRequest aws2 s3api get-bucket-versioning --bucket "$AN_ARN"
expect_error InvalidRequest aws1 s3api put-bucket-versioning --bucket "$AN_ALIAS" --versioning-configuration Status=Enabled
expect_error InvalidRequest aws2 s3api delete-bucket --bucket "$AN_ALIAS"
expect_error InvalidRequest aws1 s3api put-public-access-block --bucket "$AN_ARN" --public-access-block-configuration \
	BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false
expect_error InvalidRequest aws2 s3api delete-bucket-encryption --bucket "$AN_ALIAS"
aws1 s3api head-bucket --bucket "$AN" >/dev/null
assert_eq "True True True True" "$(aws2 s3api get-public-access-block --bucket "$AN" --output json | json_get - '" ".join(str(v) for v in d["PublicAccessBlockConfiguration"].values())')" \
	"bucket BPA unchanged"
ok "through an access point, PutBucketPolicy / Get+PutBucketVersioning / DeleteBucket / PutPublicAccessBlock / DeleteBucketEncryption are refused (InvalidRequest); nothing changed"

# ---------------------------------------------------------------- bad input
# AWS answers InvalidURI ("Couldn't parse the specified URI.") for a name with '_' (recorded
# against AWS: "xn-_test-alias"), and InvalidRequest for the other rules below.
expect_error InvalidURI aws1 s3control create-access-point --account-id "$ACCT" --name bad_name --bucket "$AN"
ok "create-access-point --name bad_name: 400 InvalidURI as AWS answers"
expect_error InvalidRequest aws2 s3control create-access-point --account-id "$ACCT" --name=-leading --bucket "$AN"
assert_contains "$(err_of)" "Your Amazon S3 AccessPoint name is invalid" "message"
expect_error InvalidRequest aws1 s3control create-access-point --account-id "$ACCT" --name "cannot-end-s3alias" --bucket "$AN"
expect_error InvalidRequest aws2 s3control create-access-point --account-id "$ACCT" --name "cannot-have.dot" --bucket "$AN"
expect_error AccessPointAlreadyOwnedByYou aws1 s3control create-access-point --account-id "$ACCT" --name "$AN_AP" --bucket "$LZ"
expect_error InvalidRequest aws2 s3control create-access-point --account-id "$ACCT" --name "ghost-ap" --bucket no-such-bucket-ap
expect_error NoSuchAccessPoint aws1 s3control get-access-point --account-id "$ACCT" --name ghost-ap
expect_error AccessDenied aws2 s3control create-access-point --account-id "$B_ACCT" --name ghost-ap --bucket "$AN"
assert_eq "$AN_AP $LZ_AP" "$(aws1 s3control list-access-points --account-id "$ACCT" --output json | json_get - '" ".join(a["Name"] for a in d["AccessPointList"])')" \
	"nothing created"
ok "create-access-point bad input: -leading / -s3alias suffix / a dot -> InvalidRequest; duplicate -> AccessPointAlreadyOwnedByYou; unknown bucket -> InvalidRequest; another account's id -> AccessDenied"

expect_error MalformedPolicy aws1 s3control put-access-point-policy --account-id "$ACCT" --name "$AN_AP" --policy '{"Version":"2012-10-17","Statement":[}'
assert_contains "$(err_of)" "line 1" "line of the JSON error"
expect_error MalformedPolicy aws2 s3control put-access-point-policy --account-id "$ACCT" --name "$AN_AP" --policy \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"'"$ACCT"'"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::'"$AN"'/*"}]}'
assert_contains "$(err_of)" "Policy has invalid resource" "bucket ARN in an access point policy"
expect_error MalformedPolicy aws1 s3control put-access-point-policy --account-id "$ACCT" --name "$AN_AP" --policy \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"'"$ACCT"'"},"Action":"s3:CopyObject","Resource":"'"$AN_ARN"'/object/*"}]}'
expect_error AccessDenied aws2 s3control put-access-point-policy --account-id "$ACCT" --name "$AN_AP" --policy \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"'"$AN_ARN"'/object/*"}]}'
out=$(aws1 s3control get-access-point-policy --account-id "$ACCT" --name "$AN_AP" --query Policy --output text)
assert_contains "$out" "analyst-$NAME" "the policy in force is unchanged"
expect_error NoSuchAccessPoint aws2 s3control put-access-point-policy --account-id "$ACCT" --name ghost-ap --policy "file://$P/an-ap.json"
ok "put-access-point-policy bad input: invalid JSON, a bucket ARN, s3:CopyObject -> MalformedPolicy; public -> AccessDenied (BPA); unknown -> NoSuchAccessPoint; policy unchanged"

# (as root, whom no condition stops: the request must fail because of the region alone)
wrong_region() {
	local cli=$1 rc=0
	$cli s3api put-object --bucket "arn:aws:s3:us-west-2:$ACCT:accesspoint/$AN_AP" --key test/west.txt \
		--body "$P/f.txt" --server-side-encryption AES256 >"$P/wr.out" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "a PUT through an ARN for us-west-2 (the access point is in $REGION) succeeded ($cli)"
	grep -qE 'NoSuchAccessPoint|AuthorizationHeaderMalformed|PermanentRedirect' "$P/wr.out" ||
		fail "wrong-region ARN ($cli): $(cat "$P/wr.out")"
	note "wrong-region ARN ($cli): $(grep -oE 'NoSuchAccessPoint|AuthorizationHeaderMalformed|PermanentRedirect' "$P/wr.out" | head -n 1)"
	expect_error 404 aws1 s3api head-object --bucket "$AN" --key test/west.txt
}
wrong_region aws1
wrong_region aws2
ok "an access point ARN for another region (us-west-2): refused (v1, v2), nothing written"
expect_error NoSuchAccessPoint asb aws1 s3api put-object --bucket "arn:aws:s3:$REGION:$B_ACCT:accesspoint/$AN_AP" \
	--key test/b.txt --body "$P/f.txt"
ok "an access point ARN for another hosted account ($B_ACCT) that has no such access point: NoSuchAccessPoint"
expect_error NoSuchAccessPoint aws2 s3api get-object --bucket "arn:aws:s3:$REGION:$ACCT:accesspoint/no-such-ap" --key x "$P/o"
out=$(aws1 s3api put-object --bucket "arn:aws:s3:$REGION:999999999999:accesspoint/$AN_AP" --key test/x.txt --body "$P/f.txt" 2>&1) &&
	fail "a PUT through an ARN of an unknown account succeeded: $out"
assert_contains "$out" "NoSuch" "unknown account's ARN: NoSuchAccessPoint or NoSuchBucket"
ok "an ARN naming an access point that does not exist: NoSuchAccessPoint; of an account not hosted here: refused"

# ---------------------------------------------------------------- the third addressing form, with curl
HOST3="$AN_AP-$ACCT.s3-accesspoint.$REGION.localhost:$PORT"
printf 'via curl --aws-sigv4\n' >"$P/curl.txt"
code=$(curl -s -o "$P/curl.out" -w '%{http_code}' --aws-sigv4 "aws:amz:$REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	-H "x-amz-content-sha256: $(sha "$P/curl.txt")" -H "x-amz-server-side-encryption: AES256" \
	--upload-file "$P/curl.txt" "http://$HOST3/curl/put.txt")
assert_eq 200 "$code" "curl PUT to $HOST3: $(cat "$P/curl.out")"
code=$(curl -s -o "$P/curl.got" -w '%{http_code}' --aws-sigv4 "aws:amz:$REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "http://$HOST3/curl/put.txt")
assert_eq 200 "$code" "curl GET"
assert_same_file "$P/curl.txt" "$P/curl.got" "curl round trip"
AK=$(json_get "$P/analyst.json" 'd["AccessKey"]["AccessKeyId"]')
SK=$(json_get "$P/analyst.json" 'd["AccessKey"]["SecretAccessKey"]')
code=$(curl -s -o "$P/curl.out" -w '%{http_code}' --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" \
	-H "x-amz-content-sha256: $(sha "$P/curl.txt")" -H "x-amz-server-side-encryption: AES256" \
	--upload-file "$P/curl.txt" "http://$HOST3/test/curl-analyst.txt")
assert_eq 200 "$code" "the analyst's curl PUT through the access point host: $(cat "$P/curl.out")"
code=$(curl -s -o "$P/curl.out" -w '%{http_code}' --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" \
	-H "x-amz-content-sha256: $(sha "$P/curl.txt")" -H "x-amz-server-side-encryption: AES256" \
	--upload-file "$P/curl.txt" "http://$AN.localhost:$PORT/test/curl-direct.txt")
assert_eq 403 "$code" "the analyst's curl PUT to the bucket's own virtual host"
ok "NAME-ACCOUNT.s3-accesspoint.REGION.localhost with curl --aws-sigv4: root PUT/GET, analyst PUT 200; the bucket's host 403"
py "$SRCDIR/t/it/600-access-points.py" hosts "$AN_ALIAS"
ok "600-access-points.py hosts (botocore-signed third form, alias as virtual host): every check passed"

# ---------------------------------------------------------------- boto3 S3 Control; delegation
py "$SRCDIR/t/it/600-access-points.py" control
ok "600-access-points.py control (boto3 S3 Control): every check passed"
py "$SRCDIR/t/it/600-access-points.py" names-uri
ok "create-access-point names AWS answers with InvalidURI (2 or 51 characters, '_')"

# apuser may use only the access point ARN (AWS's own identity-policy example for access points):
# without a bucket-side grant the bucket check fails; the delegation bucket policy supplies it.
aws1 iam create-user --user-name apuser >/dev/null
aws2 iam put-user-policy --user-name apuser --policy-name via-ap --policy-document '{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:'"$REGION:$ACCT"':accesspoint/shared-ap/object/*"}]}'
aws1 iam create-access-key --user-name apuser --output json >"$P/apuser.json"
SH_ARN="arn:aws:s3:$REGION:$ACCT:accesspoint/shared-ap"
expect_error AccessDenied as "$P/apuser.json" aws1 s3api get-object --bucket "$SH_ARN" --key root/a.txt "$P/o"
aws2 s3api put-bucket-policy --bucket demo-shared --policy '{"Version":"2012-10-17","Statement":[{"Sid":"DelegateToAccessPoints",
 "Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":["arn:aws:s3:::demo-shared","arn:aws:s3:::demo-shared/*"],
 "Condition":{"StringEquals":{"s3:DataAccessPointAccount":"'"$ACCT"'"}}}]}'
assert_eq False "$(aws1 s3api get-bucket-policy-status --bucket demo-shared --query PolicyStatus.IsPublic --output text)" "delegation is not public"
as "$P/apuser.json" aws1 s3api get-object --bucket "$SH_ARN" --key root/a.txt "$P/deleg" >/dev/null
assert_eq "root via arn" "$(cat "$P/deleg")" "apuser reads through the access point"
as "$P/apuser.json" aws2 s3 cp "$P/f.txt" "s3://$SH_ARN/apuser/x.txt" >/dev/null
expect_error AccessDenied as "$P/apuser.json" aws2 s3api get-object --bucket demo-shared --key root/a.txt "$P/o"
expect_error AccessDenied asb aws1 s3api get-object --bucket demo-shared --key root/a.txt "$P/o"
ok "delegation: apuser (identity on the access point ARN only) denied until the bucket delegates to the account's access points (s3:DataAccessPointAccount), then reads and writes through it; never directly"

# ---------------------------------------------------------------- delete: alias and ARN stop working; restart
for cli in aws1 aws2; do
	out=$($cli s3control get-access-point --account-id "$ACCT" --name "$LZ_AP" --query Alias --output text)
	assert_eq "$LZ_ALIAS" "$out" "alias stable ($cli)"
done
restart_server
assert_eq "$AN_ALIAS" "$(aws1 s3control get-access-point --account-id "$ACCT" --name "$AN_AP" --query Alias --output text)" "alias after restart"
as "$P/analyst.json" aws2 s3 cp "$P/f.txt" "s3://$AN_ALIAS/test/after-restart.txt" --sse AES256 >/dev/null
as "$P/analyst.json" aws1 s3 cp "$P/f.txt" "s3://$AN_ARN/test/after-restart-arn.txt" --sse AES256 >/dev/null
ok "after a restart: the same alias, and the analyst's PUTs through alias and ARN still work"

aws2 s3control delete-access-point --account-id "$ACCT" --name "$AN_AP"
expect_error NoSuchAccessPoint aws1 s3control get-access-point --account-id "$ACCT" --name "$AN_AP"
expect_error NoSuchAccessPoint aws2 s3control delete-access-point --account-id "$ACCT" --name "$AN_AP"
expect_error NoSuchAccessPoint aws1 s3control get-access-point-policy --account-id "$ACCT" --name "$AN_AP"
expect_error NoSuchAccessPoint as "$P/analyst.json" aws1 s3 cp "$P/f.txt" "s3://$AN_ARN/test/gone.txt" --sse AES256
expect_error NoSuchAccessPoint aws2 s3api get-object --bucket "$AN_ARN" --key test/aws1-arn.txt "$P/o"
# an alias is used as a bucket name: S3 resolves an unknown one as a bucket that does not exist
expect_error NoSuchBucket as "$P/analyst.json" aws2 s3 cp "$P/f.txt" "s3://$AN_ALIAS/test/gone.txt" --sse AES256
expect_error NoSuchBucket aws1 s3api list-objects-v2 --bucket "$AN_ALIAS"
assert_eq "$LZ_AP" "$(aws2 s3control list-access-points --account-id "$ACCT" --output json | json_get - '" ".join(a["Name"] for a in d["AccessPointList"] if a["Bucket"] != "demo-shared")')" \
	"listed no more"
aws1 s3api head-object --bucket "$AN" --key test/aws1-arn.txt >/dev/null
ok "delete-access-point (v2): get/delete/policy 404 NoSuchAccessPoint (v1, v2); its ARN -> NoSuchAccessPoint; its alias -> NoSuchBucket; the bucket and objects stay"

out=$(aws1 s3control create-access-point --account-id "$ACCT" --name "$AN_AP" --bucket "$AN" --output json)
NEW_ALIAS=$(printf '%s' "$out" | json_get - 'd["Alias"]')
assert_ne "$AN_ALIAS" "$NEW_ALIAS" "a re-created access point has a new alias"
expect_error NoSuchBucket aws2 s3api list-objects-v2 --bucket "$AN_ALIAS"
expect_error NoSuchAccessPointPolicy aws1 s3control get-access-point-policy --account-id "$ACCT" --name "$AN_AP"
expect_error AccessDenied as "$P/analyst.json" aws1 s3 cp "$P/f.txt" "s3://$AN_ARN/test/recreated.txt" --sse AES256
ok "re-created under the same name: a new alias (the old one stays dead), no policy (the old one is gone): the analyst is denied"

# ---------------------------------------------------------------- an access point of the second account
# Kept last: every form must work for an access point whose owner is a --extra-accounts account.
asb aws1 s3 mb s3://b-owned-data >/dev/null
out=$(asb aws2 s3control create-access-point --account-id "$B_ACCT" --name b-ap --bucket b-owned-data --output json)
B_ALIAS=$(printf '%s' "$out" | json_get - 'd["Alias"]')
assert_eq "arn:aws:s3:$REGION:$B_ACCT:accesspoint/b-ap" "$(printf '%s' "$out" | json_get - 'd["AccessPointArn"]')" "B's access point ARN"
asb aws1 s3 cp "$P/f.txt" "s3://arn:aws:s3:$REGION:$B_ACCT:accesspoint/b-ap/via-arn.txt" >/dev/null
asb aws2 s3 cp "$P/f.txt" "s3://$B_ALIAS/via-alias.txt" >/dev/null
out=$(asb aws1 s3api list-objects-v2 --bucket b-owned-data --query 'Contents[].Key' --output text)
assert_eq "via-alias.txt	via-arn.txt" "$out" "both writes landed in B's bucket"
expect_error AccessDenied aws2 s3api get-object --bucket "$B_ALIAS" --key via-arn.txt "$P/o"
ok "account $B_ACCT's own access point: PUT through its ARN (v1) and its alias (v2); account $ACCT denied through it"
