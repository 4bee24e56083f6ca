#!/bin/bash
# t/rel/crash.sh - crash consistency: 4 threads write (PUT, DELETE, multipart, CopyObject,
# versioned PUT / delete marker / version delete, IAM users and inline policies) while s3iamd is
# killed with SIGKILL at a random moment; after each restart every acknowledged write must be
# there with its bytes and checksum, nothing else, no orphan file, and SQLite must pass
# integrity_check.  REL_CYCLES kill cycles (20; `make check-long`: 200).  See crash.py.
. "$(dirname "$0")/../lib/server.sh"
need_boto3
command -v sqlite3 >/dev/null 2>&1 || fail "the sqlite3 command-line shell is needed (apt-get install sqlite3)"
SERVER_LOG="$T_TMP/server.log"
py "$SRCDIR/t/rel/crash.py" --iam --cycles "${REL_CYCLES:-20}" --tmp "$T_TMP" --log "$SERVER_LOG" \
	${REL_SEED:+--seed "$REL_SEED"}
ok "crash.py: every check passed"
