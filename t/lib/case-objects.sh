# t/lib/case-objects.sh - object operations through `s3api`, run with one CLI (sourced after
# server.sh with CLI=aws1 or CLI=aws2 by t/it/200-objects-v1.sh and 201-objects-v2.sh).

c() { "$CLI" "$@"; }
B=objs

start_server
c s3api create-bucket --bucket "$B" >/dev/null

# ---------------------------------------------------------------- put-object / head-object
mkfile "$T_TMP/f1" 1000
md5hex=$(md5sum "$T_TMP/f1" | cut -d' ' -f1)
md5b64=$(openssl dgst -md5 -binary "$T_TMP/f1" | base64)
c s3api put-object --bucket "$B" --key dir/f1 --body "$T_TMP/f1" --content-md5 "$md5b64" \
	--metadata color=blue,Shape=Round --content-type text/x-test --storage-class STANDARD_IA \
	--output json >"$T_TMP/put.json"
assert_eq "\"$md5hex\"" "$(json_get "$T_TMP/put.json" 'd["ETag"]')" "put-object ETag"
c s3api head-object --bucket "$B" --key dir/f1 --output json >"$T_TMP/head.json"
assert_eq "\"$md5hex\"" "$(json_get "$T_TMP/head.json" 'd["ETag"]')" "head ETag"
assert_eq 1000 "$(json_get "$T_TMP/head.json" 'd["ContentLength"]')" "head ContentLength"
assert_eq text/x-test "$(json_get "$T_TMP/head.json" 'd["ContentType"]')" "head ContentType"
assert_eq STANDARD_IA "$(json_get "$T_TMP/head.json" 'd.get("StorageClass")')" "head StorageClass"
assert_eq '{"color": "blue", "shape": "Round"}' \
	"$(json_get "$T_TMP/head.json" 'dict(sorted(d["Metadata"].items()))')" "head Metadata"
json_get "$T_TMP/head.json" 'd["LastModified"]' >/dev/null
ok "put-object (Content-MD5, metadata, content-type, storage class) and head-object"
etag=$(json_get "$T_TMP/head.json" 'd["ETag"]')
lastmod=$(json_get "$T_TMP/head.json" 'd["LastModified"]')

expect_error 404 c s3api head-object --bucket "$B" --key no/such/key
expect_error NoSuchKey c s3api get-object --bucket "$B" --key no/such/key "$T_TMP/nokey"
expect_error NoSuchBucket c s3api get-object --bucket no-such-bucket-x --key k "$T_TMP/nokey"
ok "missing key: 404 / NoSuchKey; missing bucket: NoSuchBucket"

# ---------------------------------------------------------------- get-object and ranges
c s3api get-object --bucket "$B" --key dir/f1 "$T_TMP/f1.down" --output json >"$T_TMP/get.json"
assert_same_file "$T_TMP/f1" "$T_TMP/f1.down" "get-object body"
assert_eq "$etag" "$(json_get "$T_TMP/get.json" 'd["ETag"]')" "get ETag"
assert_eq text/x-test "$(json_get "$T_TMP/get.json" 'd["ContentType"]')" "get ContentType"
ok "get-object: same bytes (sha256), ETag, ContentType"

# range_check RANGE FIRST LAST: get RANGE and compare with bytes FIRST..LAST of f1.
range_check() {
	c s3api get-object --bucket "$B" --key dir/f1 --range "$1" "$T_TMP/r.out" --output json >"$T_TMP/r.json"
	assert_eq "bytes $2-$3/1000" "$(json_get "$T_TMP/r.json" 'd.get("ContentRange")')" "Content-Range for $1"
	assert_eq $(($3 - $2 + 1)) "$(json_get "$T_TMP/r.json" 'd["ContentLength"]')" "ContentLength for $1"
	slice "$T_TMP/f1" "$2" $(($3 - $2 + 1)) >"$T_TMP/r.want"
	assert_same_file "$T_TMP/r.want" "$T_TMP/r.out" "bytes for $1"
}
range_check bytes=0-9 0 9
range_check bytes=100-199 100 199
range_check bytes=-5 995 999
range_check bytes=990- 990 999
range_check bytes=995-5000 995 999
range_check bytes=0-0 0 0
expect_error InvalidRange c s3api get-object --bucket "$B" --key dir/f1 --range bytes=1000- "$T_TMP/r.out"
expect_error InvalidRange c s3api get-object --bucket "$B" --key dir/f1 --range bytes=5000-6000 "$T_TMP/r.out"
ok "get-object ranges: first-last, suffix, open, clipped; past the end: InvalidRange"

