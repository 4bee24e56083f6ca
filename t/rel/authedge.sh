#!/bin/bash
# t/rel/authedge.sh - authentication edges: presigned URLs replayed after expiry, signatures
# scoped to another region or service, an expired role session's token, a deactivated access
# key, clock skew both ways, aws-chunked bodies with one tampered chunk.  Each is refused with
# its AWS error code and writes nothing; each has a positive twin.  See authedge.py.
. "$(dirname "$0")/../lib/server.sh"
need_boto3
SERVER_LOG="$T_TMP/server.log"
py "$SRCDIR/t/rel/authedge.py" --tmp "$T_TMP" --log "$SERVER_LOG"
ok "authedge.py: every check passed"
