#!/bin/bash
# bench/run.sh - the same S3 load against s3iamd and against moto_server, alternating, N rounds;
# prints a table of medians and s3iamd/moto ratios and writes it to bench/results/latest.md.
#
#   bench/run.sh [-b BUILDDIR] [-r ROUNDS] [-d SECONDS] [-o FILE] [main|choices]
#
#   main     (default) the side-by-side table, plus s3iamd-only rows (--fsync, start-up with
#            100,000 objects).
#   choices  s3iamd alone under each server option that changes a design choice (thread model and
#            pool size, fsync, access log, decision log, data on tmpfs); one table, written to
#            bench/results/choices.md.
#
# `make bench` runs `main` with the build directory filled in.  Needs: the build's server/s3iamd and
# bench/s3iam-bench, moto_server (pip install 'moto[server]'), the aws CLI.  s3iamd's requests are
# signed by an IAM user (bench-analyst) whose group policy is bench/analyst-policy.json, set up with
# the aws CLI; while s3iamd's IAM API does not answer CreateUser the run falls back to the root
# credentials and says so in the table.
#
# Environment knobs: S3IAM_BENCH_PORT (default 19566; moto uses +1), S3IAM_BENCH_BIG_MIB (256),
# S3IAM_BENCH_STARTUP_OBJECTS (100000; 0 skips that row), S3IAM_BENCH_SERVERS ("s3iamd moto").
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$src/build"
rounds=3
duration=3
mode=main
out=""
while [ $# -gt 0 ]; do
	case "$1" in
	-b) build=$(cd "$2" && pwd); shift 2 ;;
	-r) rounds=$2; shift 2 ;;
	-d) duration=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	main|choices) mode=$1; shift ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1 (--help)" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || out="$src/bench/results/$([ "$mode" = main ] && echo latest || echo choices).md"
work="$build/bench-work-$mode"

port=${S3IAM_BENCH_PORT:-19566}
mport=$((port + 1))
big_mib=${S3IAM_BENCH_BIG_MIB:-256}
startup_objects=${S3IAM_BENCH_STARTUP_OBJECTS:-100000}
servers=${S3IAM_BENCH_SERVERS:-s3iamd moto}
region=ap-southeast-2
bucket=bench-analysis
root_ak=${S3IAM_ROOT_ACCESS_KEY_ID:-AKIAS3IAMROOTEXAMPLE}
root_sk=${S3IAM_ROOT_SECRET_ACCESS_KEY:-s3iam-root-secret-key-change-me}
s3iamd="$build/server/s3iamd"
benchbin="$build/bench/s3iam-bench"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

[ -x "$s3iamd" ] || die "$s3iamd not built (make in $build)"
[ -x "$benchbin" ] || die "$benchbin not built (make bench in $build)"
command -v aws >/dev/null || die "the aws CLI is needed (apt-get install awscli)"
case " $servers " in *" moto "*)
	command -v moto_server >/dev/null || die "moto_server is needed (pip install 'moto[server]')" ;;
esac
for p in $port $mport; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is in use (set S3IAM_BENCH_PORT)"; fi
done

rm -rf "$work"
mkdir -p "$work/raw" "$(dirname "$out")"

# ---------------------------------------------------------------- servers

running=""   # pids this script started, killed on exit
cleanup() {
	local p
	for p in $running; do kill -KILL "$p" 2>/dev/null || true; done
	# Data directories go only now: on ext4 without a journal, inodes freed in the last minutes
	# make every file creation scan past them (ext4 find_inode_bit/recently_deleted), so deleting
	# one round's objects would slow the next round's PUTs.
	rm -rf "$work"/data-* /dev/shm/s3iam-bench-data-* 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# launch LOGFILE AK SK CMD...: start a server through the bench (which times launch -> first 200 to a
# signed ListBuckets); sets PID and STARTUP_MS.
launch() {
	local logf=$1 ak=$2 sk=$3 ep=$4 outp
	shift 4
	outp=$("$benchbin" --endpoint "$ep" --access-key "$ak" --secret-key "$sk" --region "$region" \
		--log "$logf" launch -- "$@") || die "launch failed: $* (log: $logf)"
	PID=$(awk '$1 == "pid" { print $2 }' <<<"$outp")
	STARTUP_MS=$(awk '$1 == "startup_ms" { print $2 }' <<<"$outp")
	running="$running $PID"
}

stop() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 100); do
		[ -d "/proc/$pid" ] || break
		# a zombie has no VmRSS line: it is gone for our purposes (its parent is init)
		grep -q VmRSS "/proc/$pid/status" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	running=$(sed "s/ $pid\b//" <<<"$running")
}