# The status codes (206, 416) through a presigned URL and curl.
url=$(c s3 presign "s3://$B/dir/f1" --expires-in 300)
code=$(curl -s -D "$T_TMP/h206" -o "$T_TMP/r206" -w '%{http_code}' -r 10-19 "$url")
assert_eq 206 "$code" "ranged GET status"
grep -qi '^content-range: bytes 10-19/1000' "$T_TMP/h206" || fail "206 without Content-Range: $(cat "$T_TMP/h206")"
assert_eq 10 "$(stat -c %s "$T_TMP/r206")" "206 body length"
code=$(curl -s -o "$T_TMP/r416" -w '%{http_code}' -r 2000-3000 "$url")
assert_eq 416 "$code" "unsatisfiable range status"
assert_contains "$(cat "$T_TMP/r416")" "<Code>InvalidRange</Code>" "416 body"
code=$(curl -s -o "$T_TMP/r200" -w '%{http_code}' "$url")
assert_eq 200 "$code" "GET without Range"
assert_same_file "$T_TMP/f1" "$T_TMP/r200" "presigned GET body"
ok "presigned GET with curl: 200, 206 with Content-Range, 416 InvalidRange"

# ---------------------------------------------------------------- conditional GET / HEAD
c s3api get-object --bucket "$B" --key dir/f1 --if-match "$etag" "$T_TMP/c.out" >/dev/null
expect_error PreconditionFailed c s3api get-object --bucket "$B" --key dir/f1 \
	--if-match '"00000000000000000000000000000000"' "$T_TMP/c.out"
expect_error 304 c s3api get-object --bucket "$B" --key dir/f1 --if-none-match "$etag" "$T_TMP/c.out"
c s3api get-object --bucket "$B" --key dir/f1 --if-none-match '"0123"' "$T_TMP/c.out" >/dev/null
c s3api get-object --bucket "$B" --key dir/f1 --if-modified-since 2000-01-01T00:00:00Z "$T_TMP/c.out" >/dev/null
expect_error 304 c s3api get-object --bucket "$B" --key dir/f1 --if-modified-since "$lastmod" "$T_TMP/c.out"
c s3api get-object --bucket "$B" --key dir/f1 --if-unmodified-since "$lastmod" "$T_TMP/c.out" >/dev/null
expect_error PreconditionFailed c s3api get-object --bucket "$B" --key dir/f1 \
	--if-unmodified-since 2000-01-01T00:00:00Z "$T_TMP/c.out"
# If-Match true wins over If-Unmodified-Since false (RFC 7232 3.4, S3 documents it).
c s3api get-object --bucket "$B" --key dir/f1 --if-match "$etag" \
	--if-unmodified-since 2000-01-01T00:00:00Z "$T_TMP/c.out" >/dev/null
# If-None-Match false (304) wins over If-Modified-Since true.
expect_error 304 c s3api get-object --bucket "$B" --key dir/f1 --if-none-match "$etag" \
	--if-modified-since 2000-01-01T00:00:00Z "$T_TMP/c.out"
expect_error 412 c s3api head-object --bucket "$B" --key dir/f1 --if-match '"0123"'
expect_error 304 c s3api head-object --bucket "$B" --key dir/f1 --if-none-match "$etag"
ok "conditional GET/HEAD: if-match, if-none-match, if-modified-since, if-unmodified-since"

# ---------------------------------------------------------------- response overrides
c s3api get-object --bucket "$B" --key dir/f1 --response-content-type application/x-override \
	--response-content-disposition 'attachment; filename="x.bin"' --response-cache-control no-store \
	"$T_TMP/o.out" --output json >"$T_TMP/o.json"
assert_eq application/x-override "$(json_get "$T_TMP/o.json" 'd["ContentType"]')" "response-content-type"
assert_eq 'attachment; filename="x.bin"' "$(json_get "$T_TMP/o.json" 'd.get("ContentDisposition")')" \
	"response-content-disposition"
assert_eq no-store "$(json_get "$T_TMP/o.json" 'd.get("CacheControl")')" "response-cache-control"
c s3api head-object --bucket "$B" --key dir/f1 --output json >"$T_TMP/head2.json"
assert_eq text/x-test "$(json_get "$T_TMP/head2.json" 'd["ContentType"]')" "stored ContentType unchanged"
ok "get-object response-content-type / -disposition / -cache-control overrides"

