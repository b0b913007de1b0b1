#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_failed_step.sh - a recipe of several commands fails as a whole
# when any one of them fails.  if_changed runs a target's command under
# `set -e`, which does not stop at a failed left side of "&&"; a sparse
# error (C=1) once skipped the compiler silently, saved the .cmd file and
# left the link to fail later on a missing object.  Here sparse is
# replaced by `false`, and the shared library's link by one that cannot
# find a library: make must fail at that target, which must not exist,
# and no .cmd file may record it as built.
#
# Environment: BATON_SRCTREE, MAKE, TMPDIR.

src=${BATON_SRCTREE:?}
make=${MAKE:-make}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/baton-fstep.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM PIPE
b=$tmp/b

fails=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# failed_step NAME TARGET MAKE-ARGS...: make TARGET fails, leaves neither
# TARGET nor its .cmd file.
failed_step() {
	name=$1 target=$2; shift 2
	if $make -C "$src" O="$b" "$@" "$b/$target" >"$tmp/log" 2>&1; then
		bad "$name: make succeeded"
		tail -n 5 "$tmp/log" | sed 's/^/     /'
	elif [ -e "$b/$target" ]; then
		bad "$name: make failed but $target exists"
	elif [ -e "$b/$(dirname "$target")/.$(basename "$target").cmd" ]; then
		bad "$name: make failed but the .cmd file of $target was saved"
	else
		ok "$name: make failed, no $target and no .cmd"
	fi
}

# The dependency stamps exist: this test needs neither sparse nor a
# scripts/deps.sh run, only what building the library needs.
mkdir -p "$b" && touch "$b/.deps-ok" "$b/.deps-ok-sparse"

failed_step "sparse error (C=1 SPARSE=false)" lib/llist.o C=1 SPARSE=false
failed_step "shared library link error" "libbaton.so.$(sed -n \
	's/^#define BATON_VERSION_MAJOR[[:space:]]*\([0-9]*\).*/\1/p; s/^#define BATON_VERSION_MINOR[[:space:]]*\([0-9]*\).*/.\1/p; s/^#define BATON_VERSION_PATCH[[:space:]]*\([0-9]*\).*/.\1/p' \
	"$src/include/uapi/baton/api.h" | tr -d '\n')" LIBS=-lbaton_no_such_library

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
