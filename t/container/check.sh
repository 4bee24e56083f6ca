#!/bin/bash
# t/container/check.sh - build the s3iamd container image with podman and test it on this machine.
#
#   t/container/check.sh           the whole check (`make check-container` runs this)
#   t/container/check.sh --base    only make sure the debian:bookworm-slim base image exists
#
# Steps: install podman/buildah/runc/debootstrap if missing; build a local debian:bookworm-slim
# (debootstrap --variant=minbase from this machine's Debian source, imported into podman) unless
# one exists; `podman build --format docker --pull=never --layers=false` (the OCI format drops
# HEALTHCHECK; no cached layers, so the builder stage is not left behind);
# run the image published on 127.0.0.1 with a named volume; check HEALTHCHECK and `podman
# healthcheck run`; smoke-test with the real aws CLI (v1 and v2: mb, cp up and down with a
# sha256 compare, multipart, ls, rm) and the steps of examples/ci/github-actions.yml; restart
# and replace the container and check the volume kept the data; check SIGTERM stops it within
# 2 s with exit status 0; check that bad configuration exits at once with a clear log message;
# check that no file left behind names the package mirror's host; print the image size.
#
# Settings this machine's VM needs (runc, ulimits) go into a CONTAINERS_CONF file made in a temp
# dir here, never into the image.  Containers and volumes are removed at exit.  Two images are
# kept: s3iam:test, to use, and the base, so the next run skips debootstrap.  The s3iam:test of
# the previous run is removed.
#
# Environment: S3IAM_IMAGE (default s3iam:test), S3IAM_DEBIAN_MIRROR (default: from APT's
# sources), KEEP=1 keeps the container and volume for a look after a failure.
# Exit status: 0 all passed, 1 a check failed, 77 podman cannot run containers on this machine
# (the reason is printed; automake counts 77 as SKIP).
set -eu -o pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
IMAGE=${S3IAM_IMAGE:-s3iam:test}
BASE=debian:bookworm-slim
SUITE=bookworm
STOP_LIMIT_MS=2000
NAME=s3iam-check-$$
VOLUME=s3iam-check-$$
# The daemon's default root credentials (conf/conf.c); the container check does not change them.
KEY_ID=AKIAS3IAMROOTEXAMPLE
SECRET=s3iam-root-secret-key-change-me

passed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/s3iam-container.XXXXXX")
started_containers=()

log() { printf '==> %s\n' "$*" >&2; }
ok() {
	passed=$((passed + 1))
	printf 'ok %d - %s\n' "$passed" "$*"
}
fail() {
	printf 'FAIL: container: %s\n' "$*" >&2
	if [ "${#started_containers[@]}" -gt 0 ]; then
		local c
		for c in "${started_containers[@]}"; do
			podman container exists "$c" 2>/dev/null || continue
			printf -- '---- podman logs %s (last 40 lines)\n' "$c" >&2
			podman logs --tail 200 "$c" 2>&1 | grep -v 'op=Health ' | tail -n 40 >&2 || true
		done
	fi
	printf '%d passed, 1 failed\n' "$passed"
	exit 1
}
skip() {
	printf 'SKIP: container check: %s\n' "$*"
	exit 77
}
now_ms() { date +%s%3N; }

# prun ARGS...: podman run -d; its own stderr goes to a file (without systemd, podman says on every
# run that it cannot schedule the HEALTHCHECK timer: `podman healthcheck run` is used instead).
prun() {
	podman run -d "$@" >/dev/null 2>"$tmp/run.err" && return 0
	grep -v 'systemd connection' "$tmp/run.err" >&2 || true
	return 1
}

cleanup() {
	local rc=$? c
	set +e
	if [ "${KEEP:-0}" = 1 ]; then
		log "KEEP=1: leaving container(s) ${started_containers[*]:-none} and volume $VOLUME"
	else
		for c in "${started_containers[@]+"${started_containers[@]}"}"; do
			podman rm -f -v -t 0 "$c" >/dev/null 2>&1
		done
		podman volume rm -f "$VOLUME" "$VOLUME-bad" >/dev/null 2>&1
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools and podman settings

ensure_tools() {
	local missing=() t
	for t in podman buildah runc debootstrap; do
		command -v "$t" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$t" >/dev/null 2>&1 \
			|| missing+=("$t")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || skip "missing ${missing[*]} and not root: cannot apt-get install them"
	log "installing podman buildah runc debootstrap (missing: ${missing[*]})"
	if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			podman buildah runc debootstrap netavark aardvark-dns iptables; } >"$tmp/apt.log" 2>&1; then
		tail -20 "$tmp/apt.log" >&2
		skip "apt-get could not install podman and friends"
	fi
}

