# t/lib/case-buckets.sh - bucket operations, run with one CLI (sourced after server.sh with
# CLI=aws1 or CLI=aws2 by t/it/100-buckets-v1.sh and 101-buckets-v2.sh).

c() { "$CLI" "$@"; }

start_server

# create-bucket without a LocationConstraint, s3 mb.
c s3api create-bucket --bucket bkt-plain --output json >"$T_TMP/cb.json"
assert_contains "$(cat "$T_TMP/cb.json")" "bkt-plain" "create-bucket Location"
c s3 mb s3://bkt-mb >/dev/null
c s3api list-buckets --output json >"$T_TMP/lb.json"
names=$(json_get "$T_TMP/lb.json" '",".join(b["Name"] for b in d["Buckets"])')
assert_eq "bkt-mb,bkt-plain" "$names" "list-buckets names (sorted)"
json_get "$T_TMP/lb.json" 'all(b.get("CreationDate") for b in d["Buckets"]) or sys.exit(1)' >/dev/null \
	|| fail "list-buckets: a bucket has no CreationDate"
json_get "$T_TMP/lb.json" 'd["Owner"]["ID"]' >/dev/null || fail "list-buckets: no Owner.ID"
ok "create-bucket, s3 mb, list-buckets (sorted, CreationDate, Owner)"

# Creating a bucket you already own: us-east-1 answers 200 (legacy), other regions
# BucketAlreadyOwnedByYou; either is accepted, anything else is not.
if ! c s3api create-bucket --bucket bkt-plain >/dev/null 2>"$T_TMP/dup.err"; then
	grep -q BucketAlreadyOwnedByYou "$T_TMP/dup.err" || fail "create twice: $(cat "$T_TMP/dup.err")"
fi
ok "create-bucket on an owned bucket: 200 or BucketAlreadyOwnedByYou"

# head-bucket: 200 for ours, 404 for a missing one.
c s3api head-bucket --bucket bkt-plain >/dev/null
expect_error 404 c s3api head-bucket --bucket no-such-bucket-here
ok "head-bucket 200 / 404"

# get-bucket-location of a bucket made without a constraint: null (us-east-1).
loc=$(c s3api get-bucket-location --bucket bkt-plain --output json | json_get - 'd.get("LocationConstraint")')
assert_eq "" "$loc" "get-bucket-location without constraint"
expect_error NoSuchBucket c s3api get-bucket-location --bucket no-such-bucket-here
ok "get-bucket-location: null for us-east-1, NoSuchBucket for a missing bucket"

# Invalid bucket names are refused by the server (the CLI lets these through).
for bad in ab Bad_Name UPPERCASE -leading-dash trailing-dash- a..b 192.168.5.4 \
	"$(printf 'x%.0s' $(seq 1 64))"; do
	expect_error InvalidBucketName c s3api create-bucket --bucket="$bad"
done
c s3api list-buckets --output json >"$T_TMP/lb2.json"
assert_eq 2 "$(json_get "$T_TMP/lb2.json" 'len(d["Buckets"])')" "no bucket added by invalid names"
ok "invalid bucket names: InvalidBucketName, nothing created"

# delete-bucket: BucketNotEmpty while an object is in it; NoSuchBucket afterwards.
printf 'x' >"$T_TMP/one"
c s3api put-object --bucket bkt-plain --key k --body "$T_TMP/one" >/dev/null
expect_error BucketNotEmpty c s3api delete-bucket --bucket bkt-plain
c s3api head-bucket --bucket bkt-plain >/dev/null
c s3api delete-object --bucket bkt-plain --key k
c s3api delete-bucket --bucket bkt-plain
expect_error 404 c s3api head-bucket --bucket bkt-plain
expect_error NoSuchBucket c s3api delete-bucket --bucket bkt-plain
expect_error NoSuchBucket c s3api list-objects-v2 --bucket bkt-plain
ok "delete-bucket: BucketNotEmpty, then deleted, then NoSuchBucket"

c s3 rb s3://bkt-mb >/dev/null
c s3api list-buckets --output json >"$T_TMP/lb3.json"
assert_eq 0 "$(json_get "$T_TMP/lb3.json" 'len(d["Buckets"])')" "buckets after rb"
ok "s3 rb"

# create-bucket with a LocationConstraint: a server in eu-west-1 (same data dir).
stop_server
start_server --region eu-west-1
AWS_DEFAULT_REGION=eu-west-1 c s3api create-bucket --bucket bkt-eu \
	--create-bucket-configuration LocationConstraint=eu-west-1 >/dev/null
loc=$(AWS_DEFAULT_REGION=eu-west-1 c s3api get-bucket-location --bucket bkt-eu --output json \
	| json_get - 'd.get("LocationConstraint")')
assert_eq eu-west-1 "$loc" "get-bucket-location with constraint"
AWS_DEFAULT_REGION=eu-west-1 c s3api head-bucket --bucket bkt-eu >/dev/null
ok "--region eu-west-1: create-bucket with LocationConstraint, get-bucket-location = eu-west-1"
