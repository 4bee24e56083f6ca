# t/lib/server.sh - harness for the integration tests in t/it/ (sourced by bash scripts).
#
# A test script does:
#     . "$(dirname "$0")/../lib/server.sh"
#     start_server                  # s3iamd on 127.0.0.1:<free port>, fresh data dir
#     aws1 s3 mb s3://b             # AWS CLI v1 with --endpoint-url; aws2 for v2
#     ok "made a bucket"
# and exits 0 when every check passed.  The first failing command or check prints "FAIL: ..."
# with the line and the server's log, and exits 1.  On exit the server is stopped by PID (SIGTERM,
# then wait); an unclean exit or a sanitizer report in its log fails the test.
#
# Environment (set by `make check` through AM_TESTS_ENVIRONMENT, or by hand):
#   S3IAMD   the daemon to test (default: build/check/server/s3iamd, else build/server/s3iamd)
#   SRCDIR   the source tree (default: two levels above this file)
#   T_KEEP_GOING=1 reports failed assertions and goes on (see fail()).
#   KEEP_TMP=1 keeps the temp dir (data dir, server log) even when the test passes.
#
# Variables a test can use after start_server: ENDPOINT (http://127.0.0.1:PORT), PORT, HOST,
# DATA (the data dir), SERVER_LOG, T_TMP (scratch dir, removed at exit), AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION.

set -eu -o pipefail -o errtrace

: "${SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
if [ -z "${S3IAMD:-}" ]; then
	for S3IAMD in "$SRCDIR/build/check/server/s3iamd" "$SRCDIR/build/server/s3iamd" \
		"$SRCDIR/server/s3iamd"; do
		[ -x "$S3IAMD" ] && break
	done
fi
export SRCDIR S3IAMD
. "$SRCDIR/t/lib/tools.sh"

T_NAME=$(basename "$0")
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/s3iam-it.XXXXXX")
T_COUNT=0
T_FAILED=0
SERVER_PID=""
SERVER_LOG=""
SERVER_LISTEN=""
SERVER_ARGS=()
DATA=""
PORT=""
HOST=127.0.0.1
ENDPOINT=""

# The root credentials s3iamd uses by default (the contract in README.md "Configuration").
S3IAM_TEST_KEY_ID=AKIAS3IAMROOTEXAMPLE
S3IAM_TEST_SECRET=s3iam-root-secret-key-change-me

# Hermetic clients: no user config, no profile, no pager, no instance metadata look-ups.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL \
	AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE AWS_REGION 2>/dev/null || true
export AWS_CONFIG_FILE="$T_TMP/aws-config"
export AWS_SHARED_CREDENTIALS_FILE="$T_TMP/aws-credentials"
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard
export AWS_ACCESS_KEY_ID=$S3IAM_TEST_KEY_ID
export AWS_SECRET_ACCESS_KEY=$S3IAM_TEST_SECRET
export AWS_DEFAULT_REGION=us-east-1
export NO_PROXY="*" no_proxy="*" PYTHONDONTWRITEBYTECODE=1
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY 2>/dev/null || true
# The server under test must not pick up settings (S3IAM_<OPTION>) from the caller's
# environment; a test sets them for one start: S3IAM_REGION=eu-west-1 start_server.
for _v in $(compgen -e S3IAM_ || true); do unset "$_v"; done
unset _v

AWS1=$(s3iam_find_aws1)
AWS2=$(s3iam_find_aws2)

# ---------------------------------------------------------------- reporting

# fail MSG...: report a failure with the server log, and exit 1.  With T_KEEP_GOING=1 in the
# environment a failed assertion is reported and the script goes on (it still exits 1 at the
# end): handy to see every difference at once when debugging; failing commands still stop it.
fail() {
	printf 'FAIL: %s: %s\n' "$T_NAME" "$*" >&2
	T_FAILED=1
	if [ "${T_KEEP_GOING:-0}" = 1 ] && [ "${BASHPID:-$$}" = "$$" ]; then
		return 0
	fi
	trap - ERR
	exit 1
}

