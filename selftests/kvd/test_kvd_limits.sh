#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_kvd_limits.sh - baton-kvd against hostile clients and bounded
# memory, over raw sockets, each with 0, 1 and 2 IO threads: protected
# mode and the Unix socket's mode (hostile.py), maxmemory and every
# eviction policy (maxmemory.py), the limits before AUTH and the RSS
# under 1000 unauthenticated clients (preauth.py).  A script of its own,
# beside test_kvd.sh, so that each fits run.sh's time limit under
# SAN=thread.  Every server is stopped with SIGTERM and must exit 0 with
# no sanitizer report in its log (selftests/logs/kvd/).
#
# Environment: BATON_OBJTREE, BATON_SRCTREE, SAN.

obj=${BATON_OBJTREE:?}
src=${BATON_SRCTREE:?}
dir=$src/selftests/kvd
kvd=$obj/tools/kvd/baton-kvd
export PYTHONDONTWRITEBYTECODE=1

[ -x "$kvd" ] || { echo "FAIL: $kvd was not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || {
	echo "FAIL: python3 is missing (scripts/deps.sh installs it)"; exit 1; }

rc=0
# run SCRIPT ARGS...: one Python test, bounded in time.
run() {
	name="$(basename "$1" .py) $2 $3"
	echo "== $name"
	timeout -k 5 240 python3 "$@"
	st=$?
	case $st in
	0) ;;
	4) echo "SKIP: $name" ;;
	*) echo "FAIL: $name"; rc=1 ;;
	esac
}

for t in 0 1 2; do
	run "$dir/hostile.py" --io-threads $t
	run "$dir/maxmemory.py" --io-threads $t
	run "$dir/preauth.py" --io-threads $t
done

[ $rc = 0 ] && echo "kvd limits: all passed"
exit $rc
