# t/lib/case-s3cli.sh - the high-level `aws s3` commands, run with one CLI (sourced after
# server.sh with CLI=aws1 or CLI=aws2 by t/it/210-s3-cli-v1.sh and 211-s3-cli-v2.sh).
# cp up and down of 0 B, 1 B, 5 MiB and 40 MiB (multipart), from stdin and to stdout, ls, sync both
# ways, mv, rm --recursive, presign + curl; the server is restarted between upload and download.

c() { "$CLI" "$@"; }
B=s3cli-bucket
MiB=1048576

start_server
c s3 mb "s3://$B" >/dev/null
ok "s3 mb"

mkdir -p "$T_TMP/up" "$T_TMP/down"
mkfile "$T_TMP/up/zero" 0
mkfile "$T_TMP/up/one" 1
mkfile "$T_TMP/up/five" $((5 * MiB))
mkfile "$T_TMP/up/forty" $((40 * MiB))
for f in zero one five forty; do
	c s3 cp "$T_TMP/up/$f" "s3://$B/up/$f" >/dev/null
done
# The 40 MiB upload went through multipart (the CLIs' threshold is 8 MiB): its ETag says so.
etag=$(c s3api head-object --bucket "$B" --key up/forty --query ETag --output text)
case $etag in *-[0-9]*\") ;; *) fail "40 MiB object has a single-part ETag: $etag" ;; esac
ok "s3 cp up: 0 B, 1 B, 5 MiB, 40 MiB (multipart ETag $etag)"

mkfile "$T_TMP/stdin.small" 1234
mkfile "$T_TMP/stdin.big" $((12 * MiB))
c s3 cp - "s3://$B/stdin/small" <"$T_TMP/stdin.small" >/dev/null
c s3 cp - "s3://$B/stdin/big" <"$T_TMP/stdin.big" >/dev/null
: | c s3 cp - "s3://$B/stdin/empty" >/dev/null
ok "s3 cp - (stdin): 1234 B, 12 MiB (multipart from a stream), 0 B"

# Everything must survive a restart.
restart_server
ok "server restarted"

for f in zero one five forty; do
	c s3 cp "s3://$B/up/$f" "$T_TMP/down/$f" >/dev/null
	assert_same_file "$T_TMP/up/$f" "$T_TMP/down/$f" "s3 cp down $f"
done
ok "s3 cp down after restart: same sha256 for 0 B, 1 B, 5 MiB, 40 MiB"
c s3 cp "s3://$B/stdin/small" - >"$T_TMP/down/stdin.small"
assert_same_file "$T_TMP/stdin.small" "$T_TMP/down/stdin.small" "stdin small to stdout"
c s3 cp "s3://$B/stdin/big" - >"$T_TMP/down/stdin.big"
assert_same_file "$T_TMP/stdin.big" "$T_TMP/down/stdin.big" "stdin big to stdout"
c s3 cp "s3://$B/stdin/empty" - >"$T_TMP/down/stdin.empty"
assert_eq 0 "$(stat -c %s "$T_TMP/down/stdin.empty")" "empty object to stdout"
ok "s3 cp to stdout (-): same sha256"

# ---------------------------------------------------------------- ls
c s3 ls "s3://$B/up/" >"$T_TMP/ls1"
assert_eq 4 "$(wc -l <"$T_TMP/ls1")" "s3 ls up/ lines"
assert_eq $((40 * MiB)) "$(awk '$4 == "forty" { print $3 }' "$T_TMP/ls1")" "s3 ls size of forty"
c s3 ls "s3://$B/" >"$T_TMP/ls2"
assert_eq "PRE stdin/,PRE up/" "$(awk '{ print $1 " " $2 }' "$T_TMP/ls2" | LC_ALL=C sort | paste -sd, -)" \
	"s3 ls top level"
c s3 ls --recursive "s3://$B" >"$T_TMP/ls3"
assert_eq 7 "$(wc -l <"$T_TMP/ls3")" "s3 ls --recursive lines"
c s3 ls >"$T_TMP/ls4"
grep -q " $B\$" "$T_TMP/ls4" || fail "s3 ls does not list the bucket: $(cat "$T_TMP/ls4")"
ok "s3 ls: bucket list, prefixes, --recursive"

# ---------------------------------------------------------------- sync both ways
mkdir -p "$T_TMP/tree/a/b" "$T_TMP/tree/c"
for i in $(seq 1 12); do mkfile "$T_TMP/tree/a/f$i" $((i * 100)); done
for i in $(seq 1 6); do mkfile "$T_TMP/tree/a/b/g$i" $((i * 7)); done
mkfile "$T_TMP/tree/c/h" 70000
mkfile "$T_TMP/tree/top" 5
# Old mtimes: sync compares them with LastModified (whole seconds), so files written in the same
# second as their upload could look newer than the copy in S3.
find "$T_TMP/tree" -type f -exec touch -d '2 hours ago' {} +
c s3 sync "$T_TMP/tree" "s3://$B/tree" >/dev/null
c s3 sync "s3://$B/tree" "$T_TMP/tree2" >/dev/null
diff -r "$T_TMP/tree" "$T_TMP/tree2" || fail "sync up then down differs"
ok "s3 sync up and down: 20 files, identical trees"

