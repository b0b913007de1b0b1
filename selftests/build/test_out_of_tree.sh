#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_out_of_tree.sh - `make O=dir` builds everything under dir and
# writes nothing into the source tree; quiet output is the kernel's
# "  CC      lib/llist.o" form and V=1 shows the full commands.
#
# The build runs on a copy of the source tree (the working tree may be
# edited by others meanwhile), so any file the build adds or changes in
# the sources shows up as a difference between two listings of the copy.
#
# Environment: BATON_SRCTREE, MAKE, TMPDIR.

src=${BATON_SRCTREE:?}
make=${MAKE:-make}
# Not under O=: that may be inside the tree being copied.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/baton-oot.XXXXXX") || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
# A timeout's TERM (or a closed pipe) exits through the EXIT trap too.
trap 'exit 1' HUP INT TERM PIPE

fails=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# Every file of the tree but the build outputs and git's own data.
mkdir "$tmp/src"
(cd "$src" && tar -cf - --exclude=./build --exclude=./.git .) |
	(cd "$tmp/src" && tar -xf -) || { echo "FAIL copying the tree"; exit 1; }
listing() {
	(cd "$tmp/src" && find . -printf '%y %m %s %T@ %p\n' | sort)
}
listing >"$tmp/before"

b=$tmp/b
$make -C "$tmp/src" O="$b" >"$tmp/quiet.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	bad "make O=$b failed ($rc):"; tail -n 30 "$tmp/quiet.log"
	exit 1
fi
ok "make O=dir builds"

for f in libbaton.a libbaton.so.0 baton.pc lib/llist.o; do
	[ -e "$b/$f" ] || bad "$f was not built under O="
done

listing >"$tmp/after"
if cmp -s "$tmp/before" "$tmp/after"; then
	ok "the source tree is untouched"
else
	bad "the build changed the source tree:"
	diff "$tmp/before" "$tmp/after" | sed -n 's/^[<>] /     /p' | head -20
fi

# Quiet output: "  CC      lib/llist.o", paths relative to O=, no
# compiler command lines.
if grep -q '^  CC      lib/llist\.o$' "$tmp/quiet.log" &&
   grep -q '^  AR      libbaton\.a$' "$tmp/quiet.log" &&
   grep -q '^  LD      libbaton\.so\.' "$tmp/quiet.log"; then
	ok "quiet output has the kernel form (  CC      lib/llist.o)"
else
	bad "quiet output lacks '  CC      lib/llist.o' / AR / LD lines:"
	head -n 10 "$tmp/quiet.log" | sed 's/^/     /'
fi
if grep -q -- ' -c -o ' "$tmp/quiet.log"; then
	bad "quiet output shows compiler command lines"
fi

# V=1: rebuild one object and see its full command.
rm -f "$b/lib/llist.o"
$make -C "$tmp/src" O="$b" V=1 >"$tmp/verbose.log" 2>&1 ||
	bad "make V=1 failed"
if grep -q -- "-c -o $b/lib/llist.o $tmp/src/lib/llist.c" "$tmp/verbose.log"
then
	ok "V=1 prints the full compiler command"
else
	bad "V=1 output lacks the command that builds lib/llist.o:"
	head -n 10 "$tmp/verbose.log" | sed 's/^/     /'
fi

# Nothing left to do: a second make builds nothing.
$make -C "$tmp/src" O="$b" >"$tmp/again.log" 2>&1
if grep -q '^  \(CC\|LD\|AR\)' "$tmp/again.log"; then
	bad "a second make rebuilt something:"
	head -n 5 "$tmp/again.log" | sed 's/^/     /'
else
	ok "a second make builds nothing"
fi

if [ $fails -ne 0 ]; then
	echo "$fails out-of-tree check(s) failed"
	exit 1
fi
echo "out of tree: every check passed"
