# t/lib/case-multipart.sh - multipart uploads through `s3api`, run with one CLI (sourced after
# server.sh with CLI=aws1 or CLI=aws2 by t/it/300-multipart-v1.sh and 301-multipart-v2.sh).

c() { "$CLI" "$@"; }
B=mpu-bucket
MiB=1048576

# mp_etag FILE...: the ETag S3 gives a multipart object made of these parts:
# md5(md5(part1) || md5(part2) || ...) in hex, "-", the number of parts.
mp_etag() {
	python3 -c 'import hashlib, sys
d = b"".join(hashlib.md5(open(f, "rb").read()).digest() for f in sys.argv[1:])
print("\"%s-%d\"" % (hashlib.md5(d).hexdigest(), len(sys.argv) - 1))' "$@"
}

# parts_json N:ETAG...: the --multipart-upload argument.
parts_json() {
	python3 -c 'import json, sys
print(json.dumps({"Parts": [{"PartNumber": int(a.split(":", 1)[0]), "ETag": a.split(":", 1)[1]} for a in sys.argv[1:]]}))' "$@"
}

start_server
c s3api create-bucket --bucket "$B" >/dev/null

mkfile "$T_TMP/p1" $((5 * MiB))
mkfile "$T_TMP/src" $((6 * MiB))
mkfile "$T_TMP/p3" $((1 * MiB + 17))
c s3api put-object --bucket "$B" --key src --body "$T_TMP/src" >/dev/null
head -c $((5 * MiB)) "$T_TMP/src" >"$T_TMP/p2"   # what upload-part-copy of bytes=0-(5 MiB-1) gives

# ---------------------------------------------------------------- a complete upload
uid=$(c s3api create-multipart-upload --bucket "$B" --key big --content-type application/x-big \
	--metadata k=v --query UploadId --output text)
if [ -z "$uid" ] || [ "$uid" = None ]; then fail "create-multipart-upload gave no UploadId"; fi
e1=$(c s3api upload-part --bucket "$B" --key big --upload-id "$uid" --part-number 1 --body "$T_TMP/p1" \
	--query ETag --output text)
assert_eq "\"$(md5sum "$T_TMP/p1" | cut -d' ' -f1)\"" "$e1" "upload-part ETag"
e2=$(c s3api upload-part-copy --bucket "$B" --key big --upload-id "$uid" --part-number 2 \
	--copy-source "$B/src" --copy-source-range "bytes=0-$((5 * MiB - 1))" \
	--query CopyPartResult.ETag --output text)
assert_eq "\"$(md5sum "$T_TMP/p2" | cut -d' ' -f1)\"" "$e2" "upload-part-copy ETag"
e3=$(c s3api upload-part --bucket "$B" --key big --upload-id "$uid" --part-number 3 --body "$T_TMP/p3" \
	--query ETag --output text)
ok "create-multipart-upload, upload-part, upload-part-copy with a range"

c s3api list-parts --bucket "$B" --key big --upload-id "$uid" --output json >"$T_TMP/lp.json"
assert_eq "1:$((5 * MiB)),2:$((5 * MiB)),3:$((MiB + 17))" \
	"$(json_get "$T_TMP/lp.json" '",".join("%d:%d" % (p["PartNumber"], p["Size"]) for p in d["Parts"])')" \
	"list-parts numbers and sizes"
assert_eq "$e1,$e2,$e3" "$(json_get "$T_TMP/lp.json" '",".join(p["ETag"] for p in d["Parts"])')" "list-parts ETags"
c s3api list-parts --bucket "$B" --key big --upload-id "$uid" --max-parts 1 --no-paginate --output json \
	>"$T_TMP/lp1.json"
assert_eq "1|True|1" "$(json_get "$T_TMP/lp1.json" '"%d|%s|%s" % (len(d["Parts"]), d["IsTruncated"], d["NextPartNumberMarker"])')" \
	"list-parts max-parts 1"
c s3api list-parts --bucket "$B" --key big --upload-id "$uid" --part-number-marker 1 --no-paginate \
	--output json >"$T_TMP/lp2.json"
assert_eq "2,3" "$(json_get "$T_TMP/lp2.json" '",".join(str(p["PartNumber"]) for p in d["Parts"])')" \
	"list-parts part-number-marker"
