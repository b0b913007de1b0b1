#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_tsan_proof.sh - prove that the ThreadSanitizer setup still catches
# real races: tsan_proof.c, linked with a SAN=thread libbaton.a and run
# with the project's TSAN_OPTIONS (selftests/tsan.supp included), must be
# reported for a refcount dropped by read-then-set, for a plain refcount
# decrement and for an RCU-published item freed without a grace period,
# and must run clean with refcount_dec_and_test() and rcu_free().
#
# In a SAN=thread build the build's own libbaton.a is used; in any other
# build one is built with `make O=<tmpdir> SAN=thread` and the same CC.
#
# Environment: BATON_SRCTREE, BATON_OBJTREE, CC, SAN, MAKE (as run.sh sets
# them).  Exit 0 pass, 1 fail, 4 skip (no working -fsanitize=thread).

src=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
obj=${BATON_OBJTREE:-}
cc=${CC:-cc}
make=${MAKE:-make}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/baton-tsan-proof.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# Skip where the compiler cannot build and run a TSan program at all.
printf 'int main(void) { return 0; }\n' > "$tmp/probe.c"
if ! "$cc" -fsanitize=thread -o "$tmp/probe" "$tmp/probe.c" \
	>"$tmp/probe.log" 2>&1 || ! "$tmp/probe" >>"$tmp/probe.log" 2>&1; then
	echo "SKIP: $cc cannot build or run a -fsanitize=thread program:"
	sed 's/^/#   /' "$tmp/probe.log"
	exit 4
fi

# A libbaton.a built with TSan by the same compiler.
if [ "${SAN:-}" = thread ] && [ -n "$obj" ] && [ -f "$obj/libbaton.a" ]; then
	lib=$obj/libbaton.a
	echo "# libbaton.a of this SAN=thread build: $lib"
else
	echo "# building a SAN=thread libbaton.a with CC=$cc in $tmp/build"
	# Not the outer make's flags (SAN=address, FAULT=1, its jobserver).
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$make" -s -C "$src" \
		O="$tmp/build" SAN=thread CC="$cc" -j2 "$tmp/build/libbaton.a" \
		>"$tmp/make.log" 2>&1; then
		echo "not ok - make O=$tmp/build SAN=thread failed:"
		sed 's/^/#   /' "$tmp/make.log"
		exit 1
	fi
	lib=$tmp/build/libbaton.a
fi

if ! "$cc" -std=gnu11 -O1 -g -fno-omit-frame-pointer -fsanitize=thread \
	-pthread -D_GNU_SOURCE -D_LGPL_SOURCE \
	-I"$src/include" -I"$src/include/uapi" \
	-o "$tmp/tsan_proof" "$src/selftests/tsan/tsan_proof.c" "$lib" \
	-lurcu-memb -lurcu-cds -lurcu-common -pthread >"$tmp/cc.log" 2>&1; then
	echo "not ok - tsan_proof.c does not build:"
	sed 's/^/#   /' "$tmp/cc.log"
	exit 1
fi

# The project's options, as selftests/run.sh exports them: the
# suppression file must be in effect, or this proves nothing.
case " ${TSAN_OPTIONS:-} " in
*suppressions=*) ;;
*) TSAN_OPTIONS="suppressions=$src/selftests/tsan.supp ${TSAN_OPTIONS:-}" ;;
esac
# exitcode: TSan's default, spelled out because the checks rely on it.
export TSAN_OPTIONS="$TSAN_OPTIONS exitcode=66"
echo "# TSAN_OPTIONS=$TSAN_OPTIONS"

fail=0
ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }

show() {
	sed 's/^/#   /' "$1" | head -"${2:-60}"
}

# must_report MODE FUNC: TSan reports a race (exit 66) with FUNC, the
# deliberately broken code, on one of the report's stacks.
must_report() {
	log=$tmp/$1.log
	timeout 120 "$tmp/tsan_proof" "$1" >"$log" 2>&1
	rc=$?
	n=$(grep -c 'WARNING: ThreadSanitizer:' "$log")
	if [ "$rc" -ne 66 ] || [ "$n" -eq 0 ]; then
		not_ok "$1: TSan must report the injected race (exit $rc, $n reports)"
		show "$log"
		return
	fi
	if ! grep -q "^    #[0-9]* $2 " "$log"; then
		not_ok "$1: $n reports, but none with $2 on its stack"
		show "$log" 80
		return
	fi
	ok "$1: $n TSan report(s), $(grep -m1 'WARNING: ThreadSanitizer:' \
		"$log" | sed 's/.*ThreadSanitizer: //; s/ (pid=.*//'), in $2"
	grep -m1 -A12 'WARNING: ThreadSanitizer:' "$log" | sed 's/^/#   /'
}

# must_be_clean MODE: no report at all, exit 0.
must_be_clean() {
	log=$tmp/$1.log
	timeout 120 "$tmp/tsan_proof" "$1" >"$log" 2>&1
	rc=$?
	n=$(grep -c 'WARNING: ThreadSanitizer:' "$log")
	if [ "$rc" -ne 0 ] || [ "$n" -ne 0 ]; then
		not_ok "$1: must run clean (exit $rc, $n reports)"
		show "$log" 80
		return
	fi
	ok "$1: no report"
	sed 's/^/#   /' "$log"
}

# only_liburcu_reports MODE: without selftests/tsan.supp, every access
# TSan reports is made by an interceptor (malloc, free, a mutex) called
# straight from liburcu: exactly what the file's called_from_lib entries
# hide, and nothing of baton's or of the test's own.
only_liburcu_reports() {
	log=$tmp/$1-nosupp.log
	TSAN_OPTIONS="exitcode=66" timeout 120 "$tmp/tsan_proof" "$1" \
		>"$log" 2>&1
	n=$(grep -c 'WARNING: ThreadSanitizer:' "$log")
	bad=$(awk '/^  (Previous )?(atomic )?(Write|Read) of size/ { want = 1; next }
		   want && /^    #1 / { if ($0 !~ /liburcu/) print; want = 0 }' "$log")
	if [ -n "$bad" ]; then
		not_ok "$1 without tsan.supp: a report outside liburcu:"
		show "$log" 80
		return
	fi
	ok "$1 without tsan.supp: $n report(s), every access from inside liburcu"
}

must_report refcount-getset drop_getset
must_report refcount-plain drop_plain
must_be_clean refcount-ok
must_report rcu-nogp rcu_reader
must_be_clean rcu-ok
only_liburcu_reports rcu-ok
exit $fail
