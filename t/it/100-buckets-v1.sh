#!/bin/bash
# 100-buckets-v1: bucket operations with AWS CLI v1 (the checks are in t/lib/case-buckets.sh).
CLI=aws1
. "$(dirname "$0")/../lib/server.sh"
. "$SRCDIR/t/lib/case-buckets.sh"
