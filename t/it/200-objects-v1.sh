#!/bin/bash
# 200-objects-v1: object operations with AWS CLI v1 s3api (the checks are in t/lib/case-objects.sh).
CLI=aws1
. "$(dirname "$0")/../lib/server.sh"
. "$SRCDIR/t/lib/case-objects.sh"
