#!/bin/sh
# Run every decision case in t/data/policy-cases through `s3iam-policy eval`.
# Fails (exit 1) if any case fails; the tool prints each case and "N passed, N failed".
srcdir=${srcdir:-.}
tool=${top_builddir:-.}/tools/s3iam-policy
[ -x "$tool" ] || tool=./tools/s3iam-policy
exec "$tool" eval "$srcdir"/t/data/policy-cases/*.json
