#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# deps.sh - make sure the build and test dependencies are on this machine:
# install them with apt-get when run as root, else name the exact command.
set -e

need=""
have_header() { printf '#include <%s>\n' "$1" | ${CC:-cc} -E -x c - >/dev/null 2>&1; }
have_cmd() { command -v "$1" >/dev/null 2>&1; }

have_header urcu/urcu-memb.h || need="$need liburcu-dev"
have_header CUnit/Basic.h    || need="$need libcunit1-dev"
have_cmd pkg-config          || need="$need pkg-config"
have_cmd python3             || need="$need python3"
have_cmd sparse              || need="$need sparse"
case "${CC:-cc}" in
*clang*)
	# clang's sanitizer and fuzzer runtimes
	if [ -n "$SAN" ] && ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.asan-x86_64.a >/dev/null 2>&1; then
		need="$need libclang-rt-14-dev"
	fi ;;
esac

[ -z "$need" ] && exit 0

cmd="apt-get install -y --no-install-recommends$need"
if [ "$(id -u)" = 0 ] && have_cmd apt-get; then
	echo "  DEPS   $cmd"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -q update >/dev/null && apt-get -q install -y --no-install-recommends $need >/dev/null \
		|| { echo "baton: installing$need failed; run: sudo $cmd" >&2; exit 1; }
else
	echo "baton: missing$need; run: sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
