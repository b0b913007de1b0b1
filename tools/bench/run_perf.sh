#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run_perf.sh - `make perf`: every micro-benchmark, one mode at a time,
# under `perf stat`: software events (task-clock, context switches, CPU
# migrations, page faults) always, hardware events (cycles, instructions,
# cache references and misses) where this machine counts them.  It tests
# for them first and says which it found; on a VM without a PMU they are
# simply left out.
#
# Then a counted run of baton-kvd: redis-benchmark SET and GET against it
# (50 clients, pipeline 1 and 16, --io-threads 0, 1 and auto) while
# `perf stat -e 'sdt_baton:*'` counts the library's USDT probes
# (include/baton/probe.h), reported per request and per batch.  perf
# needs the probes made into events first, `perf probe -x BINARY -a
# '%sdt_baton:*'`, which writes /sys/kernel/tracing/uprobe_events: as
# root only.  Without root, without probes in the binary (no
# <sys/sdt.h> at build time, or SDT=0) or without perf's SDT support,
# the script says why and skips that part; the events it added are
# removed at the end.
#
# Everything goes under OUTDIR (default $BATON_OBJTREE/perf):
#   events.txt           which events were used and why
#   NAME.txt             the benchmark's own output
#   NAME.perf.csv        perf stat -x, output for that run
#   summary.txt/.csv     one line per run: the counters side by side
#   usdt/                the counted run: each run's perf stat file,
#                        usdt.csv and usdt.txt (the probe counts per
#                        request), kvd's logs, or skipped.txt saying why
#
# Usage: run_perf.sh [-o OUTDIR] [-s SECS] [-n REQUESTS] [-M] [-U]
#   -n REQUESTS  requests per counted run at pipeline 1 (default 20000;
#                10 times that at pipeline 16)
#   -M           skip the micro-benchmarks
#   -U           skip the counted run of baton-kvd
# Environment: BATON_OBJTREE, BATON_SRCTREE, PERF (default: perf).
set -u

srctree=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
objtree=${BATON_OBJTREE:-$srctree/build/gcc}
outdir=$objtree/perf
secs=1
perf=${PERF:-perf}
usdt_n=20000
micro=1
usdt=1

while getopts "o:s:n:MUh" opt; do
	case $opt in
	o) outdir=$OPTARG ;;
	s) secs=$OPTARG ;;
	n) usdt_n=$OPTARG ;;
	M) micro=0 ;;
	U) usdt=0 ;;
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
[ $micro = 1 ] || runs=()

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

[ $micro = 1 ] && column -s, -t "$summary" | tee "$outdir/summary.txt"

# ------------------------------------------------------------ USDT counts
kvd=$objtree/tools/kvd/baton-kvd
u=$outdir/usdt
probes_added=0
kvd_pid=""

usdt_cleanup() {
	if [ -n "$kvd_pid" ]; then
		kill "$kvd_pid" 2>/dev/null
		wait "$kvd_pid" 2>/dev/null
		kvd_pid=""
	fi
	if [ $probes_added = 1 ]; then
		"$perf" probe -q --del 'sdt_baton:*' >/dev/null 2>&1 ||
			echo "run_perf: could not remove the sdt_baton events: perf probe --del 'sdt_baton:*'" >&2
		probes_added=0
	fi
}
trap usdt_cleanup EXIT
trap 'exit 130' INT TERM

# usdt_skip WHY: say why there is no counted run, in skipped.txt too.
usdt_skip() {
	echo "run_perf: no counted run: $*" | tee "$u/skipped.txt" >&2
}

# usdt_ready: everything the counted run needs, or a reason on stdout.
usdt_ready() {
	local c
	[ -x "$kvd" ] || { echo "$kvd is not built"; return; }
	for c in redis-benchmark redis-cli readelf; do
		command -v $c >/dev/null || { echo "$c is missing (apt-get install redis-tools binutils)"; return; }
	done
	readelf -n "$kvd" 2>/dev/null | grep -q 'Provider: baton' ||
		{ echo "baton-kvd has no USDT probes: it was built without <sys/sdt.h> (apt-get install systemtap-sdt-dev, then rebuild) or with SDT=0"; return; }
	[ "$(id -u)" = 0 ] ||
		{ echo "perf probe needs root: it adds uprobes in /sys/kernel/tracing/uprobe_events"; return; }
	if "$perf" probe -l 'sdt_baton:*' 2>/dev/null | grep -q .; then
		echo "sdt_baton events exist already (another perf session?); list them with perf probe -l, remove them with perf probe --del 'sdt_baton:*'"
		return
	fi
}

