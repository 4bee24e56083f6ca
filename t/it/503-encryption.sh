#!/bin/bash
# 503-encryption: server-side encryption with AWS CLI v1, v2 and boto3 (503-encryption.py).
# The seeds' DenyUnencryptedS3ObjectUploads statement (a Null condition on
# s3:x-amz-server-side-encryption) in an IAM user's policy: aws s3 cp without --sse denied, with
# --sse AES256 allowed, the same for CopyObject and a 10 MiB multipart upload; default bucket
# encryption get/put/delete and its bad input (MalformedXML, InvalidArgument); SSE-KMS key id
# echoed; SSE-C round trip with the CLIs (--sse-c AES256 --sse-c-key) and boto3, the wrong key and
# no key refused, bad key MD5 InvalidArgument; no file in the data dir holds an object's
# plaintext; a restart keeps the objects readable, and a missing or wrong master key stops the
# server from starting.
. "$(dirname "$0")/../lib/server.sh"

need_boto3
start_server
ACCT=000000000000
P=$T_TMP/p
mkdir -p "$P"
err_of() { cat "$T_TMP/expect.err"; }
as() {
	local f=$1
	shift
	AWS_ACCESS_KEY_ID=$(json_get "$f" 'd["AccessKey"]["AccessKeyId"]') \
		AWS_SECRET_ACCESS_KEY=$(json_get "$f" 'd["AccessKey"]["SecretAccessKey"]') "$@"
}
# A marker no object or request other than ours contains: the plaintext grep looks for it.
MARK="s3iam-plaintext-marker-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
# plain FILE SIZE: a file of SIZE bytes that repeats the marker (so any leaked block shows it).
plain() {
	python3 - "$1" "$2" "$MARK" <<'EOF'
import sys
path, size, mark = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
line = mark + b" " + b"x" * 40 + b"\n"
open(path, "wb").write((line * (size // len(line) + 1))[:size])
EOF
}

aws1 s3 mb s3://enc-demo >/dev/null
[ "$(stat -c %a "$DATA/master.key")" = 600 ] || fail "master.key mode is $(stat -c %a "$DATA/master.key"), not 600"
[ "$(stat -c %s "$DATA/master.key")" = 32 ] || fail "master.key is not 32 bytes"
ok "the data dir has a 32-byte master.key with mode 0600"

# ---------------------------------------------------------------- default encryption
out=$(aws1 s3api get-bucket-encryption --bucket enc-demo --output json)
assert_eq "AES256 False" "$(printf '%s' "$out" | json_get - '"%s %s" % (d["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], d["ServerSideEncryptionConfiguration"]["Rules"][0]["BucketKeyEnabled"])')" \
	"default SSE-S3"
plain "$P/small.txt" 3000
out=$(aws2 s3api put-object --bucket enc-demo --key plain/small.txt --body "$P/small.txt" --output json)
assert_eq AES256 "$(printf '%s' "$out" | json_get - 'd["ServerSideEncryption"]')" "every object is encrypted (PUT)"
assert_eq AES256 "$(aws1 s3api head-object --bucket enc-demo --key plain/small.txt --query ServerSideEncryption --output text)" \
	"every object is encrypted (HEAD)"
ok "GetBucketEncryption of a new bucket: AES256, BucketKeyEnabled false; a PUT without headers reports AES256"

KMS_ARN="arn:aws:kms:us-east-1:$ACCT:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
aws2 s3api put-bucket-encryption --bucket enc-demo --server-side-encryption-configuration \
	'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"'"$KMS_ARN"'"},"BucketKeyEnabled":true}]}'
out=$(aws1 s3api get-bucket-encryption --bucket enc-demo --output json)
assert_eq "aws:kms $KMS_ARN True" "$(printf '%s' "$out" | json_get - '" ".join(str(x) for x in (d["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], d["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"], d["ServerSideEncryptionConfiguration"]["Rules"][0]["BucketKeyEnabled"]))')" \
	"default aws:kms read back"
