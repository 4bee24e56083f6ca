#!/bin/bash
# 502-versioning: the versioning lifecycle with AWS CLI v1, v2 and boto3 (502-versioning.py):
# three versions put, listed (paged with --max-items / --page-size, and by hand with the key and
# version-id markers), read back by id; a delete makes a marker (GET 404 with the marker headers),
# deleting the marker brings the object back, a version deleted by id is gone for good; Suspended
# buckets write the "null" version; multipart completes into a new version; CopyObject from a
# source version; tagging by version; the ...Version IAM actions and s3:VersionId; MalformedXML
# and IllegalVersioningConfigurationException for bad configurations; a restart keeps it all.
. "$(dirname "$0")/../lib/server.sh"

need_boto3
start_server
P=$T_TMP/p
mkdir -p "$P"
err_of() { cat "$T_TMP/expect.err"; }
as() {
	local f=$1
	shift
	AWS_ACCESS_KEY_ID=$(json_get "$f" 'd["AccessKey"]["AccessKeyId"]') \
		AWS_SECRET_ACCESS_KEY=$(json_get "$f" 'd["AccessKey"]["SecretAccessKey"]') "$@"
}
# vid CLI ARGS...: run an s3api call that returns a VersionId and print it.
vid() { "$@" --query VersionId --output text; }

aws1 s3 mb s3://ver-demo >/dev/null
out=$(aws2 s3api get-bucket-versioning --bucket ver-demo --output json)
assert_eq "" "$(printf '%s' "$out" | json_get - 'd.get("Status")')" "a new bucket has never been versioned"
aws1 s3api put-bucket-versioning --bucket ver-demo --versioning-configuration Status=Enabled
assert_eq Enabled "$(aws2 s3api get-bucket-versioning --bucket ver-demo --query Status --output text)" "Enabled"
ok "GetBucketVersioning: no Status before, Enabled after put-bucket-versioning (v1 put, v2 get)"

# ---------------------------------------------------------------- three versions
for i in 1 2 3; do printf 'version %d of doc\n' "$i" >"$P/v$i.txt"; done
V1=$(vid aws1 s3api put-object --bucket ver-demo --key doc.txt --body "$P/v1.txt")
V2=$(vid aws2 s3api put-object --bucket ver-demo --key doc.txt --body "$P/v2.txt")
V3=$(vid aws1 s3api put-object --bucket ver-demo --key doc.txt --body "$P/v3.txt")
for v in "$V1" "$V2" "$V3"; do
	[[ $v =~ ^[A-Za-z0-9._]{32}$ ]] || fail "version id '$v' is not 32 characters of [A-Za-z0-9._] (AWS's form)"
done
[ "$V1" != "$V2" ] && [ "$V2" != "$V3" ] && [ "$V1" != "$V3" ] || fail "version ids not distinct: $V1 $V2 $V3"
ok "three puts, three distinct version ids ($V1 ...)"

out=$(aws2 s3api list-object-versions --bucket ver-demo --output json)
assert_eq "$V3 $V2 $V1" "$(printf '%s' "$out" | json_get - '" ".join(v["VersionId"] for v in d["Versions"])')" "newest first"
assert_eq "True False False" "$(printf '%s' "$out" | json_get - '" ".join(str(v["IsLatest"]) for v in d["Versions"])')" "IsLatest"
assert_eq 17 "$(printf '%s' "$out" | json_get - 'd["Versions"][1]["Size"]')" "size"
ok "list-object-versions (v2): three versions, newest first, only the newest IsLatest"
owner=$(aws1 s3api get-bucket-acl --bucket ver-demo --query Owner.ID --output text)
assert_eq "$owner $owner $owner" "$(printf '%s' "$out" | json_get - '" ".join(v["Owner"]["ID"] or "<empty>" for v in d["Versions"])')" \
	"Owner of each version"
ok "list-object-versions reports the bucket owner as each version's Owner"

