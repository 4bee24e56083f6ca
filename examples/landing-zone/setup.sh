#!/bin/bash
# examples/landing-zone/setup.sh - build the landing-zone exercise of the seed notes against s3iamd
# with the AWS CLI, in the order a student works (README.md in this directory walks through it):
#
#   1. as the account root: the admin group, its admin_access policy, the user admin-NAME and a key;
#   2. as admin-NAME: the engineer and analyst groups and policies (the seeds' engineer_access is
#      sent as written first, to show the MalformedPolicyDocument error, then corrected), the users
#      engineer-NAME and analyst-NAME and their keys;
#   3. as admin-NAME: the buckets NAME-landing-zone and NAME-analysis with Block Public Access,
#      versioning and default SSE-S3 encryption;
#   4. as admin-NAME: an access point per bucket; the seeds' access point policy is tried as
#      written first (an analyst upload through it is denied), then replaced by the corrected one.
#
# Usage: setup.sh [-n NAME] [-e ENDPOINT] [-a ACCOUNT_ID] [-d STATE_DIR] [-c AWS_CLI] [-q] [-i INIT]
#   NAME        your name, as in the seeds' <name> (default: demo); lower-case letters, digits, '-'
#   ENDPOINT    s3iamd's URL (default: http://localhost:4566).  Use a "localhost" URL with s3iamd
#               listening on localhost:PORT: S3 Control sends requests to ACCOUNT.localhost.
#   ACCOUNT_ID  the 12-digit account s3iamd was started with (--account-id); checked against
#               sts get-caller-identity (default: whatever the server reports)
#   STATE_DIR   where the profiles, rendered policies and state.env are written
#               (default: ./landing-zone-NAME)
#   AWS_CLI     the aws command to use (default: $AWS or "aws")
#   -q          print only the step headings and the demonstrations, not every command
#   -i INIT     s3iamd was started with --init INIT (init.json here, see PROPOSAL.md): create
#               nothing, only write the profiles (the access keys are in INIT) and state.env
# S3IAM_POLICY: the s3iam-policy tool (default: from PATH), used to show policy warnings if found.
# The root credentials are read from S3IAM_ROOT_ACCESS_KEY_ID / S3IAM_ROOT_SECRET_ACCESS_KEY
# (default: s3iamd's built-in AKIAS3IAMROOTEXAMPLE / s3iam-root-secret-key-change-me).
#
# The server must be fresh (nothing of the exercise created yet) and started with
# --region ap-southeast-2, the region the seeds' policies are written for.
# Afterwards: check-table.py -d STATE_DIR runs the seeds' CLI test table.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NAME=demo
ENDPOINT=http://localhost:4566
ACCOUNT=""
STATE=""
AWS_CLI=${AWS:-aws}
QUIET=0
INIT=""
REGION="ap-southeast-2" # the seeds' region: every policy condition names it
IAM_REGION="us-east-1"   # IAM is global, evaluated as us-east-1 (the seeds' "UseConsole" statements)

usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2; }
while getopts "n:e:a:d:c:qi:h" opt; do
	case $opt in
	n) NAME=$OPTARG ;;
	e) ENDPOINT=$OPTARG ;;
	a) ACCOUNT=$OPTARG ;;
	d) STATE=$OPTARG ;;
	c) AWS_CLI=$OPTARG ;;
	q) QUIET=1 ;;
	i) INIT=$OPTARG ;;
	*) usage ;;
	esac
