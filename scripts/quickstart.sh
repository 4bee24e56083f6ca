#!/bin/bash
# scripts/quickstart.sh - install what is missing, build s3iamd in build/, run it in the foreground.
#
#   ./scripts/quickstart.sh                  # listens on localhost:4566, data in ./data
#   ./scripts/quickstart.sh --listen 127.0.0.1:9000 --data /tmp/s3   # arguments replace the defaults
#
# Stop it with Ctrl-C (SIGINT) or SIGTERM.
set -eu
cd "$(dirname "$0")/.."
. scripts/setup.sh

s3iam_build_deps
s3iam_nss_myhostname
s3iam_build build

if [ $# -eq 0 ]; then
	set -- --listen "${S3IAM_LISTEN:-localhost:4566}" --data "${S3IAM_DATA:-./data}"
fi

# Find the port the server will listen on, for the example below.
listen=${S3IAM_LISTEN:-localhost:4566}
prev=""
for a in "$@"; do
	[ "$prev" = "--listen" ] && listen=$a
	case $a in --listen=*) listen=${a#--listen=} ;; esac
	prev=$a
done
case $listen in *:*) port=${listen##*:} ;; *) port=4566 ;; esac

cat >&2 <<MSG

s3iamd root credentials (override with S3IAM_ROOT_ACCESS_KEY_ID / S3IAM_ROOT_SECRET_ACCESS_KEY):
  export AWS_ACCESS_KEY_ID=${S3IAM_ROOT_ACCESS_KEY_ID:-AKIAS3IAMROOTEXAMPLE}
  export AWS_SECRET_ACCESS_KEY=${S3IAM_ROOT_SECRET_ACCESS_KEY:-s3iam-root-secret-key-change-me}
  export AWS_DEFAULT_REGION=${S3IAM_REGION:-us-east-1}
Then, in another terminal:
  aws --endpoint-url http://localhost:$port s3 mb s3://my-bucket
  echo hello | aws --endpoint-url http://localhost:$port s3 cp - s3://my-bucket/hello.txt
  aws --endpoint-url http://localhost:$port s3 ls s3://my-bucket
Health: curl http://localhost:$port/_s3iam/health

MSG
exec build/server/s3iamd "$@"