# CLI paging: --max-items (client-side, NextToken) and --page-size (MaxKeys on the wire).
out=$(aws1 s3api list-object-versions --bucket ver-demo --max-items 1 --output json)
assert_eq "$V3" "$(printf '%s' "$out" | json_get - '" ".join(v["VersionId"] for v in d["Versions"])')" "first item"
tok=$(printf '%s' "$out" | json_get - 'd["NextToken"]')
assert_ne "" "$tok" "NextToken"
out=$(aws1 s3api list-object-versions --bucket ver-demo --max-items 1 --starting-token "$tok" --output json)
assert_eq "$V2" "$(printf '%s' "$out" | json_get - '" ".join(v["VersionId"] for v in d["Versions"])')" "second item"
out=$(aws2 s3api list-object-versions --bucket ver-demo --page-size 1 --debug --output json 2>"$P/debug.txt")
assert_eq "$V3 $V2 $V1" "$(printf '%s' "$out" | json_get - '" ".join(v["VersionId"] for v in d["Versions"])')" \
	"v2 --page-size 1 gathers all three"
assert_eq 3 "$(grep -c 'Sending http request:.*max-keys=1' "$P/debug.txt")" "three requests of one key each"
grep -q 'version-id-marker=' "$P/debug.txt" || fail "--page-size paging sent no version-id-marker"
ok "paging: v1 --max-items 1 / --starting-token; v2 --page-size 1 (three requests with key-marker/version-id-marker)"

for i in 1 2 3; do
	eval "v=\$V$i"
	aws1 s3api get-object --bucket ver-demo --key doc.txt --version-id "$v" "$P/got$i" >/dev/null
	assert_same_file "$P/v$i.txt" "$P/got$i" "version $i by id"
done
out=$(aws2 s3api head-object --bucket ver-demo --key doc.txt --version-id "$V1" --output json)
assert_eq "$V1" "$(printf '%s' "$out" | json_get - 'd["VersionId"]')" "head by id"
aws2 s3 cp s3://ver-demo/doc.txt "$P/latest" >/dev/null
assert_same_file "$P/v3.txt" "$P/latest" "latest"
ok "each version read back by id (v1), head-object --version-id (v2), plain GET is the newest"

# ---------------------------------------------------------------- delete marker
out=$(aws1 s3api delete-object --bucket ver-demo --key doc.txt --output json)
assert_eq True "$(printf '%s' "$out" | json_get - 'd["DeleteMarker"]')" "delete made a marker"
DM=$(printf '%s' "$out" | json_get - 'd["VersionId"]')
expect_error NoSuchKey aws2 s3api get-object --bucket ver-demo --key doc.txt "$P/o"
dbg=$(aws1 s3api get-object --bucket ver-demo --key doc.txt "$P/o" --debug 2>&1 || true)
assert_contains "$dbg" "'x-amz-delete-marker': 'true'" "x-amz-delete-marker header on the 404"
assert_contains "$dbg" "'x-amz-version-id': '$DM'" "x-amz-version-id of the marker on the 404"
out=$(aws2 s3api list-object-versions --bucket ver-demo --output json)
assert_eq "$DM True" "$(printf '%s' "$out" | json_get - '" ".join(str(x) for x in (d["DeleteMarkers"][0]["VersionId"], d["DeleteMarkers"][0]["IsLatest"]))')" \
	"the marker is listed, latest"
assert_eq "" "$(aws1 s3api list-objects-v2 --bucket ver-demo --query 'Contents[].Key' --output text | sed 's/None//')" \
	"ListObjectsV2 hides the key"
aws2 s3api get-object --bucket ver-demo --key doc.txt --version-id "$V2" "$P/got2b" >/dev/null
assert_same_file "$P/v2.txt" "$P/got2b" "old versions survive the marker"
ok "delete -> delete marker: GET 404 NoSuchKey with x-amz-delete-marker and its version id; listed; versions intact"

aws1 s3api delete-object --bucket ver-demo --key doc.txt --version-id "$DM" >/dev/null
aws2 s3 cp s3://ver-demo/doc.txt "$P/back" >/dev/null
assert_same_file "$P/v3.txt" "$P/back" "the object is back"
out=$(aws1 s3api list-object-versions --bucket ver-demo --output json)
assert_eq 0 "$(printf '%s' "$out" | json_get - 'len(d.get("DeleteMarkers", []))')" "marker gone"
ok "deleting the marker by id brings the object back"

