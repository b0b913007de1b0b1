#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_owner_access.sh - the OWNER rule at the access site
# (tools/checkers/owner_access.py: Coccinelle makes each access to an
# OWNER field of a client a call, clang's thread-safety analysis checks
# that the client is held there): the library passes, each fixture that
# touches a client it does not own fails with the access's file:line,
# although clang alone compiles it, and an access the rewrite cannot
# reach or clang does not analyse is refused.
#
# Environment: BATON_SRCTREE (default: two levels up), SPATCH, CLANG.
# Exit 0 pass, 1 fail, 4 skip (spatch or clang missing).

src=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
fx=selftests/checkers/fixtures
check="python3 $src/tools/checkers/owner_access.py --srctree $src"
clang=${CLANG:-clang}

for tool in "${SPATCH:-spatch}:coccinelle" "$clang:clang"; do
	if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
		echo "SKIP: ${tool%%:*} is not installed (Debian: ${tool#*:};" \
			"sh scripts/deps.sh --all installs it)"
		exit 4
	fi
done
command -v python3 >/dev/null 2>&1 || {
	echo "python3 is missing (scripts/deps.sh installs it)"; exit 1; }
cd "$src" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/owner_access.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

fails=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# expect_pass NAME FILE...: the check passes.
expect_pass() {
	name=$1; shift
	# shellcheck disable=SC2086
	if $check "$@" >"$tmp/out" 2>&1; then
		ok "$name"
	else
		bad "$name: expected success, got:"; sed 's/^/     /' "$tmp/out"
	fi
}

# expect_fail NAME FILE PATTERN...: the check exits 1 and prints a line
# matching each grep -E PATTERN.
expect_fail() {
	name=$1 file=$2; shift 2
	# shellcheck disable=SC2086
	$check "$file" >"$tmp/out" 2>&1
	rc=$?
	if [ $rc -ne 1 ]; then
		bad "$name: expected exit 1, got $rc:"; sed 's/^/     /' "$tmp/out"
		return
	fi
	for pattern; do
		if ! grep -Eq "$pattern" "$tmp/out"; then
			bad "$name: no line matching '$pattern' in:"
			sed 's/^/     /' "$tmp/out"
			return
		fi
	done
	ok "$name"
}

# clang_compiles FILE: clang alone (the flags of `make CC=clang`, role
# analysis on) accepts FILE: what fails is the access check.
clang_compiles() {
	# shellcheck disable=SC2046
	if $clang -std=gnu11 -fsyntax-only -D_GNU_SOURCE -D_LGPL_SOURCE \
			-Wthread-safety -Werror=thread-safety -Iinclude \
			-Iinclude/uapi $(pkg-config --cflags liburcu-memb) \
			"$1" >"$tmp/out" 2>&1; then
		ok "clang alone compiles $1"
	else
		bad "clang alone must compile $1:"; sed 's/^/     /' "$tmp/out"
	fi
}

err="error: OWNER field access requires holding client 'c'"

expect_pass "the library: every OWNER access is its owner's"
expect_pass "owner_ok.c: held through assert, requires, may-release" \
	$fx/owner_ok.c

clang_compiles $fx/owner_bad_worker.c
expect_fail "owner_bad_worker.c: a worker writes a client it does not hold" \
	$fx/owner_bad_worker.c \
	"^$fx/owner_bad_worker.c:21:[0-9]+: $err" \
	"^$fx/owner_bad_worker.c:30:[0-9]+: $err"

clang_compiles $fx/owner_bad_main.c
expect_fail "owner_bad_main.c: main writes a client it has not taken" \
	$fx/owner_bad_main.c \
	"^$fx/owner_bad_main.c:18:[0-9]+: $err" \
	"^$fx/owner_bad_main.c:27:[0-9]+: $err"

expect_fail "owner_hidden.c: an access spatch cannot rewrite is refused" \
	$fx/owner_hidden.c \
	"^$fx/owner_hidden.c: spatch did not rewrite every OWNER access .*: line 16$"

expect_fail "owner_unanalysed.c: an access clang does not analyse is refused" \
	$fx/owner_unanalysed.c \
	"^$fx/owner_unanalysed.c: an OWNER access in a __no_role_analysis body.*: line 14$"

# The check is not vacuous on the library: worker_handle_event() without
# the assertion that the event's client is the worker's fails.
sed '/^void worker_handle_event(/,/^}/{/assert_client_owner(c);/d}' \
	lib/worker.c >"$tmp/worker.c"
if cmp -s lib/worker.c "$tmp/worker.c"; then
	bad "lib/worker.c: worker_handle_event() has no assert_client_owner() to remove"
else
	expect_fail "lib/worker.c without worker_handle_event()'s assertion" \
		"$tmp/worker.c" "worker.c:[0-9]+:[0-9]+: $err"
fi

if [ $fails -ne 0 ]; then
	echo "$fails owner access test(s) failed"
	exit 1
fi
echo "every owner access test passed"