# The VM this runs in needs runc (not crun) and explicit ulimits; these are settings of this
# machine's podman, so they live here and not in the image.
podman_conf() {
	cat >"$tmp/containers.conf" <<-'EOF'
	[containers]
	default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

	[engine]
	runtime = "runc"
	EOF
	export CONTAINERS_CONF="$tmp/containers.conf"
}

# ---------------------------------------------------------------- Debian source and base image

# debian_uri SUITE: the first URI that APT's sources on this machine use for SUITE/main.
debian_uri() {
	local suite=$1 f
	{
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			awk -v suite="$suite" '
				$1 == "deb" {
					i = 2
					if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
					if ($(i + 1) != suite) next
					for (j = i + 2; j <= NF; j++) if ($j == "main") { print $i; exit }
				}' "$f"
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk -v suite="$suite" '
				BEGIN { RS = ""; FS = "\n" }
				{
					types = uris = suites = comps = ""; enabled = "yes"
					for (i = 1; i <= NF; i++) {
						if ($i ~ /^[ \t]*#/) continue
						k = $i; sub(/:.*/, "", k); k = tolower(k)
						v = $i; sub(/^[^:]*:[ \t]*/, "", v)
						if (k == "types") types = v
						else if (k == "uris") uris = v
						else if (k == "suites") suites = v
						else if (k == "components") comps = v
						else if (k == "enabled") enabled = tolower(v)
					}
					if (enabled != "no" && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " suite " ") &&
					    (" " comps " ") ~ / main /) { split(uris, u, /[ \t]+/); print u[1]; exit }
				}' "$f"
		done
	} | head -n 1
}

# uri_host URI: the host part of URI (empty for file: URIs).
uri_host() {
	local h=${1#*://}
	case $1 in *://*) ;; *) return 0 ;; esac
	h=${h%%/*}
	h=${h##*@}
	h=${h%:*}
	printf '%s\n' "$h"
}

MIRROR=${S3IAM_DEBIAN_MIRROR:-$(debian_uri "$SUITE")}
SECURITY_MIRROR=$(debian_uri "$SUITE-security")
[ -n "$MIRROR" ] || fail "no Debian source for $SUITE main in /etc/apt/sources.list{,.d} (set S3IAM_DEBIAN_MIRROR)"
MIRROR_HOST=$(uri_host "$MIRROR")
SECURITY_HOST=$(uri_host "${SECURITY_MIRROR:-}")

# APT sources for `podman build`: bind-mounted over /etc/apt/sources.list.d for the RUN steps
# only, so the mirror is used to build but no layer records it (the base has no sources file).
write_build_sources() {
	mkdir -p "$tmp/apt-sources"
	{
		printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$MIRROR" "$SUITE" "$SUITE"
		printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		if [ -n "${SECURITY_MIRROR:-}" ]; then
			printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$SECURITY_MIRROR" "$SUITE"
			printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		fi
	} >"$tmp/apt-sources/debian.sources"
}

# slim_rootfs DIR: make a debootstrap tree look like Debian's official -slim image: no docs, man
# pages or locales (and dpkg told not to install them), apt configured to keep no caches, and no
# file that names the mirror or this machine (sources.list, logs, resolv.conf, hostname, and
# dselect's apt method, whose setup script names Debian's default mirror).
slim_rootfs() {
	local r=$1
	mkdir -p "$r/etc/dpkg/dpkg.cfg.d" "$r/etc/apt/apt.conf.d"
	cat >"$r/etc/dpkg/dpkg.cfg.d/slim" <<-'EOF'
	# as in Debian's official -slim images: documentation is not installed
	path-exclude /usr/share/doc/*
	path-include /usr/share/doc/*/copyright
	path-exclude /usr/share/man/*
	path-exclude /usr/share/groff/*
	path-exclude /usr/share/info/*
	path-exclude /usr/share/lintian/*
	path-exclude /usr/share/linda/*
	path-exclude /usr/share/locale/*
	# dselect's access method for apt: no dselect here, and its setup script names a mirror
	path-exclude /usr/lib/dpkg/methods/apt/*
	EOF
	cat >"$r/etc/apt/apt.conf.d/slim" <<-'EOF'
	// as in Debian's official container images: no binary caches, no kept .debs, no translations
	Dir::Cache::pkgcache "";
	Dir::Cache::srcpkgcache "";
	APT::Keep-Downloaded-Packages "false";
	Acquire::Languages "none";
	Acquire::GzipIndexes "true";
	APT::AutoRemove::SuggestsImportant "false";
	EOF
	find "$r/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
	find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
	rm -rf "$r/usr/share/man/"* "$r/usr/share/groff/"* "$r/usr/share/info/"* "$r/usr/share/lintian/"* \
		"$r/usr/share/linda/"* "$r/usr/share/locale/"* "$r/usr/lib/dpkg/methods/apt"
	rm -rf "$r/var/lib/apt/lists/"* "$r/var/cache/apt/"* "$r/var/log/"* "$r/debootstrap"
	rm -f "$r/etc/apt/sources.list" "$r/etc/resolv.conf" "$r/etc/hostname"
	mkdir -p "$r/var/lib/apt/lists/partial" "$r/var/cache/apt/archives/partial" "$r/etc/apt/sources.list.d"
}

# ensure_base: a local debian:bookworm-slim, from debootstrap when there is none.
ensure_base() {
	if podman image exists "$BASE"; then
		log "base image $BASE present: $(podman image inspect --format '{{.Id}}' "$BASE" | cut -c1-12)"
		return 0
	fi
	local rootfs="$tmp/rootfs" t0
	t0=$(date +%s)
	log "no $BASE here: debootstrap --variant=minbase $SUITE from APT's Debian source (a few minutes)"
	debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 \
		|| { tail -30 "$tmp/debootstrap.log" >&2; fail "debootstrap failed"; }
	slim_rootfs "$rootfs"
	if [ -n "$MIRROR_HOST" ] && grep -rlF -D skip -- "$MIRROR_HOST" "$rootfs" >"$tmp/hits" 2>/dev/null; then
		fail "the base tree still names the mirror's host: $(sed "s|^$rootfs||" "$tmp/hits" | head -5 | tr '\n' ' ')"
	fi
	tar --numeric-owner -C "$rootfs" -c . \
		| podman import -q --change 'CMD ["bash"]' - "$BASE" >/dev/null \
		|| fail "podman import of the debootstrap tree failed"
	rm -rf "$rootfs"
	podman image exists "$BASE" || fail "podman import did not produce $BASE"
	log "base image $BASE made in $(($(date +%s) - t0)) s"
}

# ---------------------------------------------------------------- helpers for the running image

# run_container NAME [ENV...]: start the image in the background, published on 127.0.0.1 (a free
# port chosen by podman), data in $VOLUME.  Sets PORT and ENDPOINT, T_STARTED (ms).
run_container() {
	local name=$1 hp
	shift
	T_STARTED=$(now_ms)
	prun --name "$name" -p 127.0.0.1::4566 -v "$VOLUME:/var/lib/s3iam" "$@" "$IMAGE" \
		|| fail "podman run $name failed"
	started_containers+=("$name")
	set_endpoint "$name"
}

set_endpoint() {
	local hp
	hp=$(podman port "$1" 4566/tcp | head -n 1)
	PORT=${hp##*:}
	case $PORT in '' | *[!0-9]*) fail "podman port $1 4566/tcp gave '$hp'" ;; esac
	ENDPOINT="http://127.0.0.1:$PORT"
}

# wait_healthy NAME: poll `podman healthcheck run` (the image's HEALTHCHECK, s3iamd --probe) until
# it says healthy, for up to 20 s.  (Without systemd podman schedules no health timer itself.)  Sets T_HEALTHY (ms since T_STARTED).
wait_healthy() {
	local name=$1 deadline out
	deadline=$(($(now_ms) + 20000))
	while :; do
		# podman prints "unhealthy" and exits 1 on failure; on success it exits 0 (and prints
		# "healthy" in newer versions); the state it recorded must say healthy too.
		if out=$(podman healthcheck run "$name" 2>&1) \
			&& [ "$(podman inspect --format '{{.State.Health.Status}}' "$name")" = healthy ]; then
			T_HEALTHY=$(($(now_ms) - T_STARTED))
			return 0
		fi
		[ "$(podman inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" = true ] \
			|| fail "$name exited before it became healthy"
		[ "$(now_ms)" -lt "$deadline" ] || fail "$name not healthy after 20 s (last: $out)"
		sleep 0.1
	done
}

# Hermetic AWS CLI: no user config or profile, the daemon's default root credentials.
export AWS_CONFIG_FILE="$tmp/aws-config" AWS_SHARED_CREDENTIALS_FILE="$tmp/aws-credentials"
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
	AWS_REGION http_proxy https_proxy HTTP_PROXY HTTPS_PROXY 2>/dev/null || true
export AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 NO_PROXY="*" no_proxy="*"

. "$top/t/lib/tools.sh"
AWS1=$(s3iam_find_aws1)
AWS2=$(s3iam_find_aws2)
# The smoke tests need at least one real aws CLI; every one found is used.
CLIS=()
[ -n "$AWS1" ] && CLIS+=("$AWS1")
[ -n "$AWS2" ] && CLIS+=("$AWS2")

sha() { sha256sum "$1" | cut -d' ' -f1; }

# smoke CLI BUCKET: the S3 round trip a CI job does, with one CLI.
smoke() {
	local cli=$1 b=$2 v
	v=$("$cli" --version 2>&1 | cut -d' ' -f1)
	"$cli" --endpoint-url "$ENDPOINT" s3 mb "s3://$b" >"$tmp/out" 2>&1 || fail "$v s3 mb: $(cat "$tmp/out")"
	"$cli" --endpoint-url "$ENDPOINT" s3 cp "$tmp/small.bin" "s3://$b/dir/small.bin" >"$tmp/out" 2>&1 \
		|| fail "$v s3 cp up (64 KiB): $(cat "$tmp/out")"
	"$cli" --endpoint-url "$ENDPOINT" s3 cp "$tmp/big.bin" "s3://$b/big.bin" >"$tmp/out" 2>&1 \
		|| fail "$v s3 cp up (20 MiB, multipart): $(cat "$tmp/out")"
	"$cli" --endpoint-url "$ENDPOINT" s3 cp "s3://$b/dir/small.bin" "$tmp/small.back" >"$tmp/out" 2>&1 \
		|| fail "$v s3 cp down (64 KiB): $(cat "$tmp/out")"
	"$cli" --endpoint-url "$ENDPOINT" s3 cp "s3://$b/big.bin" "$tmp/big.back" >"$tmp/out" 2>&1 \
		|| fail "$v s3 cp down (20 MiB): $(cat "$tmp/out")"
	[ "$(sha "$tmp/small.bin")" = "$(sha "$tmp/small.back")" ] || fail "$v: 64 KiB object came back different"
	[ "$(sha "$tmp/big.bin")" = "$(sha "$tmp/big.back")" ] || fail "$v: 20 MiB object came back different"
	"$cli" --endpoint-url "$ENDPOINT" s3 ls --recursive "s3://$b" >"$tmp/ls" 2>&1 || fail "$v s3 ls: $(cat "$tmp/ls")"
	grep -q ' 65536 dir/small.bin$' "$tmp/ls" || fail "$v s3 ls does not list dir/small.bin (65536): $(cat "$tmp/ls")"
	grep -q ' 20971520 big.bin$' "$tmp/ls" || fail "$v s3 ls does not list big.bin (20971520): $(cat "$tmp/ls")"
	"$cli" --endpoint-url "$ENDPOINT" s3 rm "s3://$b/big.bin" >"$tmp/out" 2>&1 || fail "$v s3 rm: $(cat "$tmp/out")"
	"$cli" --endpoint-url "$ENDPOINT" s3 ls --recursive "s3://$b" >"$tmp/ls" 2>&1 || fail "$v s3 ls: $(cat "$tmp/ls")"
	! grep -q 'big.bin' "$tmp/ls" || fail "$v: big.bin still listed after s3 rm"
	rm -f "$tmp/small.back" "$tmp/big.back"
	ok "$v: mb, cp up/down 64 KiB and 20 MiB (multipart) with equal sha256, ls, rm"
}

# example_steps CLI: the `run: |` block of examples/ci/github-actions.yml, as written there, with
# `aws` = CLI and the workflow's AWS_ENDPOINT_URL pointing at this container's port.
example_steps() {
	local cli=$1 v d="$tmp/gha" f="$top/examples/ci/github-actions.yml" script
	v=$("$cli" --version 2>&1 | cut -d' ' -f1)
	script=$(awk '
		on == 0 && /^[ \t]*run: \|[ \t]*$/ { on = 1; next }
		on == 1 {
			if ($0 ~ /^[ \t]*$/) { print ""; next }
			match($0, /^ */)
			if (!ind) ind = RLENGTH
			if (RLENGTH < ind) exit
			print substr($0, ind + 1)
		}' "$f")
	grep -q 'aws s3' <<<"$script" || fail "no run: | block with aws s3 in $f"
	grep -q '^ *AWS_ENDPOINT_URL: http://127.0.0.1:4566$' "$f" || fail "$f does not set AWS_ENDPOINT_URL"
	mkdir -p "$d"
	(
		cd "$d"
		export AWS_ENDPOINT_URL=$ENDPOINT
		# shellcheck disable=SC2317 # called by the eval below
		aws() { "$cli" "$@"; }
		set -e
		eval "$script"
	) >"$tmp/out" 2>&1 || fail "$v: the steps of $f failed: $(cat "$tmp/out")"
	ok "$v: the run: steps of examples/ci/github-actions.yml, with AWS_ENDPOINT_URL"
}

# bad_config WHAT EXPECTED-TEXT PODMAN-RUN-ARGS...: the container must exit at once (non-zero,
# within 5 s) and say EXPECTED-TEXT in `podman logs`.
bad_config() {
	local what=$1 want=$2 name="$NAME-bad$passed" why
	shift 2
	if why=$(exits_at_once "$name" "$want" "$@"); then
		ok "$what: exits at once: $why"
	else
		fail "$what: $why"
	fi
}

# exits_at_once NAME EXPECTED-TEXT PODMAN-RUN-ARGS...: run the image; print what happened and
# return 0 if it exited non-zero within 5 s with EXPECTED-TEXT in its log.
exits_at_once() {
	local name=$1 want=$2 t0 code
	shift 2
	t0=$(now_ms)
	prun --name "$name" "$@" "$IMAGE" || { echo "podman run failed"; return 1; }
	started_containers+=("$name")
	while [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ]; do
		if [ $(($(now_ms) - t0)) -ge 5000 ]; then
			echo "container still running after 5 s: $(podman logs "$name" 2>&1 | tail -n 1)"
			podman rm -f -v -t 0 "$name" >/dev/null 2>&1 || true
			return 1
		fi
		sleep 0.1
	done
	code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
	podman logs "$name" >"$tmp/badlog" 2>&1
	podman rm -f -v "$name" >/dev/null 2>&1 || true
	[ "$code" != 0 ] || { echo "container exited 0"; return 1; }
	grep -qF -- "$want" "$tmp/badlog" || { echo "exit $code, log does not say '$want': $(cat "$tmp/badlog")"; return 1; }
	echo "exit $code in $(($(now_ms) - t0)) ms: $(grep -F -- "$want" "$tmp/badlog" | tail -n 1)"
}

# ---------------------------------------------------------------- the check

ensure_tools
podman_conf
if ! podman info >"$tmp/podman-info" 2>&1; then
	skip "podman cannot run on this machine: $(tail -3 "$tmp/podman-info" | tr '\n' ' ')"
fi
ensure_base
ok "base image $BASE present"
[ "${1:-}" = --base ] && exit 0
# Can podman run a container at all here (kernel, cgroups, runtime)?  If not, say so and skip.
if ! podman run --rm --network none "$BASE" true >"$tmp/probe.log" 2>&1; then
	skip "podman cannot run a container on this machine: $(grep -v 'systemd' "$tmp/probe.log" | tail -3 | tr '\n' ' ')"
fi
volumes_before=$(podman volume ls -q | sort)

[ "${#CLIS[@]}" -gt 0 ] || fail "no aws CLI found (v1 on PATH or Debian's awscli at /usr/bin/aws)"

# --layers=false: no cached intermediate images, so the builder stage (compilers, perl, docs that
# name Debian's mirror) is not left behind in podman's storage, and every run is a clean build.
write_build_sources
log "podman build --format docker --pull=never -t $IMAGE $top"
images_before=$(podman images -a -q | sort)
old_id=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
t0=$(date +%s)
podman build --format docker --pull=never --layers=false -t "$IMAGE" \
	-v "$tmp/apt-sources:/etc/apt/sources.list.d:ro" "$top" >"$tmp/build.log" 2>&1 \
	|| { tail -40 "$tmp/build.log" >&2; fail "podman build failed"; }
build_s=$(($(date +%s) - t0))
ok "podman build --format docker --pull=never -t $IMAGE ($build_s s)"
new_id=$(podman image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-12)
# The previous s3iam:test lost its tag to the new one: remove it rather than leave it dangling.
if [ -n "$old_id" ] && [ "${old_id:0:12}" != "$new_id" ] \
	&& [ "$(podman image inspect --format '{{len .RepoTags}}' "$old_id" 2>/dev/null)" = 0 ]; then
	podman rmi "$old_id" >/dev/null 2>&1 || log "could not remove the previous image ${old_id:0:12}"
fi
leftover=$(comm -13 <(printf '%s\n' "$images_before") <(podman images -a -q | sort) | grep -v "^$new_id" || true)
[ -z "$leftover" ] || fail "podman build left intermediate images behind: ${leftover//$'\n'/ }"
ok "the build left no intermediate image behind"

size_bytes=$(podman image inspect --format '{{.Size}}' "$IMAGE")
base_bytes=$(podman image inspect --format '{{.Size}}' "$BASE")

# The image's configuration.
[ "$(podman image inspect --format '{{json .Config.Healthcheck.Test}}' "$IMAGE")" = '["CMD","s3iamd","--probe"]' ] \
	|| fail "HEALTHCHECK missing or not s3iamd --probe: $(podman image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE")"
