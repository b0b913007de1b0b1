#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_checkers.sh - the source checkers catch what they exist for: each
# fixture under fixtures/ breaks one rule, and the checker must fail on it
# with file:line and the right message; the good fixtures must pass.
#
# Environment: BATON_SRCTREE (default: two levels up), BATON_OBJTREE
# (scratch space; default: a temporary directory).

src=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
fx=selftests/checkers/fixtures
own="python3 $src/tools/checkers/ownership.py --srctree $src"
kdoc="python3 $src/tools/checkers/kerneldoc.py --srctree $src"
apidoc="python3 $src/tools/checkers/apidoc.py --srctree $src"

command -v python3 >/dev/null 2>&1 || {
	echo "python3 is missing (scripts/deps.sh installs it)"; exit 1; }
cd "$src" || exit 1
tmp=$(mktemp -d "${BATON_OBJTREE:-${TMPDIR:-/tmp}}/checkers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

fails=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# expect_pass NAME CMD...: CMD exits 0.
expect_pass() {
	name=$1; shift
	if "$@" >"$tmp/out" 2>&1; then
		ok "$name"
	else
		bad "$name: expected success, got:"; sed 's/^/     /' "$tmp/out"
	fi
}

# expect_fail NAME PATTERN CMD...: CMD exits 1 and prints a line that
# matches the grep -E PATTERN (which names the file:line).
expect_fail() {
	name=$1 pattern=$2; shift 2
	"$@" >"$tmp/out" 2>&1
	rc=$?
	if [ $rc -ne 1 ]; then
		bad "$name: expected exit 1, got $rc:"; sed 's/^/     /' "$tmp/out"
	elif ! grep -Eq "$pattern" "$tmp/out"; then
		bad "$name: no line matching '$pattern' in:"
		sed 's/^/     /' "$tmp/out"
	else
		ok "$name"
	fi
}

# ---------------------------------------------------------------- ownership
expect_pass "ownership: nested unions, function pointers, bit-fields..." \
	$own $fx/good.h
expect_fail "ownership: a field without a rule" \
	"^$fx/bad_unannotated.h:5: fx_unannotated.forgotten: no __rule\(\)" \
	$own $fx/bad_unannotated.h
expect_fail "ownership: an ATOMIC field that is not _Atomic" \
	"^$fx/bad_not_atomic.h:5: fx_not_atomic.counter: __rule\(ATOMIC\) on a field that is not atomic" \
	$own $fx/bad_not_atomic.h
expect_fail "ownership: a PENDING pointer to an atomic (the pointer is plain)" \
	"^$fx/bad_not_atomic.h:6: fx_not_atomic.ptr_to_atomic: __rule\(PENDING\)" \
	$own $fx/bad_not_atomic.h
if grep -q 'fx_not_atomic.fine' "$tmp/out"; then
	bad "ownership: an _Atomic int was reported as not atomic"
fi
expect_fail "ownership: an unknown rule" \
	"^$fx/bad_unknown_rule.h:5: fx_unknown_rule.b: unknown rule __rule\(SHARED\)" \
	$own $fx/bad_unknown_rule.h
expect_fail "ownership: two rules on one field" \
	"^$fx/bad_duplicate_rule.h:4: fx_duplicate_rule.a: 2 __rule\(\) annotations" \
	$own $fx/bad_duplicate_rule.h
expect_fail "ownership: rules on a struct not marked __shared_struct" \
	"^$fx/bad_unmarked.h:3: struct fx_unmarked has __rule\(\) annotations but is not marked" \
	$own $fx/bad_unmarked.h
expect_fail "ownership: kernel-doc names another rule than __rule()" \
	"^$fx/bad_doc_rule.h:9: fx_doc_rule.a: __rule\(IO\) but its comment says MAIN" \
	$own $fx/bad_doc_rule.h

# What another thread reaches must be marked (reach_good.h is reach_bad.h
# with the markers).
expect_pass "ownership: every reached struct is marked" \
	$own $fx/reach_good.h
expect_fail "ownership: a reached struct without its marker, with the way to it" \
	"^$fx/reach_bad.h:12: struct fx_msg is reached from another thread through fx_queue.first \(OWNER\) but is not marked" \
	$own $fx/reach_bad.h
expect_fail "ownership: the walk goes on through an unmarked struct" \
	"^$fx/reach_bad.h:17: struct fx_body is reached from another thread through fx_queue.first \(OWNER\) -> fx_msg.body" \
	$own $fx/reach_bad.h
expect_fail "ownership: a reached struct defined outside the scanned files" \
	"^$fx/reach_bad.h:6: struct fx_lock is reached through fx_queue.lock \(IMMUTABLE\) but is defined outside" \
	$own $fx/reach_bad.h
expect_fail "ownership: a struct that embeds a refcounted object's header" \
	"^$fx/reach_bad.h:29: struct fx_value embeds struct baton_obj \(obj\)" \
	$own $fx/reach_bad.h
for ok_tag in fx_stats cds_lfht_node fx_arg; do
	if grep -q "struct $ok_tag " "$tmp/out"; then
		bad "ownership: struct $ok_tag (private, allowed or code) was reported"
	fi
done
# Taking the marker and the rules off a struct the tree reaches fails.
sed '/^struct baton_wake {/,/^}/{s/__rule([A-Z]*)//;s/} __shared_struct;/};/}' \
	"$src/include/baton/wake.h" >"$tmp/wake.h"
expect_fail "ownership: baton_wake without its marker and rules" \
	"wake.h:[0-9]+: struct baton_wake is reached from another thread through baton_[a-z]+.wake \(IMMUTABLE\)" \
	$own $(ls include/baton/*.h | grep -v '/wake.h$') "$tmp/wake.h" \
	include/uapi lib tools/kvd

# Globals: one rule each, like a field, unless thread-local or const
# (globals_good.c is globals_bad.c with the rules).
expect_pass "ownership: globals with their rules, thread-local and const ones" \
	$own $fx/globals_good.c
for want in '9: fx_counter: a global without __rule\(\)' \
	'11: fx_not_atomic: __rule\(ATOMIC\) on a global that is not atomic' \
	'12: fx_unknown: unknown rule __rule\(SHARED\)' \
	'15: fx_prefix: a global without __rule\(\)' \
	'18: fx_b: a global without __rule\(\)' \
	'23: fx_fn:calls: a global without __rule\(\)' \
	'5: struct fx_plain is reached from another thread through [^ ]*globals_bad.c:fx_reached \(IMMUTABLE\)'; do
	expect_fail "ownership: globals_bad.c:$want" "^$fx/globals_bad.c:$want" \
		$own $fx/globals_bad.c
done
for fine in fx_hits fx_tls fx_names fx_main_only 'fx_fn:limit'; do
	if grep -q ": $fine:" "$tmp/out"; then
		bad "ownership: $fine (ruled, thread-local or const) was reported"
	fi
done
if $own --table $fx/globals_good.c 2>&1 | grep -q '^     - ``fx_fn:calls``$' &&
		$own --table $fx/globals_good.c | grep -A2 '``fx_d``' | grep -q MAIN; then
	ok "ownership: the table lists the globals, one comment rules a declaration"
else
	bad "ownership: the globals of globals_good.c are not in the table"
fi
expect_fail "ownership: lib/ globals must use the macro too" \
	"^lib/fx_lib.c:7: a __rule\(\) comment on a variable" \
	python3 $src/tools/checkers/ownership.py --srctree $fx/tree

# Where the code touches the fields (access_good.c is access_bad.c with
# every access made right).
expect_pass "ownership: init/fini writes, atomics, writes through a pointer" \
	$own $fx/access_good.c
for want in \
	'30: fx_conn_rename: writes fx_conn.name, IMMUTABLE, in a function not marked __init_fn' \
	'37: fx_io_read: fx_conn.pending_read is PENDING: touch it only through atomic operations' \
	'38: fx_io_read: fx_conn.hits is ATOMIC: touch it only through atomic' \
	'39: fx_io_read: writes fx_conn.fd, IMMUTABLE' \
	'42: fx_io_read: writes fx_inner.x, IMMUTABLE' \
	'43: fx_io_read: fx_flag is ATOMIC: touch it only through atomic' \
	'44: fx_io_read: writes fx_limit, IMMUTABLE'; do
	expect_fail "ownership: access_bad.c:$want" "^$fx/access_bad.c:$want" \
		$own $fx/access_bad.c
done
for line in 40 41; do
	if grep -q "access_bad.c:$line:" "$tmp/out"; then
		bad "ownership: access_bad.c:$line (a write through a pointer field, a MAIN field) was reported"
	fi
done

# MAIN and IO are clang's: the same flags as `make CC=clang` must reject
# a MAIN field written by an __io_only function and an IO field written by
# a __main_only one, and accept each role writing its own.
clang=${CLANG:-clang}
if command -v "$clang" >/dev/null 2>&1; then
	cflags="-std=gnu11 -fsyntax-only -Wthread-safety -Werror=thread-safety -Iinclude -Iinclude/uapi"
	# shellcheck disable=SC2086
	expect_pass "clang: each role writes its own fields" \
		$clang $cflags $fx/clang_roles_ok.c
	# shellcheck disable=SC2086
	expect_fail "clang: a MAIN field written from an __io_only function" \
		"^$fx/clang_main_from_io.c:18:[0-9]+: error: writing variable 'nr_clients' requires holding role 'role_main'" \
		$clang $cflags $fx/clang_main_from_io.c
	# shellcheck disable=SC2086
	expect_fail "clang: an IO field written from a __main_only function" \
		"^$fx/clang_io_from_main.c:18:[0-9]+: error: writing variable 'reads' requires holding role 'role_io'" \
		$clang $cflags $fx/clang_io_from_main.c
else
	echo "skip clang: $clang is not installed (the MAIN/IO compile tests)"
fi

# The comment form, for headers that cannot include <baton/compiler.h>.
expect_pass "ownership: the comment form, C++ view left out" \
	$own $fx/comment_good.h
if $own --table $fx/comment_good.h 2>&1 | grep -q '^     - a counter (relaxed)$' &&
		[ "$($own --table $fx/comment_good.h | grep -c '``refs``')" = 1 ]; then
	ok "ownership: a comment rule's text is the field's comment, once"
else
	bad "ownership: the table of comment_good.h lacks refs's text or has it twice"
fi
expect_fail "ownership: a comment-form field without a rule" \
	"^$fx/comment_bad.h:5: fx_comment_bad.b: no __rule\(\)" \
	$own $fx/comment_bad.h
expect_fail "ownership: an unknown rule in a comment" \
	"^$fx/comment_bad.h:6: fx_comment_bad.c: unknown rule __rule\(SHARED\)" \
	$own $fx/comment_bad.h
expect_fail "ownership: a rule comment that belongs to no member" \
	"^$fx/comment_bad.h:7: fx_comment_bad: a __rule\(\) comment on a line where no member" \
	$own $fx/comment_bad.h

# The default paths: include/, lib/ and tools/ of the tree, less
# tools/bench and tools/fuzz.  tree/ breaks a rule in tools/kvd and
# writes comments in lib/; tree_ok/ breaks one only in the excluded dirs.
expect_fail "ownership: tools/kvd is scanned" \
	"^tools/kvd/fx_kvd.h:5: fx_kvd.cap: no __rule\(\)" \
	python3 $src/tools/checkers/ownership.py --srctree $fx/tree
if grep -q 'fx_bench' "$tmp/out"; then
	bad "ownership: tools/bench was scanned"
fi
expect_fail "ownership: lib/ must use the macros, not comments" \
	"^lib/fx_lib.c:3: struct fx_lib: annotations written as comments" \
	python3 $src/tools/checkers/ownership.py --srctree $fx/tree
expect_pass "ownership: tools/bench and tools/fuzz are not scanned" \
	python3 $src/tools/checkers/ownership.py --srctree $fx/tree_ok

# The field table: good.rst is what --update-doc writes for good.h.
expect_pass "ownership: --check-doc passes on an up-to-date table" \
	$own --check-doc $fx/good.rst $fx/good.h
$own --table $fx/good.h >"$tmp/table.rst" 2>&1
if sed -n '/^.. BEGIN FIELD TABLE/,/^.. END FIELD TABLE/p' $src/$fx/good.rst |
		cmp -s - "$tmp/table.rst"; then
	ok "ownership: --table prints the table --update-doc wrote"
else
	bad "ownership: --table differs from good.rst's table"
fi
# Remove the four lines of the row of fx_good.count: a field the doc lacks.
awk '/^   \* - ``fx_good``$/ { row = $0; getline f;
	if (f ~ /``count``/) { getline; getline; next } print row; print f; next }
	{ print }' "$src/$fx/good.rst" >"$tmp/missing.rst"
expect_fail "ownership: --check-doc fails on a field missing from the doc" \
	"^$fx/good.h:[0-9]+: fx_good.count: not in .*missing.rst's field table" \
	$own --check-doc "$tmp/missing.rst" $fx/good.h
sed 's/^     - ATOMIC$/     - IO/' "$src/$fx/good.rst" >"$tmp/rule.rst"
expect_fail "ownership: --check-doc fails when the doc has another rule" \
	"rule.rst:[0-9]+: fx_good.count: the table says IO, the code says __rule\(ATOMIC\)" \
	$own --check-doc "$tmp/rule.rst" $fx/good.h
sed 's/a counter (relaxed)/a counter/' "$src/$fx/good.rst" >"$tmp/text.rst"
expect_fail "ownership: --check-doc fails when a comment changed" \
	"text.rst:[0-9]+: the field table is out of date" \
	$own --check-doc "$tmp/text.rst" $fx/good.h
expect_fail "ownership: --check-doc fails on a doc without the markers" \
	"no \".. BEGIN FIELD TABLE\"" \
	$own --check-doc "$src/$fx/bad_unannotated.h" $fx/good.h
$own --update-doc "$tmp/missing.rst" $fx/good.h >/dev/null 2>&1
expect_pass "ownership: --update-doc repairs the table" \
	$own --check-doc "$tmp/missing.rst" $fx/good.h

# ---------------------------------------------------------------- kernel-doc
expect_pass "kerneldoc: complete public kernel-doc" \
	$kdoc --public $fx/kd_good.h
expect_fail "kerneldoc: a public function without Context:" \
	"^$fx/kd_no_context.h:4: fx_no_context: no \"Context:\" line" \
	$kdoc --public $fx/kd_no_context.h
expect_fail "kerneldoc: a non-void public function without Return:" \
	"^$fx/kd_no_return.h:4: fx_no_return: no \"Return:\" line" \
	$kdoc --public $fx/kd_no_return.h
expect_fail "kerneldoc: a public function without kernel-doc" \
	"^$fx/kd_no_doc.h:5: fx_no_doc: a public function without a kernel-doc block" \
	$kdoc --public $fx/kd_no_doc.h
expect_fail "kerneldoc: an undescribed parameter" \
	"^$fx/kd_bad_param.h:4: fx_bad_param: parameter @z is not described" \
	$kdoc --public $fx/kd_bad_param.h
expect_fail "kerneldoc: a described parameter that does not exist" \
	"^$fx/kd_bad_param.h:7: fx_bad_param: @y is not a parameter" \
	$kdoc --public $fx/kd_bad_param.h
expect_fail "kerneldoc: a callback member without Context:" \
	"^$fx/kd_callback.h:6: struct fx_cb_table: callback @done does not say \"Context:\"" \
	$kdoc --public $fx/kd_callback.h
expect_fail "kerneldoc: a callback typedef without Context:" \
	"^$fx/kd_callback.h:12: typedef fx_done_fn: a callback type without" \
	$kdoc --public $fx/kd_callback.h
expect_fail "kerneldoc: a main-thread function without BATON_MAIN_ONLY" \
	"^$fx/kd_role.h:12: fx_role_main: \"Context: main thread\" but no BATON_MAIN_ONLY" \
	$kdoc --public $fx/kd_role.h
expect_fail "kerneldoc: BATON_MAIN_ONLY on a function any thread may call" \
	"^$fx/kd_role.h:20: fx_role_any: BATON_MAIN_ONLY but its Context: is not" \
	$kdoc --public $fx/kd_role.h
for fine in fx_role_owner fx_role_ok; do
	if grep -q "$fine" "$tmp/out"; then
		bad "kerneldoc: $fine (annotated as its Context: says) was reported"
	fi
done
expect_fail "kerneldoc: an internal kernel-doc block without Context:" \
	"^$fx/kd_internal.h:7: fx_internal_documented: no \"Context:\" line" \
	$kdoc --internal $fx/kd_internal.h
if grep -q fx_internal_plain "$tmp/out"; then
	bad "kerneldoc: an undocumented internal function was reported"
fi
expect_fail "kerneldoc: an internal function documented twice" \
	"^$fx/kd_twice.c:6: fx_twice: kernel-doc written twice \(also at $fx/kd_twice.h:4\)" \
	$kdoc --internal $fx/kd_twice.h $fx/kd_twice.c
expect_fail "kerneldoc: a public function documented at its definition" \
	"^$fx/kd_twice.c:18: fx_public: a public function documented at its definition" \
	$kdoc --internal $fx/kd_twice.h $fx/kd_twice.c

# ---------------------------------------------------------------- api.rst
# kd_good.rst is what apidoc.py renders for kd_good.h.
expect_pass "apidoc: --check passes on kd_good.h's page" \
	$apidoc --check $fx/kd_good.rst $fx/kd_good.h
$apidoc $fx/kd_good.h >"$tmp/api.rst" 2>&1
# a prototype, a callback member's Context:, a Return:, the private cut
for want in '^   int fx_thing_each\(int \(\*fn\)\(struct fx_thing \*t, void' \
	'^``read``$' \
	'^   \*\*Context:\*\* the IO worker that owns ``t``\.$' \
	'^\*\*Return:\*\* 0 or ``-ENOMEM``\.$' \
	'^       /\* private members \*/$'; do
	if grep -Eq "$want" "$tmp/api.rst"; then
		ok "apidoc: the page has /$want/"
	else
		bad "apidoc: no line matching /$want/ in the page of kd_good.h"
	fi
done
if grep -q 'hidden\|registered' "$tmp/api.rst"; then
	bad "apidoc: a private member is on the page"
fi
sed 's/a callback table/a table/' "$src/$fx/kd_good.rst" >"$tmp/old.rst"
expect_fail "apidoc: --check fails on a page older than its header" \
	'old.rst: out of date .*run `make api-doc`' \
	$apidoc --check "$tmp/old.rst" $fx/kd_good.h

if [ $fails -ne 0 ]; then
	echo "$fails checker self-test(s) failed"
	exit 1
fi
echo "every checker self-test passed"