# start_kvd IO: start baton-kvd on a free port below the ephemeral
# range; sets kvd_pid and port, or fails after three tries.
start_kvd() {
	local try
	for try in 1 2 3; do
		port=$((20000 + RANDOM % 12000))
		(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && continue
		"$kvd" --port "$port" --io-threads "$1" >"$u/kvd-io$1.log" 2>&1 &
		kvd_pid=$!
		for _ in $(seq 100); do
			kill -0 "$kvd_pid" 2>/dev/null || break
			[ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return 0
			sleep 0.1
		done
		kill "$kvd_pid" 2>/dev/null
		wait "$kvd_pid" 2>/dev/null
		kvd_pid=""
	done
	return 1
}

# info_counts PORT: "requests handoffs_to_main io_workers" from one
# INFO baton of kvd.
info_counts() {
	redis-cli -p "$1" info baton 2>/dev/null | tr -d '\r' |
		awk -F: '{ v[$1] = $2 }
			END { print v["requests"] + 0, v["handoffs_to_main"] + 0, v["io_workers"] }'
}

# usdt_one IO TEST PIPELINE PORT: one counted redis-benchmark run; one
# line of usdt.csv.
usdt_one() {
	local io=$1 t=$2 p=$3 port=$4 n=$usdt_n name r0 h0 r1 h1 iow
	[ "$p" = 1 ] || n=$((usdt_n * 10))
	name=kvd-io$io-$t-P$p
	read -r r0 h0 iow < <(info_counts "$port")
	if ! "$perf" stat -x, -e 'sdt_baton:*' -p "$kvd_pid" -o "$u/$name.perf.csv" -- \
		redis-benchmark -p "$port" -c 50 -n "$n" -P "$p" -r 100000 -t "$t" -q \
		>"$u/$name.txt" 2>&1; then
		echo "run_perf: counted run $name failed (see $u/$name.txt)" >&2
		failed="$failed usdt-$name"
		return
	fi
	read -r r1 h1 iow < <(info_counts "$port")
	awk -F, -v io="$io" -v t="${t^^}" -v p="$p" -v req=$((r1 - r0)) \
		-v hand=$((h1 - h0)) -v iow="$iow" '
		/^#/ || NF < 3 { next }
		{ ev = $3; sub(/^sdt_baton:/, "", ev); v[ev] = ($1 ~ /^[0-9]+$/) ? $1 : "" }
		function per(a, b) { return (a != "" && b > 0) ? sprintf("%.4f", a / b) : "" }
		END {
			printf "%s,%s,%s,%d,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
				io, t, p, req, hand, iow,
				v["wake_up"], v["handoff_to_main"], v["main_batch"],
				v["handoff_to_worker"], v["handoff_kicks"], v["post_publish"],
				v["defer_drain"], v["rcu_free_batch"], v["worker_activate"],
				v["worker_park"], v["client_move"],
				per(v["wake_up"], req), per(v["handoff_to_main"], req),
				per(v["main_batch"], req), per(hand, v["main_batch"]),
				per(hand, v["handoff_to_main"])
		}' "$u/$name.perf.csv" >>"$u/usdt.csv"
}

if [ $usdt = 1 ]; then
	rm -rf "$u"
	mkdir -p "$u" || exit 1
	why=$(usdt_ready)
	if [ -z "$why" ] &&
	   ! "$perf" --buildid-dir "$u/buildid" probe -x "$kvd" -a '%sdt_baton:*' \
		>"$u/probe.txt" 2>&1; then
		why="perf probe -x baton-kvd -a '%sdt_baton:*' failed (no SDT or uprobe support?): $(grep -v '^$' "$u/probe.txt" | tail -1)"
		"$perf" probe -q --del 'sdt_baton:*' >/dev/null 2>&1
	fi
	if [ -n "$why" ]; then
		usdt_skip "$why"
	else
		probes_added=1
		settings="0 1"
		"$kvd" --help 2>&1 | grep -q 'io-threads N|auto' && settings="0 1 auto"
		echo "io_threads,test,pipeline,requests,handoffs_to_main,io_workers_end,wake_up,handoff_to_main,main_batch,handoff_to_worker,handoff_kicks,post_publish,defer_drain,rcu_free_batch,worker_activate,worker_park,client_move,wakes_per_req,flushes_to_main_per_req,main_batches_per_req,clients_per_main_batch,clients_per_flush_to_main" >"$u/usdt.csv"
		for io in $settings; do
			if ! start_kvd "$io"; then
				echo "run_perf: baton-kvd --io-threads $io did not start (see $u/kvd-io$io.log)" >&2
				failed="$failed usdt-io$io"
				continue
			fi
			for t in set get; do
				for p in 1 16; do
					printf '[perf usdt] kvd --io-threads %s %s -P %s\n' "$io" "${t^^}" "$p" >&2
					usdt_one "$io" "$t" "$p" "$port"
				done
			done
			kill "$kvd_pid"
			wait "$kvd_pid"
			kvd_pid=""
		done
		[ "$settings" = "0 1" ] &&
			echo "run_perf: this baton-kvd has no --io-threads auto: counted 0 and 1 only" >&2
		usdt_cleanup
		{
			echo "# USDT probe counts of baton-kvd under redis-benchmark -c 50 -r 100000"
			echo "# (perf stat -e 'sdt_baton:*'; each probe hit is a breakpoint trap:"
			echo "# the run is slower than untraced, its counts are what it is for)"
			cut -d, -f1-4,6-9,18-22 "$u/usdt.csv" | column -s, -t
		} | tee "$u/usdt.txt"
	fi
fi

echo "perf results: $outdir"
[ -z "$failed" ] || { echo "run_perf: failed:$failed" >&2; exit 1; }
exit 0
