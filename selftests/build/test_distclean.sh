#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_distclean.sh - `make distclean` removes every build variant
# (build/ with all its default directories, and O= when given) and
# __pycache__ directories, and nothing else: afterwards the source tree
# is file for file what it was before the builds.
#
# It works on a copy of the source tree, like test_out_of_tree.sh.
#
# Environment: BATON_SRCTREE, MAKE, TMPDIR.

src=${BATON_SRCTREE:?}
make=${MAKE:-make}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/baton-distclean.XXXXXX") || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
# A timeout's TERM (or a closed pipe) exits through the EXIT trap too.
trap 'exit 1' HUP INT TERM PIPE

fails=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

mkdir "$tmp/src"
(cd "$src" && tar -cf - --exclude=./build --exclude=./.git .) |
	(cd "$tmp/src" && tar -xf -) || { echo "FAIL copying the tree"; exit 1; }
# A file of git's own, to see that distclean leaves .git alone.
mkdir -p "$tmp/src/.git/__pycache__" && echo keep >"$tmp/src/.git/__pycache__/x"
# Files with their size and time; directories without a time (adding
# and removing build/ changes the time of the directory that held it).
listing() {
	(cd "$tmp/src" && find . \( -type d -printf 'd %m - - %p\n' \) -o \
		-printf '%y %m %s %T@ %p\n' | sort)
}
listing >"$tmp/before"

# Two variants in the tree's default build/ (the second only as far as
# its build directory: what matters is that build/<variant> exists), one
# O= outside it, and a __pycache__ as Python run by hand leaves it.
$make -C "$tmp/src" >"$tmp/build.log" 2>&1 ||
	{ tail -n 30 "$tmp/build.log"; echo "FAIL make"; exit 1; }
$make -C "$tmp/src" DEBUG=1 SAN=address deps >"$tmp/deps.log" 2>&1 ||
	{ tail -n 30 "$tmp/deps.log"; echo "FAIL make DEBUG=1 SAN=address deps"; exit 1; }
$make -C "$tmp/src" O="$tmp/out" deps >"$tmp/deps.log" 2>&1 ||
	{ tail -n 30 "$tmp/deps.log"; echo "FAIL make O=... deps"; exit 1; }
# (The in-tree build's quiet lines name files from build/gcc, as O=
# builds do: build/ lies inside the source tree, and must not show.)
grep -q '^  CC      lib/llist\.o$' "$tmp/build.log" ||
	bad "in-tree quiet output lacks '  CC      lib/llist.o'"
mkdir "$tmp/src/tools/checkers/__pycache__"
echo x >"$tmp/src/tools/checkers/__pycache__/csource.cpython.pyc"
# (MAKEFLAGS from `make check` may name another compiler: the variants'
# names are not fixed here, only that there are two.)
variants=$(ls "$tmp/src/build" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')
[ "$(echo $variants | wc -w)" -eq 2 ] ||
	bad "build/ holds '$variants', not two variants (the test needs them)"

$make -C "$tmp/src" distclean >"$tmp/distclean.log" 2>&1 ||
	{ cat "$tmp/distclean.log"; bad "make distclean failed"; }
if [ -e "$tmp/src/build" ]; then
	bad "build/ is still there:"; ls "$tmp/src/build" | sed 's/^/     /'
else
	ok "make distclean removed build/ ($variants)"
fi
listing >"$tmp/after"
if cmp -s "$tmp/before" "$tmp/after"; then
	ok "the tree is file for file what it was before the builds"
else
	bad "the tree differs from before the builds (< before, > after):"
	diff "$tmp/before" "$tmp/after" | sed -n 's/^\([<>]\) [^ ]* [^ ]* [^ ]* [^ ]* /     \1 /p' | head -20
fi

# O= is a build variant too: distclean with it removes it as well.
[ -d "$tmp/out" ] || bad "O=$tmp/out was not created (the test needs it)"
$make -C "$tmp/src" O="$tmp/out" distclean >"$tmp/distclean.log" 2>&1 ||
	{ cat "$tmp/distclean.log"; bad "make O=... distclean failed"; }
if [ -e "$tmp/out" ]; then
	bad "make O=dir distclean left dir"
else
	ok "make O=dir distclean removes dir"
fi
# ... and on a clean tree it has nothing to do and does not fail.
$make -C "$tmp/src" distclean >"$tmp/distclean.log" 2>&1 ||
	{ cat "$tmp/distclean.log"; bad "make distclean on a clean tree failed"; }

if [ $fails -ne 0 ]; then
	echo "$fails distclean check(s) failed"
	exit 1
fi
echo "distclean: every check passed"