awscli() {   # awscli PORT AK SK ARGS...
	local p=$1 ak=$2 sk=$3
	shift 3
	env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID="$ak" \
		AWS_SECRET_ACCESS_KEY="$sk" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		AWS_DEFAULT_OUTPUT=text aws --endpoint-url "http://127.0.0.1:$p" --region "$region" "$@"
}

make_bucket() {   # PORT AK SK
	awscli "$1" "$2" "$3" s3api create-bucket --bucket "$bucket" \
		--create-bucket-configuration "LocationConstraint=$region" >/dev/null ||
		die "create-bucket failed on port $1"
}

# iam_user PORT: the analyst-style user, group and inline group policy; sets USER_AK / USER_SK.
# Returns 1 (quietly) while the server's IAM API cannot create users.
iam_user() {
	local p=$1 keys
	awscli "$p" "$root_ak" "$root_sk" iam create-user --user-name bench-analyst >/dev/null 2>&1 || return 1
	awscli "$p" "$root_ak" "$root_sk" iam create-group --group-name bench-analysts >/dev/null &&
	awscli "$p" "$root_ak" "$root_sk" iam put-group-policy --group-name bench-analysts \
		--policy-name analyst_access --policy-document "file://$src/bench/analyst-policy.json" &&
	awscli "$p" "$root_ak" "$root_sk" iam add-user-to-group --group-name bench-analysts \
		--user-name bench-analyst &&
	keys=$(awscli "$p" "$root_ak" "$root_sk" iam create-access-key --user-name bench-analyst \
		--query 'AccessKey.[AccessKeyId,SecretAccessKey]') || die "IAM set-up failed after CreateUser worked"
	read -r USER_AK USER_SK <<<"$keys"
	[ -n "$USER_SK" ] || die "create-access-key returned no secret: $keys"
	# A new key must work at once; the policy must deny an unencrypted PUT (proves the group policy
	# is in force, not the root shortcut).
	printf 'x' >"$work/x.txt"
	awscli "$p" "$USER_AK" "$USER_SK" s3api put-object --bucket "$bucket" --key probe/enc \
		--body "$work/x.txt" --server-side-encryption AES256 >/dev/null ||
		die "the IAM user cannot PUT with SSE: policy not applied as expected"
	if awscli "$p" "$USER_AK" "$USER_SK" s3api put-object --bucket "$bucket" --key probe/plain \
		--body "$work/x.txt" >/dev/null 2>&1; then
		die "the IAM user could PUT without SSE: DenyUnencryptedS3ObjectUploads not enforced"
	fi
	return 0
}

CREDS_NOTE=""
# s3iamd_round NAME EXTRA-ARGS...: one s3iamd run (fresh data dir), raw figures to raw/NAME.txt.
s3iamd_round() {
	local name=$1 tests=$2 rawf="$work/raw/$1.txt" data="$work/data-$1" ak sk creds
	shift 2
	[ -z "${DATA_ROOT:-}" ] || data="$DATA_ROOT/s3iam-bench-data-$name"
	rm -rf "$data"
	mkdir -p "$data"
	log "$name: s3iamd $*"
	launch "$work/$name.log" "$root_ak" "$root_sk" "http://127.0.0.1:$port" \
		"$s3iamd" --listen "127.0.0.1:$port" --data "$data" --region "$region" "$@"
	make_bucket "$port" "$root_ak" "$root_sk"
	if iam_user "$port"; then
		ak=$USER_AK sk=$USER_SK creds=iam
	else
		ak=$root_ak sk=$root_sk creds=root
		CREDS_NOTE="root credentials (IAM not yet available)"
	fi
	{
		echo "startup_ms $STARTUP_MS"
		echo "creds $creds"
		"$benchbin" --endpoint "http://127.0.0.1:$port" --access-key "$ak" --secret-key "$sk" \
			--region "$region" --bucket "$bucket" --pid "$PID" --duration "$duration" \
			--big-mib "$big_mib" --tests "$tests" run || echo "bench_failed 1"
	} >"$rawf"
	stop "$PID"
	# tmpfs data is RAM: free it now (no inode-allocation side effects there).
	[ -z "${DATA_ROOT:-}" ] || rm -rf "$data"
}

