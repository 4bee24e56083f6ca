#!/bin/bash
# 220-many-keys: 1,500 keys, so that listings need several pages (1,000 keys a page at most):
# s3 sync up (v2), s3 ls --recursive and s3api listings with client paging (v1 and v2),
# delimiter over many prefixes, s3 rm --recursive (v1).
. "$(dirname "$0")/../lib/server.sh"

B=many-keys
start_server
aws2 s3 mb "s3://$B" >/dev/null

# 1,500 tiny files in 15 directories of 100.
mkdir -p "$T_TMP/many"
(
	cd "$T_TMP/many" || exit 1
	for d in $(seq -w 1 15); do
		mkdir "d$d"
		for f in $(seq -w 1 100); do printf '%s/%s' "$d" "$f" >"d$d/k$f"; done
	done
)
find "$T_TMP/many" -type f -exec touch -d '2 hours ago' {} +
assert_eq 1500 "$(find "$T_TMP/many" -type f | wc -l)" "local files"
aws2 s3 sync --no-progress "$T_TMP/many" "s3://$B/many" >/dev/null
ok "s3 sync of 1,500 files (v2)"

n=$(aws1 s3 ls --recursive "s3://$B/many/" | wc -l)
assert_eq 1500 "$n" "s3 ls --recursive (v1)"
n=$(aws2 s3 ls --recursive "s3://$B/many/" | wc -l)
assert_eq 1500 "$n" "s3 ls --recursive (v2)"
ok "s3 ls --recursive lists 1,500 keys (v1, v2)"

# Client paging: 1,000 a page by default, 7 pages of 230, and the keys come back sorted, once.
for cli in aws1 aws2; do
	$cli s3api list-objects-v2 --bucket "$B" --prefix many/ --output json >"$T_TMP/v2.json"
	assert_eq 1500 "$(json_get "$T_TMP/v2.json" 'len(d["Contents"])')" "list-objects-v2 ($cli)"
	$cli s3api list-objects-v2 --bucket "$B" --prefix many/ --page-size 230 --output json >"$T_TMP/v2p.json"
	json_get "$T_TMP/v2p.json" '(lambda k: k == sorted(set(k)) and len(k) == 1500)([x["Key"] for x in d["Contents"]]) or sys.exit(1)' \
		>/dev/null || fail "list-objects-v2 --page-size 230 ($cli): keys not 1,500 sorted and unique"
	$cli s3api list-objects --bucket "$B" --prefix many/ --page-size 400 --output json >"$T_TMP/v1p.json"
	json_get "$T_TMP/v1p.json" '(lambda k: k == sorted(set(k)) and len(k) == 1500)([x["Key"] for x in d["Contents"]]) or sys.exit(1)' \
		>/dev/null || fail "list-objects --page-size 400 ($cli): keys not 1,500 sorted and unique"
done
aws1 s3api list-objects-v2 --bucket "$B" --prefix many/ --no-paginate --output json >"$T_TMP/raw.json"
assert_eq "1000|True" "$(json_get "$T_TMP/raw.json" '"%d|%s" % (len(d["Contents"]), d["IsTruncated"])')" \
	"one page holds 1,000 keys"
ok "list-objects-v2 and list-objects paging (default, 230, 400 a page): 1,500 sorted unique keys"

# Delimiter: 15 common prefixes, and paging over prefixes.
n=$(aws2 s3 ls "s3://$B/many/" | grep -c ' PRE ')
assert_eq 15 "$n" "s3 ls PRE lines"
aws1 s3api list-objects-v2 --bucket "$B" --prefix many/ --delimiter / --page-size 4 --output json >"$T_TMP/cp.json"
assert_eq 15 "$(json_get "$T_TMP/cp.json" 'len(d["CommonPrefixes"])')" "CommonPrefixes over pages of 4"
ok "delimiter over 1,500 keys: 15 common prefixes (also in pages of 4)"

aws1 s3 rm --recursive --only-show-errors "s3://$B/many" >/dev/null
n=$(aws2 s3api list-objects-v2 --bucket "$B" --no-paginate --output json | json_get - 'd["KeyCount"]')
assert_eq 0 "$n" "keys after s3 rm --recursive"
aws2 s3 rb "s3://$B" >/dev/null
ok "s3 rm --recursive removed 1,500 keys (v1); bucket removed"
