#!/bin/bash
# 211-s3-cli-v2: aws s3 cp/ls/sync/mv/rm/presign with AWS CLI v2, with a server restart between
# uploads and downloads (the checks are in t/lib/case-s3cli.sh).
CLI=aws2
. "$(dirname "$0")/../lib/server.sh"
. "$SRCDIR/t/lib/case-s3cli.sh"
