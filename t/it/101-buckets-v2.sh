#!/bin/bash
# 101-buckets-v2: bucket operations with AWS CLI v2 (the checks are in t/lib/case-buckets.sh).
CLI=aws2
. "$(dirname "$0")/../lib/server.sh"
. "$SRCDIR/t/lib/case-buckets.sh"
