#!/bin/sh
# README.md must list every S3 operation the server implements (s3iamd --list-operations).
set -eu
: "${S3IAMD:?}" "${SRCDIR:?}"
missing=0
for op in $("$S3IAMD" --list-operations | awk -F'|' 'NR > 2 { gsub(/ /, "", $2); print $2 }'); do
	if ! grep -q "^| $op |" "$SRCDIR/README.md"; then
		echo "README.md does not list the S3 operation $op (regenerate the table with s3iamd --list-operations)"
		missing=$((missing + 1))
	fi
done
[ "$missing" -eq 0 ] && echo "README.md lists every S3 operation"
exit "$missing"