# ---------------------------------------------------------------- zero-byte and odd keys
: >"$T_TMP/empty"
c s3api put-object --bucket "$B" --key empty --body "$T_TMP/empty" >/dev/null
c s3api get-object --bucket "$B" --key empty "$T_TMP/empty.down" >/dev/null
assert_eq 0 "$(stat -c %s "$T_TMP/empty.down")" "empty object size"
assert_eq '"d41d8cd98f00b204e9800998ecf8427e"' \
	"$(c s3api head-object --bucket "$B" --key empty --output json | json_get - 'd["ETag"]')" "empty ETag"
oddkey='sp ace/é+x&y=%25?#[]'
printf 'odd' >"$T_TMP/odd"
c s3api put-object --bucket "$B" --key "$oddkey" --body "$T_TMP/odd" >/dev/null
c s3api get-object --bucket "$B" --key "$oddkey" "$T_TMP/odd.down" >/dev/null
assert_same_file "$T_TMP/odd" "$T_TMP/odd.down" "odd key body"
ok "zero-byte object; key with spaces, UTF-8 and reserved characters"

# ---------------------------------------------------------------- delete-object / delete-objects
for k in del/a del/b del/c del/d; do
	c s3api put-object --bucket "$B" --key "$k" --body "$T_TMP/odd" >/dev/null
done
c s3api delete-object --bucket "$B" --key del/a
expect_error 404 c s3api head-object --bucket "$B" --key del/a
c s3api delete-object --bucket "$B" --key del/a
ok "delete-object; deleting a missing key succeeds"
c s3api delete-objects --bucket "$B" --output json \
	--delete '{"Objects":[{"Key":"del/b"},{"Key":"del/c"},{"Key":"del/none"}]}' >"$T_TMP/do.json"
assert_eq "del/b,del/c,del/none" "$(json_get "$T_TMP/do.json" '",".join(sorted(x["Key"] for x in d.get("Deleted", [])))')" \
	"delete-objects Deleted"
assert_eq 0 "$(json_get "$T_TMP/do.json" 'len(d.get("Errors", []))')" "delete-objects Errors"
c s3api delete-objects --bucket "$B" --output json \
	--delete '{"Objects":[{"Key":"del/d"}],"Quiet":true}' >"$T_TMP/doq.json"
assert_eq 0 "$(json_get "$T_TMP/doq.json" 'len(d.get("Deleted", []))')" "quiet delete-objects lists nothing"
assert_eq 0 "$(c s3api list-objects-v2 --bucket "$B" --prefix del/ --no-paginate --output json | json_get - 'd["KeyCount"]')" \
	"keys left under del/"
ok "delete-objects (verbose and quiet)"

# ---------------------------------------------------------------- listings
for k in a/1 a/2 a/b/3 b/4 c p/01 p/02 p/03 p/04 p/05; do
	c s3api put-object --bucket "$B" --key "lst/$k" --body "$T_TMP/odd" >/dev/null
done
c s3api put-object --bucket "$B" --key "lst/$oddkey" --body "$T_TMP/odd" >/dev/null
L() { c s3api "$@" --bucket "$B" --output json; }

L list-objects-v2 --prefix lst/a/ --no-paginate >"$T_TMP/l1.json"
assert_eq "lst/a/1,lst/a/2,lst/a/b/3" "$(json_get "$T_TMP/l1.json" '",".join(x["Key"] for x in d["Contents"])')" "v2 prefix"
assert_eq 3 "$(json_get "$T_TMP/l1.json" 'd["KeyCount"]')" "v2 KeyCount"
json_get "$T_TMP/l1.json" '[x["ETag"] for x in d["Contents"]] and [x["LastModified"] for x in d["Contents"]]' >/dev/null
assert_eq 3 "$(json_get "$T_TMP/l1.json" 'sum(1 for x in d["Contents"] if x["Size"] == 3 and x["StorageClass"] == "STANDARD")')" \
	"v2 Size/StorageClass"
L list-objects-v2 --prefix lst/ --delimiter / >"$T_TMP/l2.json"
assert_eq "lst/c" "$(json_get "$T_TMP/l2.json" '",".join(x["Key"] for x in d["Contents"])')" "v2 delimiter Contents"
assert_eq "lst/a/,lst/b/,lst/p/,lst/sp ace/" \
	"$(json_get "$T_TMP/l2.json" '",".join(x["Prefix"] for x in d["CommonPrefixes"])')" "v2 CommonPrefixes"