moto_round() {
	local name=$1 tests=$2 rawf="$work/raw/$1.txt"
	log "$name: moto_server"
	launch "$work/$name.log" test test "http://127.0.0.1:$mport" moto_server -H 127.0.0.1 -p "$mport"
	make_bucket "$mport" test test
	{
		echo "startup_ms $STARTUP_MS"
		"$benchbin" --endpoint "http://127.0.0.1:$mport" --access-key test --secret-key test \
			--region "$region" --bucket "$bucket" --pid "$PID" --duration "$duration" \
			--big-mib "$big_mib" --tests "$tests" run || echo "bench_failed 1"
	} >"$rawf"
	stop "$PID"
}

# startup_loaded N: s3iamd start-up time over a data dir holding N objects (3 restarts, median).
startup_loaded() {
	local n=$1 data="$work/data-loaded" i
	rm -rf "$data"
	mkdir -p "$data"
	log "start-up with $n objects: filling"
	launch "$work/loaded.log" "$root_ak" "$root_sk" "http://127.0.0.1:$port" \
		"$s3iamd" --listen "127.0.0.1:$port" --data "$data" --region "$region" --no-access-log
	make_bucket "$port" "$root_ak" "$root_sk"
	"$benchbin" --endpoint "http://127.0.0.1:$port" --access-key "$root_ak" --secret-key "$root_sk" \
		--region "$region" --bucket "$bucket" --tests populate --populate "$n" --prefix pop/ run \
		>"$work/raw/populate.txt" || die "populate failed"
	stop "$PID"
	for i in 1 2 3; do
		launch "$work/loaded-$i.log" "$root_ak" "$root_sk" "http://127.0.0.1:$port" \
			"$s3iamd" --listen "127.0.0.1:$port" --data "$data" --region "$region"
		echo "startup_loaded_ms $STARTUP_MS" >"$work/raw/loaded-$i.txt"
		stop "$PID"
	done
}

# ---------------------------------------------------------------- tables

# median_of SERVER-GLOB KEY: median over raw/SERVER-GLOB.txt of KEY, or "-" when absent.
median_of() {
	local glob=$1 key=$2
	# shellcheck disable=SC2086
	{ cat $work/raw/$glob.txt 2>/dev/null || true; } | awk -v k="$key" '$1 == k { print $2 }' | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "-"; exit }
			if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

fmt() {   # fmt VALUE: fixed decimals by size
	awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else if (v + 0 >= 100) printf "%.0f\n", v;
		else if (v + 0 >= 10) printf "%.1f\n", v; else printf "%.2f\n", v }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

# verdict S RATIO RULE: RULE is "min:X" (s3iamd >= X), "max:X", "ratio:X" (ratio >= X), or "".
verdict() {
	local s=$1 r=$2 rule rules=$3 ok=1
	[ -n "$rules" ] || { echo ""; return; }
	[ "$s" != "-" ] || { echo "n/a"; return; }
	for rule in $rules; do
		case "$rule" in
		min:*) awk -v s="$s" -v x="${rule#min:}" 'BEGIN { exit !(s + 0 >= x + 0) }' || ok=0 ;;
		max:*) awk -v s="$s" -v x="${rule#max:}" 'BEGIN { exit !(s + 0 <= x + 0) }' || ok=0 ;;
		ratio:*)
			[ "$r" != "-" ] || { echo "n/a"; return; }
			awk -v r="$r" -v x="${rule#ratio:}" 'BEGIN { exit !(r + 0 >= x + 0) }' || ok=0 ;;
		esac
	done
	[ $ok = 1 ] && echo "met" || echo "MISSED"
}

