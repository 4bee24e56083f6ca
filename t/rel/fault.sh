#!/bin/bash
# t/rel/fault.sh - I/O faults (ENOSPC, EIO, EMFILE, short writes) injected with the LD_PRELOAD
# shim t/fault/faultinj.so into write/pwrite/openat/rename of object files and of SQLite's WAL:
# each failing request answers 500 InternalError, leaves nothing partial and no orphan file, and
# the server keeps serving.  Under a sanitizer build the ASan runtime is preloaded first.
# See fault.py.
. "$(dirname "$0")/../lib/server.sh"
need_boto3
command -v sqlite3 >/dev/null 2>&1 || fail "the sqlite3 command-line shell is needed (apt-get install sqlite3)"
SHIM=${FAULTINJ:-$(cd "$(dirname "$S3IAMD")/.." && pwd)/t/fault/faultinj.so}
[ -f "$SHIM" ] || fail "fault injection shim $SHIM not built (make t/fault/faultinj.so)"
SERVER_LOG="$T_TMP/server.log"
py "$SRCDIR/t/rel/fault.py" --shim "$SHIM" --tmp "$T_TMP" --log "$SERVER_LOG"
ok "fault.py: every check passed"