# Second sync: only what changed moves; --delete removes what is gone.
mkfile "$T_TMP/tree/a/f1" 4321
mkfile "$T_TMP/tree/new" 10
touch -d '1 hour ago' "$T_TMP/tree/a/f1" "$T_TMP/tree/new"
rm "$T_TMP/tree/a/b/g1"
c s3 sync --no-progress --delete "$T_TMP/tree" "s3://$B/tree" >"$T_TMP/sync2.out"
n=$(grep -cE '^(upload|delete):' "$T_TMP/sync2.out" || true)
assert_eq 3 "$n" "changes in the second sync (upload f1, upload new, delete g1)"
c s3 sync --delete "s3://$B/tree" "$T_TMP/tree2" >/dev/null
diff -r "$T_TMP/tree" "$T_TMP/tree2" || fail "second sync down differs"
ok "s3 sync again: only changes move, --delete both ways"

# ---------------------------------------------------------------- cp/mv inside S3, rm
c s3 cp "s3://$B/up/five" "s3://$B/copy/five" >/dev/null
c s3 cp "s3://$B/copy/five" "$T_TMP/down/copy5" >/dev/null
assert_same_file "$T_TMP/up/five" "$T_TMP/down/copy5" "server-side copy"
c s3 mv "s3://$B/copy/five" "s3://$B/moved/five" >/dev/null
expect_error 404 c s3api head-object --bucket "$B" --key copy/five
c s3 cp "s3://$B/moved/five" "$T_TMP/down/moved5" >/dev/null
assert_same_file "$T_TMP/up/five" "$T_TMP/down/moved5" "moved object"
ok "s3 cp and s3 mv between keys"

c s3 rm --recursive "s3://$B/tree" >/dev/null
# (s3 ls exits 1 when it finds nothing: count with list-objects-v2.)
assert_eq 0 "$(c s3api list-objects-v2 --bucket "$B" --prefix tree/ --no-paginate --output json | json_get - 'd["KeyCount"]')" \
	"objects under tree/ after rm --recursive"
c s3 rm "s3://$B/moved/five" >/dev/null
ok "s3 rm --recursive, s3 rm"

# ---------------------------------------------------------------- presign + curl
url=$(c s3 presign "s3://$B/up/five" --expires-in 600)
if [ "$CLI" = aws1 ]; then
	assert_contains "$url" "AWSAccessKeyId=" "v1 presigns with SigV2"
	assert_contains "$url" "Signature=" "v1 presigns with SigV2"
else
	assert_contains "$url" "X-Amz-Algorithm=AWS4-HMAC-SHA256" "v2 presigns with SigV4"
fi
code=$(curl -s -o "$T_TMP/down/presigned" -w '%{http_code}' "$url")
assert_eq 200 "$code" "presigned GET status"
assert_same_file "$T_TMP/up/five" "$T_TMP/down/presigned" "presigned GET body"
code=$(curl -s -o /dev/null -w '%{http_code}' -I "$url")
# A HEAD with a GET presigned URL does not match the signed method (403), unlike a GET.
assert_eq 403 "$code" "HEAD with a URL presigned for GET"
# One character of the signature changed: SignatureDoesNotMatch.
bad=$(python3 -c 'import sys, re
u = sys.argv[1]
m = re.search(r"(Signature=|X-Amz-Signature=)([^&]+)", u)
s = m.group(2)
c = "B" if s[0] != "B" else "C"
print(u[:m.start(2)] + c + u[m.start(2) + 1:])' "$url")
code=$(curl -s -o "$T_TMP/bad.body" -w '%{http_code}' "$bad")
assert_eq 403 "$code" "tampered presigned URL status"
grep -q "<Code>SignatureDoesNotMatch</Code>" "$T_TMP/bad.body" \
	|| fail "tampered presigned URL: no SignatureDoesNotMatch in: $(head -c 600 "$T_TMP/bad.body" | tr -cd '[:print:]\n')"
ok "s3 presign + curl ($([ "$CLI" = aws1 ] && echo SigV2 || echo SigV4)): 200 and bytes, tampered: SignatureDoesNotMatch"

c s3 rb --force "s3://$B" >/dev/null
expect_error NoSuchBucket c s3api list-objects-v2 --bucket "$B"
ok "s3 rb --force"