# ok MSG...: one passed check (TAP-like line).
ok() {
	T_COUNT=$((T_COUNT + 1))
	printf 'ok %d - %s\n' "$T_COUNT" "$*"
}

# note MSG...: a comment line.
note() { printf '# %s\n' "$*"; }

_t_on_err() {
	local rc=$1 line=$2 cmd=$3 where="" i
	trap - ERR
	# Where in the test script (not in this library) the failing command was called from.
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		case ${BASH_SOURCE[i]} in */server.sh) ;; *)
			where="${where:+$where <- }$(basename "${BASH_SOURCE[i]}"):${BASH_LINENO[i - 1]}" ;; esac
	done
	printf 'FAIL: %s: %s: command exited %s: %s\n' "$T_NAME" "${where:-line $line}" "$rc" "$cmd" >&2
	# A failing command inside $(...) reports there, then again in the parent.
	[ "${BASHPID:-$$}" = "$$" ] || exit "$rc"
	T_FAILED=1
	exit 1
}
trap '_t_on_err $? $LINENO "$BASH_COMMAND"' ERR

_t_on_exit() {
	local rc=$? log_bad=0
	trap - ERR
	set +e
	[ "$rc" -eq 0 ] || T_FAILED=1
	if [ -n "$SERVER_PID" ]; then
		_stop_server_quiet || T_FAILED=1
	fi
	if [ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ] && _sanitizer_report "$SERVER_LOG"; then
		log_bad=1
	fi
	if [ "$T_FAILED" -ne 0 ] || [ "$log_bad" -ne 0 ]; then
		if [ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ]; then
			printf '\n---- server log (%s, last 80 lines) ----\n' "$SERVER_LOG" >&2
			tail -n 80 "$SERVER_LOG" >&2
			printf -- '---- end of server log ----\n' >&2
		fi
		[ "$log_bad" -eq 0 ] || printf 'FAIL: %s: sanitizer report in the server log\n' "$T_NAME" >&2
		printf '# kept %s\n' "$T_TMP" >&2
		exit 1
	fi
	printf '# %s: %d checks passed\n' "$T_NAME" "$T_COUNT"
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		printf '# kept %s\n' "$T_TMP"
	else
		rm -rf "$T_TMP"
	fi
	exit 0
}
trap _t_on_exit EXIT

# _sanitizer_report LOG: true if LOG holds an AddressSanitizer/LeakSanitizer/UBSan report.
_sanitizer_report() {
	grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$1"
}

# ---------------------------------------------------------------- server life cycle

# free_port [HOST]: print a TCP port that is free on HOST (127.0.0.1 by default); for
# "localhost" the port is free on both 127.0.0.1 and ::1.
free_port() {
	python3 - "${1:-127.0.0.1}" <<'PY'
import socket, sys
host = sys.argv[1]
for _ in range(50):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    if host == "localhost":
        try:
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s6.bind(("::1", port))
            s6.close()
        except OSError:
            s.close()
            continue
    s.close()
    print(port)
    sys.exit(0)
sys.exit("no free port")
PY
}

# start_server [--localhost] [EXTRA-ARGS...]: start s3iamd on a free loopback port with a fresh
# data dir (or the current one after stop_server), wait for /_s3iam/health.  --localhost listens
# on localhost:PORT (127.0.0.1 and ::1) instead of 127.0.0.1:PORT.  Environment variables set by
# the caller (S3IAM_ROOT_ACCESS_KEY_ID, ...) reach the server.
start_server() {
	local host=127.0.0.1
	if [ "${1:-}" = "--localhost" ]; then
		host=localhost
		shift
	fi
	[ -x "$S3IAMD" ] || fail "s3iamd not found or not executable: '$S3IAMD' (set S3IAMD)"
	[ -n "$DATA" ] || DATA=$(mktemp -d "$T_TMP/data.XXXXXX")
	SERVER_ARGS=("$@")
	for _ in 1 2 3; do
		[ -n "$PORT" ] || PORT=$(free_port "$host")
		SERVER_LISTEN="$host:$PORT"
		HOST=$host
		if _start_once; then
			ENDPOINT="http://$host:$PORT"
			[ "$host" != localhost ] || ENDPOINT="http://localhost:$PORT"
			export ENDPOINT PORT DATA
			return 0
		fi
		# Another process may have taken the port between free_port and bind: try another.
		if grep -qiE 'address already in use|EADDRINUSE' "$SERVER_LOG" 2>/dev/null; then
			PORT=""
			continue
		fi
		break
	done
	fail "s3iamd did not become healthy on $SERVER_LISTEN"
}

