#!/bin/bash
# 301-multipart-v2: multipart uploads with AWS CLI v2 s3api (the checks are in t/lib/case-multipart.sh).
CLI=aws2
. "$(dirname "$0")/../lib/server.sh"
. "$SRCDIR/t/lib/case-multipart.sh"
