#!/bin/bash
# t/rel/race.sh - 64 clients race on the same keys (PUT, DELETE, CopyObject onto keys being
# deleted, versioned PUT and delete markers, parts and completion of one shared upload id) for
# REL_RACE_SECONDS (20; `make check-long`: 120); the final state, every read and the version
# listing must be explainable by a serial order.  See race.py for the exact rules.
. "$(dirname "$0")/../lib/server.sh"
need_boto3
command -v sqlite3 >/dev/null 2>&1 || fail "the sqlite3 command-line shell is needed (apt-get install sqlite3)"
SERVER_LOG="$T_TMP/server.log"
py "$SRCDIR/t/rel/race.py" --clients 64 --seconds "${REL_RACE_SECONDS:-20}" --tmp "$T_TMP" --log "$SERVER_LOG" \
	${REL_SEED:+--seed "$REL_SEED"}
ok "race.py: every check passed"