c s3api list-multipart-uploads --bucket "$B" --output json >"$T_TMP/lu.json"
assert_eq "big:$uid" "$(json_get "$T_TMP/lu.json" '",".join(u["Key"] + ":" + u["UploadId"] for u in d.get("Uploads", []))')" \
	"list-multipart-uploads"
ok "list-parts (max-parts, part-number-marker), list-multipart-uploads"

# The object does not exist until complete.
expect_error 404 c s3api head-object --bucket "$B" --key big

c s3api complete-multipart-upload --bucket "$B" --key big --upload-id "$uid" \
	--multipart-upload "$(parts_json "1:$e1" "2:$e2" "3:$e3")" --output json >"$T_TMP/cmu.json"
want=$(mp_etag "$T_TMP/p1" "$T_TMP/p2" "$T_TMP/p3")
assert_eq "$want" "$(json_get "$T_TMP/cmu.json" 'd["ETag"]')" "complete ETag (md5 of part md5s, -3)"
case $want in *-3\") ;; *) fail "multipart ETag does not end in -3: $want" ;; esac
c s3api head-object --bucket "$B" --key big --output json >"$T_TMP/h.json"
assert_eq "$want" "$(json_get "$T_TMP/h.json" 'd["ETag"]')" "head ETag"
assert_eq $((11 * MiB + 17)) "$(json_get "$T_TMP/h.json" 'd["ContentLength"]')" "head ContentLength"
assert_eq application/x-big "$(json_get "$T_TMP/h.json" 'd["ContentType"]')" "content-type from create"
assert_eq '{"k": "v"}' "$(json_get "$T_TMP/h.json" 'd["Metadata"]')" "metadata from create"
c s3api get-object --bucket "$B" --key big "$T_TMP/big.down" >/dev/null
cat "$T_TMP/p1" "$T_TMP/p2" "$T_TMP/p3" >"$T_TMP/big.want"
assert_same_file "$T_TMP/big.want" "$T_TMP/big.down" "completed object bytes"
c s3api list-multipart-uploads --bucket "$B" --output json >"$T_TMP/lu2.json"
assert_eq 0 "$(json_get "$T_TMP/lu2.json" 'len(d.get("Uploads", []))')" "no upload left after complete"
expect_error NoSuchUpload c s3api list-parts --bucket "$B" --key big --upload-id "$uid"
ok "complete-multipart-upload: ETag ends in -3, bytes (sha256), content-type and metadata kept"

# A range of a multipart object across the part boundary.
c s3api get-object --bucket "$B" --key big --range "bytes=$((5 * MiB - 10))-$((5 * MiB + 9))" \
	"$T_TMP/cross.out" >/dev/null
slice "$T_TMP/big.want" $((5 * MiB - 10)) 20 >"$T_TMP/cross.want"
assert_same_file "$T_TMP/cross.want" "$T_TMP/cross.out" "range across parts"
ok "ranged GET across a part boundary"

# ---------------------------------------------------------------- errors at complete time
mkfile "$T_TMP/s1" $((1 * MiB))
mkfile "$T_TMP/s2" $((1 * MiB))
uid2=$(c s3api create-multipart-upload --bucket "$B" --key bad --query UploadId --output text)
f1=$(c s3api upload-part --bucket "$B" --key bad --upload-id "$uid2" --part-number 1 --body "$T_TMP/p1" \
	--query ETag --output text)
f2=$(c s3api upload-part --bucket "$B" --key bad --upload-id "$uid2" --part-number 2 --body "$T_TMP/p1" \
	--query ETag --output text)
expect_error InvalidPart c s3api complete-multipart-upload --bucket "$B" --key bad --upload-id "$uid2" \
	--multipart-upload "$(parts_json "1:$f1" '2:"00000000000000000000000000000000"')"
expect_error InvalidPart c s3api complete-multipart-upload --bucket "$B" --key bad --upload-id "$uid2" \
	--multipart-upload "$(parts_json "1:$f1" "3:$f2")"
expect_error InvalidPartOrder c s3api complete-multipart-upload --bucket "$B" --key bad --upload-id "$uid2" \
	--multipart-upload "$(parts_json "2:$f2" "1:$f1")"
