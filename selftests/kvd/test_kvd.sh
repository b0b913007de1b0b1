#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_kvd.sh - baton-kvd end to end, driven by real Redis clients
# (redis-cli and redis-benchmark from Debian's redis-tools): the redis-cli
# transcripts, bad and hard input, several connections at once, the
# server commands, WATCH across clients, the glob matcher's limits, hash
# and set values (memory, zero-copy, scans), pub/sub, blocking pops,
# MONITOR, the idle timeout and the redis-benchmark smoke test, each with
# 0, 1 and 2 IO threads; then the command-line options.
# test_differential.sh compares kvd with redis-server.
# Every server is stopped with SIGTERM and must exit 0 with no sanitizer
# report in its log (selftests/logs/kvd/).
#
# Environment: BATON_OBJTREE, BATON_SRCTREE, SAN.  Exit 4 (skip) when
# redis-cli is missing and cannot be installed.

obj=${BATON_OBJTREE:?}
src=${BATON_SRCTREE:?}
dir=$src/selftests/kvd
kvd=$obj/tools/kvd/baton-kvd
export PYTHONDONTWRITEBYTECODE=1

[ -x "$kvd" ] || { echo "FAIL: $kvd was not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || {
	echo "FAIL: python3 is missing (scripts/deps.sh installs it)"; exit 1; }

if ! command -v redis-cli >/dev/null 2>&1 ||
   ! command -v redis-benchmark >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing redis-tools"
		export DEBIAN_FRONTEND=noninteractive
		apt-get -q install -y --no-install-recommends redis-tools \
			>/dev/null 2>&1 ||
		{ apt-get -q update >/dev/null 2>&1 &&
		  apt-get -q install -y --no-install-recommends redis-tools \
			>/dev/null 2>&1; }
	fi
	if ! command -v redis-cli >/dev/null 2>&1; then
		echo "SKIP: redis-cli and redis-benchmark (Debian package" \
		     "redis-tools) are missing; run scripts/deps.sh as root"
		exit 4
	fi
fi

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
	run "$dir/transcripts.py" --io-threads $t "$dir"/transcripts/*.txt
	run "$dir/protocol.py" --io-threads $t
	run "$dir/sessions.py" --io-threads $t
	run "$dir/server.py" --io-threads $t
	run "$dir/watch.py" --io-threads $t
	run "$dir/glob.py" --io-threads $t
	run "$dir/values.py" --io-threads $t
	run "$dir/pubsub.py" --io-threads $t
	run "$dir/blocking.py" --io-threads $t
	run "$dir/monitor.py" --io-threads $t
	run "$dir/timeout.py" --io-threads $t
	run "$dir/bench.py" --io-threads $t
done

run "$dir/iothreads.py"

# Options: --help, bad values (usage and exit 2), a port in use (exit 1).
echo "== options"
"$kvd" --help | grep -q '^Usage: baton-kvd' || { echo "FAIL: --help"; rc=1; }
for bad in "--port x" "--port 70000" "--io-threads -1" "--io-threads 65" \
	   "--maxclients 0" "--nosuch" "extra" "--port 0" \
	   "--protected-mode maybe" "--protected-mode" \
	   "--unixsocketperm 800" "--unixsocketperm 1000" "--unixsocketperm x" \
	   "--maxmemory 1.5k" "--maxmemory -1" "--maxmemory 1t" "--maxmemory 1kk" \
	   "--maxmemory 99999999999999999999" "--maxmemory-policy lru" \
	   "--maxmemory-samples 0" "--lfu-log-factor -1" "--lfu-decay-time x" \
	   "--timeout -1" "--timeout 2147483648"; do
	# shellcheck disable=SC2086 # the options are words
	"$kvd" $bad >/dev/null 2>&1
	st=$?
	[ $st = 2 ] || { echo "FAIL: baton-kvd $bad: exit $st, not 2"; rc=1; }
done
"$kvd" --bind 1.2.3.4.5 --port 6399 >/dev/null 2>&1
st=$?
[ $st = 1 ] || { echo "FAIL: a bad --bind: exit $st, not 1"; rc=1; }

[ $rc = 0 ] && echo "kvd: all passed"
exit $rc
