#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run_perf.sh - `make perf`: every micro-benchmark, one mode at a time,
# under `perf stat`: software events (task-clock, context switches, CPU
# migrations, page faults) always, hardware events (cycles, instructions,
# cache references and misses) where this machine counts them.  It tests
# for them first and says which it found; on a VM without a PMU they are
# simply left out.
#
# Everything goes under OUTDIR (default $BATON_OBJTREE/perf):
#   events.txt           which events were used and why
#   NAME.txt             the benchmark's own output
#   NAME.perf.csv        perf stat -x, output for that run
#   summary.txt/.csv     one line per run: the counters side by side
#
# Usage: run_perf.sh [-o OUTDIR] [-s SECS]
# Environment: BATON_OBJTREE, BATON_SRCTREE, PERF (default: perf).
set -u

srctree=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
objtree=${BATON_OBJTREE:-$srctree/build/gcc}
outdir=$objtree/perf
secs=1
perf=${PERF:-perf}

while getopts "o:s:h" opt; do
	case $opt in
	o) outdir=$OPTARG ;;
	s) secs=$OPTARG ;;
	h) sed -n 's/^# \{0,1\}//; /^Usage/,/^Environment/p' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done
mkdir -p "$outdir" || exit 1
bench=$objtree/tools/bench

# perf itself: Debian's linux-perf.
if ! command -v "$perf" >/dev/null || ! "$perf" version >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "run_perf: installing linux-perf (Debian package)" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-perf >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q linux-perf >/dev/null 2>&1; }
	fi
	if ! command -v "$perf" >/dev/null || ! "$perf" version >/dev/null 2>&1; then
		echo "run_perf: perf is missing: as root, apt-get install linux-perf" >&2
		exit 1
	fi
fi

sw_events=task-clock,context-switches,cpu-migrations,page-faults
hw_events=cycles,instructions,cache-references,cache-misses

# A hardware event is usable when perf counts it for `true`: the value
# field of its -x, line is a number, not <not supported>/<not counted>.
hw_ok=""
hw_why=""
probe=$("$perf" stat -x, -e "$hw_events" true 2>&1)
for ev in ${hw_events//,/ }; do
	line=$(printf '%s\n' "$probe" | awk -F, -v e="$ev" '$3 == e || $3 ~ "^" e "[:/]"' | head -1)
	val=${line%%,*}
	if [[ "$val" =~ ^[0-9.]+$ ]]; then
		hw_ok="$hw_ok${hw_ok:+,}$ev"
	else
		hw_why="$hw_why $ev(${val:-error})"
	fi
done
events=$sw_events${hw_ok:+,$hw_ok}
{
	echo "perf: $("$perf" version 2>&1)"
	echo "kernel.perf_event_paranoid: $(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null)"
	echo "software events: $sw_events"
	if [ -n "$hw_ok" ]; then
		echo "hardware events: $hw_ok"
	else
		echo "hardware events: none on this machine (no PMU exposed, e.g. a VM)"
	fi
	[ -n "$hw_why" ] && echo "not supported here:$hw_why"
} | tee "$outdir/events.txt"

# Runs: NAME|COMMAND ARGS (each a single mode, so the counters compare
# one mode against another).
runs=(
	"llist-c11|llist/bench_llist -p 2 -d $secs -i c11"
	"llist-mutex|llist/bench_llist -p 2 -d $secs -i mutex"
	"llist-wfcq|llist/bench_llist -p 2 -d $secs -i wfcq"
	"handoff-eventfd|handoff/bench_handoff -k 1 -r 1 -d $secs -m eventfd"
	"handoff-baton|handoff/bench_handoff -k 1 -r 1 -d $secs -m baton"
	"handoff-mutex|handoff/bench_handoff -k 1 -r 1 -d $secs -m mutex"
	"handoff-baton_lt|handoff/bench_handoff -k 1 -r 1 -d $secs -m baton_lt"
	"handoff-baton-k16|handoff/bench_handoff -k 16 -r 1 -d $secs -m baton"
	"table-floor|table/bench_table -t 1 -r 1 -d $secs -m floor"
	"table-rcu|table/bench_table -t 2 -r 1 -d $secs -m rcu"
	"table-rwlock|table/bench_table -t 2 -r 1 -d $secs -m rwlock"
	"table-rwlock_lfht|table/bench_table -t 2 -r 1 -d $secs -m rwlock_lfht"
	"refcount-uncontended|refcount/bench_refcount -t 2 -r 1 -d $secs -s uncontended -i refcount"
	"refcount-contended|refcount/bench_refcount -t 2 -r 1 -d $secs -s contended -i refcount"
	"refcount-mutex-contended|refcount/bench_refcount -t 2 -r 1 -d $secs -s contended -i mutex"
	"free|free/bench_free -n 1000000 -r 1"
	"rcu|rcu/bench_rcu -t 2 -d $secs"
)

summary=$outdir/summary.csv
echo "run,seconds,task_clock_ms,cpus_used,context_switches,cpu_migrations,page_faults,cycles,instructions,ipc,cache_references,cache_misses" >"$summary"
i=0
failed=""
for r in "${runs[@]}"; do
	i=$((i + 1))
	name=${r%%|*}
	cmd=${r#*|}
	printf '[perf %d/%d] %s: %s\n' "$i" "${#runs[@]}" "$name" "$cmd" >&2
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	if ! "$perf" stat -x, -e "$events" -o "$outdir/$name.perf.csv" -- \
		"$bench"/$cmd >"$outdir/$name.txt" 2>&1; then
		echo "run_perf: $name failed (see $outdir/$name.txt)" >&2
		failed="$failed $name"
		continue
	fi
	t1=$(date +%s.%N)
	awk -F, -v name="$name" -v secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" '
		/^#/ || NF < 3 { next }
		{ v[$3] = $1 }
		END {
			tc = v["task-clock"]
			ipc = (v["cycles"] > 0) ? sprintf("%.2f", v["instructions"] / v["cycles"]) : ""
			printf "%s,%s,%.1f,%.2f,%s,%s,%s,%s,%s,%s,%s,%s\n", name, secs, tc,
				(secs > 0 ? tc / 1000 / secs : 0),
				v["context-switches"], v["cpu-migrations"], v["page-faults"],
				v["cycles"], v["instructions"], ipc,
				v["cache-references"], v["cache-misses"]
		}' "$outdir/$name.perf.csv" >>"$summary"
done

column -s, -t "$summary" | tee "$outdir/summary.txt"
echo "perf results: $outdir"
[ -z "$failed" ] || { echo "run_perf: failed:$failed" >&2; exit 1; }
exit 0