ok "image has HEALTHCHECK CMD s3iamd --probe"
user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
case $user in '' | root | 0 | 0:*) fail "image runs as root (User '$user')" ;; esac
[ "$(podman run --rm --entrypoint id "$IMAGE" -u 2>/dev/null)" != 0 ] || fail "id -u in the container is 0"
ok "runs as non-root user $user"
podman image inspect --format '{{json .Config.ExposedPorts}}' "$IMAGE" | grep -q '"4566/tcp"' \
	|| fail "image does not EXPOSE 4566"
podman image inspect --format '{{json .Config.Volumes}}' "$IMAGE" | grep -q '"/var/lib/s3iam"' \
	|| fail "image has no VOLUME /var/lib/s3iam"
podman image inspect --format '{{json .Config.Env}}' "$IMAGE" | grep -q '"S3IAM_LISTEN=0.0.0.0:4566"' \
	|| fail "image does not set S3IAM_LISTEN=0.0.0.0:4566"
ok "EXPOSE 4566, VOLUME /var/lib/s3iam, S3IAM_LISTEN=0.0.0.0:4566"
# No build tools, no apt lists or caches.
podman run --rm --entrypoint sh "$IMAGE" -c '
	for t in gcc cc make autoconf curl wget; do command -v "$t" && exit 1; done
	[ -z "$(ls -A /var/lib/apt/lists | grep -v "^partial$" || true)" ] || exit 2
	[ -z "$(find /var/cache/apt -type f)" ] || exit 3
	exit 0' >"$tmp/out" 2>&1 || fail "image has build tools or apt caches: $(cat "$tmp/out")"
