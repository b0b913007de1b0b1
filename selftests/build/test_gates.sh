#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_gates.sh - test gates (include/baton/gate.h) live only in the
# test-gates copy of the library: libbaton.a, libbaton.so and baton-kvd
# have no gate symbol and no call to one, and the test-gates library
# defines the gate functions and its objects call gate_pass(), and the
# selftests that say <prog>-gates := y are linked with it.
#
# Environment: BATON_OBJTREE (a finished build with its selftests).

obj=${BATON_OBJTREE:?}
fails=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

command -v nm >/dev/null 2>&1 || {
	echo "nm is missing (binutils; scripts/deps.sh installs it)"; exit 1; }

# Any symbol, defined or not, whose name starts with gate_.
gate_syms() {
	nm "$@" 2>/dev/null | awk '$NF ~ /^gate_/ { print $NF }' | sort -u
}

so=$(ls "$obj"/libbaton.so.*.*.* 2>/dev/null | head -n 1)
for lib in "$obj/libbaton.a" "$so"; do
	[ -f "$lib" ] || { bad "no ${lib:-libbaton.so} in $obj"; continue; }
	found=$(gate_syms "$lib")
	if [ -z "$found" ]; then
		ok "$(basename "$lib") has no gate symbol"
	else
		bad "$(basename "$lib") has gate symbols: $(echo $found)"
	fi
done

glib=$obj/gates/libbaton-gates.a
if [ -f "$glib" ]; then
	defined=$(nm --defined-only "$glib" 2>/dev/null |
		awk '$2 == "T" && $3 ~ /^gate_/ { print $3 }' | sort | tr '\n' ' ')
	case "$defined" in
	*gate_arm*gate_pass*gate_release*gate_reset*gate_wait_held*gate_wait_passes*)
		ok "libbaton-gates.a defines $defined" ;;
	*)	bad "libbaton-gates.a defines only: $defined" ;;
	esac
	callers=$(nm -A "$glib" 2>/dev/null | awk '$2 == "U" && $3 == "gate_pass"' |
		sed 's/.*libbaton-gates\.a://; s/:.*//' | sort -u | tr '\n' ' ')
	if [ -n "$callers" ]; then
		ok "objects of libbaton-gates.a with GATE()s: $callers"
	else
		bad "no object of libbaton-gates.a calls gate_pass(): -DBATON_TEST_GATES is not applied"
	fi
else
	bad "no $glib: no selftest asks for the test-gates library"
fi

# The selftests that say <prog>-gates := y in selftests/Kbuild.
gated=$(sed -n 's/^\([a-z_]*\/[a-z_0-9]*\)-gates[[:space:]]*:=[[:space:]]*y.*/\1/p' \
	"$(dirname "$0")/../Kbuild")
[ -n "$gated" ] || bad "selftests/Kbuild names no gated selftest"
for t in $gated; do
	if [ -x "$obj/selftests/$t" ] &&
	   nm "$obj/selftests/$t" | grep -q ' [Tt] gate_pass$'; then
		ok "selftests/$t is linked with the test-gates library"
	else
		bad "selftests/$t has no gate_pass (not linked with libbaton-gates.a?)"
	fi
done
for t in tools/kvd/baton-kvd; do
	if [ -x "$obj/$t" ] && [ -z "$(gate_syms "$obj/$t")" ]; then
		ok "$t has no gate symbol"
	else
		bad "$t is missing or has gate symbols"
	fi
done

[ $fails -eq 0 ] && echo "gates: every check passed"
[ $fails -eq 0 ]