out=$(aws2 s3api delete-object --bucket ver-demo --key doc.txt --version-id "$V1" --output json)
assert_eq "$V1" "$(printf '%s' "$out" | json_get - 'd["VersionId"]')" "deleted version id echoed"
expect_error NoSuchVersion aws1 s3api get-object --bucket ver-demo --key doc.txt --version-id "$V1" "$P/o"
out=$(aws2 s3api list-object-versions --bucket ver-demo --output json)
assert_eq "$V3 $V2" "$(printf '%s' "$out" | json_get - '" ".join(v["VersionId"] for v in d["Versions"])')" "two left"
assert_eq 0 "$(printf '%s' "$out" | json_get - 'len(d.get("DeleteMarkers", []))')" "no marker for a permanent delete"
ok "a version deleted by id is gone for good (NoSuchVersion), without a marker"

bad_version_id() {
	expect_error InvalidArgument aws1 s3api get-object --bucket ver-demo --key doc.txt --version-id "not-a-version" "$P/o"
	assert_contains "$(err_of)" "Invalid version id specified" "bad version id message"
}
bad_version_id
ok "a malformed version id: 400 InvalidArgument 'Invalid version id specified'"

# ---------------------------------------------------------------- copy, tagging, multipart
out=$(aws1 s3api copy-object --bucket ver-demo --key copy.txt --copy-source "ver-demo/doc.txt?versionId=$V2" --output json)
assert_eq "$V2" "$(printf '%s' "$out" | json_get - 'd["CopySourceVersionId"]')" "CopySourceVersionId"
CV=$(printf '%s' "$out" | json_get - 'd["VersionId"]')
assert_ne "" "$CV" "the copy is a new version"
aws2 s3api get-object --bucket ver-demo --key copy.txt "$P/copy" >/dev/null
assert_same_file "$P/v2.txt" "$P/copy" "copy of version 2"
ok "CopyObject from a source versionId: version 2's bytes, CopySourceVersionId echoed, a new version id"

aws2 s3api put-object-tagging --bucket ver-demo --key doc.txt --version-id "$V2" --tagging 'TagSet=[{Key=stage,Value=old}]' >/dev/null
assert_eq old "$(aws1 s3api get-object-tagging --bucket ver-demo --key doc.txt --version-id "$V2" --query 'TagSet[0].Value' --output text)" \
	"tag of version 2"
out=$(aws2 s3api get-object-tagging --bucket ver-demo --key doc.txt --output json)
assert_eq 0 "$(printf '%s' "$out" | json_get - 'len(d["TagSet"])')" "the latest version is untagged"
assert_eq "$V3" "$(printf '%s' "$out" | json_get - 'd["VersionId"]')" "tagging response names the latest version"
aws1 s3api delete-object-tagging --bucket ver-demo --key doc.txt --version-id "$V2" >/dev/null
out=$(aws2 s3api get-object-tagging --bucket ver-demo --key doc.txt --version-id "$V2" --output json)
assert_eq 0 "$(printf '%s' "$out" | json_get - 'len(d["TagSet"])')" "tag of version 2 deleted"
ok "put/get/delete-object-tagging --version-id touch only that version"

mkfile "$P/big.bin" $((9 * 1024 * 1024))
aws2 s3 cp "$P/big.bin" s3://ver-demo/doc.txt >/dev/null
out=$(aws1 s3api list-object-versions --bucket ver-demo --prefix doc.txt --output json)
assert_eq 3 "$(printf '%s' "$out" | json_get - 'len(d["Versions"])')" "multipart added a version"
MV=$(printf '%s' "$out" | json_get - 'd["Versions"][0]["VersionId"]')
assert_eq "True $((9 * 1024 * 1024))" "$(printf '%s' "$out" | json_get - '"%s %s" % (d["Versions"][0]["IsLatest"], d["Versions"][0]["Size"])')" \
	"the multipart upload is the latest version"
