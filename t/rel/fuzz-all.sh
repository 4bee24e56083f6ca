#!/bin/bash
# t/rel/fuzz-all.sh - run every libFuzzer target for FUZZ_ALL_SECONDS each (`make fuzz`).
#
# Run from the build directory after the targets are built (the make rule does both).  Each
# target gets a corpus directory t/fuzz/corpus-NAME, seeded on every run from the captured client
# requests and the example --init files (t/rel/fuzz_seeds.py) or, for the policy parser, from
# t/data/seeds and t/data/policy-cases; what the fuzzer learns stays in the corpus for the next run.  Crash
# reproducers go to t/fuzz/artifacts/.  A summary (executions, seconds, corpus size, result per
# target) is printed and written to t/fuzz/fuzz-summary.txt.  Exits 1 if any target found a
# crash, a leak or a broken invariant.
#
# Environment: FUZZ_ALL_SECONDS (default 600), SRCDIR (the source tree), FUZZ_TARGETS (names to
# run, default all).
set -u -o pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SECS=${FUZZ_ALL_SECONDS:-600}
TARGETS=${FUZZ_TARGETS:-"policy sigv4 awschunk xml query init"}
OUT=t/fuzz
SUMMARY=$OUT/fuzz-summary.txt
mkdir -p "$OUT/artifacts" "$OUT/seeds"

python3 "$SRCDIR/t/rel/fuzz_seeds.py" "$SRCDIR" "$OUT/seeds" || exit 1

printf '%-10s %12s %8s %8s %8s  %s\n' target executions seconds exec/s corpus result >"$SUMMARY"
failed=0
for name in $TARGETS; do
	bin=$OUT/fuzz_$name
	corpus=$OUT/corpus-$name
	mkdir -p "$corpus"
	args=(-max_total_time="$SECS" -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$name-" -timeout=25
		-rss_limit_mb=4096)
	case $name in
	policy)
		cp -f "$SRCDIR"/t/data/seeds/*.json "$corpus"/ 2>/dev/null
		find "$SRCDIR/t/data/policy-cases" -name '*.json' -exec cp -f {} "$corpus"/ \; 2>/dev/null
		args+=(-max_len=16384 -dict="$SRCDIR/t/fuzz/policy.dict") ;;
	sigv4 | awschunk | query)
		cp -f "$OUT/seeds/$name"/* "$corpus"/ 2>/dev/null
		args+=(-max_len=8192) ;;
	xml)
		cp -f "$OUT/seeds/xml"/* "$corpus"/ 2>/dev/null
		args+=(-max_len=16384 -dict="$SRCDIR/t/fuzz/xml.dict") ;;
	init)
		cp -f "$OUT/seeds/init"/* "$corpus"/ 2>/dev/null
		args+=(-max_len=65536 -dict="$SRCDIR/t/fuzz/policy.dict") ;;
	esac
	[ -x "$bin" ] || { echo "fuzz-all: $bin is not built" >&2; exit 1; }
	log=$OUT/fuzz-$name.log
	echo "==> fuzz_$name for $SECS s (log: $log)"
	start=$(date +%s)
	"$bin" "${args[@]}" "$corpus" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	size=$(find "$corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		result=clean
	else
		result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: |SUMMARY: |deadly signal' "$log")"
		failed=1
	fi
	printf '%-10s %12s %8s %8s %8s  %s\n' "$name" "${execs:-?}" "$took" "${rate:-?}" "$size" "$result" | tee -a "$SUMMARY"
done
echo "summary in $SUMMARY"
cat "$SUMMARY"
exit $failed
