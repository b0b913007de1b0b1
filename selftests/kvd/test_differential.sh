#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_differential.sh - baton-kvd against a real redis-server
# (differential.py: the difffam/ families and the transcripts replayed to
# both, every reply compared), with 0, 1 and 2 IO threads.  Apart from
# test_kvd.sh so that each stays within the runner's time limit per test
# under SAN=thread.
#
# Environment: BATON_OBJTREE, BATON_SRCTREE, SAN.  Exit 4 (skip) when
# redis-server is missing and cannot be installed.

obj=${BATON_OBJTREE:?}
src=${BATON_SRCTREE:?}
dir=$src/selftests/kvd
kvd=$obj/tools/kvd/baton-kvd
export PYTHONDONTWRITEBYTECODE=1

[ -x "$kvd" ] || { echo "FAIL: $kvd was not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || {
	echo "FAIL: python3 is missing (scripts/deps.sh installs it)"; exit 1; }

rc=0 skipped=0
for t in 0 1 2; do
	echo "== differential --io-threads $t"
	timeout -k 5 240 python3 "$dir/differential.py" --io-threads $t
	st=$?
	case $st in
	0) ;;
	4) skipped=1 ;;
	*) echo "FAIL: differential --io-threads $t"; rc=1 ;;
	esac
done
[ $rc = 0 ] && [ $skipped = 1 ] && exit 4
[ $rc = 0 ] && echo "differential: all passed"
exit $rc