L list-objects-v2 --prefix lst/a/ --delimiter / >"$T_TMP/l3.json"
assert_eq "lst/a/1,lst/a/2|lst/a/b/" \
	"$(json_get "$T_TMP/l3.json" '",".join(x["Key"] for x in d["Contents"]) + "|" + ",".join(x["Prefix"] for x in d["CommonPrefixes"])')" \
	"v2 prefix+delimiter"
ok "list-objects-v2: prefix, delimiter, CommonPrefixes, KeyCount, Size/ETag/StorageClass"

# max-keys and continuation tokens (no client-side paging).
L list-objects-v2 --prefix lst/p/ --max-keys 2 --no-paginate >"$T_TMP/p1.json"
assert_eq "lst/p/01,lst/p/02" "$(json_get "$T_TMP/p1.json" '",".join(x["Key"] for x in d["Contents"])')" "page 1"
assert_eq True "$(json_get "$T_TMP/p1.json" 'd["IsTruncated"]')" "page 1 IsTruncated"
assert_eq 2 "$(json_get "$T_TMP/p1.json" 'd["MaxKeys"]')" "page 1 MaxKeys"
tok=$(json_get "$T_TMP/p1.json" 'd["NextContinuationToken"]')
L list-objects-v2 --prefix lst/p/ --max-keys 2 --no-paginate --continuation-token "$tok" >"$T_TMP/p2.json"
assert_eq "lst/p/03,lst/p/04" "$(json_get "$T_TMP/p2.json" '",".join(x["Key"] for x in d["Contents"])')" "page 2"
assert_eq "$tok" "$(json_get "$T_TMP/p2.json" 'd["ContinuationToken"]')" "page 2 echoes ContinuationToken"
tok=$(json_get "$T_TMP/p2.json" 'd["NextContinuationToken"]')
L list-objects-v2 --prefix lst/p/ --max-keys 2 --no-paginate --continuation-token "$tok" >"$T_TMP/p3.json"
assert_eq "lst/p/05" "$(json_get "$T_TMP/p3.json" '",".join(x["Key"] for x in d["Contents"])')" "page 3"
assert_eq False "$(json_get "$T_TMP/p3.json" 'd["IsTruncated"]')" "page 3 IsTruncated"
L list-objects-v2 --prefix lst/p/ --start-after lst/p/03 --no-paginate >"$T_TMP/sa.json"
assert_eq "lst/p/04,lst/p/05" "$(json_get "$T_TMP/sa.json" '",".join(x["Key"] for x in d["Contents"])')" "start-after"
L list-objects-v2 --prefix lst/p/ --max-keys 0 --no-paginate >"$T_TMP/mk0.json"
assert_eq 0 "$(json_get "$T_TMP/mk0.json" 'len(d.get("Contents", []))')" "max-keys 0"
L list-objects-v2 --prefix lst/p/ --page-size 2 >"$T_TMP/all.json"
assert_eq 5 "$(json_get "$T_TMP/all.json" 'len(d["Contents"])')" "client paging over 3 pages"
ok "list-objects-v2: max-keys, continuation-token, start-after, max-keys 0, client paging"

# list-objects (v1): marker, NextMarker with a delimiter, Owner always present.
L list-objects --prefix lst/p/ --max-keys 2 --no-paginate >"$T_TMP/m1.json"
assert_eq "lst/p/01,lst/p/02" "$(json_get "$T_TMP/m1.json" '",".join(x["Key"] for x in d["Contents"])')" "v1 page 1"
assert_eq True "$(json_get "$T_TMP/m1.json" 'd["IsTruncated"]')" "v1 IsTruncated"
json_get "$T_TMP/m1.json" 'd["Contents"][0]["Owner"]["ID"]' >/dev/null || fail "list-objects without Owner"
L list-objects --prefix lst/p/ --marker lst/p/02 --no-paginate >"$T_TMP/m2.json"
assert_eq "lst/p/03,lst/p/04,lst/p/05" "$(json_get "$T_TMP/m2.json" '",".join(x["Key"] for x in d["Contents"])')" "v1 marker"
assert_eq lst/p/02 "$(json_get "$T_TMP/m2.json" 'd.get("Marker")')" "v1 Marker echoed"
L list-objects --prefix lst/ --delimiter / --max-keys 2 --no-paginate >"$T_TMP/m3.json"
assert_eq True "$(json_get "$T_TMP/m3.json" 'd["IsTruncated"]')" "v1 delimiter IsTruncated"
assert_eq lst/b/ "$(json_get "$T_TMP/m3.json" 'd.get("NextMarker")')" "v1 NextMarker (a CommonPrefix)"
L list-objects --prefix lst/ --page-size 3 >"$T_TMP/m4.json"
assert_eq 11 "$(json_get "$T_TMP/m4.json" 'len(d["Contents"])')" "v1 client paging"
ok "list-objects: max-keys, marker, NextMarker with delimiter, Owner"