assert_ne "$V3" "$MV" "a new id"
aws1 s3api get-object --bucket ver-demo --key doc.txt --version-id "$MV" "$P/big.got" >/dev/null
assert_same_file "$P/big.bin" "$P/big.got" "multipart version bytes"
aws2 s3api get-object --bucket ver-demo --key doc.txt --version-id "$V3" "$P/got3b" >/dev/null
assert_same_file "$P/v3.txt" "$P/got3b" "version 3 still there"
UP=$(aws1 s3api create-multipart-upload --bucket ver-demo --key mp.bin --query UploadId --output text)
head -c $((5 * 1024 * 1024)) "$P/big.bin" >"$P/part1"
E1=$(aws1 s3api upload-part --bucket ver-demo --key mp.bin --upload-id "$UP" --part-number 1 --body "$P/part1" --query ETag --output text)
out=$(aws1 s3api complete-multipart-upload --bucket ver-demo --key mp.bin --upload-id "$UP" \
	--multipart-upload "Parts=[{ETag=$E1,PartNumber=1}]" --output json)
assert_ne "" "$(printf '%s' "$out" | json_get - 'd.get("VersionId")')" "CompleteMultipartUpload returns a VersionId"
ok "multipart (aws s3 cp 9 MiB, and s3api complete-multipart-upload) completes into a new version"

# ---------------------------------------------------------------- IAM: ...Version actions, s3:VersionId
aws1 iam create-user --user-name verity >/dev/null
aws1 iam put-user-policy --user-name verity --policy-name read --policy-document '{"Version":"2012-10-17","Statement":[
 {"Sid":"Latest","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::ver-demo","arn:aws:s3:::ver-demo/*"]},
 {"Sid":"OnlyV2","Effect":"Allow","Action":"s3:GetObjectVersion","Resource":"arn:aws:s3:::ver-demo/*",
  "Condition":{"StringEquals":{"s3:VersionId":"'"$V2"'"}}}]}'
aws1 iam create-access-key --user-name verity --output json >"$P/verity.json"
as "$P/verity.json" aws2 s3api get-object --bucket ver-demo --key doc.txt "$P/o" >/dev/null
as "$P/verity.json" aws1 s3api get-object --bucket ver-demo --key doc.txt --version-id "$V2" "$P/vv2" >/dev/null
assert_same_file "$P/v2.txt" "$P/vv2" "verity reads version 2"
expect_error AccessDenied as "$P/verity.json" aws2 s3api get-object --bucket ver-demo --key doc.txt --version-id "$V3" "$P/o"
assert_contains "$(err_of)" "s3:GetObjectVersion" "the action named is s3:GetObjectVersion"
expect_error AccessDenied as "$P/verity.json" aws1 s3api list-object-versions --bucket ver-demo
assert_contains "$(err_of)" "s3:ListBucketVersions" "ListObjectVersions needs s3:ListBucketVersions"
expect_error AccessDenied as "$P/verity.json" aws2 s3api delete-object --bucket ver-demo --key doc.txt --version-id "$V2"
assert_contains "$(err_of)" "s3:DeleteObjectVersion" "delete by id needs s3:DeleteObjectVersion"
ok "GET with versionId needs s3:GetObjectVersion (s3:VersionId condition honoured); ListBucketVersions, DeleteObjectVersion"

# ---------------------------------------------------------------- Suspended: the null version
aws2 s3api put-bucket-versioning --bucket ver-demo --versioning-configuration Status=Suspended
assert_eq Suspended "$(aws1 s3api get-bucket-versioning --bucket ver-demo --query Status --output text)" "Suspended"
printf 'null one\n' >"$P/n1.txt"
printf 'null two\n' >"$P/n2.txt"
aws1 s3api put-object --bucket ver-demo --key doc.txt --body "$P/n1.txt" >/dev/null
assert_eq null "$(aws2 s3api head-object --bucket ver-demo --key doc.txt --query VersionId --output text)" \
	"the latest version of a suspended bucket's new object is null"
