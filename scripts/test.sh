#!/bin/bash
# scripts/test.sh - install what is missing, build with -Werror, run `make check` (unit tests and
# the integration tests in t/it/ against a real s3iamd), print a summary.  Exit status = tests.
#
#   ./scripts/test.sh                          # build/check, --enable-werror
#   SANITIZERS=1 ./scripts/test.sh             # build/san, --enable-werror --enable-sanitizers
#   ./scripts/test.sh TESTS='t/it/010-basics.sh'   # extra arguments go to `make check`
#
# Needs, besides Debian packages it installs itself: AWS CLI v1 and boto3 for python3 (not
# installable here: PyPI is unreachable; the tests that need them fail with a clear message).
set -eu
cd "$(dirname "$0")/.."
. scripts/setup.sh
. t/lib/tools.sh
root=$(pwd)

s3iam_build_deps
# shellcheck disable=SC2086
s3iam_apt_ensure $S3IAM_TEST_PKGS
if ! command -v node >/dev/null 2>&1; then
	s3iam_apt_ensure nodejs npm
elif ! command -v npm >/dev/null 2>&1; then
	s3iam_apt_ensure npm
fi
s3iam_nss_myhostname

# JavaScript SDK for t/js (npm registry).  npm ci is skipped when node_modules matches the lock.
(
	cd t/js
	if [ ! -f package-lock.json ]; then
		s3iam_log "npm install (t/js)"
		npm install --no-audit --no-fund --loglevel=error
	elif [ ! -f node_modules/.package-lock.json ] \
		|| [ package-lock.json -nt node_modules/.package-lock.json ]; then
		s3iam_log "npm ci (t/js)"
		npm ci --no-audit --no-fund --loglevel=error
	fi
) || s3iam_die "npm could not install t/js dependencies"

aws1=$(s3iam_find_aws1)
[ -n "$aws1" ] || s3iam_log "WARNING: AWS CLI v1 not found on PATH: the tests that use it will FAIL"
[ -n "$(s3iam_find_aws2)" ] || s3iam_log "WARNING: AWS CLI v2 (/usr/bin/aws) not found: its tests will FAIL"
s3iam_have_boto3 || s3iam_log "WARNING: python3 cannot import boto3: the boto3 tests will FAIL"

if [ "${SANITIZERS:-0}" = 1 ]; then
	bdir=build/san
	s3iam_build "$bdir" --enable-werror --enable-sanitizers
	export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
else
	bdir=build/check
	s3iam_build "$bdir" --enable-werror
fi

out=$(mktemp "${TMPDIR:-/tmp}/s3iam-check.XXXXXX")
trap 'rm -f "$out"' EXIT
s3iam_log "make -j2 check (in $bdir)"
set +e
make -C "$bdir" -j2 check "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e

# Summary: one line per test from automake's "RESULT: name" lines, failing logs in full.
results=$(grep -E '^(PASS|FAIL|XFAIL|XPASS|SKIP|ERROR): ' "$out" | sed 's/\x1b\[[0-9;]*m//g' || true)
npass=$(printf '%s\n' "$results" | grep -cE '^(PASS|XFAIL): ' || true)
nfail=$(printf '%s\n' "$results" | grep -cE '^(FAIL|XPASS|ERROR): ' || true)
nskip=$(printf '%s\n' "$results" | grep -cE '^SKIP: ' || true)
for name in $(printf '%s\n' "$results" | sed -n -E 's/^(FAIL|XPASS|ERROR): ([^ ]+).*/\2/p'); do
	# automake names the log after the test without its registered extension (.sh).
	log="$bdir/${name%.sh}.log"
	[ -f "$log" ] || log="$bdir/$name.log"
	printf '\n======== %s ========\n' "$log"
	cat "$log" 2>/dev/null || printf '(no log file %s)\n' "$log"
done
printf '\n======== summary (%s) ========\n' "$bdir"
printf '%s\n' "$results"
if [ "$status" -ne 0 ] && [ "$nfail" -eq 0 ]; then
	# make failed without a failing test: a build error, or a test that never ran.
	printf 'make check failed (exit %s) before or outside the tests: see the output above\n' "$status"
	nfail=$((nfail + 1))
fi
printf '%s passed, %s failed, %s skipped\n' "$npass" "$nfail" "$nskip"
[ "$status" -eq 0 ] && [ "$nfail" -eq 0 ]