aws1 s3 cp "$P/small.txt" s3://enc-demo/kms/default.txt >/dev/null
out=$(aws2 s3api head-object --bucket enc-demo --key kms/default.txt --output json)
assert_eq "aws:kms" "$(printf '%s' "$out" | json_get - 'd["ServerSideEncryption"]')" "the bucket default applies"
assert_eq "$KMS_ARN True" "$(printf '%s' "$out" | json_get - '"%s %s" % (d.get("SSEKMSKeyId"), d.get("BucketKeyEnabled"))')" \
	"the default's key id and bucket key are echoed"
ok "an object encrypted by the bucket's aws:kms default reports its KMS key id and bucket key"
out=$(aws1 s3api put-object --bucket enc-demo --key kms/explicit.txt --body "$P/small.txt" \
	--server-side-encryption aws:kms --ssekms-key-id alias/my-key --output json)
assert_eq "aws:kms alias/my-key" "$(printf '%s' "$out" | json_get - '"%s %s" % (d["ServerSideEncryption"], d.get("SSEKMSKeyId"))')" \
	"explicit SSE-KMS key id echoed"
aws2 s3api delete-bucket-encryption --bucket enc-demo
out=$(aws2 s3api get-bucket-encryption --bucket enc-demo --output json)
assert_eq AES256 "$(printf '%s' "$out" | json_get - 'd["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]')" \
	"after delete-bucket-encryption the default is SSE-S3 again"
ok "put-bucket-encryption aws:kms (key id, bucket key) read back and applied; SSE-KMS key id echoed; delete restores AES256"

expect_error MalformedXML aws1 s3api put-bucket-encryption --bucket enc-demo --server-side-encryption-configuration \
	'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES512"}}]}'
expect_error MalformedXML aws2 s3api put-bucket-encryption --bucket enc-demo --server-side-encryption-configuration \
	'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aes256"}}]}'
expect_error MalformedXML aws1 s3api put-bucket-encryption --bucket enc-demo --server-side-encryption-configuration '{"Rules":[]}'
expect_error InvalidArgument aws2 s3api put-bucket-encryption --bucket enc-demo --server-side-encryption-configuration \
	'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256","KMSMasterKeyID":"randomkeyid"}}]}'
assert_contains "$(err_of)" "KMSMasterKeyID is not applicable" "message"
expect_error MalformedXML aws1 s3api put-bucket-encryption --bucket enc-demo --server-side-encryption-configuration \
	'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"}},{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
ok "put-bucket-encryption with two rules: MalformedXML"
aws2 s3api delete-bucket-encryption --bucket enc-demo
expect_error NoSuchBucket aws1 s3api put-bucket-encryption --bucket no-such-enc-bucket --server-side-encryption-configuration \
	'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
expect_error InvalidArgument aws2 s3api put-object --bucket enc-demo --key bad/alg.txt --body "$P/small.txt" --server-side-encryption AES512
expect_error 404 aws1 s3api head-object --bucket enc-demo --key bad/alg.txt
ok "bad encryption input: unknown algorithm (AES512, aes256) and no rules -> MalformedXML; KMS key with AES256 -> InvalidArgument; PUT with AES512 -> InvalidArgument"

