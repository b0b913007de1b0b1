#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_mutants_apply.sh - every mutant of the mutation check
# (tools/mutate/mutants, `make mutate`) has a valid header and still
# applies to the tree: a change to the code a mutant breaks fails here,
# in every `make check`, instead of leaving the check testing nothing.
# It builds and runs nothing (`make mutate` does).
#
# Environment: BATON_SRCTREE.  Exit 0 pass, 1 fail, 4 skip (no patch or
# bash).

src=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}

for tool in bash patch; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (Debian: $tool)"
		exit 4
	fi
done
bash "$src/tools/mutate/run.sh" --check
