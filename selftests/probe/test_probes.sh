#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_probes.sh - the USDT probes (include/baton/probe.h) are where they
# should be: libbaton.so and baton-kvd carry a stapsdt note of provider
# "baton" for every BATON_PROBE() of lib/ and for nothing else, a library
# built with SDT=0 carries none, and Documentation/performance.rst lists
# every probe.
#
# Skips (exit 4) without readelf, or when the compiler has no
# <sys/sdt.h> (the probes are then compiled out: the test still checks
# that the library carries no note).  With SDT=0 in the environment (make
# check SDT=0) the build has no probes on purpose: only that is checked.
#
# Environment: BATON_OBJTREE, BATON_SRCTREE, CC, MAKE, SDT, TMPDIR.

obj=${BATON_OBJTREE:?}
src=${BATON_SRCTREE:?}
cc=${CC:-cc}
make=${MAKE:-make}

fails=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

if ! command -v readelf >/dev/null 2>&1; then
	echo "SKIP readelf is missing (Debian: binutils)"
	exit 4
fi

# The probe names of the source, one a line, sorted.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/baton-probe.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
grep -ho 'BATON_PROBE([a-z0-9_]*' "$src"/lib/*.c | sed 's/^BATON_PROBE(//' |
	sort -u >"$tmp/want"
if [ ! -s "$tmp/want" ]; then
	bad "no BATON_PROBE() in lib/*.c"
	exit 1
fi
ok "$(wc -l <"$tmp/want") probes in lib/: $(tr '\n' ' ' <"$tmp/want")"

# notes FILE: the names of FILE's stapsdt notes of provider baton, sorted.
notes() {
	readelf -n "$1" 2>/dev/null | awk '
		/Provider:/ { prov = $2 }
		/Name:/ && prov == "baton" { print $2; prov = "" }' | sort -u
}

# Every probe has a row in the probe table of performance.rst: a line
# that starts with its name in literal quotes.
while read -r p; do
	grep -q "^\`\`$p\`\` " "$src/Documentation/performance.rst" ||
		bad "probe $p has no row in Documentation/performance.rst's probe table"
done <"$tmp/want"
[ $fails = 0 ] && ok "Documentation/performance.rst has a row for every probe"

# none FILE WHAT: FILE carries no stapsdt note.
none() {
	if readelf -n "$1" 2>/dev/null | grep -q stapsdt; then
		bad "$2 carries stapsdt notes:"
		notes "$1" | head -5 | sed 's/^/     /'
	else
		ok "$2 carries no stapsdt note"
	fi
}

lib=$obj/libbaton.so
if [ "${SDT:-}" = 0 ]; then
	none "$lib" "libbaton.so built with SDT=0"
	[ $fails = 0 ] || exit 1
	echo "SKIP built with SDT=0: the probes are off on purpose"
	exit 4
fi
if ! printf '#include <sys/sdt.h>\n' | $cc -E -x c - >/dev/null 2>&1; then
	none "$lib" "libbaton.so built without <sys/sdt.h>"
	[ $fails = 0 ] || exit 1
	echo "SKIP $cc has no <sys/sdt.h> (Debian: systemtap-sdt-dev): no probes"
	exit 4
fi

# has FILE WHAT: FILE carries exactly the probes of the source.
has() {
	notes "$1" >"$tmp/got"
	if cmp -s "$tmp/want" "$tmp/got"; then
		ok "$2 carries a note for every probe, and no other"
	else
		bad "$2: probes of lib/ (<) against its notes (>):"
		diff "$tmp/want" "$tmp/got" | sed -n 's/^[<>] /     &/p'
	fi
}
has "$lib" libbaton.so
has "$obj/tools/kvd/baton-kvd" baton-kvd

# The same library objects built with SDT=0, in a directory of their
# own, with a plain make (not the sanitizer or sparse this check may run
# under).
nosdt=$tmp/nosdt
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $make -s -C "$src" O="$nosdt" \
	CC="$cc" SDT=0 "$nosdt/libbaton.a" >"$tmp/nosdt.log" 2>&1; then
	none "$nosdt/libbaton.a" "libbaton.a built with SDT=0"
else
	bad "make SDT=0 libbaton.a failed:"
	tail -n 20 "$tmp/nosdt.log"
fi

[ $fails = 0 ]
