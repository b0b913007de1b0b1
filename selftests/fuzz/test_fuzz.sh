#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_fuzz.sh - the short fuzzing run of make check: tools/fuzz's
# harnesses, built with clang + libFuzzer in $BATON_OBJTREE/fuzz-build
# (whatever compiler the surrounding check uses), 15 s on the RESP parser
# and 7 s on each client-state-machine run, from the committed seeds.
#
# Environment: BATON_OBJTREE, BATON_SRCTREE.  Exit 4 (skip) when clang
# cannot build a libFuzzer program; `make fuzz` runs them longer.

obj=${BATON_OBJTREE:?}
src=${BATON_SRCTREE:?}
command -v bash >/dev/null 2>&1 || { echo "SKIP: bash is missing"; exit 4; }
command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1 || {
	echo "SKIP: clang is missing"; exit 4; }
BATON_SRCTREE=$src exec bash "$src/tools/fuzz/run_fuzz.sh" \
	"$obj/fuzz-build" "${BATON_FUZZ_TIME:-15}" 1000000
