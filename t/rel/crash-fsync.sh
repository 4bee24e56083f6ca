#!/bin/bash
# t/rel/crash-fsync.sh - crash.sh against s3iamd --fsync (files, directories and SQLite synced
# before every acknowledgement).  REL_CYCLES kill cycles (20; `make check-long`: 200).
# SIGKILL kills the process, not the machine: page-cache data survives, so this proves the
# write ordering under --fsync, not power-loss durability.  See crash.py.
. "$(dirname "$0")/../lib/server.sh"
need_boto3
command -v sqlite3 >/dev/null 2>&1 || fail "the sqlite3 command-line shell is needed (apt-get install sqlite3)"
SERVER_LOG="$T_TMP/server.log"
py "$SRCDIR/t/rel/crash.py" --fsync --iam --cycles "${REL_CYCLES:-20}" --tmp "$T_TMP" --log "$SERVER_LOG" \
	${REL_SEED:+--seed "$REL_SEED"}
ok "crash-fsync.py: every check passed"
