#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# deps.sh - make sure the build and test dependencies are on this machine
# (Debian 12 package names): install what is missing with apt-get when run
# as root, else print one line with the exact command to run, and fail.
#
# Usage: deps.sh [--all]
#   Without --all: what this build variant needs (the Makefile runs it
#   once per build directory), from the environment: CC (default cc),
#   SAN (address|thread), C (1: sparse).
#   --all: everything any variant and `make check` need (gcc, clang,
#   sparse, coccinelle, sanitizer runtimes); .ci/run uses it on a fresh
#   machine.
#   It also installs, as root, the optional systemtap-sdt-dev (the
#   library's USDT probes, include/baton/probe.h); without root it only
#   says so: the build works without it.
set -e

all=
case "$1" in
--all) all=1 ;;
"") ;;
*) echo "usage: deps.sh [--all]" >&2; exit 2 ;;
esac

cc=${CC:-cc}
need=""
add() {
	case " $need " in *" $1 "*) ;; *) need="$need $1" ;; esac
}
have_cmd() { command -v "$1" >/dev/null 2>&1; }
# have_header CC HEADER: CC finds <HEADER>.
have_header() {
	printf '#include <%s>\n' "$2" | $1 -E -x c - >/dev/null 2>&1
}
# links CC FLAGS...: CC links a trivial program with FLAGS.
links() {
	c=$1; shift
	tmp=$(mktemp) || return 1
	printf 'int main(void) { return 0; }\n' |
		$c "$@" -x c - -o "$tmp" >/dev/null 2>&1
	rc=$?
	rm -f "$tmp"
	return $rc
}
# clang's sanitizer runtimes come in libclang-rt-<major>-dev.
clang_rt() {
	v=$($1 -dumpversion 2>/dev/null | cut -d. -f1)
	echo "libclang-rt-${v:-14}-dev"
}
san_flags() {
	case "$1" in
	address) echo "-fsanitize=address,undefined" ;;
	thread)  echo "-fsanitize=thread" ;;
	esac
}

# The compilers: the one asked for, or both with --all.
compilers=$cc
[ -n "$all" ] && compilers="gcc clang"
for c in $compilers; do
	if ! have_cmd "$c"; then
		case "$c" in
		*clang*) add clang ;;
		*gcc*|cc) add gcc ;;
		*) echo "baton: the compiler CC=$c is not installed" >&2; exit 1 ;;
		esac
		add libc6-dev	# only recommended by gcc
		continue
	fi
	have_header "$c" stdio.h || add libc6-dev
done
have_cmd make      || add make
have_cmd ar        || add binutils
have_cmd readelf   || add binutils
have_cmd pkg-config || add pkg-config
have_cmd python3   || add python3
have_cmd timeout   || add coreutils
have_cmd redis-cli || add redis-tools	# selftests/kvd: redis-cli, redis-benchmark
have_cmd redis-server || add redis-server	# selftests/kvd/differential.py
[ -z "$all" ] || have_cmd patch || add patch	# make mutate (tools/mutate)

# Libraries: their headers, looked up with the first compiler that
# exists, and their .pc files, since the Makefile asks pkg-config for
# them (pkg-config itself is added above when it is missing).
have_pc() { ! have_cmd pkg-config || pkg-config --exists "$@"; }
probe=
for c in $compilers gcc cc; do
	have_cmd "$c" && { probe=$c; break; }
done
if [ -n "$probe" ]; then
	have_header "$probe" urcu/urcu-memb.h || add liburcu-dev
	have_header "$probe" CUnit/Basic.h    || add libcunit1-dev
else
	add liburcu-dev
	add libcunit1-dev
fi
have_pc liburcu-memb liburcu-cds liburcu-qsbr || add liburcu-dev
have_pc cunit || add libcunit1-dev

if [ -n "$all" ] || [ "$C" = 1 ]; then
	have_cmd sparse || add sparse
fi
# selftests/checkers/test_owner_access.sh: spatch rewrites the OWNER
# accesses for clang to check (skipped without it).
if [ -n "$all" ]; then
	have_cmd spatch || add coccinelle
fi

# Sanitizer runtimes: gcc's come with gcc; clang's are a package of their own.
sans=$SAN
[ -n "$all" ] && sans="address thread"
for c in $compilers; do
	case "$c" in *clang*) ;; *) continue ;; esac
	have_cmd "$c" || continue
	for s in $sans; do
		# shellcheck disable=SC2046 # the flags are words
		links "$c" $(san_flags "$s") || add "$(clang_rt "$c")"
	done
done

# Optional: <sys/sdt.h> turns the USDT probes on.  Only with --all, so
# that a build directory's first make never reaches for the network;
# after the required packages (their apt-get update comes first).
optional() {
	[ -n "$all" ] && [ -n "$probe" ] || return 0
	have_header "$probe" sys/sdt.h && return 0
	if [ "$(id -u)" = 0 ] && have_cmd apt-get; then
		echo "  DEPS   apt-get install -y --no-install-recommends systemtap-sdt-dev (optional)"
		DEBIAN_FRONTEND=noninteractive apt-get -q install -y \
			--no-install-recommends systemtap-sdt-dev >/dev/null 2>&1 ||
			echo "baton: could not install systemtap-sdt-dev (optional: the build has no USDT probes)" >&2
	else
		echo "baton: optional: systemtap-sdt-dev (USDT probes); run: sudo apt-get install systemtap-sdt-dev" >&2
	fi
	return 0
}

[ -z "$need" ] && { optional; exit 0; }

cmd="apt-get install -y --no-install-recommends$need"
if [ "$(id -u)" = 0 ] && have_cmd apt-get; then
	echo "  DEPS   $cmd"
	log=$(mktemp)
	export DEBIAN_FRONTEND=noninteractive
	if apt-get -q update >"$log" 2>&1 &&
	   apt-get -q install -y --no-install-recommends $need >>"$log" 2>&1; then
		rm -f "$log"
		optional
		exit 0
	fi
	tail -n 20 "$log" >&2
	rm -f "$log"
	echo "baton: installing$need failed; run: apt-get update && $cmd" >&2
	exit 1
fi
echo "baton: missing$need; run: sudo apt-get update && sudo $cmd" >&2
exit 1
