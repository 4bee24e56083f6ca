# t/lib/tools.sh - locate the client tools the integration tests drive (sourced, bash).
#
# AWS CLI v1 is the Python-packaged `aws` (here from pyenv); v2 is Debian's awscli at /usr/bin/aws.
# Both are plain `aws` on PATH, so v1 is "the first aws on PATH that is not /usr/bin/aws".

# s3iam_find_aws1: print the path of AWS CLI v1, or nothing.
s3iam_find_aws1() {
	local a real ver
	for a in $(type -ap aws 2>/dev/null); do
		real=$(readlink -f "$a" 2>/dev/null || printf '%s' "$a")
		[ "$real" = /usr/bin/aws ] && continue
		ver=$("$a" --version 2>&1 || true)
		case $ver in aws-cli/1.*) ;; *) continue ;; esac
		# A pyenv shim costs ~50 ms a call in bash: use the real script it points to.
		case $a in */shims/aws)
			real=$(pyenv which aws 2>/dev/null || true)
			[ -n "$real" ] && [ -x "$real" ] && a=$real ;;
		esac
		printf '%s\n' "$a"
		return 0
	done
	return 0
}

# s3iam_find_aws2: print the path of AWS CLI v2 (/usr/bin/aws from Debian's awscli), or nothing.
s3iam_find_aws2() {
	local ver
	[ -x /usr/bin/aws ] || return 0
	ver=$(/usr/bin/aws --version 2>&1 || true)
	case $ver in aws-cli/2.*) printf '%s\n' /usr/bin/aws ;; esac
	return 0
}

# s3iam_have_boto3: true if python3 on PATH can import boto3.
s3iam_have_boto3() { python3 -c 'import boto3' >/dev/null 2>&1; }