# One start attempt; true once /_s3iam/health answers 200 within 10 s (60 s under sanitizers
# would hide a hang: 10 s is the contract).
_start_once() {
	local i code
	SERVER_LOG="$T_TMP/server.log"
	{
		printf '==== %s %s --listen %s --data %s %s\n' "$(date -u +%FT%TZ)" "$S3IAMD" \
			"$SERVER_LISTEN" "$DATA" "${SERVER_ARGS[*]:-}"
	} >>"$SERVER_LOG"
	ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
		"$S3IAMD" --listen "$SERVER_LISTEN" --data "$DATA" ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"} \
		>>"$SERVER_LOG" 2>&1 </dev/null &
	SERVER_PID=$!
	for i in $(seq 1 100); do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			wait "$SERVER_PID" 2>/dev/null || true
			SERVER_PID=""
			printf '# s3iamd exited during start-up; log:\n' >&2
			tail -n 30 "$SERVER_LOG" >&2
			return 1
		fi
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
			"http://127.0.0.1:$PORT/_s3iam/health" 2>/dev/null || true)
		[ "$code" = 200 ] && return 0
		sleep 0.1
	done
	printf '# s3iamd not healthy after 10 s (last status %s); log:\n' "${code:-none}" >&2
	tail -n 30 "$SERVER_LOG" >&2
	kill -KILL "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
	return 1
}

# Stop the server: SIGTERM, wait up to 15 s (then SIGKILL and fail).  Returns non-zero if the
# exit was not clean (non-zero status, signal, or a sanitizer report).
_stop_server_quiet() {
	local pid=$SERVER_PID rc i
	SERVER_PID=""
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 150); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		printf 'FAIL: %s: s3iamd (pid %s) did not exit within 15 s of SIGTERM\n' "$T_NAME" "$pid" >&2
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		return 1
	fi
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	if [ "$rc" -ne 0 ]; then
		printf 'FAIL: %s: s3iamd exited with status %s after SIGTERM\n' "$T_NAME" "$rc" >&2
		return 1
	fi
	if _sanitizer_report "$SERVER_LOG"; then
		printf 'FAIL: %s: sanitizer report in %s\n' "$T_NAME" "$SERVER_LOG" >&2
		return 1
	fi
	return 0
}

# stop_server: stop s3iamd (clean exit required); the data dir is kept.
stop_server() {
	_stop_server_quiet || fail "s3iamd did not stop cleanly"
}

# restart_server: stop and start again on the same port with the same data dir and arguments.
restart_server() {
	local host=$HOST
	stop_server
	if [ "$host" = localhost ]; then
		start_server --localhost ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}
	else
		start_server ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}
	fi
}

# ---------------------------------------------------------------- clients

# aws1 ARGS...: AWS CLI v1 against the server.
aws1() {
	[ -n "$AWS1" ] || fail "AWS CLI v1 not found: expected a Python-packaged 'aws' (v1, e.g. pyenv's) on PATH before /usr/bin/aws"
	"$AWS1" --endpoint-url "$ENDPOINT" "$@"
}

# aws2 ARGS...: AWS CLI v2 (/usr/bin/aws from Debian's awscli) against the server.
aws2() {
	[ -n "$AWS2" ] || fail "AWS CLI v2 not found at /usr/bin/aws (apt-get install awscli)"
	"$AWS2" --endpoint-url "$ENDPOINT" "$@"
}

