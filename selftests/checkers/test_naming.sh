#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_naming.sh - every global symbol of every library object follows the
# naming rule of Documentation/conventions.rst (tools/checkers/naming.py),
# and the checker catches each way to break it (fixtures/naming_bad.c,
# compiled as a library object is).
#
# Environment: BATON_OBJTREE (the build to check), BATON_SRCTREE, CC.

src=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
obj=${BATON_OBJTREE:?}
naming="python3 $src/tools/checkers/naming.py"
fails=0

command -v readelf >/dev/null 2>&1 || {
	echo "readelf is missing (binutils; scripts/deps.sh installs it)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/naming.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if $naming "$obj"/lib/*.o $(ls "$obj"/gates/lib/gate.o 2>/dev/null) \
	>"$tmp/out" 2>&1; then
	echo "ok   the library's objects: $(cat "$tmp/out")"
else
	echo "FAIL the library's objects:"; sed 's/^/     /' "$tmp/out"
	fails=$((fails + 1))
fi

${CC:-cc} -c -fvisibility=hidden -o "$tmp/naming_bad.o" \
	"$src/selftests/checkers/fixtures/naming_bad.c" || exit 1
$naming "$tmp/naming_bad.o" >"$tmp/out" 2>&1
for want in "helper_count: internal symbols of naming_bad.c are named" \
	    "baton_internal_thing: internal, but named like the public API" \
	    "exported_thing: exported, but not baton_"; do
	if grep -q "$want" "$tmp/out"; then
		echo "ok   the fixture: $want"
	else
		echo "FAIL the fixture: no '$want' in:"; sed 's/^/     /' "$tmp/out"
		fails=$((fails + 1))
	fi
done
for good in naming_bad_ok baton_fixture_call; do
	if grep -q "$good" "$tmp/out"; then
		echo "FAIL the fixture: $good, which follows the rule, was reported"
		fails=$((fails + 1))
	fi
done
[ $fails -eq 0 ] && echo "naming: every check passed"
[ $fails -eq 0 ]
