#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_source_checks.sh - run the source checkers on the real tree, so
# that `make check` fails on a shared field without an ownership rule or
# without a row in Documentation/ownership.rst, and on a public function
# whose kernel-doc lacks Context: or Return:.
#
# Environment: BATON_SRCTREE (default: two levels up).

src=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v python3 >/dev/null 2>&1 || {
	echo "python3 is missing (scripts/deps.sh installs it)"; exit 1; }

rc=0
echo "ownership.py --check-doc Documentation/ownership.rst"
python3 "$src/tools/checkers/ownership.py" --srctree "$src" \
	--check-doc "$src/Documentation/ownership.rst" || rc=1
echo "kerneldoc.py"
python3 "$src/tools/checkers/kerneldoc.py" --srctree "$src" || rc=1

exit $rc
