#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_if_changed.sh - a target is rebuilt when its own command changes
# (Kbuild's if_changed): each object and link saves its command in a
# .cmd file next to it; a per-object flag rebuilds that object alone, a
# per-program link flag relinks that program alone, the library objects'
# own flags rebuild exactly the library objects, CFLAGS rebuilds every
# object, PREFIX regenerates baton.pc alone, a header rebuilds exactly
# the objects that include it, and an unchanged make rebuilds nothing.
#
# It builds a copy of the source tree (it edits lib/Kbuild and the
# Makefile there).  "Rebuilt" is read from the files, not from make's
# output: before each step every file of the tree is dated T - 10 s and
# every build output T, so an output whose time is no longer T was
# written by that step, whatever the clock's granularity.
#
# Environment: BATON_SRCTREE, MAKE, TMPDIR.

src=${BATON_SRCTREE:?}
make=${MAKE:-make}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/baton-ifch.XXXXXX") || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
# A timeout's TERM (or a closed pipe) exits through the EXIT trap too.
trap 'exit 1' HUP INT TERM PIPE
b=$tmp/b

fails=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
die() { echo "FAIL $1"; exit 1; }

mkdir "$tmp/src"
(cd "$src" && tar -cf - --exclude=./build --exclude=./.git .) |
	(cd "$tmp/src" && tar -xf -) || die "copying the tree"
T=$(( $(date +%s) - 60 ))

# step NAME MAKE-ARGS...: date everything, run make; $tmp/rebuilt lists
# the outputs the step wrote, $tmp/objs the objects among them.
step() {
	name=$1; shift
	find "$tmp/src" -exec touch -h -d "@$((T - 10))" {} +
	[ -d "$b" ] && find "$b" -type f -exec touch -d "@$T" {} +
	$make -C "$tmp/src" O="$b" "$@" >"$tmp/log" 2>&1 || {
		tail -n 30 "$tmp/log"; die "$name: make $*"; }
	(cd "$b" && find . -type f ! -name '.*' ! -name '*.d' -printf '%T@ %P\n') |
		awk -v t="$T" 'int($1) != t { print $2 }' | sort >"$tmp/rebuilt"
	grep '\.o$' "$tmp/rebuilt" >"$tmp/objs"
}
# expect NAME FILE: the objects rebuilt are exactly those listed in FILE.
expect_objs() {
	sort "$2" >"$tmp/want"
	if cmp -s "$tmp/want" "$tmp/objs"; then
		ok "$1: rebuilt exactly $(tr '\n' ' ' <"$tmp/want" | sed 's/ $//;
			s/\(.\{60\}\).*/\1.../')"
	else
		bad "$1: objects rebuilt (+) or not (-) against the expectation:"
		diff "$tmp/want" "$tmp/objs" | sed -n 's/^</     -/p; s/^>/     +/p' |
			head -20
	fi
}
nothing() {
	if [ -s "$tmp/rebuilt" ]; then
		bad "$1: rebuilt $(wc -l <"$tmp/rebuilt") files:"
		head -n 10 "$tmp/rebuilt" | sed 's/^/     /'
	else
		ok "$1: nothing rebuilt"
	fi
}

step "first build" || exit 1
(cd "$b" && find . -name '*.o' | sed 's|^\./||' | sort) >"$tmp/all-objs"
sed -n 's/^obj-y += //p' "$tmp/src/lib/Kbuild" | sed 's|^|lib/|' | sort >"$tmp/lib-objs"
[ "$(wc -l <"$tmp/all-objs")" -gt "$(wc -l <"$tmp/lib-objs")" ] ||
	die "the build made no objects besides lib/'s (the test needs them)"

# Every object and link has its command next to it.
missing=
for f in $(cat "$tmp/all-objs") libbaton.a $(cd "$b" && ls libbaton.so.*.*.*) \
	baton.pc tools/kvd/baton-kvd; do
	d=$(dirname "$f") n=$(basename "$f")
	grep -q "^savedcmd_$b/$f := " "$b/$d/.$n.cmd" 2>/dev/null ||
		missing="$missing $f"
done
if [ -z "$missing" ]; then
	ok "each object and link has its command in .<name>.cmd next to it"
else
	bad "no saved command for:$missing"
