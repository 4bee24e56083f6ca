#!/bin/bash
# 230-restart: everything the server said it stored is still there, unchanged, after a restart
# (SIGTERM, start again on the same data dir): buckets, objects (bytes, ETag, metadata,
# content-type, storage class, tags), deletions, a multipart upload in progress, listings.
. "$(dirname "$0")/../lib/server.sh"

MiB=1048576
start_server
aws1 s3 mb s3://keep-a >/dev/null
aws2 s3 mb s3://keep-b >/dev/null
aws2 s3 mb s3://gone-c >/dev/null
aws1 s3 rb s3://gone-c >/dev/null

mkfile "$T_TMP/small" 3000
mkfile "$T_TMP/mid" $((2 * MiB))
mkfile "$T_TMP/big" $((20 * MiB))
aws1 s3api put-object --bucket keep-a --key meta/small --body "$T_TMP/small" --content-type text/x-kept \
	--metadata who=restart --storage-class STANDARD_IA --tagging 'k1=v1' >/dev/null
aws2 s3 cp "$T_TMP/mid" s3://keep-a/mid >/dev/null
aws1 s3 cp "$T_TMP/big" s3://keep-b/deep/er/big >/dev/null
aws2 s3 cp "$T_TMP/small" s3://keep-b/deleted >/dev/null
aws2 s3 rm s3://keep-b/deleted >/dev/null
aws2 s3 cp "$T_TMP/small" s3://keep-b/overwritten >/dev/null
aws2 s3 cp "$T_TMP/mid" s3://keep-b/overwritten >/dev/null
for i in $(seq 1 25); do printf '%s' "$i" | aws1 s3 cp - "s3://keep-a/n/$i" >/dev/null; done

# A multipart upload left open across the restart.
mkfile "$T_TMP/part1" $((5 * MiB))
mkfile "$T_TMP/part2" 100
uid=$(aws2 s3api create-multipart-upload --bucket keep-b --key open-upload --query UploadId --output text)
e1=$(aws2 s3api upload-part --bucket keep-b --key open-upload --upload-id "$uid" --part-number 1 \
	--body "$T_TMP/part1" --query ETag --output text)

snapshot() {
	{
		aws2 s3api list-buckets --query 'Buckets[].Name' --output text
		for b in keep-a keep-b; do
			aws2 s3api list-objects-v2 --bucket "$b" --output json \
				| json_get - '"\n".join("%s %s %s" % (x["Key"], x["Size"], x["ETag"]) for x in d.get("Contents", []))'
		done
		aws2 s3api head-object --bucket keep-a --key meta/small --output json \
			| json_get - '"%s %s %s %s" % (d["ContentType"], d["Metadata"], d.get("StorageClass"), d["ETag"])'
		aws2 s3api get-object-tagging --bucket keep-a --key meta/small --output json | json_get - 'd["TagSet"]'
		aws2 s3api list-multipart-uploads --bucket keep-b --output json \
			| json_get - '[(u["Key"], u["UploadId"]) for u in d.get("Uploads", [])]'
		aws2 s3api list-parts --bucket keep-b --key open-upload --upload-id "$uid" --output json \
			| json_get - '[(p["PartNumber"], p["Size"], p["ETag"]) for p in d["Parts"]]'
	} >"$1"
}
snapshot "$T_TMP/before"
ok "state written: 2 buckets, 30 objects, tags, metadata, an open multipart upload"

restart_server
snapshot "$T_TMP/after"
diff "$T_TMP/before" "$T_TMP/after" || fail "listings, metadata or uploads changed across the restart"
ok "after restart: same buckets, listings, ETags, metadata, tags, open upload and its parts"

aws1 s3 cp s3://keep-a/meta/small "$T_TMP/small.d" >/dev/null
assert_same_file "$T_TMP/small" "$T_TMP/small.d" "small"
aws2 s3 cp s3://keep-a/mid "$T_TMP/mid.d" >/dev/null
assert_same_file "$T_TMP/mid" "$T_TMP/mid.d" "mid"
aws1 s3 cp s3://keep-b/deep/er/big "$T_TMP/big.d" >/dev/null
assert_same_file "$T_TMP/big" "$T_TMP/big.d" "big (multipart)"
aws2 s3 cp s3://keep-b/overwritten "$T_TMP/ow.d" >/dev/null
assert_same_file "$T_TMP/mid" "$T_TMP/ow.d" "overwritten object has the last bytes"
for i in 1 13 25; do
	assert_eq "$i" "$(aws1 s3 cp "s3://keep-a/n/$i" -)" "n/$i"
done
expect_error 404 aws2 s3api head-object --bucket keep-b --key deleted
expect_error 404 aws2 s3api head-bucket --bucket gone-c
ok "bytes identical after restart (sha256); deleted object and bucket stay deleted"

# The open upload can be finished after the restart.
e2=$(aws2 s3api upload-part --bucket keep-b --key open-upload --upload-id "$uid" --part-number 2 \
	--body "$T_TMP/part2" --query ETag --output text)
aws2 s3api complete-multipart-upload --bucket keep-b --key open-upload --upload-id "$uid" \
	--multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":2,\"ETag\":$e2}]}" >/dev/null
aws1 s3 cp s3://keep-b/open-upload "$T_TMP/open.d" >/dev/null
cat "$T_TMP/part1" "$T_TMP/part2" >"$T_TMP/open.want"
assert_same_file "$T_TMP/open.want" "$T_TMP/open.d" "upload completed after restart"
ok "multipart upload started before the restart completes after it"

# A second restart right after writes (no idle time in between).
printf 'last' | aws1 s3 cp - s3://keep-a/last >/dev/null
restart_server
assert_eq last "$(aws2 s3 cp s3://keep-a/last -)" "object written just before a restart"
ok "object written just before a second restart is there"
