#!/bin/bash
# 700-landing-zone: the seeds' landing-zone exercise end to end (examples/landing-zone).
# setup.sh builds it with AWS CLI v1 against a fresh s3iamd (region ap-southeast-2, as the seeds'
# policies require; localhost so that S3 Control's ACCOUNT.localhost and access point ARNs'
# NAME-ACCOUNT.localhost hosts resolve), then check-table.py runs the seeds' CLI test table and the
# access point rows with v1 and with v2.  Every cell is checked twice: by check-table.py itself, and
# here against the decision cases written for the table (t/data/policy-cases/13-seed-table.json),
# which this test reads on its own.
. "$(dirname "$0")/../lib/server.sh"

LZ="$SRCDIR/examples/landing-zone"
CASES="$SRCDIR/t/data/policy-cases/13-seed-table.json"
ACCOUNT=111122223333
NAME=demo
[ -n "$AWS1" ] || fail "AWS CLI v1 not found"
[ -n "$AWS2" ] || fail "AWS CLI v2 not found at /usr/bin/aws"

# init.json (the exercise as a start-up file, PROPOSAL.md) is generated from policies/: in step.
python3 "$LZ/make-init.py" --check || fail "examples/landing-zone/init.json is out of date: run make-init.py"
ok "init.json matches the policy files (make-init.py --check)"

start_server --localhost --region ap-southeast-2 --account-id "$ACCOUNT"
getent hosts "$ACCOUNT.localhost" >/dev/null ||
	fail "$ACCOUNT.localhost does not resolve (libnss-myhostname, docs/hostnames.md)"

# s3iam-policy, when built next to s3iamd, lets setup.sh show the s3:CopyObject warning.
POLICY_TOOL="$(dirname "$(dirname "$S3IAMD")")/tools/s3iam-policy"
[ -x "$POLICY_TOOL" ] || POLICY_TOOL=""

# ---------------------------------------------------------------- setup.sh (AWS CLI v1)
STATE="$T_TMP/lz"
if ! AWS="$AWS1" S3IAM_POLICY="$POLICY_TOOL" bash "$LZ/setup.sh" -n "$NAME" -e "$ENDPOINT" -a "$ACCOUNT" \
	-d "$STATE" >"$T_TMP/setup.out" 2>&1; then
	fail "setup.sh failed:"$'\n'"$(tail -n 40 "$T_TMP/setup.out")"
fi
ok "setup.sh built the exercise with AWS CLI v1"
setup_out=$(cat "$T_TMP/setup.out")
assert_contains "$setup_out" "(MalformedPolicyDocument) when calling the CreatePolicy operation" \
	"setup shows the seeds' engineer_access being rejected"
assert_contains "$setup_out" "line 79, column 21" "MalformedPolicyDocument names the line and column"
assert_contains "$setup_out" "a ',' is probably missing after line 78" "the error points at the missing comma"
ok "the seeds' engineer_access: MalformedPolicyDocument at line 79, column 21 (missing ',' after line 78)"
assert_contains "$setup_out" "accesspoint/$NAME-analysis-access/object/test/seed-policy.txt" \
	"setup shows the seeds' access point policy denying an object upload"
assert_contains "$setup_out" "x-s3iam-decision: ImplicitDeny" "the seed access point denial is explained"
ok "the seeds' access point policy (access point ARN only) denies object uploads through it"
if [ -n "$POLICY_TOOL" ]; then
	assert_contains "$setup_out" '"s3:CopyObject" is not an S3 action' "setup shows the CopyObject warning"
	ok "s3iam-policy warns that s3:CopyObject is not an S3 action"
fi

# What setup.sh built, seen by the root user (the harness's credentials), not by setup.sh itself.
ROOT_REGION=(--region ap-southeast-2)
members() { aws1 iam get-group --group-name "$1" --query 'Users[].UserName' --output text; }
attached() { aws1 iam list-attached-group-policies --group-name "$1" --query 'AttachedPolicies[].PolicyName' --output text; }
for g in admin engineer analyst; do
	assert_eq "$g-$NAME" "$(members "$g")" "members of group $g"
	assert_eq "${g}_access" "$(attached "$g")" "policies of group $g"
done
doc=$(aws1 iam get-policy-version --policy-arn "arn:aws:iam::$ACCOUNT:policy/engineer_access" --version-id v1 \
	--query PolicyVersion.Document --output json)
assert_contains "$doc" "iam:ChangePassword" "stored engineer_access"
ok "groups admin/engineer/analyst: one user each, their *_access policy attached"
for b in landing-zone analysis; do
	v=$(aws1 "${ROOT_REGION[@]}" s3api get-bucket-versioning --bucket "$NAME-$b" --query Status --output text)
	assert_eq Enabled "$v" "versioning of $NAME-$b"
	pol=$(aws1 "${ROOT_REGION[@]}" s3control get-access-point-policy --account-id "$ACCOUNT" --name "$NAME-$b-access" \
		--query Policy --output text)
	assert_contains "$pol" "accesspoint/$NAME-$b-access/object/*" "corrected policy of $NAME-$b-access"