expect_error 404 c s3api head-object --bucket "$B" --key bad
ok "complete: InvalidPart (wrong ETag, unknown part), InvalidPartOrder; no object made"

# Parts smaller than 5 MiB (but the last) make EntityTooSmall.
g1=$(c s3api upload-part --bucket "$B" --key bad --upload-id "$uid2" --part-number 1 --body "$T_TMP/s1" \
	--query ETag --output text)
expect_error EntityTooSmall c s3api complete-multipart-upload --bucket "$B" --key bad --upload-id "$uid2" \
	--multipart-upload "$(parts_json "1:$g1" "2:$f2")"
expect_error 404 c s3api head-object --bucket "$B" --key bad
# The upload is still there after a failed complete; overwriting part 1 again with 5 MiB fixes it.
f1=$(c s3api upload-part --bucket "$B" --key bad --upload-id "$uid2" --part-number 1 --body "$T_TMP/p1" \
	--query ETag --output text)
c s3api complete-multipart-upload --bucket "$B" --key bad --upload-id "$uid2" \
	--multipart-upload "$(parts_json "1:$f1" "2:$f2")" >/dev/null
c s3api get-object --bucket "$B" --key bad "$T_TMP/bad.down" >/dev/null
cat "$T_TMP/p1" "$T_TMP/p1" >"$T_TMP/bad.want"
assert_same_file "$T_TMP/bad.want" "$T_TMP/bad.down" "object after re-uploaded part"
ok "EntityTooSmall; the upload survives a failed complete; a re-uploaded part replaces the old one"

# A single small part is fine (the last part may be small).
uid4=$(c s3api create-multipart-upload --bucket "$B" --key small --query UploadId --output text)
h1=$(c s3api upload-part --bucket "$B" --key small --upload-id "$uid4" --part-number 1 --body "$T_TMP/s2" \
	--query ETag --output text)
c s3api complete-multipart-upload --bucket "$B" --key small --upload-id "$uid4" \
	--multipart-upload "$(parts_json "1:$h1")" --output json >"$T_TMP/small.json"
assert_eq "$(mp_etag "$T_TMP/s2")" "$(json_get "$T_TMP/small.json" 'd["ETag"]')" "one-part ETag ends in -1"
ok "one small part completes (ETag -1)"

# ---------------------------------------------------------------- abort
uid3=$(c s3api create-multipart-upload --bucket "$B" --key aborted --query UploadId --output text)
c s3api upload-part --bucket "$B" --key aborted --upload-id "$uid3" --part-number 1 --body "$T_TMP/s1" >/dev/null
c s3api abort-multipart-upload --bucket "$B" --key aborted --upload-id "$uid3"
expect_error NoSuchUpload c s3api list-parts --bucket "$B" --key aborted --upload-id "$uid3"
expect_error NoSuchUpload c s3api upload-part --bucket "$B" --key aborted --upload-id "$uid3" --part-number 2 \
	--body "$T_TMP/s1"
expect_error NoSuchUpload c s3api complete-multipart-upload --bucket "$B" --key aborted --upload-id "$uid3" \
	--multipart-upload "$(parts_json '1:"x"')"
expect_error NoSuchUpload c s3api abort-multipart-upload --bucket "$B" --key aborted --upload-id "$uid3"
expect_error 404 c s3api head-object --bucket "$B" --key aborted
c s3api list-multipart-uploads --bucket "$B" --output json >"$T_TMP/lu3.json"
assert_eq 0 "$(json_get "$T_TMP/lu3.json" 'len(d.get("Uploads", []))')" "no upload left after abort"
ok "abort-multipart-upload; NoSuchUpload afterwards"

# Nothing left over in the data dir from the aborted and failed uploads: all files there belong
# to the four objects (src, big, bad, small), whose sizes add up.
total=$(data_snapshot | awk '{ s += $1 } END { print s + 0 }')
want=$((6 * MiB + 11 * MiB + 17 + 10 * MiB + 1 * MiB))
[ "$total" -le $((want + 65536)) ] || fail "data dir holds $total bytes, objects hold $want: leftover parts?"
ok "no leftover part files (data dir $total bytes for $want bytes of objects)"
