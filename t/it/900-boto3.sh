#!/bin/bash
# 900-boto3: core operations, checksums, multipart and presigned URLs through boto3 with
# path-style addressing on 127.0.0.1 (the checks are in 900-boto3.py).
. "$(dirname "$0")/../lib/server.sh"
need_boto3
start_server
py "$SRCDIR/t/it/900-boto3.py"
ok "900-boto3.py: every check passed"