done
ok "buckets versioned; access point policies are the corrected ones (.../object/*)"

# ---------------------------------------------------------------- the table, v1 then v2
# cross_check RESULTS.json: every cell that a 13-seed-table case describes must have its outcome:
# Allow -> the command succeeded; a denial -> AccessDenied whose x-s3iam-decision starts with
# the expected decision and, for an explicit deny, names the Deny statement.
cross_check() {
	python3 - "$CASES" "$1" <<'PY'
import json, re, sys
cases, results = (json.load(open(p)) for p in sys.argv[1:3])
rank = {"Allow": 0, "ImplicitDeny": 1, "ExplicitDeny": 2}
named = {  # access point cases of 13-seed-table -> table rows of check-table.py
    "analyst: put through analysis access point --sse, AP policy grants objects": ["A1", "A2"],
    "engineer: put through the analyst's access point": ["A1", "A2"],
    "analyst: put through analysis access point without --sse": ["A3"],
}
want = {}
for c in cases:
    m = re.match(r"row (\d+) (engineer|analyst):", c["name"])
    if m:
        keys = [(m.group(1), m.group(2))]
    elif c["name"] in named:
        user = "engineer" if c["name"].startswith("engineer") else "analyst"
        keys = [(r, user) for r in named[c["name"]]]
    else:
        continue
    sid = re.match(r"\w+", c["why"]).group(0) if c["expected"] == "ExplicitDeny" else None
    for k in keys:
        # a command's outcome is its strictest decision (CopyObject: source read + destination write)
        if k not in want or rank[c["expected"]] > rank[want[k][0]]:
            want[k] = (c["expected"], sid)
for n in range(1, 11):
    for u in ("engineer", "analyst"):
        if (str(n), u) not in want:
            sys.exit("13-seed-table.json has no case for row %d %s" % (n, u))
bad, checked = [], 0
for r in results:
    k = (r["row"], r["user"])
    if k not in want:
        continue
    checked += 1
    exp, sid = want[k]
    hdr = r["decision_header"]
    if exp == "Allow":
        good = r["outcome"] == "allowed"
    else:
        good = (r["outcome"] == "denied" and hdr.startswith(exp)
                and (sid is None or ("#" + sid) in hdr))
    if not good:
        bad.append("row %s %s: expected %s%s, got %s (%s) %s" % (k[0], k[1], exp,
                   " by " + sid if sid else "", r["outcome"], hdr or "no x-s3iam-decision", r["message"]))
if checked != 25:
    bad.append("checked %d cells against 13-seed-table.json, expected 25" % checked)
if len(results) != 36:
    bad.append("%d cells in the results, expected 36" % len(results))
print("\n".join(bad) if bad else "%d cells agree with 13-seed-table.json" % checked)
sys.exit(1 if bad else 0)
PY
}

for v in 1 2; do
	cli=$AWS1
	[ "$v" = 1 ] || cli=$AWS2
	rc=0
	python3 "$LZ/check-table.py" -d "$STATE" --aws "$cli" --server-log "$SERVER_LOG" --json "$T_TMP/table-v$v.json" \
		>"$T_TMP/table-v$v.txt" 2>&1 || rc=$?
	sed 's/^/# /' "$T_TMP/table-v$v.txt"
	[ "$rc" -eq 0 ] || fail "check-table.py with AWS CLI v$v: some cells differ from the seeds (exit $rc)"
	assert_contains "$(cat "$T_TMP/table-v$v.txt")" "36 of 36 cells as expected" "check-table.py v$v summary"
	ok "AWS CLI v$v: all 36 cells as the seeds expect (check-table.py, allows checked against the server log)"
	out=$(cross_check "$T_TMP/table-v$v.json") || fail "AWS CLI v$v against 13-seed-table.json:"$'\n'"$out"
	ok "AWS CLI v$v: $out"
done

# The denials name their deciding statement: the explicit ones the Deny, the implicit ones the
# closest statement and what it missed (row 3 analyst: the s3:DataAccessPointArn condition).
row3=$(python3 -c 'import json, sys
for r in json.load(open(sys.argv[1])):
    if r["row"] == "3" and r["user"] == "analyst":
        print(r["decision_header"])' "$T_TMP/table-v2.json")
assert_contains "$row3" "PutAnalysisS3BucketLimitedBySource" "row 3 analyst: closest statement"
assert_contains "$row3" "s3:DataAccessPointArn (request: absent)" "row 3 analyst: the missing key"
ok "row 3 analyst: denied because s3:DataAccessPointArn is absent (PutAnalysisS3BucketLimitedBySource)"
