#!/bin/bash
# 920-js-sdk: AWS SDK for JavaScript v3 (@aws-sdk/client-s3, @aws-sdk/lib-storage): default
# checksums, a file stream body (aws-chunked with a CRC32 trailer), lib-storage multipart
# (the checks are in t/js/s3-sdk.mjs; scripts/test.sh installs the packages with npm ci).
. "$(dirname "$0")/../lib/server.sh"
command -v node >/dev/null 2>&1 || fail "node not found (apt-get install nodejs)"
[ -d "$SRCDIR/t/js/node_modules/@aws-sdk/client-s3" ] && [ -d "$SRCDIR/t/js/node_modules/@aws-sdk/lib-storage" ] \
	|| fail "t/js/node_modules has no @aws-sdk/client-s3 or lib-storage: run 'npm ci' in t/js (scripts/test.sh does)"
start_server
export T_TMP
node "$SRCDIR/t/js/s3-sdk.mjs"
ok "t/js/s3-sdk.mjs: every check passed"
