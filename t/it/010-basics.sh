#!/bin/bash
# 010-basics: health endpoint, start/stop contract, credentials (defaults, env overrides, wrong
# key, wrong secret, anonymous), both loopbacks with --listen localhost:PORT, SIGINT shutdown.
. "$(dirname "$0")/../lib/server.sh"

start_server

# /_s3iam/health: 200, JSON, no signature needed.
code=$(http_status "$ENDPOINT/_s3iam/health")
assert_eq 200 "$code" "health status"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T_TMP/http.body" \
	|| fail "health body is not JSON: $(cat "$T_TMP/http.body")"
ok "GET /_s3iam/health is 200 JSON without a signature"
grep -qE 's3iamd( [^ ]+)? listening on' "$SERVER_LOG" || fail "no 's3iamd listening on' line on stderr"
ok "prints 's3iamd listening on ...' when ready"

# Default root credentials work with both CLIs; a new server has no buckets.
out=$(aws1 s3api list-buckets --output json)
assert_eq 0 "$(printf '%s' "$out" | json_get - 'len(d.get("Buckets", []))')" "buckets (v1)"
out=$(aws2 s3api list-buckets --output json)
assert_eq 0 "$(printf '%s' "$out" | json_get - 'len(d.get("Buckets", []))')" "buckets (v2)"
ok "default root credentials: list-buckets is empty (v1, v2)"

# Anonymous request to the service: 403 AccessDenied in an S3 XML error body.
code=$(http_status "$ENDPOINT/")
assert_eq 403 "$code" "anonymous GET /"
assert_contains "$(cat "$T_TMP/http.body")" "<Code>AccessDenied</Code>" "anonymous GET / body"
ok "anonymous GET / is 403 AccessDenied"

# Unknown access key, wrong secret.
AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000 expect_error InvalidAccessKeyId aws1 s3api list-buckets
AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000 expect_error InvalidAccessKeyId aws2 s3api list-buckets
ok "unknown access key id: InvalidAccessKeyId (v1, v2)"
AWS_SECRET_ACCESS_KEY=wrong-secret expect_error SignatureDoesNotMatch aws1 s3api list-buckets
AWS_SECRET_ACCESS_KEY=wrong-secret expect_error SignatureDoesNotMatch aws2 s3api list-buckets
ok "wrong secret: SignatureDoesNotMatch (v1, v2)"

# Unknown internal path under /_s3iam/ is not a health check.
code=$(http_status "$ENDPOINT/_s3iam/no-such-thing")
assert_ne 200 "$code" "GET /_s3iam/no-such-thing"
ok "unknown /_s3iam/ path is not 200 ($code)"

# A bucket made now survives SIGINT (clean exit 0) and a restart.
aws1 s3 mb s3://basics-bucket >/dev/null
pid=$SERVER_PID
SERVER_PID=""
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq 0 "$rc" "exit status after SIGINT"
ok "SIGINT: clean shutdown, exit 0"
start_server
aws2 s3api head-bucket --bucket basics-bucket >/dev/null
ok "bucket still there after SIGINT and restart"
stop_server

# Root credentials from the environment replace the defaults.
S3IAM_ROOT_ACCESS_KEY_ID=AKIACUSTOMROOT000001 S3IAM_ROOT_SECRET_ACCESS_KEY=custom-secret-0123456789 \
	start_server
AWS_ACCESS_KEY_ID=AKIACUSTOMROOT000001 AWS_SECRET_ACCESS_KEY=custom-secret-0123456789 \
	aws1 s3api head-bucket --bucket basics-bucket >/dev/null
expect_error InvalidAccessKeyId aws2 s3api list-buckets
ok "S3IAM_ROOT_ACCESS_KEY_ID / S3IAM_ROOT_SECRET_ACCESS_KEY replace the default root key"
stop_server

# --listen localhost:PORT serves both 127.0.0.1 and ::1.
PORT=""
start_server --localhost
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/_s3iam/health")
assert_eq 200 "$code" "health on 127.0.0.1"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$PORT/_s3iam/health")
assert_eq 200 "$code" "health on ::1"
aws2 s3api head-bucket --bucket basics-bucket >/dev/null
ok "--listen localhost:PORT answers on 127.0.0.1 and ::1"

# --fsync and --log-level are accepted.
stop_server
start_server --fsync --log-level debug
aws1 s3api head-bucket --bucket basics-bucket >/dev/null
ok "--fsync --log-level debug accepted"