done
[ $OPTIND -gt $# ] || usage
: "${STATE:=./landing-zone-$NAME}"

die() { printf 'setup.sh: error: %s\n' "$*" >&2; exit 1; }
step() { printf '\n==== %s\n' "$*"; }
say() { printf '%s\n' "$*"; }

# <name> becomes part of bucket names (3-63 chars) and of access point names (at most 50 chars:
# "<name>-landing-zone-access" leaves 26 for the name).
[[ $NAME =~ ^[a-z0-9]([a-z0-9-]{0,24}[a-z0-9])?$ ]] ||
	die "NAME must be 1-26 lower-case letters, digits or '-', not starting or ending with '-': '$NAME'"
[ -z "$ACCOUNT" ] || [[ $ACCOUNT =~ ^[0-9]{12}$ ]] || die "ACCOUNT_ID must be 12 digits: '$ACCOUNT'"
command -v "$AWS_CLI" >/dev/null 2>&1 || die "AWS CLI '$AWS_CLI' not found"

mkdir -p "$STATE/aws" "$STATE/policies"
STATE=$(cd "$STATE" && pwd)
# A private CLI configuration: the student's ~/.aws is neither read nor changed.
export AWS_CONFIG_FILE="$STATE/aws/config"
export AWS_SHARED_CREDENTIALS_FILE="$STATE/aws/credentials"
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
	AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL 2>/dev/null || true
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
chmod 600 "$AWS_SHARED_CREDENTIALS_FILE"

# add_profile PROFILE KEY_ID SECRET: one CLI profile, region ap-southeast-2 (as the seeds'
# `export AWS_REGION=ap-southeast-2` in CloudShell).
add_profile() {
	printf '[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n' "$1" "$2" "$3" \
		>>"$AWS_SHARED_CREDENTIALS_FILE"
	printf '[profile %s]\nregion = %s\noutput = json\n\n' "$1" "$REGION" >>"$AWS_CONFIG_FILE"
}

# as PROFILE ARGS...: run `aws ARGS` as PROFILE against the server, echoing the command the way a
# student would type it (without the --endpoint-url every command here carries).
as() {
	local p=$1
	shift
	[ "$QUIET" = 1 ] || printf '[%s]$ aws %s\n' "$p" "$*" >&2
	"$AWS_CLI" --endpoint-url "$ENDPOINT" --profile "$p" "$@"
}

# expect_failure CODE PROFILE ARGS...: the command must fail with the AWS error CODE; its error
# message is printed (this is the point of the demonstration).
expect_failure() {
	local code=$1 p=$2 out msg dec rc=0
	shift 2
	printf '[%s]$ aws %s\n' "$p" "$*" >&2
	# --debug shows the response headers: x-s3iam-decision names the statement that decided.
	out=$("$AWS_CLI" --endpoint-url "$ENDPOINT" --profile "$p" --debug "$@" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || die "expected $code, but the command succeeded: aws $*"
	msg=$(printf '%s\n' "$out" | grep -E '^An error occurred' | tail -n 1 || true)
	dec=$(printf '%s\n' "$out" | grep -oE "'x-s3iam-decision': '[^']*'" | tail -n 1 | cut -d"'" -f4 || true)
	printf '    | %s\n' "$msg"
	[ -z "$dec" ] || printf '    | x-s3iam-decision: %s\n' "$dec"
	case $msg in *"($code)"*) ;; *) die "expected the error $code, got: $(printf '%s\n' "$out" | tail -n 5)" ;; esac
}

# render SRC DST: a policy template with <name> and <aws-account-id> filled in.
render() {
	sed -e "s/<name>/$NAME/g" -e "s/<aws-account-id>/$ACCOUNT/g" "$HERE/policies/$1" >"$STATE/policies/$2"
	grep -q '<[a-z-]*>' "$STATE/policies/$2" && die "unfilled placeholder left in $STATE/policies/$2"
	return 0
}

