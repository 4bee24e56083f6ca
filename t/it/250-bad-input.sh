#!/bin/bash
# 250-bad-input: hand-made bad requests (wrong secret, skewed clock, expired presigned URLs,
# tampered aws-chunked signatures, bad digests and checksums, malformed or oversized XML, invalid
# names, unsatisfiable ranges): each gets its AWS error code, and nothing is stored.
# The checks are in 250-bad-input.py (botocore's signer, http.client).
. "$(dirname "$0")/../lib/server.sh"
need_boto3
start_server
py "$SRCDIR/t/it/250-bad-input.py"
ok "250-bad-input.py: every check passed"
