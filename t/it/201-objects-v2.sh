#!/bin/bash
# 201-objects-v2: object operations with AWS CLI v2 s3api (the checks are in t/lib/case-objects.sh).
CLI=aws2
. "$(dirname "$0")/../lib/server.sh"
. "$SRCDIR/t/lib/case-objects.sh"