fi
if grep -q -- '-fvisibility=hidden -DBATON_BUILD' "$b/lib/.llist.o.cmd" &&
   ! grep -q -- '-DBATON_BUILD' "$b/tools/kvd/.resp.o.cmd"; then
	ok "a library object's command has its own -fvisibility=hidden -DBATON_BUILD"
else
	bad "lib/llist.o's and tools/kvd/resp.o's commands lack their own flags"
fi

step "unchanged"
nothing "an unchanged make"

step "CFLAGS_lib/llist.o" CFLAGS_lib/llist.o=-DBATON_TEST_ONE
echo lib/llist.o >"$tmp/exp"
expect_objs "make CFLAGS_lib/llist.o=..." "$tmp/exp"
grep -q -- '-DBATON_TEST_ONE' "$b/lib/.llist.o.cmd" ||
	bad "lib/.llist.o.cmd does not hold the new flag"
step "again" CFLAGS_lib/llist.o=-DBATON_TEST_ONE
nothing "the same make again"
step "dropped"
expect_objs "the flag dropped again" "$tmp/exp"

# The Kbuild form, relative to the directory.
cp "$tmp/src/lib/Kbuild" "$tmp/Kbuild.orig"
echo 'CFLAGS_log.o += -DBATON_TEST_KBUILD' >>"$tmp/src/lib/Kbuild"
step "Kbuild CFLAGS_log.o"
echo lib/log.o >"$tmp/exp"
expect_objs "CFLAGS_log.o in lib/Kbuild" "$tmp/exp"
cp "$tmp/Kbuild.orig" "$tmp/src/lib/Kbuild"
step "Kbuild restored"
expect_objs "lib/Kbuild restored" "$tmp/exp"

# The flags only the library's objects get: exactly those rebuild.
cp "$tmp/src/Makefile" "$tmp/Makefile.orig"
sed -i 's/-fvisibility=hidden -DBATON_BUILD)/-fvisibility=hidden -DBATON_BUILD -DBATON_TEST_LIB)/' \
	"$tmp/src/Makefile"
cmp -s "$tmp/src/Makefile" "$tmp/Makefile.orig" &&
	die "no library-object flags to change in the Makefile (the test needs them)"
step "library objects' flags"
expect_objs "a flag of the library objects only" "$tmp/lib-objs"
cp "$tmp/Makefile.orig" "$tmp/src/Makefile"
step "Makefile restored"
expect_objs "the Makefile restored" "$tmp/lib-objs"

# Links: one program's link flags relink it alone.
step "LDFLAGS_tools/kvd/baton-kvd" LDFLAGS_tools/kvd/baton-kvd=-Wl,-O1
if [ "$(cat "$tmp/rebuilt")" = tools/kvd/baton-kvd ]; then
	ok "make LDFLAGS_tools/kvd/baton-kvd=...: relinked baton-kvd alone"
else
	bad "LDFLAGS_tools/kvd/baton-kvd rebuilt:"; sed 's/^/     /' "$tmp/rebuilt"
fi
step "link again" LDFLAGS_tools/kvd/baton-kvd=-Wl,-O1
nothing "the same link again"
step "link flag dropped"

step "PREFIX" PREFIX=/opt/baton-test
if [ "$(cat "$tmp/rebuilt")" = baton.pc ]; then
	ok "make PREFIX=...: regenerated baton.pc alone"
else
	bad "PREFIX rebuilt:"; sed 's/^/     /' "$tmp/rebuilt"
fi
grep -q '^prefix=/opt/baton-test$' "$b/baton.pc" || bad "baton.pc has not the new prefix"
step "PREFIX dropped"

# A header still rebuilds exactly the objects whose -MMD lists it.
(cd "$b" && grep -l "include/baton/llist\.h" $(sed 's/\.o$/.d/' "$tmp/all-objs")) |
	sed 's/\.d$/.o/' >"$tmp/exp"
[ -s "$tmp/exp" ] || die "no object includes include/baton/llist.h (the test needs one)"
step "header" -W "$tmp/src/include/baton/llist.h"	# as if just changed
expect_objs "a header (include/baton/llist.h) changed" "$tmp/exp"

# CFLAGS is every object's command.
step "CFLAGS" CFLAGS="-O2 -g -DBATON_TEST_ALL"
expect_objs "make CFLAGS=..." "$tmp/all-objs"

if [ $fails -ne 0 ]; then
	echo "$fails if_changed check(s) failed"
	exit 1
fi
echo "if_changed: every check passed"