# encoding-type=url: keys come back encoded (the CLI only decodes when it chose the encoding).
L list-objects-v2 --prefix "lst/sp" --encoding-type url >"$T_TMP/e1.json"
rawkey=$(json_get "$T_TMP/e1.json" 'd["Contents"][0]["Key"]')
assert_ne "lst/$oddkey" "$rawkey" "encoding-type=url leaves keys encoded"
assert_eq "lst/$oddkey" "$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote_plus(sys.argv[1]))' "$rawkey")" \
	"url-decoded key"
L list-objects-v2 --prefix "lst/sp" >"$T_TMP/e2.json"
assert_eq "lst/$oddkey" "$(json_get "$T_TMP/e2.json" 'd["Contents"][0]["Key"]')" "key (CLI decodes)"
L list-objects --prefix "lst/sp" --encoding-type url >"$T_TMP/e3.json"
assert_eq "$rawkey" "$(json_get "$T_TMP/e3.json" 'd["Contents"][0]["Key"]')" "v1 list encoded key"
ok "encoding-type=url (list-objects and list-objects-v2)"

# fetch-owner: Owner only when asked for in v2.
L list-objects-v2 --prefix lst/a/ >"$T_TMP/fo1.json"
assert_eq None "$(json_get "$T_TMP/fo1.json" 'str(d["Contents"][0].get("Owner"))')" "no Owner without fetch-owner"
L list-objects-v2 --prefix lst/a/ --fetch-owner >"$T_TMP/fo2.json"
json_get "$T_TMP/fo2.json" 'd["Contents"][0]["Owner"]["ID"]' >/dev/null || fail "fetch-owner: no Owner.ID"
ok "list-objects-v2 fetch-owner"

# ---------------------------------------------------------------- copy-object
c s3api copy-object --bucket "$B" --key copy/f1 --copy-source "$B/dir/f1" --output json >"$T_TMP/cp.json"
assert_eq "$etag" "$(json_get "$T_TMP/cp.json" 'd["CopyObjectResult"]["ETag"]')" "copy ETag"
c s3api head-object --bucket "$B" --key copy/f1 --output json >"$T_TMP/cph.json"
assert_eq '{"color": "blue", "shape": "Round"}' "$(json_get "$T_TMP/cph.json" 'dict(sorted(d["Metadata"].items()))')" \
	"COPY keeps metadata"
assert_eq text/x-test "$(json_get "$T_TMP/cph.json" 'd["ContentType"]')" "COPY keeps content-type"
c s3api get-object --bucket "$B" --key copy/f1 "$T_TMP/cp.down" >/dev/null
assert_same_file "$T_TMP/f1" "$T_TMP/cp.down" "copied bytes"
c s3api copy-object --bucket "$B" --key copy/f2 --copy-source "$B/dir/f1" --metadata-directive REPLACE \
	--metadata new=1 --content-type text/plain >/dev/null
c s3api head-object --bucket "$B" --key copy/f2 --output json >"$T_TMP/cph2.json"
assert_eq '{"new": "1"}' "$(json_get "$T_TMP/cph2.json" 'd["Metadata"]')" "REPLACE metadata"
assert_eq text/plain "$(json_get "$T_TMP/cph2.json" 'd["ContentType"]')" "REPLACE content-type"
ok "copy-object: metadata-directive COPY and REPLACE"

c s3api copy-object --bucket "$B" --key copy/f3 --copy-source "$B/dir/f1" --copy-source-if-match "$etag" >/dev/null
expect_error PreconditionFailed c s3api copy-object --bucket "$B" --key copy/f3 --copy-source "$B/dir/f1" \
	--copy-source-if-match '"0123"'
expect_error PreconditionFailed c s3api copy-object --bucket "$B" --key copy/f3 --copy-source "$B/dir/f1" \
	--copy-source-if-none-match "$etag"
expect_error PreconditionFailed c s3api copy-object --bucket "$B" --key copy/f3 --copy-source "$B/dir/f1" \
	--copy-source-if-unmodified-since 2000-01-01T00:00:00Z
