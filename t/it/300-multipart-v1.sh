#!/bin/bash
# 300-multipart-v1: multipart uploads with AWS CLI v1 s3api (the checks are in t/lib/case-multipart.sh).
CLI=aws1
. "$(dirname "$0")/../lib/server.sh"
. "$SRCDIR/t/lib/case-multipart.sh"