# new_key PROFILE USER: create USER's access key as PROFILE and store it as the profile USER.
new_key() {
	local id secret
	read -r id secret < <(as "$1" iam create-access-key --user-name "$2" --region "$IAM_REGION" \
		--query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
	[ -n "$id" ] && [ -n "$secret" ] || die "no access key returned for $2"
	add_profile "$2" "$id" "$secret"
	say "    access key $id stored as profile $2"
}

# ---------------------------------------------------------------------------------------------
step "0. the account root (profile root) and the server"
add_profile root "${S3IAM_ROOT_ACCESS_KEY_ID:-AKIAS3IAMROOTEXAMPLE}" \
	"${S3IAM_ROOT_SECRET_ACCESS_KEY:-s3iam-root-secret-key-change-me}"
who=$(as root sts get-caller-identity --query '[Account,Arn]' --output text) ||
	die "cannot reach s3iamd at $ENDPOINT as the root user (is it running? right credentials?)"
read -r got_account root_arn <<<"$who"
[ -z "$ACCOUNT" ] || [ "$ACCOUNT" = "$got_account" ] ||
	die "the server's account is $got_account, not $ACCOUNT (start s3iamd with --account-id $ACCOUNT)"
ACCOUNT=$got_account
say "    caller: $root_arn (account $ACCOUNT)"
host=${ENDPOINT#*://}
host=${host%%[:/]*}
if [ "$host" = localhost ] && ! getent hosts "$ACCOUNT.localhost" >/dev/null 2>&1; then
	die "$ACCOUNT.localhost does not resolve: S3 Control needs it (install libnss-myhostname and put \
'myhostname' on the hosts: line of /etc/nsswitch.conf; see docs/hostnames.md)"
fi

LZ=$NAME-landing-zone
AN=$NAME-analysis
LZ_AP=$LZ-access
AN_AP=$AN-access
LZ_AP_ARN=arn:aws:s3:$REGION:$ACCOUNT:accesspoint/$LZ_AP
AN_AP_ARN=arn:aws:s3:$REGION:$ACCOUNT:accesspoint/$AN_AP
POLICY_ARN=arn:aws:iam::$ACCOUNT:policy
for f in admin_access engineer_access analyst_access; do render "$f.json" "$f.json"; done
render engineer_access.seed.json engineer_access.seed.json
render access-point.seed.json "$AN_AP.seed.json"
# the seeds' access point policy is written for the landing zone; "repeat this process" for analysis
sed -i "s/$LZ_AP/$AN_AP/g" "$STATE/policies/$AN_AP.seed.json"
render landing-zone-access.json "$LZ_AP.json"
render analysis-access.json "$AN_AP.json"

ADMIN=admin-$NAME
if [ -n "$INIT" ]; then
	step "1-4. built by s3iamd --init $INIT: the users' profiles from the file"
	[ -r "$INIT" ] || die "cannot read $INIT"
	for u in "admin-$NAME" "engineer-$NAME" "analyst-$NAME"; do
		k=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for a in d["accounts"]:
    for u in a.get("users", []):
        if u["name"] == sys.argv[2] and u.get("access_keys"):
            print(u["access_keys"][0]["id"], u["access_keys"][0]["secret"])' "$INIT" "$u")
		[ -n "$k" ] || die "$INIT has no access key for $u"
		add_profile "$u" "${k% *}" "${k#* }"
		as "$u" sts get-caller-identity --query Arn --output text >/dev/null ||
			die "the key of $u in $INIT does not work: was s3iamd started with --init $INIT?"
		say "    profile $u: key ${k% *}"
	done
else
# ---------------------------------------------------------------------------------------------
step "1. as the root user: the admin group, admin_access, and the user admin-$NAME"
as root iam create-group --group-name admin --region "$IAM_REGION" >/dev/null
as root iam create-policy --policy-name admin_access --region "$IAM_REGION" \
	--policy-document "file://$STATE/policies/admin_access.json" >/dev/null
as root iam attach-group-policy --group-name admin --policy-arn "$POLICY_ARN/admin_access" \
	--region "$IAM_REGION"
as root iam create-user --user-name "admin-$NAME" --region "$IAM_REGION" >/dev/null
as root iam create-login-profile --user-name "admin-$NAME" --password "Admin-$NAME-change-me-1" \
	--region "$IAM_REGION" >/dev/null
as root iam add-user-to-group --group-name admin --user-name "admin-$NAME" --region "$IAM_REGION"
new_key root "admin-$NAME"

# ---------------------------------------------------------------------------------------------
step "2. as admin-$NAME: the engineer and analyst groups, their policies, users and keys"
say "    (admin_access allows iam:* only with aws:RequestedRegion us-east-1: IAM is evaluated there)"
as "$ADMIN" iam create-group --group-name engineer --region "$IAM_REGION" >/dev/null
as "$ADMIN" iam create-group --group-name analyst --region "$IAM_REGION" >/dev/null

say "--- engineer_access exactly as in the seeds: IAM rejects it (a comma is missing after"
say "--- \"iam:GetAccessKeyLastUsed\"); the server names the line and column:"
expect_failure MalformedPolicyDocument "$ADMIN" iam create-policy --policy-name engineer_access \
	--region "$IAM_REGION" --policy-document "file://$STATE/policies/engineer_access.seed.json"
say "--- the corrected document (policies/engineer_access.json: that one comma added):"
as "$ADMIN" iam create-policy --policy-name engineer_access --region "$IAM_REGION" \
	--policy-document "file://$STATE/policies/engineer_access.json" >/dev/null
as "$ADMIN" iam create-policy --policy-name analyst_access --region "$IAM_REGION" \
	--policy-document "file://$STATE/policies/analyst_access.json" >/dev/null
POLICY_TOOL=${S3IAM_POLICY:-$(command -v s3iam-policy || true)}
if [ -n "$POLICY_TOOL" ]; then
	say "--- IAM accepts analyst_access, as AWS does; s3iam's policy checker points out what it"
	say "--- cannot do (PutAnalysisS3BucketLimitedBySource names \"s3:CopyObject\"):"
	"$POLICY_TOOL" validate --kind identity "$STATE/policies/analyst_access.json" 2>&1 |
		sed -e "s|$STATE/policies/||" -e 's/^/    | /'
fi
for g in engineer analyst; do
	as "$ADMIN" iam attach-group-policy --group-name "$g" --policy-arn "$POLICY_ARN/${g}_access" \
		--region "$IAM_REGION"
	as "$ADMIN" iam create-user --user-name "$g-$NAME" --region "$IAM_REGION" >/dev/null
	as "$ADMIN" iam create-login-profile --user-name "$g-$NAME" --password "${g^}-$NAME-change-me-1" \
		--region "$IAM_REGION" >/dev/null
	as "$ADMIN" iam add-user-to-group --group-name "$g" --user-name "$g-$NAME" --region "$IAM_REGION"
	new_key "$ADMIN" "$g-$NAME"
done

# ---------------------------------------------------------------------------------------------
step "3. as admin-$NAME: the buckets $LZ and $AN (region $REGION)"
for b in "$LZ" "$AN"; do
	# ACLs disabled (Object Ownership BucketOwnerEnforced) is the default for new buckets.
	as "$ADMIN" s3api create-bucket --bucket "$b" \
		--create-bucket-configuration "LocationConstraint=$REGION" >/dev/null
	as "$ADMIN" s3api put-public-access-block --bucket "$b" --public-access-block-configuration \
		BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
	as "$ADMIN" s3api put-bucket-versioning --bucket "$b" --versioning-configuration Status=Enabled
	as "$ADMIN" s3api put-bucket-encryption --bucket "$b" --server-side-encryption-configuration \
		'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
	v=$(as "$ADMIN" s3api get-bucket-versioning --bucket "$b" --query Status --output text)
	e=$(as "$ADMIN" s3api get-bucket-encryption --bucket "$b" --output text \
		--query 'ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm')
	p=$(as "$ADMIN" s3api get-public-access-block --bucket "$b" --output text --query \
		'PublicAccessBlockConfiguration.[BlockPublicAcls,IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets]')
	p=$(printf '%s' "$p" | tr -s ' \t' ' ')
	say "    $b: versioning $v, default encryption $e, block public access $p"
	[ "$v" = Enabled ] && [ "$e" = AES256 ] && [ "$p" = "True True True True" ] ||
		die "$b is not set up as asked"
done

# ---------------------------------------------------------------------------------------------
step "4. as admin-$NAME: the access points $LZ_AP and $AN_AP"
for pair in "$LZ_AP:$LZ" "$AN_AP:$AN"; do
	ap=${pair%%:*}
	b=${pair#*:}
	arn=$(as "$ADMIN" s3control create-access-point --account-id "$ACCOUNT" --name "$ap" --bucket "$b" \
		--public-access-block-configuration \
		BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true \
		--query AccessPointArn --output text)
	[ "$arn" = "arn:aws:s3:$REGION:$ACCOUNT:accesspoint/$ap" ] ||
		die "access point ARN is $arn, expected arn:aws:s3:$REGION:$ACCOUNT:accesspoint/$ap (start s3iamd with --region $REGION)"
	say "    $arn"
done
AN_ALIAS=$(as "$ADMIN" s3control get-access-point --account-id "$ACCOUNT" --name "$AN_AP" --query Alias --output text)

say "--- the seeds' access point policy as written names only the access point ARN.  Object"
say "--- requests through an access point are authorized on ACCESS-POINT-ARN/object/KEY, so it"
say "--- grants no object access; an analyst upload through $AN_AP is denied:"
as "$ADMIN" s3control put-access-point-policy --account-id "$ACCOUNT" --name "$AN_AP" \
	--policy "file://$STATE/policies/$AN_AP.seed.json"
printf 'hi\n' >"$STATE/hw.txt"
expect_failure AccessDenied "analyst-$NAME" s3api put-object --bucket "$AN_ALIAS" --key test/seed-policy.txt \
	--body "$STATE/hw.txt" --server-side-encryption AES256
say "--- the corrected access point policies also name ACCESS-POINT-ARN/object/*:"
as "$ADMIN" s3control put-access-point-policy --account-id "$ACCOUNT" --name "$LZ_AP" \
	--policy "file://$STATE/policies/$LZ_AP.json"
as "$ADMIN" s3control put-access-point-policy --account-id "$ACCOUNT" --name "$AN_AP" \
	--policy "file://$STATE/policies/$AN_AP.json"
fi

LZ_ALIAS=$(as "$ADMIN" s3control get-access-point --account-id "$ACCOUNT" --name "$LZ_AP" --query Alias --output text)
AN_ALIAS=$(as "$ADMIN" s3control get-access-point --account-id "$ACCOUNT" --name "$AN_AP" --query Alias --output text)
say "    access point aliases: $LZ_ALIAS, $AN_ALIAS"

# ---------------------------------------------------------------------------------------------
cat >"$STATE/state.env" <<EOF
# written by examples/landing-zone/setup.sh; read by check-table.py
NAME=$NAME
ACCOUNT=$ACCOUNT
REGION=$REGION
ENDPOINT=$ENDPOINT
LZ_BUCKET=$LZ
AN_BUCKET=$AN
LZ_AP_ARN=$LZ_AP_ARN
AN_AP_ARN=$AN_AP_ARN
LZ_ALIAS=$LZ_ALIAS
AN_ALIAS=$AN_ALIAS
EOF
step "done"
say "    profiles (root, admin-$NAME, engineer-$NAME, analyst-$NAME) in $STATE/aws/"
say "    to work as a user:  export AWS_CONFIG_FILE=$AWS_CONFIG_FILE"
say "                        export AWS_SHARED_CREDENTIALS_FILE=$AWS_SHARED_CREDENTIALS_FILE"
say "                        aws --endpoint-url $ENDPOINT --profile engineer-$NAME s3 ls"
say "    the CLI test table:  $HERE/check-table.py -d $STATE"
