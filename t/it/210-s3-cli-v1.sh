#!/bin/bash
# 210-s3-cli-v1: aws s3 cp/ls/sync/mv/rm/presign with AWS CLI v1, with a server restart between
# uploads and downloads (the checks are in t/lib/case-s3cli.sh).
CLI=aws1
. "$(dirname "$0")/../lib/server.sh"
. "$SRCDIR/t/lib/case-s3cli.sh"