ok "no compiler, make, curl or wget; no apt lists or caches"
podman run --rm "$IMAGE" --print-config >"$tmp/out" 2>&1 || fail "--print-config failed: $(cat "$tmp/out")"
grep -Eq '^listen +.*= 0\.0\.0\.0:4566 +\(environment\)' "$tmp/out" || fail "listen not from env: $(cat "$tmp/out")"
grep -Eq '^data +.*= /var/lib/s3iam +\(environment\)' "$tmp/out" || fail "data not from env: $(cat "$tmp/out")"
podman run --rm -e S3IAM_REGION=eu-west-3 -e S3IAM_LOG_LEVEL=debug "$IMAGE" --print-config >"$tmp/out" 2>&1
grep -Eq '^region +.*= eu-west-3 +\(environment\)' "$tmp/out" || fail "S3IAM_REGION not applied: $(cat "$tmp/out")"
grep -Eq '^log-level +.*= debug +\(environment\)' "$tmp/out" || fail "S3IAM_LOG_LEVEL not applied: $(cat "$tmp/out")"
ok "settings come from S3IAM_* environment variables (--print-config)"

# Bad configuration: exit at once with a clear message, no silent loop.
bad_config "bad port (S3IAM_LISTEN=0.0.0.0:99999)" "99999" -e S3IAM_LISTEN=0.0.0.0:99999
bad_config "bad setting (S3IAM_MAX_SKEW=soon)" "max-skew must be a number" -e S3IAM_MAX_SKEW=soon
# The init file (S3IAM_INIT): a file that cannot be read stops the start (exit 2).
bad_config "unreadable init file (S3IAM_INIT=/nonexistent/init.json)" "/nonexistent/init.json" \
	-e S3IAM_INIT=/nonexistent/init.json