ok "HEAD of a null version in a versioning-suspended bucket answers x-amz-version-id: null"
aws2 s3api put-object --bucket ver-demo --key doc.txt --body "$P/n2.txt" >/dev/null
out=$(aws2 s3api list-object-versions --bucket ver-demo --prefix doc.txt --output json)
assert_eq "null $MV $V3 $V2" "$(printf '%s' "$out" | json_get - '" ".join(v["VersionId"] for v in d["Versions"])')" \
	"one null version replaced in place, the older versions kept"
aws1 s3api get-object --bucket ver-demo --key doc.txt --version-id null "$P/null.got" >/dev/null
assert_same_file "$P/n2.txt" "$P/null.got" "the null version is the second put"
out=$(aws2 s3api delete-object --bucket ver-demo --key doc.txt --output json)
assert_eq True "$(printf '%s' "$out" | json_get - 'd.get("DeleteMarker")')" "suspended delete: a delete marker"
out=$(aws1 s3api list-object-versions --bucket ver-demo --prefix doc.txt --output json)
assert_eq "$MV $V3 $V2" "$(printf '%s' "$out" | json_get - '" ".join(v["VersionId"] for v in d["Versions"])')" \
	"the null version was replaced by the null marker"
assert_eq null "$(printf '%s' "$out" | json_get - 'd["DeleteMarkers"][0]["VersionId"]')" "null marker"
aws2 s3api delete-object --bucket ver-demo --key doc.txt --version-id null >/dev/null
aws1 s3api get-object --bucket ver-demo --key doc.txt "$P/after" >/dev/null
assert_same_file "$P/big.bin" "$P/after" "the newest remaining version is the multipart one"
ok "Suspended: puts write the null version (replaced in place), delete makes a null marker, older versions kept"

# ---------------------------------------------------------------- bad configurations
expect_error MalformedXML aws1 s3api put-bucket-versioning --bucket ver-demo --versioning-configuration Status=enabled
expect_error MalformedXML aws2 s3api put-bucket-versioning --bucket ver-demo --versioning-configuration Status=Disabled
expect_error IllegalVersioningConfigurationException aws1 s3api put-bucket-versioning --bucket ver-demo \
	--versioning-configuration '{}'
ok "an empty VersioningConfiguration: IllegalVersioningConfigurationException"
py - <<'EOF'
import sys
import sign
for body in (b"<VersioningConfiguration><Status>Enabled</Status>", b"Status=Enabled",
             b"<Versioning><Status>Enabled</Status></Versioning>"):
    r = sign.send("PUT", "/ver-demo", "versioning", {"Content-Type": "application/xml"}, body)
    if r.status != 400 or r.code != "MalformedXML":
        sys.exit("FAIL: 502-versioning.sh: %r -> %r (want 400 MalformedXML)" % (body, r))
EOF
assert_eq Suspended "$(aws2 s3api get-bucket-versioning --bucket ver-demo --query Status --output text)" "unchanged"
expect_error NoSuchBucket aws1 s3api put-bucket-versioning --bucket no-such-ver-bucket --versioning-configuration Status=Enabled
ok "bad versioning XML (enabled, Disabled, unclosed, not XML, wrong root): MalformedXML, the state unchanged"

# ---------------------------------------------------------------- boto3
aws1 s3 mb s3://ver-pages >/dev/null
py "$SRCDIR/t/it/502-versioning.py" paging ver-pages
py "$SRCDIR/t/it/502-versioning.py" ssec ver-pages
ok "502-versioning.py (boto3): paging by markers, delete-marker headers, 405 on a marker, SSE-C per version"

# ---------------------------------------------------------------- restart
restart_server
out=$(aws2 s3api list-object-versions --bucket ver-demo --prefix doc.txt --output json)
assert_eq "$MV $V3 $V2" "$(printf '%s' "$out" | json_get - '" ".join(v["VersionId"] for v in d["Versions"])')" "after restart"
aws1 s3api get-object --bucket ver-demo --key doc.txt --version-id "$V2" "$P/r2" >/dev/null
assert_same_file "$P/v2.txt" "$P/r2" "version 2 after restart"
assert_eq Suspended "$(aws1 s3api get-bucket-versioning --bucket ver-demo --query Status --output text)" "state after restart"
ok "versions and the versioning state survive a restart"
