#!/bin/bash
# t/rel/hostile.sh - hostile input: path traversal in keys and bucket names, XML external
# entities and entity expansion, huge Content-Length with a short body, chunked plus
# Content-Length, header/URL size limits and 10,000 query parameters, invalid UTF-8, %zz and NUL
# bytes, slow-header (slowloris) clients.  Each is a clean error or a plain key, nothing outside
# the data dir is touched, nothing is read from disk for the XML parser (observed through the
# trace mode of t/fault/faultinj.so), and others keep being served.  See hostile.py.
. "$(dirname "$0")/../lib/server.sh"
need_boto3
SHIM=${FAULTINJ:-$(cd "$(dirname "$S3IAMD")/.." && pwd)/t/fault/faultinj.so}
[ -f "$SHIM" ] || fail "fault injection shim $SHIM not built (make t/fault/faultinj.so)"
SERVER_LOG="$T_TMP/server.log"
py "$SRCDIR/t/rel/hostile.py" --shim "$SHIM" --tmp "$T_TMP" --log "$SERVER_LOG"
ok "hostile.py: every check passed"