# need_boto3: fail (not skip) when python3 cannot import boto3.
need_boto3() {
	s3iam_have_boto3 || fail "python3 ($(command -v python3)) cannot import boto3: install boto3 for it"
}

# py SCRIPT ARGS...: run a python helper with t/lib on the import path.
py() {
	PYTHONPATH="$SRCDIR/t/lib${PYTHONPATH:+:$PYTHONPATH}" python3 "$@"
}

# ---------------------------------------------------------------- assertions

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-values differ}: expected '$1', got '$2'"
}

# assert_ne UNEXPECTED ACTUAL [WHAT]
assert_ne() {
	[ "$1" != "$2" ] || fail "${3:-values equal}: did not expect '$1'"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
	case $1 in *"$2"*) ;; *) fail "${3:-missing text}: '$2' not in: $1" ;; esac
}

# assert_not_contains HAYSTACK NEEDLE [WHAT]
assert_not_contains() {
	case $1 in *"$2"*) fail "${3:-unexpected text}: '$2' found in: $1" ;; *) ;; esac
}

# expect_error CODE CMD...: CMD must fail, and its stderr (or stdout) must name the AWS error CODE.
expect_error() {
	local code=$1 rc=0
	shift
	"$@" >"$T_TMP/expect.out" 2>"$T_TMP/expect.err" || rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "expected $code, but the command succeeded: $*"$'\n'"stdout: $(head -c 2000 "$T_TMP/expect.out")"
		return 0
	fi
	if ! grep -qF -- "$code" "$T_TMP/expect.err" "$T_TMP/expect.out"; then
		fail "expected $code from: $*"$'\n'"stderr: $(head -c 2000 "$T_TMP/expect.err")"
	fi
}

# sha FILE: the file's SHA-256 in hex.
sha() { sha256sum "$1" | cut -d' ' -f1; }

# assert_same_file EXPECTED ACTUAL [WHAT]: byte-identical by SHA-256.
assert_same_file() {
	[ -f "$2" ] || fail "${3:-download}: $2 does not exist"
	assert_eq "$(sha "$1")" "$(sha "$2")" "${3:-sha256 of $2}"
}

# slice FILE OFFSET LENGTH: print LENGTH bytes of FILE from OFFSET (0-based).
slice() {
	dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=65536 status=none
}

# mkfile PATH BYTES: a file of BYTES random bytes.
mkfile() {
	head -c "$2" /dev/urandom >"$1"
	[ "$(stat -c %s "$1")" -eq "$2" ] || fail "mkfile $1 $2"
}

# data_snapshot: the files in the data dir that hold object bytes or partial uploads, one
# "size path" per line (the metadata database and its journals excluded: their content changes
# on every request).  Compared before/after a failing request, it must not change.
data_snapshot() {
	(cd "$DATA" && find . -type f ! -name '*.db' ! -name '*.db-wal' ! -name '*.db-shm' \
		! -name '*.db-journal' ! -name '*.sqlite*' ! -name '*.lock' ! -name '*.pid' \
		-printf '%s %p\n' | LC_ALL=C sort)
}

# json_get FILE_OR_- EXPR: evaluate a python expression on the parsed JSON as `d` (no output at
# all counts as {}), print the result (JSON for lists and dicts, "" for None).
json_get() {
	python3 -c 'import json,sys
src = sys.argv[1]
text = (sys.stdin if src == "-" else open(src)).read()
d = json.loads(text) if text.strip() else {}   # aws v2 prints nothing for an empty page
v = eval(sys.argv[2])
print("" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))' "$@"
}

# http_status URL [CURL-ARGS...]: print the HTTP status of an unsigned curl request.
http_status() {
	local url=$1
	shift
	curl -s -o "$T_TMP/http.body" -w '%{http_code}' "$@" "$url"
}
