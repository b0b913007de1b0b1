#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# run.sh - the selftest runner: each test binary or script gets a timeout,
# one result line, and its CUnit summary; exits non-zero once at the end if
# anything failed or timed out.  Exit code 4 from a test means "skip"
# (kselftest's KSFT_SKIP).
#
# Usage: run.sh BINARY...      (scripts selftests/*/test_*.sh are added)
# Environment: BATON_OBJTREE, BATON_SRCTREE, CC, SAN, MAKE,
#              BATON_TEST_TIMEOUT (seconds per test, default 300),
#              BATON_VARIANT_TESTS_ONLY=1: skip the scripts whose third
#              line says "# selftest: variant-independent" (they build
#              or check the source on their own and give the same result
#              in every build variant; .ci/run runs them in its first
#              variant only),
#              BATON_SKIP_TESTS="kvd/test_kvd.sh ...": skip these tests
#              (names as the result lines print them, without
#              "selftests/"), each with a skip line that says so.

timeout_s=${BATON_TEST_TIMEOUT:-300}
src=${BATON_SRCTREE:?}
obj=${BATON_OBJTREE:?}
logdir=$obj/selftests/logs
mkdir -p "$logdir"

# Sanitizer settings: reports fail the test (non-zero exit); TSan ignores
# only liburcu's own internals (see selftests/tsan.supp for why).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="suppressions=$src/selftests/tsan.supp ${TSAN_OPTIONS:-}"

pass=0 fail=0 skip=0 failed=""
tests="$*"
for s in "$src"/selftests/*/test_*.sh; do
	[ -e "$s" ] && tests="$tests $s"
done

for t in $tests; do
	name=${t#"$obj"/}
	name=${name#"$src"/}
	log=$logdir/$(echo "$name" | tr '/' '_').log
	if [ "${BATON_VARIANT_TESTS_ONLY:-0}" = 1 ] && [ "${t%.sh}" != "$t" ] &&
	   sed -n 3p "$t" | grep -q '^# selftest: variant-independent'; then
		printf '%-44s %s\n' "$name" "skip (variant-independent)"
		skip=$((skip + 1))
		continue
	fi
	case " ${BATON_SKIP_TESTS:-} " in
	*" ${name#selftests/} "*)
		printf '%-44s %s\n' "$name" "skip (BATON_SKIP_TESTS)"
		skip=$((skip + 1))
		continue ;;
	esac
	start=$(date +%s)
	case "$t" in
	*.sh) timeout -k 10 "$timeout_s" sh "$t" >"$log" 2>&1 ;;
	*)    timeout -k 10 "$timeout_s" "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0)   res=ok;   pass=$((pass + 1)) ;;
	4)   res=skip; skip=$((skip + 1)) ;;
	124|137) res="TIMEOUT after ${timeout_s}s"; fail=$((fail + 1)); failed="$failed $name" ;;
	*)   res="FAIL (exit $rc)"; fail=$((fail + 1)); failed="$failed $name" ;;
	esac
	printf '%-44s %s (%ss)\n' "$name" "$res" "$secs"
	# CUnit's run summary, or the last lines of a failing test's log.
	if grep -q '^Run Summary' "$log"; then
		sed -n '/^Run Summary/,/^Elapsed/p' "$log" | sed 's/^/    /'
	fi
	if [ "$res" != ok ]; then
		grep -E 'FAIL|Assert|ERROR|error|SKIP' "$log" | head -20 | sed 's/^/    | /'
		tail -5 "$log" | sed 's/^/    | /'
	fi
done

echo "selftests: $pass passed, $fail failed, $skip skipped"
if [ "$fail" -ne 0 ]; then
	echo "failed:$failed (logs in $logdir)"
	exit 1
fi
exit 0
