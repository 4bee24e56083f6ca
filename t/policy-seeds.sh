#!/bin/sh
# The seeds' five policy documents through `s3iam-policy validate`: the two engineer_access
# drafts must be rejected at their missing comma, the other three accepted.
srcdir=${srcdir:-.}
tool=${top_builddir:-.}/tools/s3iam-policy
[ -x "$tool" ] || tool=./tools/s3iam-policy
d="$srcdir/t/data/seeds"
fail=0

check() { # kind file expected-exit expected-position
    out=$("$tool" validate --kind "$1" "$d/$2")
    rc=$?
    echo "$out"
    if [ "$rc" -ne "$3" ]; then
        echo "FAIL $2: exit $rc, expected $3"
        fail=1
    elif [ -n "$4" ] && ! echo "$out" | grep -q "^$d/$2:$4: Syntax errors in policy\."; then
        echo "FAIL $2: expected an error at $4"
        fail=1
    else
        echo "PASS $2"
    fi
}

check identity admin_access.json 0 ""
check identity engineer_access_1.json 1 "87:21"
check access-point landing_zone_access_point_policy.json 0 ""
check identity engineer_access_2.json 1 "79:21"
check identity analyst_access.json 0 ""
exit $fail