# A data directory the non-root user cannot write (a root-owned bind mount: a common mistake).
mkdir -m 0755 "$tmp/rootdir"
bad_config "data directory not writable (root-owned bind mount)" "cannot open the data directory" \
	-v "$tmp/rootdir:/var/lib/s3iam"
# A damaged master key in the data volume.
podman volume create "$VOLUME-bad" >/dev/null || fail "podman volume create failed"
podman run --rm --entrypoint sh -v "$VOLUME-bad:/var/lib/s3iam" "$IMAGE" \
	-c 'printf short >/var/lib/s3iam/master.key' 2>/dev/null || fail "could not write a bad master.key"
bad_config "bad master key (5-byte master.key in the volume)" "master.key" -v "$VOLUME-bad:/var/lib/s3iam"
podman volume rm -f "$VOLUME-bad" >/dev/null 2>&1 || true

# Run it for real.
podman volume create "$VOLUME" >/dev/null || fail "podman volume create failed"
head -c 65536 /dev/urandom >"$tmp/small.bin"
head -c 20971520 /dev/urandom >"$tmp/big.bin"
run_container "$NAME"
wait_healthy "$NAME"
first_healthy_ms=$T_HEALTHY
ok "healthy (podman healthcheck run) $T_HEALTHY ms after podman run; port $PORT on 127.0.0.1"
code=$(python3 - "$ENDPOINT/_s3iam/health" <<-'EOF'
	import sys, urllib.request
	try:
	    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
	except Exception as e:
	    print(getattr(e, "code", e))
	EOF
)
[ "$code" = 200 ] || fail "GET $ENDPOINT/_s3iam/health from the host: $code"
ok "GET /_s3iam/health through the published port: 200"

