#!/bin/bash
# t/rel/fault-fsync.sh - fault.sh against s3iamd --fsync: the same write/openat/rename faults plus
# those only --fsync reaches (fdatasync of the object file, fsync of the blobs/ directory, fsync
# of SQLite's WAL at commit followed by a SIGKILL and a restart).  See fault.py.
. "$(dirname "$0")/../lib/server.sh"
need_boto3
command -v sqlite3 >/dev/null 2>&1 || fail "the sqlite3 command-line shell is needed (apt-get install sqlite3)"
SHIM=${FAULTINJ:-$(cd "$(dirname "$S3IAMD")/.." && pwd)/t/fault/faultinj.so}
[ -f "$SHIM" ] || fail "fault injection shim $SHIM not built (make t/fault/faultinj.so)"
SERVER_LOG="$T_TMP/server.log"
py "$SRCDIR/t/rel/fault.py" --fsync --shim "$SHIM" --tmp "$T_TMP" --log "$SERVER_LOG"
ok "fault-fsync.py: every check passed"