# Rows: key | label | target text | rule
main_rows() {
	cat <<'EOF'
put4k_c1_ops|4 KiB PUT, c=1 (ops/s)||
put4k_c1_p50_ms|4 KiB PUT, c=1, p50 (ms)||
put4k_c1_p99_ms|4 KiB PUT, c=1, p99 (ms)||
get4k_c1_ops|4 KiB GET, c=1 (ops/s)||
get4k_c1_p50_ms|4 KiB GET, c=1, p50 (ms)||
get4k_c1_p99_ms|4 KiB GET, c=1, p99 (ms)||
head4k_c1_ops|HEAD, c=1 (ops/s)||
head4k_c1_p50_ms|HEAD, c=1, p50 (ms)||
head4k_c1_p99_ms|HEAD, c=1, p99 (ms)||
put4k_c16_ops|4 KiB PUT, c=16 (ops/s)|>= 20x moto, >= 6000|ratio:20 min:6000
put4k_c16_p50_ms|4 KiB PUT, c=16, p50 (ms)||
put4k_c16_p99_ms|4 KiB PUT, c=16, p99 (ms)||
get4k_c16_ops|4 KiB GET, c=16 (ops/s)|>= 30x moto|ratio:30
get4k_c16_p50_ms|4 KiB GET, c=16, p50 (ms)||
get4k_c16_p99_ms|4 KiB GET, c=16, p99 (ms)||
head4k_c16_ops|HEAD, c=16 (ops/s)||
head4k_c16_p50_ms|HEAD, c=16, p50 (ms)||
head4k_c16_p99_ms|HEAD, c=16, p99 (ms)||
put4k_c16_cpu_us|server CPU per 4 KiB PUT, c=16 (us)||
get4k_c16_cpu_us|server CPU per 4 KiB GET, c=16 (us)||
head4k_c16_cpu_us|server CPU per HEAD, c=16 (us)||
big_put_signed_mbs|BIG PUT, signed payload (MB/s)|>= 250|min:250
big_put_unsigned_mbs|BIG PUT, UNSIGNED-PAYLOAD (MB/s)|>= 400|min:400
big_get_mbs|BIG GET (MB/s)|>= 1500|min:1500
list_keys_s|ListObjectsV2 over 10,000 keys (keys/s)|>= 8x moto|ratio:8
startup_ms|launch to first answered request, empty (ms)|<= 50|max:50
big_rss_max_mb|server RSS during BIG transfers (MB)||
peak_rss_mb|server peak RSS, whole run (VmHWM, MB)|<= 50|max:50
EOF
}

main_table() {
	local key label target rule s m r v
	echo "| figure | s3iamd | moto | s3iamd/moto | target | |"
	echo "|---|---:|---:|---:|---|---|"
	while IFS='|' read -r key label target rule; do
		s=$(median_of 's3iamd-r*' "$key")
		m=$(median_of 'moto-r*' "$key")
		r=$(ratio "$s" "$m")
		v=$(verdict "$s" "$r" "$rule")
		echo "| $label | $(fmt "$s") | $(fmt "$m") | $r | $target | $v |"
	done < <(main_rows | sed "s/BIG/$big_mib MiB/")
	s=$(median_of 'fsync-r*' put4k_c16_ops)
	echo "| s3iamd --fsync: 4 KiB PUT, c=16 (ops/s) | $(fmt "$s") | | | >= 800 | $(verdict "$s" - min:800) |"
	s=$(median_of 'fsync-r*' put4k_c1_ops)
	echo "| s3iamd --fsync: 4 KiB PUT, c=1 (ops/s) | $(fmt "$s") | | | | |"
	s=$(median_of 'fsync-r*' put4k_c16_p99_ms)
	echo "| s3iamd --fsync: 4 KiB PUT, c=16, p99 (ms) | $(fmt "$s") | | | | |"
	if [ "$startup_objects" -gt 0 ]; then
		s=$(median_of 'loaded-*' startup_loaded_ms)
		echo "| s3iamd launch to first answer, $startup_objects objects (ms) | $(fmt "$s") | | | <= 50 | $(verdict "$s" - max:50) |"
	fi
}

machine() {
	local cpu
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	echo "$(nproc) cores ($cpu), $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
}

# moto_version: from the interpreter that runs moto_server (pyenv and venv installs differ from python3).
moto_version() {
	local py
	py=$(head -1 "$(command -v moto_server)" | sed -n 's/^#! *//p')
	case "$py" in */python*) ;; *) py=python3 ;; esac
	$py -c 'import moto; print(moto.__version__)' 2>/dev/null || echo '?'
}

load1() { cut -d' ' -f1 /proc/loadavg; }

