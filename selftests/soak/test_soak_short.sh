#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_soak_short.sh - the short soak of make check: baton-kvd with 2 IO
# threads for 15 s under 300 idle and 16 pipelining connections, a CLIENT
# KILL and two dropped connections every 50 ms, then tools/soak/soak.py's
# checks (acknowledged writes kept, clients gone, memory back to the
# baseline, idle CPU, clean SIGTERM exit, no sanitizer report).
# `make soak` runs the long version.
#
# Environment: BATON_OBJTREE, BATON_SRCTREE, SAN.

obj=${BATON_OBJTREE:?}
src=${BATON_SRCTREE:?}
kvd=$obj/tools/kvd/baton-kvd
export PYTHONDONTWRITEBYTECODE=1

[ -x "$kvd" ] || { echo "FAIL: $kvd was not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || {
	echo "FAIL: python3 is missing (scripts/deps.sh installs it)"; exit 1; }
exec timeout -k 5 120 python3 "$src/tools/soak/soak.py" --time 15 \
	--idle 300 --active 16 --io-threads 2
