#!/bin/bash
# 402-sts: STS with AWS CLI v1, v2 and boto3: GetCallerIdentity, AssumeRole (trust policies that
# do and do not admit the caller, identity policies, session policies, DurationSeconds), temporary
# credentials that work, need their session token and expire (the server is restarted with its
# clock moved past the expiry), GetSessionToken.  The boto3 checks are in 402-sts.py.
. "$(dirname "$0")/../lib/server.sh"
need_boto3
start_server
ACCT=000000000000

out=$(aws1 sts get-caller-identity --output json)
assert_eq "arn:aws:iam::$ACCT:root" "$(printf '%s' "$out" | json_get - 'd["Arn"]')" "root ARN"
assert_eq "$ACCT" "$(printf '%s' "$out" | json_get - 'd["UserId"]')" "root user id"
out=$(AWS_DEFAULT_REGION=ap-southeast-2 aws2 sts get-caller-identity --output json)
assert_eq "$ACCT" "$(printf '%s' "$out" | json_get - 'd["Account"]')" "account"
ok "GetCallerIdentity as root (v1 us-east-1, v2 ap-southeast-2)"

py "$SRCDIR/t/it/402-sts.py" setup-and-use "$T_TMP/session.json"

# The CLIs assume the role too, and use the credentials.
keyfile=$T_TMP/alice2.json
aws1 iam create-access-key --user-name alice --output json >"$keyfile"
AK=$(json_get "$keyfile" 'd["AccessKey"]["AccessKeyId"]')
SK=$(json_get "$keyfile" 'd["AccessKey"]["SecretAccessKey"]')
for cli in aws1 aws2; do
	out=$(AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK $cli sts assume-role \
		--role-arn "arn:aws:iam::$ACCT:role/reader" --role-session-name "cli-$cli" --duration-seconds 1200 --output json)
	assert_eq "arn:aws:sts::$ACCT:assumed-role/reader/cli-$cli" "$(printf '%s' "$out" | json_get - 'd["AssumedRoleUser"]["Arn"]')" \
		"assumed role ARN ($cli)"
	AWS_ACCESS_KEY_ID=$(printf '%s' "$out" | json_get - 'd["Credentials"]["AccessKeyId"]') \
		AWS_SECRET_ACCESS_KEY=$(printf '%s' "$out" | json_get - 'd["Credentials"]["SecretAccessKey"]') \
		AWS_SESSION_TOKEN=$(printf '%s' "$out" | json_get - 'd["Credentials"]["SessionToken"]') \
		$cli s3 ls s3://sts-demo/public/ >/dev/null
done
expect_error AccessDenied aws2 sts assume-role --role-arn "arn:aws:iam::$ACCT:role/reader" --role-session-name root
ok "aws sts assume-role (v1, v2): the session credentials list the bucket; root may not assume roles"

# Sessions are saved with the account: they survive a restart until they expire.
restart_server
AWS_ACCESS_KEY_ID=$(json_get "$T_TMP/session.json" 'd["AccessKeyId"]') \
	AWS_SECRET_ACCESS_KEY=$(json_get "$T_TMP/session.json" 'd["SecretAccessKey"]') \
	AWS_SESSION_TOKEN=$(json_get "$T_TMP/session.json" 'd["SessionToken"]') \
	aws1 s3 ls s3://sts-demo/ >/dev/null
ok "a session survives a restart while it is valid"

# Move the server's clock two hours and a bit ahead (the sessions last 7200 s at most) and allow
# the clients' real-time signatures that far off.
stop_server
S3IAM_FAKE_NOW=$(($(date +%s) + 7300)) start_server --max-skew 86400
py "$SRCDIR/t/it/402-sts.py" expired "$T_TMP/session.json"
AWS_ACCESS_KEY_ID=$(json_get "$T_TMP/session.json" 'd["AccessKeyId"]') \
	AWS_SECRET_ACCESS_KEY=$(json_get "$T_TMP/session.json" 'd["SecretAccessKey"]') \
	AWS_SESSION_TOKEN=$(json_get "$T_TMP/session.json" 'd["SessionToken"]') \
	expect_error ExpiredToken aws2 s3 ls s3://sts-demo/
ok "expired session credentials: ExpiredToken (aws v2 too)"
