#!/bin/bash
# 910-boto3-virtual-host: boto3 with virtual-host addressing (http://BUCKET.localhost:PORT):
# the server listens with --listen localhost:PORT (both ::1 and 127.0.0.1) because
# libnss-myhostname resolves *.localhost to ::1 first (docs/hostnames.md).
. "$(dirname "$0")/../lib/server.sh"
need_boto3
if ! getent ahosts s3iam-probe.localhost >/dev/null 2>&1; then
	fail "*.localhost does not resolve: apt-get install libnss-myhostname and put 'myhostname' on the hosts: line of /etc/nsswitch.conf (scripts/test.sh does both; see docs/hostnames.md)"
fi
start_server --localhost
py "$SRCDIR/t/it/900-boto3.py" --virtual
ok "900-boto3.py --virtual: every check passed"
