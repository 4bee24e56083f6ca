#!/bin/bash
# 403-iam-simulate: SimulatePrincipalPolicy / SimulateCustomPolicy on the enforcing engine agree
# with real requests (boto3 checks in 403-iam-simulate.py), and the CLIs (v1, v2) read the results.
. "$(dirname "$0")/../lib/server.sh"
need_boto3
start_server
ACCT=000000000000
py "$SRCDIR/t/it/403-iam-simulate.py"

out=$(aws2 iam simulate-principal-policy --policy-source-arn "arn:aws:iam::$ACCT:user/engineer-demo" \
	--action-names s3:PutObject --resource-arns arn:aws:s3:::sim-bucket/z \
	--context-entries "ContextKeyName=aws:RequestedRegion,ContextKeyValues=ap-southeast-2,ContextKeyType=string" \
	"ContextKeyName=s3:x-amz-server-side-encryption,ContextKeyValues=AES256,ContextKeyType=string" --output json)
assert_eq allowed "$(printf '%s' "$out" | json_get - 'd["EvaluationResults"][0]["EvalDecision"]')" "v2 simulate"
out=$(aws1 iam simulate-custom-policy --action-names s3:DeleteObject \
	--policy-input-list '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}' \
	--output json)
assert_eq explicitDeny "$(printf '%s' "$out" | json_get - 'd["EvaluationResults"][0]["EvalDecision"]')" "v1 custom"
ok "aws iam simulate-principal-policy (v2) and simulate-custom-policy (v1)"
