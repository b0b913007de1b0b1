#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_source_checks.sh - run the source checkers on the real tree, so
# that `make check` fails on a shared field without an ownership rule or
# without a row in Documentation/ownership.rst, on a public function
# whose kernel-doc lacks Context: or Return:, on a page of
# Documentation/ that index.rst does not list, and on a
# Documentation/api.rst that is out of date with the public headers.
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

# Every page of Documentation/ is in a toctree of index.rst.
echo "Documentation/index.rst lists every page"
for page in "$src"/Documentation/*.rst; do
	name=$(basename "$page" .rst)
	[ "$name" = index ] && continue
	grep -q "^   $name\$" "$src/Documentation/index.rst" || {
		echo "Documentation/$name.rst: not in index.rst's toctree"; rc=1; }
done

# Documentation/api.rst is what apidoc.py renders from the headers now.
echo "apidoc.py --check Documentation/api.rst"
python3 "$src/tools/checkers/apidoc.py" --srctree "$src" \
	--check "$src/Documentation/api.rst" || rc=1
exit $rc