expect_error PreconditionFailed c s3api copy-object --bucket "$B" --key copy/f3 --copy-source "$B/dir/f1" \
	--copy-source-if-modified-since "$lastmod"
c s3api copy-object --bucket "$B" --key copy/f3 --copy-source "$B/dir/f1" \
	--copy-source-if-modified-since 2000-01-01T00:00:00Z >/dev/null
expect_error NoSuchKey c s3api copy-object --bucket "$B" --key copy/x --copy-source "$B/no/such"
ok "copy-object: copy-source-if-match / none-match / modified-since / unmodified-since, NoSuchKey"

expect_error InvalidRequest c s3api copy-object --bucket "$B" --key copy/f2 --copy-source "$B/copy/f2"
c s3api copy-object --bucket "$B" --key copy/f2 --copy-source "$B/copy/f2" --metadata-directive REPLACE \
	--metadata again=2 --content-type text/x-again >/dev/null
c s3api head-object --bucket "$B" --key copy/f2 --output json >"$T_TMP/cph3.json"
assert_eq '{"again": "2"}' "$(json_get "$T_TMP/cph3.json" 'd["Metadata"]')" "self-copy REPLACE metadata"
c s3api get-object --bucket "$B" --key copy/f2 "$T_TMP/cp2.down" >/dev/null
assert_same_file "$T_TMP/f1" "$T_TMP/cp2.down" "self-copy keeps bytes"
c s3api copy-object --bucket "$B" --key copy/odd --copy-source "$B/lst/$oddkey" >/dev/null
c s3api get-object --bucket "$B" --key copy/odd "$T_TMP/codd" >/dev/null
assert_same_file "$T_TMP/odd" "$T_TMP/codd" "copy from an odd key"
ok "copy onto itself: InvalidRequest without REPLACE, metadata replaced with it; odd source key"

# ---------------------------------------------------------------- tagging
c s3api put-object --bucket "$B" --key tag/t1 --body "$T_TMP/odd" --tagging 'a=1&b=two%20words' >/dev/null
c s3api get-object-tagging --bucket "$B" --key tag/t1 --output json >"$T_TMP/t1.json"
assert_eq "a=1,b=two words" "$(json_get "$T_TMP/t1.json" '",".join(t["Key"] + "=" + t["Value"] for t in sorted(d["TagSet"], key=lambda t: t["Key"]))')" \
	"x-amz-tagging on put"
assert_eq 2 "$(c s3api get-object --bucket "$B" --key tag/t1 "$T_TMP/t.out" --output json | json_get - 'd.get("TagCount")')" \
	"get-object TagCount"
c s3api put-object-tagging --bucket "$B" --key tag/t1 --tagging 'TagSet=[{Key=x,Value=y}]'
c s3api get-object-tagging --bucket "$B" --key tag/t1 --output json >"$T_TMP/t2.json"
assert_eq "x=y" "$(json_get "$T_TMP/t2.json" '",".join(t["Key"] + "=" + t["Value"] for t in d["TagSet"])')" \
	"put-object-tagging replaces the set"
c s3api delete-object-tagging --bucket "$B" --key tag/t1 >/dev/null
c s3api get-object-tagging --bucket "$B" --key tag/t1 --output json >"$T_TMP/t3.json"
assert_eq 0 "$(json_get "$T_TMP/t3.json" 'len(d["TagSet"])')" "delete-object-tagging"
expect_error NoSuchKey c s3api get-object-tagging --bucket "$B" --key tag/none
ok "put/get/delete-object-tagging, x-amz-tagging on put-object, TagCount"

# ---------------------------------------------------------------- get-object-attributes
c s3api get-object-attributes --bucket "$B" --key dir/f1 --object-attributes ETag ObjectSize StorageClass \
	--output json >"$T_TMP/ga.json"
assert_eq 1000 "$(json_get "$T_TMP/ga.json" 'd["ObjectSize"]')" "attributes ObjectSize"
assert_eq "$md5hex" "$(json_get "$T_TMP/ga.json" 'd["ETag"].strip("\"")')" "attributes ETag"
assert_eq STANDARD_IA "$(json_get "$T_TMP/ga.json" 'd["StorageClass"]')" "attributes StorageClass"
json_get "$T_TMP/ga.json" 'd["LastModified"]' >/dev/null
ok "get-object-attributes (ETag, ObjectSize, StorageClass)"