i=0
for cli in "${CLIS[@]}"; do
	i=$((i + 1))
	smoke "$cli" "smoke-$i"
done
example_steps "${CLIS[0]}"
{ "${CLIS[0]}" --endpoint-url "$ENDPOINT" s3 mb s3://keep-me \
	&& "${CLIS[0]}" --endpoint-url "$ENDPOINT" s3 cp "$tmp/small.bin" s3://keep-me/survivor.bin; } >"$tmp/out" 2>&1 \
	|| fail "could not store s3://keep-me/survivor.bin: $(cat "$tmp/out")"

# survives WHAT: the object stored above is still there and unchanged.
survives() {
	rm -f "$tmp/survivor.back"
	"${CLIS[0]}" --endpoint-url "$ENDPOINT" s3 cp s3://keep-me/survivor.bin "$tmp/survivor.back" >"$tmp/out" 2>&1 \
		|| fail "after $1: s3://keep-me/survivor.bin is gone: $(cat "$tmp/out")"
	[ "$(sha "$tmp/small.bin")" = "$(sha "$tmp/survivor.back")" ] || fail "after $1: survivor.bin changed"
	ok "data in the volume survived $1"
}

# Restart (SIGTERM, start again with the same container and volume).
podman restart -t 10 "$NAME" >/dev/null 2>"$tmp/err" || fail "podman restart failed: $(cat "$tmp/err")"
T_STARTED=$(now_ms)
set_endpoint "$NAME"
wait_healthy "$NAME"
survives "podman restart"

# SIGTERM: stops within 2 s, exit status 0 (not 137 from the SIGKILL after the timeout).
t0=$(now_ms)
podman stop -t 10 "$NAME" >/dev/null 2>"$tmp/err" || fail "podman stop failed: $(cat "$tmp/err")"
stop_ms=$(($(now_ms) - t0))
code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME")
[ "$code" = 0 ] || fail "exit status after SIGTERM is $code, not 0"
[ "$stop_ms" -le "$STOP_LIMIT_MS" ] || fail "podman stop took $stop_ms ms (limit $STOP_LIMIT_MS)"
podman logs "$NAME" 2>&1 | tail -n 3 >"$tmp/out"
ok "SIGTERM: stopped in $stop_ms ms, exit status 0 ($(tail -n 1 "$tmp/out"))"

# A new container on the same volume (what a CI cache or a compose restart does).
podman rm "$NAME" >/dev/null 2>&1 || fail "podman rm $NAME failed"
run_container "$NAME-2"
wait_healthy "$NAME-2"
survives "a new container on the same volume"
{ "${CLIS[0]}" --endpoint-url "$ENDPOINT" s3 ls s3://smoke-1/dir/ >"$tmp/ls" 2>&1 && grep -q small.bin "$tmp/ls"; } \
	|| fail "s3://smoke-1/dir/small.bin gone in the new container: $(cat "$tmp/ls")"
t0=$(now_ms)
podman stop -t 10 "$NAME-2" >/dev/null 2>"$tmp/err" || fail "podman stop failed: $(cat "$tmp/err")"
stop2_ms=$(($(now_ms) - t0))
[ "$stop2_ms" -le "$STOP_LIMIT_MS" ] || fail "second podman stop took $stop2_ms ms (limit $STOP_LIMIT_MS)"
ok "second container stopped in $stop2_ms ms"

# Nothing left behind names the package mirror: the images this check built (base, builder
# stage, final) and the volume.  Containers are removed by the exit trap.
if [ -n "$MIRROR_HOST" ]; then
	hits=""
	for img in "$BASE" "$IMAGE"; do
		mnt=$(podman image mount "$img") || fail "podman image mount $img failed"
		found=$(grep -rlF -D skip -- "$MIRROR_HOST" "$mnt" 2>/dev/null | sed "s|^$mnt||" | head -5 || true)
		if [ -n "$SECURITY_HOST" ] && [ "$SECURITY_HOST" != "$MIRROR_HOST" ]; then
			found="$found$(grep -rlF -D skip -- "$SECURITY_HOST" "$mnt" 2>/dev/null | sed "s|^$mnt||" | head -5 || true)"
		fi
		podman image unmount "$img" >/dev/null 2>&1 || true
		[ -z "$found" ] || hits="$hits $img:${found//$'\n'/ }"
		podman image inspect "$img" | grep -qF -- "$MIRROR_HOST" && hits="$hits $img:(image config)"
	done
	vol=$(podman volume inspect --format '{{.Mountpoint}}' "$VOLUME")
	found=$(grep -rlF -D skip -- "$MIRROR_HOST" "$vol" 2>/dev/null | head -5 || true)
	[ -z "$found" ] || hits="$hits volume:${found//$'\n'/ }"
	[ -z "$hits" ] || fail "files naming the package mirror's host:$hits"
	ok "no file in the base or final image, or in the volume, names the package mirror's host"
fi

# Clean up now (the exit trap does it too) and check nothing of ours is left: the image declares
# a VOLUME, so every container run without -v made an anonymous one.
for c in "${started_containers[@]}"; do
	podman rm -f -v -t 0 "$c" >/dev/null 2>&1 || true
done
started_containers=()
podman volume rm -f "$VOLUME" >/dev/null 2>&1 || true
left=$(comm -13 <(printf '%s\n' "$volumes_before") <(podman volume ls -q | sort))
[ -z "$left" ] || fail "volumes left behind: ${left//$'\n'/ }"
ok "containers and volumes removed, none left behind"

size_mb=$(awk -v b="$size_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
base_mb=$(awk -v b="$base_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
printf 'image %s: %s MB (%s bytes; base %s %s MB); healthy %s ms after start; SIGTERM stop %s ms\n' \
	"$IMAGE" "$size_mb" "$size_bytes" "$BASE" "$base_mb" "$first_healthy_ms" "$stop_ms"
printf '%d passed, 0 failed\n' "$passed"
