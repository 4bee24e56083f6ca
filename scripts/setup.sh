#!/bin/bash
# scripts/setup.sh - shared set-up for scripts/quickstart.sh and scripts/test.sh.
#
# Sourced by both scripts; run directly (`./scripts/setup.sh [BUILDDIR]`) it installs the build
# dependencies and builds s3iamd in BUILDDIR (default build/).
#
# Everything here is idempotent and cheap when there is nothing to do: apt-get runs only when
# dpkg reports a package missing, autoreconf only when configure is missing or older than its
# inputs, configure only when the build dir has no Makefile or was configured with other flags.

# Packages needed to build s3iamd (Debian 12 names).  libtool is not used by the build today but
# is part of the documented tool set; libnss-myhostname makes *.localhost resolve (docs/hostnames.md).
S3IAM_BUILD_PKGS="build-essential autoconf automake libtool pkg-config libmicrohttpd-dev
libsqlite3-dev libssl-dev libxml2-dev libjansson-dev zlib1g-dev check libnss-myhostname"

# Packages the integration tests need on top (AWS CLI v2 is Debian's awscli, /usr/bin/aws).
# shellcheck disable=SC2034  # used by scripts/test.sh
S3IAM_TEST_PKGS="awscli python3 curl"

s3iam_log() { printf '==> %s\n' "$*" >&2; }
s3iam_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# s3iam_root_dir: absolute path of the repository (the parent of scripts/).
s3iam_root_dir() { (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); }

# s3iam_missing_pkgs PKG...: print the packages dpkg does not report as installed.
s3iam_missing_pkgs() {
	local p st
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$st" = "install ok installed" ] || printf '%s\n' "$p"
	done
}

# s3iam_apt_ensure PKG...: install the packages that are missing, nothing if none is.
s3iam_apt_ensure() {
	local missing sudo=""
	command -v dpkg-query >/dev/null 2>&1 || s3iam_die "dpkg-query not found: these scripts expect Debian 12"
	# shellcheck disable=SC2046
	missing=$(s3iam_missing_pkgs "$@" | tr '\n' ' ')
	[ -n "${missing// /}" ] || return 0
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || s3iam_die "missing packages ($missing) and not root (no sudo)"
		sudo="sudo"
	fi
	s3iam_log "installing: $missing"
	if [ -z "${S3IAM_APT_UPDATED:-}" ]; then
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q || s3iam_die "apt-get update failed"
		S3IAM_APT_UPDATED=1
	fi
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
		|| s3iam_die "apt-get install failed"
}

# s3iam_build_deps: the C toolchain and libraries.
s3iam_build_deps() {
	# shellcheck disable=SC2086
	s3iam_apt_ensure $S3IAM_BUILD_PKGS
}

# s3iam_nss_myhostname: make sure the myhostname NSS module is on the hosts: line of
# /etc/nsswitch.conf, so that any *.localhost name resolves to ::1 and 127.0.0.1 (virtual-host
# addressing, docs/hostnames.md).  Adds it before "dns" (or at the end) only if it is absent.
s3iam_nss_myhostname() {
	local f=${S3IAM_NSSWITCH:-/etc/nsswitch.conf} sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	if [ ! -f "$f" ]; then
		s3iam_log "creating $f with a hosts: line"
		printf 'hosts:          files myhostname dns\n' | $sudo tee "$f" >/dev/null
		return 0
	fi
	if ! grep -Eq '^[[:space:]]*hosts:' "$f"; then
		printf 'hosts:          files myhostname dns\n' | $sudo tee -a "$f" >/dev/null
	elif ! grep -Eq '^[[:space:]]*hosts:.*[[:space:]]myhostname([[:space:]]|$)' "$f"; then
		s3iam_log "adding myhostname to the hosts: line of $f"
		if grep -Eq '^[[:space:]]*hosts:.*[[:space:]]dns([[:space:]]|$)' "$f"; then
			$sudo sed -i -E '/^[[:space:]]*hosts:/ s/([[:space:]])dns([[:space:]]|$)/\1myhostname dns\2/' "$f"
		else
			$sudo sed -i -E '/^[[:space:]]*hosts:/ s/[[:space:]]*$/ myhostname/' "$f"
		fi
	fi
	grep -Eq '^[[:space:]]*hosts:.*myhostname' "$f" || s3iam_die "could not add myhostname to $f"
}

# s3iam_configure_args BUILDDIR: the configure flags recorded in BUILDDIR/config.status.
s3iam_configure_args() {
	[ -x "$1/config.status" ] || return 0
	"$1/config.status" --config 2>/dev/null || true
}

# s3iam_build BUILDDIR [CONFIGURE-FLAGS...]: autoreconf (if needed), configure out of tree in
# BUILDDIR (if needed), make.  BUILDDIR may be relative to the repository root.
s3iam_build() {
	local root bdir want have jobs
	root=$(s3iam_root_dir)
	bdir=$1
	shift
	case $bdir in /*) ;; *) bdir="$root/$bdir" ;; esac
	if [ -f "$root/config.status" ]; then
		s3iam_die "the source tree was configured in place; run 'make distclean' in $root first"
	fi
	if [ ! -x "$root/configure" ] || [ "$root/configure.ac" -nt "$root/configure" ] \
		|| [ ! -f "$root/Makefile.in" ]; then
		s3iam_log "autoreconf -fi"
		mkdir -p "$root/m4"
		(cd "$root" && autoreconf -fi) || s3iam_die "autoreconf failed"
	fi
	mkdir -p "$bdir"
	# config.status --config prints the flags quoted ('--enable-werror'): compare them without
	# quotes, with runs of blanks squeezed.
	want=$(printf '%s ' "$@" | tr -s ' ' | sed 's/ $//')
	have=$(s3iam_configure_args "$bdir" | tr -d "'" | tr -s ' ' | sed 's/^ //; s/ $//')
	if [ ! -f "$bdir/Makefile" ] || [ "$have" != "$want" ]; then
		s3iam_log "configure $want(in ${bdir#"$root"/})"
		(cd "$bdir" && "$root/configure" -q "$@") || s3iam_die "configure failed (see $bdir/config.log)"
	fi
	jobs=$(nproc 2>/dev/null || echo 2)
	s3iam_log "make -j$jobs (in ${bdir#"$root"/})"
	make -C "$bdir" -s -j"$jobs" || s3iam_die "make failed"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -eu
	s3iam_build_deps
	s3iam_build "${1:-build}"
fi