# ---------------------------------------------------------------- the seeds' Deny on unencrypted uploads
python3 - "$SRCDIR/t/data/seeds/analyst_access.json" "$P/uploader.json" <<'EOF'
import json, sys
seed = json.load(open(sys.argv[1]))
deny = [s for s in seed["Statement"] if s.get("Sid") == "DenyUnencryptedS3ObjectUploads"]
assert len(deny) == 1, deny
doc = {"Version": "2012-10-17", "Statement": [
    {"Sid": "UseEncDemo", "Effect": "Allow", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::enc-demo", "arn:aws:s3:::enc-demo/*"]}] + deny}
json.dump(doc, open(sys.argv[2], "w"), indent=2)
EOF
aws1 iam create-user --user-name uploader >/dev/null
aws2 iam put-user-policy --user-name uploader --policy-name enc --policy-document "file://$P/uploader.json"
aws1 iam create-access-key --user-name uploader --output json >"$P/uploader-key.json"
plain "$P/doc.txt" 2000

for cli in aws1 aws2; do
	expect_error AccessDenied as "$P/uploader-key.json" $cli s3 cp "$P/doc.txt" "s3://enc-demo/up/$cli.txt"
	assert_contains "$(err_of)" "with an explicit deny in an identity-based policy" "explicit deny ($cli)"
	as "$P/uploader-key.json" $cli s3 cp "$P/doc.txt" "s3://enc-demo/up/$cli.txt" --sse AES256 >/dev/null
	as "$P/uploader-key.json" $cli s3 cp "s3://enc-demo/up/$cli.txt" "$P/got-$cli" >/dev/null
	assert_same_file "$P/doc.txt" "$P/got-$cli" "uploaded with --sse ($cli)"
done
dbg=$(as "$P/uploader-key.json" aws1 s3api put-object --bucket enc-demo --key up/dbg.txt --body "$P/doc.txt" --debug 2>&1 || true)
assert_contains "$dbg" "ExplicitDeny; denied-by=inline policy enc of user uploader#DenyUnencryptedS3ObjectUploads" \
	"x-s3iam-decision names the seeds' statement"
as "$P/uploader-key.json" aws2 s3 cp "$P/doc.txt" s3://enc-demo/up/kms.txt --sse aws:kms >/dev/null
ok "DenyUnencryptedS3ObjectUploads: aws s3 cp without --sse denied (v1, v2; the statement is named), with --sse AES256 / aws:kms allowed"

expect_error AccessDenied as "$P/uploader-key.json" aws1 s3 cp s3://enc-demo/up/aws1.txt s3://enc-demo/up/copy1.txt
as "$P/uploader-key.json" aws1 s3 cp s3://enc-demo/up/aws1.txt s3://enc-demo/up/copy1.txt --sse AES256 >/dev/null
expect_error AccessDenied as "$P/uploader-key.json" aws2 s3api copy-object --bucket enc-demo --key up/copy2.txt \
	--copy-source enc-demo/up/aws2.txt
as "$P/uploader-key.json" aws2 s3api copy-object --bucket enc-demo --key up/copy2.txt --copy-source enc-demo/up/aws2.txt \
	--server-side-encryption AES256 >/dev/null
aws1 s3 cp s3://enc-demo/up/copy2.txt "$P/copy2" >/dev/null
assert_same_file "$P/doc.txt" "$P/copy2" "copy bytes"
ok "CopyObject under the Deny: without SSE denied, with --sse AES256 (s3 cp v1) / --server-side-encryption (copy-object v2) allowed"

plain "$P/big.txt" $((10 * 1024 * 1024))
expect_error AccessDenied as "$P/uploader-key.json" aws1 s3 cp "$P/big.txt" s3://enc-demo/up/big-nosse.txt
expect_error 404 aws1 s3api head-object --bucket enc-demo --key up/big-nosse.txt
out=$(aws2 s3api list-multipart-uploads --bucket enc-demo --output json)
assert_eq 0 "$(printf '%s' "$out" | json_get - 'len(d.get("Uploads") or [])')" "no upload was started"
ok "a 10 MiB multipart upload under the Deny without --sse: denied, no upload started"
# mp_sse CLI: the same upload with --sse AES256 completes.  UploadPart and
# CompleteMultipartUpload carry no x-amz-server-side-encryption header: the upload's own
# encryption (asked for by CreateMultipartUpload) must stand for it in s3:x-amz-server-side-encryption.
mp_sse() {
	as "$P/uploader-key.json" "$1" s3 cp "$P/big.txt" "s3://enc-demo/up/big-$1.txt" --sse AES256 >/dev/null
	aws1 s3 cp "s3://enc-demo/up/big-$1.txt" "$P/big-$1" >/dev/null
	assert_same_file "$P/big.txt" "$P/big-$1" "multipart with --sse ($1)"
	assert_eq AES256 "$(aws2 s3api head-object --bucket enc-demo --key "up/big-$1.txt" --query ServerSideEncryption --output text)" "mp sse"
}
mp_sse aws1
ok "a 10 MiB multipart upload with --sse AES256 under the seeds' Deny completes (aws1)"
mp_sse aws2
ok "a 10 MiB multipart upload with --sse AES256 under the seeds' Deny completes (aws2)"
# the same bytes as root, for the restart checks below
aws2 s3 cp "$P/big.txt" s3://enc-demo/up/big-root.txt >/dev/null

# ---------------------------------------------------------------- SSE-C with the CLIs
SSEC_KEY=0123456789abcdef0123456789abcdef
OTHER_KEY=fedcba9876543210fedcba9876543210
plain "$P/ssec.txt" 70000
aws1 s3 cp "$P/ssec.txt" s3://enc-demo/ssec/cli1.txt --sse-c AES256 --sse-c-key "$SSEC_KEY" >/dev/null
aws2 s3 cp s3://enc-demo/ssec/cli1.txt "$P/ssec-v2.got" --sse-c AES256 --sse-c-key "$SSEC_KEY" >/dev/null
assert_same_file "$P/ssec.txt" "$P/ssec-v2.got" "SSE-C: v1 up, v2 down"
aws2 s3api put-object --bucket enc-demo --key ssec/cli2.txt --body "$P/ssec.txt" \
	--sse-customer-algorithm AES256 --sse-customer-key "$SSEC_KEY" >/dev/null
aws1 s3api get-object --bucket enc-demo --key ssec/cli2.txt "$P/ssec-v1.got" \
	--sse-customer-algorithm AES256 --sse-customer-key "$SSEC_KEY" >/dev/null
assert_same_file "$P/ssec.txt" "$P/ssec-v1.got" "SSE-C: s3api v2 up, v1 down"
out=$(aws1 s3api head-object --bucket enc-demo --key ssec/cli2.txt --sse-customer-algorithm AES256 \
	--sse-customer-key "$SSEC_KEY" --output json)
assert_eq AES256 "$(printf '%s' "$out" | json_get - 'd["SSECustomerAlgorithm"]')" "head echoes the algorithm"
assert_eq "$(printf '%s' "$SSEC_KEY" | openssl md5 -binary | base64)" "$(printf '%s' "$out" | json_get - 'd["SSECustomerKeyMD5"]')" \
	"head echoes the key MD5"
expect_error AccessDenied aws2 s3api get-object --bucket enc-demo --key ssec/cli2.txt "$P/o" \
	--sse-customer-algorithm AES256 --sse-customer-key "$OTHER_KEY"
expect_error InvalidRequest aws1 s3api get-object --bucket enc-demo --key ssec/cli2.txt "$P/o"
expect_error 400 aws2 s3 cp s3://enc-demo/ssec/cli1.txt "$P/o"
expect_error 403 aws1 s3 cp s3://enc-demo/ssec/cli1.txt "$P/o" --sse-c AES256 --sse-c-key "$OTHER_KEY"
ok "SSE-C with the CLIs (s3 cp --sse-c, s3api --sse-customer-key; v1<->v2): round trip; wrong key 403, no key 400"

py "$SRCDIR/t/it/503-encryption.py" enc-demo
ok "503-encryption.py (boto3, raw requests): every check passed"

# ---------------------------------------------------------------- no plaintext on disk
plain "$P/mark-small.txt" 100
plain "$P/mark-mp.txt" $((9 * 1024 * 1024))
aws1 s3 cp "$P/mark-small.txt" s3://enc-demo/mark/small.txt >/dev/null
aws2 s3 cp "$P/mark-mp.txt" s3://enc-demo/mark/multipart.txt >/dev/null
aws1 s3 cp "$P/mark-small.txt" s3://enc-demo/mark/ssec.txt --sse-c AES256 --sse-c-key "$SSEC_KEY" >/dev/null
aws2 s3api put-bucket-versioning --bucket enc-demo --versioning-configuration Status=Enabled
aws2 s3 cp "$P/mark-small.txt" s3://enc-demo/mark/small.txt >/dev/null
# a multipart upload left open: its parts are on disk too
UP=$(aws1 s3api create-multipart-upload --bucket enc-demo --key mark/open.bin --query UploadId --output text)
head -c $((5 * 1024 * 1024 + 7)) "$P/mark-mp.txt" >"$P/part"
aws1 s3api upload-part --bucket enc-demo --key mark/open.bin --upload-id "$UP" --part-number 1 --body "$P/part" >/dev/null
sync
files=$(find "$DATA" -type f | wc -l)
[ "$files" -gt 3 ] || fail "the data dir holds only $files files"
if grep -rlaF -- "$MARK" "$DATA" >"$P/leaks" 2>/dev/null; then
	fail "plaintext of an object found on disk in: $(tr '\n' ' ' <"$P/leaks")"
fi
grep -rqaF -- "${MARK:0:23}" "$DATA" && fail "even a prefix of the marker is on disk"
grep -rqaF -- "$SSEC_KEY" "$DATA" && fail "the SSE-C key is on disk"
grep -rqaF -- "$(printf '%s' "$SSEC_KEY" | base64)" "$DATA" && fail "the SSE-C key (base64) is on disk"
ok "grep over the data dir ($files files, db and WAL included): no object's plaintext marker, no SSE-C key"
aws1 s3api abort-multipart-upload --bucket enc-demo --key mark/open.bin --upload-id "$UP"

# ---------------------------------------------------------------- restart, master key
restart_server
for k in plain/small.txt mark/multipart.txt up/big-root.txt; do
	aws2 s3 cp "s3://enc-demo/$k" "$P/after" >/dev/null
done
assert_same_file "$P/big.txt" "$P/after" "a 10 MiB object after restart"
aws1 s3 cp s3://enc-demo/mark/ssec.txt "$P/after-ssec" --sse-c AES256 --sse-c-key "$SSEC_KEY" >/dev/null
assert_same_file "$P/mark-small.txt" "$P/after-ssec" "SSE-C object after restart"
expect_error AccessDenied aws2 s3api get-object --bucket enc-demo --key mark/ssec.txt "$P/o" \
	--sse-customer-algorithm AES256 --sse-customer-key "$OTHER_KEY"
ok "after a restart every object (SSE-S3, multipart, SSE-C with its key) reads back; the wrong SSE-C key is still refused"

stop_server
# refuse_start WHAT: s3iamd must exit non-zero within 10 s, saying why (master key).
refuse_start() {
	local rc=0
	timeout 10 "$S3IAMD" --listen "127.0.0.1:$PORT" --data "$DATA" >"$P/refuse.log" 2>&1 </dev/null || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "$1: s3iamd did not refuse to start (exit $rc): $(tail -n 5 "$P/refuse.log")"
	grep -qi "master" "$P/refuse.log" || fail "$1: the refusal does not mention the master key: $(tail -n 5 "$P/refuse.log")"
	note "$1: $(grep -i master "$P/refuse.log" | tail -n 1)"
}
mv "$DATA/master.key" "$P/master.key.saved"
refuse_start "master.key missing"
[ ! -e "$DATA/master.key" ] || fail "a refused start left a new master.key behind"
head -c 32 /dev/urandom >"$DATA/master.key"
chmod 600 "$DATA/master.key"
refuse_start "a different master.key"
head -c 16 /dev/urandom >"$DATA/master.key"
refuse_start "a 16-byte master.key"
mv "$P/master.key.saved" "$DATA/master.key"
start_server
aws1 s3 cp s3://enc-demo/plain/small.txt "$P/final" >/dev/null
assert_same_file "$P/small.txt" "$P/final" "with the right key back"
ok "a missing, different or short master.key: s3iamd refuses to start and says why; the right key restores service"
