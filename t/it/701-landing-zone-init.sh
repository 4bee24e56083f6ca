#!/bin/bash
# 701-landing-zone-init: the landing-zone exercise from `s3iamd --init` (examples/landing-zone/
# init.json) instead of setup.sh, and the start-up refusing a bad init file.  The contract is
# examples/landing-zone/PROPOSAL.md section 2.  EXPECTED TO FAIL (XFAIL_TESTS in Makefile.am) until
# s3iamd implements --init; when it passes, take it out of XFAIL_TESTS.
. "$(dirname "$0")/../lib/server.sh"

LZ="$SRCDIR/examples/landing-zone"
ACCOUNT=111122223333
NAME=demo
[ -n "$AWS2" ] || fail "AWS CLI v2 not found at /usr/bin/aws"

# ---------------------------------------------------------------- a bad file stops the start
# Three problems in one file: every one must be reported with its location, the exit status is 2,
# the server never listens and nothing is written.
BAD="$T_TMP/bad-init.json"
python3 - "$LZ/init.json" "$BAD" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a = d["accounts"][0]
a["users"][0]["grups"] = ["admin"]                       # unknown key
a["users"][1]["groups"] = ["engineers"]                  # a group nobody defines
a["policies"][1]["document"] = open(sys.argv[1].replace("init.json", "policies/engineer_access.seed.json")).read()
json.dump(d, open(sys.argv[2], "w"), indent=2)
PY
BAD_DATA=$(mktemp -d "$T_TMP/bad-data.XXXXXX")
bad_port=$(free_port localhost)
rc=0
timeout -k 2 10 "$S3IAMD" --listen "localhost:$bad_port" --data "$BAD_DATA" --region ap-southeast-2 \
	--account-id "$ACCOUNT" --init "$BAD" >"$T_TMP/bad.out" 2>&1 || rc=$?
bad_out=$(cat "$T_TMP/bad.out")
assert_eq 2 "$rc" "exit status of s3iamd --init with a bad file (124: it did not stop)"$'\n'"$bad_out"
assert_not_contains "$bad_out" "listening on" "s3iamd must not listen with a bad init file"
assert_contains "$bad_out" '$.accounts[0].users[0].grups' "location of the unknown key"
assert_contains "$bad_out" 'unknown key "grups"' "the unknown key"
assert_contains "$bad_out" '$.accounts[0].users[1].groups[0]' "location of the missing group"
assert_contains "$bad_out" 'group "engineers"' "the missing group"
assert_contains "$bad_out" '$.accounts[0].policies[1].document' "location of the bad policy"
assert_contains "$bad_out" "MalformedPolicyDocument" "the bad policy"
grep -qE "bad-init.json:[0-9]+:[0-9]+: " "$T_TMP/bad.out" || fail "errors carry no FILE:LINE:COLUMN: $bad_out"
ok "a bad init file: exit 2, not listening, all three errors reported with their location"
DATA=$BAD_DATA
start_server --localhost --region ap-southeast-2 --account-id "$ACCOUNT"
assert_eq "" "$(aws2 iam list-users --query 'Users[].UserName' --output text)" "users after a refused init"
assert_eq "" "$(aws2 --region ap-southeast-2 s3api list-buckets --query 'Buckets[].Name' --output text)" \
	"buckets after a refused init"
stop_server
DATA=""
PORT=""
ok "a refused init file leaves nothing behind"

# ---------------------------------------------------------------- the exercise from init.json
start_server --localhost --region ap-southeast-2 --account-id "$ACCOUNT" --init "$LZ/init.json"
STATE="$T_TMP/lz"
AWS="$AWS2" bash "$LZ/setup.sh" -i "$LZ/init.json" -n "$NAME" -e "$ENDPOINT" -a "$ACCOUNT" -d "$STATE" \
	>"$T_TMP/setup.out" 2>&1 || fail "setup.sh -i failed:"$'\n'"$(tail -n 20 "$T_TMP/setup.out")"
ok "s3iamd --init init.json: the users' keys from the file work"
rc=0
python3 "$LZ/check-table.py" -d "$STATE" --aws "$AWS2" --server-log "$SERVER_LOG" >"$T_TMP/table.txt" 2>&1 || rc=$?
sed 's/^/# /' "$T_TMP/table.txt"
[ "$rc" -eq 0 ] || fail "check-table.py on the --init state: some cells differ from the seeds"
ok "the table on the --init state: all 36 cells as the seeds expect"

# Idempotent: a restart applies the file again over the existing state, changing nothing.
restart_server
assert_eq "admin-$NAME analyst-$NAME engineer-$NAME" \
	"$(aws2 iam list-users --query 'sort(Users[].UserName)' --output text | tr -s '\t ' ' ')" "users after restart"
assert_eq 1 "$(aws2 iam list-access-keys --user-name "analyst-$NAME" --query 'length(AccessKeyMetadata)' --output text)" \
	"analyst keys after restart"
assert_eq v1 "$(aws2 iam get-policy --policy-arn "arn:aws:iam::$ACCOUNT:policy/analyst_access" \
	--query Policy.DefaultVersionId --output text)" "analyst_access default version after restart"
ok "restart with the same --init: nothing duplicated, no new policy version"