errors_note() {
	local f bad=""
	for f in "$work"/raw/*.txt; do
		if awk '($1 == "errors" || $1 ~ /_errors$/) && $2 + 0 > 0 { e = 1 } $1 == "bench_failed" { e = 1 } END { exit !e }' "$f"; then
			bad="$bad $(basename "$f" .txt)"
		fi
	done
	[ -z "$bad" ] || echo "**Requests failed in:$bad** (see $work/raw and the server logs there)."
}

# ---------------------------------------------------------------- main

t0=$(date +%s)
load0=$(load1)
if awk -v l="$load0" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
	log "warning: load average $load0 on $(nproc) cores: other work will skew the figures"
fi
if [ "$mode" = main ]; then
	for i in $(seq "$rounds"); do
		# Alternate which server goes first, so neither always runs on a warmer machine.  moto goes
		# first in round 1: it barely touches the disk, and by the time s3iamd runs, inodes freed by
		# whatever ran before (the previous bench's data) no longer slow file creation (see cleanup).
		if [ $((i % 2)) = 0 ]; then order="$servers"; else order=$(tr ' ' '\n' <<<"$servers" | tac | xargs); fi
		for s in $order; do
			case $s in
			s3iamd)
				s3iamd_round "s3iamd-r$i" small,list,big
				s3iamd_round "fsync-r$i" smallput --fsync ;;
			moto) moto_round "moto-r$i" small,list,big ;;
			esac
		done
	done
	[ "$startup_objects" -gt 0 ] && startup_loaded "$startup_objects"
	{
		echo "# s3iam benchmark: s3iamd vs moto_server"
		echo
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(machine)."
		echo "moto $(moto_version); s3iamd $("$s3iamd" --version 2>/dev/null | awk '{ print $NF }'), default options."
		echo "Load average (1 min) before the run: $load0, after: $(load1)."
		echo "Medians of $rounds alternating rounds; small-object tests run ${duration} s each; one client"
		echo "thread (curl multi), SigV4-signed, x-amz-server-side-encryption: AES256 on every PUT."
		if [ -n "$CREDS_NOTE" ]; then
			echo "s3iamd requests: **$CREDS_NOTE**."
		else
			echo "s3iamd requests: IAM user bench-analyst, group policy bench/analyst-policy.json (region condition, SSE Null deny)."
		fi
		echo "MB = 10^6 bytes. Wall time $(( $(date +%s) - t0 )) s."
		echo
		main_table
		echo
		errors_note
	} >"$out"
else
	# name|server options|data root (empty: on disk, in the build directory)
	configs=(
		"auto||"
		"perconn|--threads 0|"
		"threads2|--threads 2|"
		"threads8|--threads 8|"
		"fsync|--fsync|"
		"fsync-threads4|--fsync --threads 4|"
		"nolog|--no-access-log|"
		"nodlog|--decision-log 0|"
		"tmpfs||/dev/shm"
	)
	for i in $(seq "$rounds"); do
		for c in "${configs[@]}"; do
			IFS='|' read -r name args droot <<<"$c"
			# shellcheck disable=SC2086
			DATA_ROOT=$droot s3iamd_round "$name-r$i" small,big $args
		done
	done
	{
		echo "# s3iamd design choices, one option at a time"
		echo
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(machine). Medians of $rounds round(s), ${duration} s per test."
		echo "Load average (1 min) before the run: $load0, after: $(load1)."
		[ -z "$CREDS_NOTE" ] && echo "Signed by the IAM user (analyst policy)." || echo "**$CREDS_NOTE**."
		echo
		echo "ops/s, and in brackets server CPU per request (us); big objects: MB/s, and in brackets MB per"
		echo "server CPU second."
		echo
		echo "| options | PUT c=1 | PUT c=16 | PUT c=16 p99 ms | GET c=1 | GET c=16 | HEAD c=16 | $big_mib MiB PUT signed | $big_mib MiB GET | peak RSS MB |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		for c in "${configs[@]}"; do
			IFS='|' read -r name args droot <<<"$c"
			label=${args:-defaults (--threads auto: a pool of 4 here)}
			[ -z "$droot" ] || label="$label, data on tmpfs"
			printf '| %s |' "$label"
			for k in put4k_c1_ops:put4k_c1_cpu_us put4k_c16_ops:put4k_c16_cpu_us put4k_c16_p99_ms \
				get4k_c1_ops:get4k_c1_cpu_us get4k_c16_ops:get4k_c16_cpu_us head4k_c16_ops:head4k_c16_cpu_us \
				big_put_signed_mbs:big_put_signed_cpu_mbs big_get_mbs:big_get_cpu_mbs peak_rss_mb; do
				if [ "${k#*:}" != "$k" ]; then
					printf ' %s (%s) |' "$(fmt "$(median_of "$name-r*" "${k%%:*}")")" \
						"$(fmt "$(median_of "$name-r*" "${k#*:}")")"
					continue
				fi
				printf ' %s |' "$(fmt "$(median_of "$name-r*" "$k")")"
			done
			echo
		done
		echo
		errors_note
	} >"$out"
fi
cat "$out"
log "written to $out (raw figures and server logs in $work)"
