#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run_bench.sh - `make bench`: run every micro-benchmark, the kvd vs
# redis-server comparison, the thread split and the pub/sub fan-out and
# latency (kvd vs redis-server), keep their tables and
# CSVs, render the plots with gnuplot and check the figures against the
# targets of Documentation/performance.rst.
#
# Everything goes under OUTDIR (default $BATON_OBJTREE/bench), never into
# the source tree:
#   machine.txt           CPU, kernel, compiler, commit, load before/after
#   NAME.txt, NAME.csv    each benchmark's table and CSV
#   e2e/                  kvd_vs_redis.sh's tables, CSVs and server logs
#   thread-split/         e2e/thread_split.sh's CSVs and server logs
#                         (thread-split.txt: its table)
#   lru.txt, lru.csv      LRU hit rates of kvd and redis-server under the
#                         same maxmemory (e2e/lru_hitrate.py)
#   pubsub/               e2e/pubsub.sh's CSVs and server logs
#                         (pubsub.txt: its table)
#   NAME.png, NAME.svg    the plots
#   targets.txt           each target, the measured figure, met or not
#
# Usage: run_bench.sh [-o OUTDIR] [-s SECS] [-E] [-S] [-q]
#   -s SECS  seconds per point of each micro-benchmark (default 1)
#   -E       skip the end-to-end runs (kvd vs redis-server, LRU hit
#            rate, thread split, pub/sub)
#   -S       skip the thread split only
#   -q       quick: 0.1 s points and quick end-to-end runs (checks the
#            pipeline; the figures mean nothing)
# Environment: BATON_OBJTREE (the build directory), BATON_SRCTREE.
set -u

srctree=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
objtree=${BATON_OBJTREE:-$srctree/build/gcc}
outdir=$objtree/bench
secs=1
e2e=1
split=1
quick=0

while getopts "o:s:ESqh" opt; do
	case $opt in
	o) outdir=$OPTARG ;;
	s) secs=$OPTARG ;;
	E) e2e=0 ;;
	S) split=0 ;;
	q) quick=1; secs=0.1 ;;
	h) sed -n 's/^# \{0,1\}//; /^Usage/,/^Environment/p' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done

bench=$objtree/tools/bench
plotdir=$srctree/tools/bench/plot
mkdir -p "$outdir" || exit 1
outdir=$(cd "$outdir" && pwd)
# A run's results never mix with an earlier run's: remove what a run
# writes (and only that) before starting.
[ $e2e = 1 ] || split=0
for n in llist handoff table refcount free rcu e2e e2e-pairs thread-split \
	 thread-split-wide lru pubsub; do
	rm -f "$outdir/$n".txt "$outdir/$n".csv "$outdir/$n".err \
		"$outdir/$n".png "$outdir/$n".svg "$outdir/$n".gnuplot.err
done
rm -rf "$outdir/e2e" "$outdir/thread-split" "$outdir/pubsub"
rm -f "$outdir/targets.txt" "$outdir/machine.txt"
step=0
steps=$((6 + 3 * e2e + split))
failed=""

progress() { printf '[bench %s] %s\n' "$1" "$2" >&2; }

# Header of the run: what machine, how loaded.
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "cpu: $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "kernel: $(uname -sr)"
	echo "compiler: $(${CC:-cc} --version 2>/dev/null | head -1)"
	echo "commit: $(git -C "$srctree" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$outdir/machine.txt"

# run NAME CSV-HEADER-PREFIX COMMAND...: run one benchmark, keep its
# table in NAME.txt and its CSV (the lines from the CSV header on) in
# NAME.csv.
run() {
	local name=$1 head=$2 t0
	shift 2
	step=$((step + 1))
	progress "$step/$steps" "$name: $*"
	t0=$(date +%s)
	if ! "$@" >"$outdir/$name.txt" 2>"$outdir/$name.err"; then
		progress "$step/$steps" "$name FAILED (see $outdir/$name.err)"
		failed="$failed $name"
		return 1
	fi
	[ -n "$head" ] && sed -n "/^$head/,\$p" "$outdir/$name.txt" >"$outdir/$name.csv"
	progress "$step/$steps" "$name done in $(( $(date +%s) - t0 )) s"
}

for b in llist/bench_llist handoff/bench_handoff table/bench_table \
	 refcount/bench_refcount free/bench_free rcu/bench_rcu; do
	if [ ! -x "$bench/$b" ]; then
		echo "run_bench: $bench/$b is not built (make O=$objtree all)" >&2
		exit 1
	fi
done

half=$(awk -v s="$secs" 'BEGIN { print s / 2 }')
nfree=1000000
[ $quick = 1 ] && nfree=20000
run llist    'impl,producers' "$bench/llist/bench_llist" -p 4 -d "$secs"
run handoff  'mode,batch' "$bench/handoff/bench_handoff" -k 1,4,16,64 -d "$secs" -r 5
run table    'mode,readers' "$bench/table/bench_table" -t 1-4 -d "$secs" -r 5
run refcount 'impl,sharing' "$bench/refcount/bench_refcount" -t 1,2,4 -d "$half" -r 5
run free     '' "$bench/free/bench_free" -n "$nfree" -r 5 -o "$outdir/free.csv"
run rcu      'flavor,readers' "$bench/rcu/bench_rcu" -t 2 -d "$secs"

if [ $e2e = 1 ]; then
	step=$((step + 1))
	progress "$step/$steps" "e2e: kvd vs redis-server (several minutes; its own progress follows)"
	eargs=""
	[ $quick = 1 ] && eargs="-q"
	if ! bash "$srctree/tools/bench/e2e/kvd_vs_redis.sh" $eargs \
		-o "$outdir/e2e" -k "$objtree/tools/kvd/baton-kvd" \
		>"$outdir/e2e.txt"; then
		progress "$step/$steps" "e2e FAILED"
		failed="$failed e2e"
	fi
	largs=""
	[ $quick = 1 ] && largs="-q"
	run lru 'server,hit_rate' python3 "$srctree/tools/bench/e2e/lru_hitrate.py" \
		$largs -k "$objtree/tools/kvd/baton-kvd" -o "$outdir/e2e"
fi
if [ $split = 1 ]; then
	step=$((step + 1))
	progress "$step/$steps" "thread split: kvd io0/io1/auto vs redis io1/io2 (several minutes; its own progress follows)"
	sargs=""
	[ $quick = 1 ] && sargs="-q"
	if ! bash "$srctree/tools/bench/e2e/thread_split.sh" $sargs \
		-o "$outdir/thread-split" -k "$objtree/tools/kvd/baton-kvd" \
		>"$outdir/thread-split.txt"; then
		progress "$step/$steps" "thread split FAILED"
		failed="$failed thread-split"
	fi
fi
if [ $e2e = 1 ]; then
	step=$((step + 1))
	progress "$step/$steps" "pub/sub: kvd vs redis-server fan-out and latency (its own progress follows)"
	pargs=""
	[ $quick = 1 ] && pargs="-q"
	if ! bash "$srctree/tools/bench/e2e/pubsub.sh" $pargs \
		-o "$outdir/pubsub" -k "$objtree/tools/kvd/baton-kvd" \
		-l "$bench/e2e/pubsub_load" >"$outdir/pubsub.txt"; then
		progress "$step/$steps" "pub/sub FAILED"
		failed="$failed pubsub"
	fi
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$outdir/machine.txt"

# ------------------------------------------------------------ plots
if ! command -v gnuplot >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		progress plot "installing gnuplot-nox (Debian package)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q gnuplot-nox >/dev/null 2>&1; }
	fi
fi
if command -v gnuplot >/dev/null; then
	[ -f "$outdir/e2e/e2e-pairs.csv" ] && cp "$outdir/e2e/e2e-pairs.csv" "$outdir/"
	[ -f "$outdir/thread-split/thread-split-wide.csv" ] &&
		cp "$outdir/thread-split/thread-split-wide.csv" "$outdir/"
	for p in llist handoff table refcount e2e thread-split; do
		csv=$outdir/$p.csv
		[ $p = e2e ] && csv=$outdir/e2e-pairs.csv
		[ $p = thread-split ] && csv=$outdir/thread-split-wide.csv
		[ -s "$csv" ] || continue
		for fmt in png svg; do
			gnuplot -e "dir='$outdir'; out='$p'; fmt='$fmt'" \
				"$plotdir/common.gp" "$plotdir/$p.gp" 2>"$outdir/$p.gnuplot.err" ||
				{ progress plot "$p.$fmt failed (see $outdir/$p.gnuplot.err)"; failed="$failed plot-$p"; }
		done
	done
	progress plot "PNG and SVG plots in $outdir"
else
	progress plot "gnuplot is missing: no plots (as root: apt-get install gnuplot-nox)"
fi

# ------------------------------------------------------------ targets
# One line per target: what, the measured figure, the goal, met or not.
t=$outdir/targets.txt
: >"$t"
target() {	# WHAT VALUE OP GOAL
	local ok
	if [ "$3" = ref ]; then
		printf '%-58s %10s   %s\n' "$1" "${2:--}" "(reference, no target)" >>"$t"
		return
	fi
	if [ -z "$2" ]; then
		printf '%-58s %10s   %s %s  %s\n' "$1" "-" "$3" "$4" "not measured" >>"$t"
		return
	fi
	ok=$(awk -v v="$2" -v g="$4" -v op="$3" 'BEGIN {
		print ((op == ">=" && v + 0 >= g + 0) || (op == "<=" && v + 0 <= g + 0)) ? "met" : "MISSED" }')
	printf '%-58s %10s   %s %s  %s\n' "$1" "$2" "$3" "$4" "$ok" >>"$t"
}
csvget() {	# FILE AWK-CONDITION COLUMN: the value of COLUMN on the matching row
	[ -f "$1" ] && awk -F, "NR > 1 && $2 { print \$$3; exit }" "$1"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b }'; }

for p in 2 3 4; do
	c=$(csvget "$outdir/llist.csv" "\$1 == \"c11\" && \$2 == $p" 6)
	m=$(csvget "$outdir/llist.csv" "\$1 == \"mutex\" && \$2 == $p" 6)
	target "llist / mutex list throughput, $p producers (x)" "$(ratio "$c" "$m")" ">=" 3
done
for k in 1 16; do
	target "handoff round trip / eventfd floor, batch $k (x)" \
		"$(csvget "$outdir/handoff.csv" "\$1 == \"baton\" && \$2 == $k" 13 | xargs printf '%.2f' 2>/dev/null)" "<=" 1.5
	target "handoff p50 round trip / eventfd p50, batch $k (x)" \
		"$(csvget "$outdir/handoff.csv" "\$1 == \"baton\" && \$2 == $k" 14 | xargs printf '%.2f' 2>/dev/null)" "<=" 1.5
done
for r in 1 2; do
	target "RCU lookup CPU ns / unsynchronized floor, $r readers (x)" \
		"$(csvget "$outdir/table.csv" "\$1 == \"rcu\" && \$2 == $r" 13 | xargs printf '%.2f' 2>/dev/null)" "<=" 1.25
done
target "RCU lookups/s / open table + rwlock, 2 readers (x)" \
	"$(csvget "$outdir/table.csv" "\$1 == \"rcu\" && \$2 == 2" 14 | xargs printf '%.2f' 2>/dev/null)" ">=" 5
target "RCU lookups/s / cds_lfht + rwlock, 2 readers (x)" \
	"$(csvget "$outdir/table.csv" "\$1 == \"rcu\" && \$2 == 2" 15 | xargs printf '%.2f' 2>/dev/null)" ">=" 5
e=$outdir/e2e
if [ -f "$e/e2e-pairs.csv" ]; then
	while IFS=, read -r label kr rr k50 r50 k99 r99 io test pipe rat; do
		target "kvd / redis-server requests/s, $label (x)" "$rat" ">=" 1.0
		target "kvd p99 - redis p99, $label (ms)" \
			"$(awk -v a="$k99" -v b="$r99" 'BEGIN { if (a != "" && b != "") printf "%.3f", a - b }')" "<=" 0
	done < <(tail -n +2 "$e/e2e-pairs.csv")
	# kvd with IO workers never slower than kvd with none.
	while IFS=, read -r label kr rr k50 r50 k99 r99 io test pipe rat; do
		[ "$io" = 0 ] && continue
		base=$(awk -F, -v t="$test" -v p="$pipe" '$8 == 0 && $9 == t && $10 == p { print $2 }' "$e/e2e-pairs.csv")
		target "kvd io-threads $io / io-threads 0, $test P$pipe (x)" "$(ratio "$kr" "$base")" ">=" 1.0
	done < <(tail -n +2 "$e/e2e-pairs.csv")
	while IFS=, read -r srv io n before after per cpu_cl threads cpu_idle; do
		if [ "$srv" = kvd ]; then
			target "$srv io $io: idle CPU after load (% of a core)" "$cpu_idle" "<=" 0.05
			target "$srv io $io: bytes per idle client" "$per" "<=" 1024
		else
			target "$srv io $io: idle CPU after load (% of a core)" "$cpu_idle" ref
			target "$srv io $io: bytes per idle client" "$per" ref
		fi
	done < <(tail -n +2 "$e/idle.csv")
fi

# Thread split (Documentation/performance.rst, "Thread split and adaptive
# workers"): kvd's main thread per request with one IO worker, and the
# total CPU per request of kvd with IO workers against kvd without.
ts=$outdir/thread-split/thread-split.csv
if [ -f "$ts" ]; then
	# split_get SERVER TEST CLIENTS PIPELINE COLUMN: one figure of
	# thread-split.csv
	split_get() {
		csvget "$ts" "\$1 == \"$1\" && \$2 == \"$2\" && \$3 == $3 && \$4 == $4" "$5"
	}
	for tst in SET GET; do
		target "kvd io1 main-thread CPU/request, $tst c50 P1 (us)" \
			"$(split_get kvd-io1 $tst 50 1 10)" "<=" 1.0
		target "kvd io1 main-thread CPU/request, $tst c50 P16 (us)" \
			"$(split_get kvd-io1 $tst 50 16 10)" "<=" 0.08
	done
	for srv in kvd-auto kvd-io1; do
		for tst in SET GET; do
			for cp in "1 1" "10 1" "50 1" "50 16"; do
				read -r ncl pipe <<<"$cp"
				target "$srv / kvd-io0 total CPU/request, $tst c$ncl P$pipe (x)" \
					"$(split_get $srv $tst $ncl $pipe 13)" "<=" 1.15
			done
		done
	done
	for tst in SET GET; do
		target "kvd-auto main-thread CPU/request, $tst c50 P1 (us)" \
			"$(split_get kvd-auto $tst 50 1 10)" ref
		target "kvd-auto workers at the end of the runs, $tst c50 P16" \
			"$(split_get kvd-auto $tst 50 16 14)" ref
	done
	target "thread split: busy runs (others took > 5 % of a CPU)" \
		"$(awk -F, 'NR > 1 { n++; if ($18 != "") b++ } END { printf "%d/%d", b, n }' \
			"$outdir/thread-split/thread-split-runs.csv")" ref
fi

# Pub/sub (issue 11): with one IO worker kvd delivers at least 1.5x
# redis-server's messages per server-CPU-second, and no fewer per second.
ps=$outdir/pubsub/pubsub.csv
if [ -f "$ps" ]; then
	target "pub/sub fan-out, kvd io1 / redis io1 deliveries per CPU-s (x)" \
		"$(ratio "$(csvget "$ps" '$1 == "kvd-io1"' 5)" "$(csvget "$ps" '$1 == "redis-io1"' 5)")" ">=" 1.5
	target "pub/sub fan-out, kvd io1 / redis io1 deliveries per s (x)" \
		"$(ratio "$(csvget "$ps" '$1 == "kvd-io1"' 3)" "$(csvget "$ps" '$1 == "redis-io1"' 3)")" ">=" 1.0
	pl=$outdir/pubsub/pubsub-latency.csv
	for srv in kvd-io2 redis-io1; do
		target "pub/sub latency p50, $srv (us)" "$(csvget "$pl" "\$1 == \"$srv\"" 3)" ref
		target "pub/sub latency p99, $srv (us)" "$(csvget "$pl" "\$1 == \"$srv\"" 4)" ref
	done
fi

echo
cat "$outdir/machine.txt"
echo
for f in llist handoff table refcount free rcu e2e lru thread-split pubsub; do
	[ -f "$outdir/$f.txt" ] || continue
	echo "==== $f"
	cat "$outdir/$f.txt"
	echo
done
echo "==== targets (Documentation/performance.rst)"
cat "$t"
echo
echo "results: $outdir"
if [ -n "$failed" ]; then
	echo "run_bench: failed:$failed" >&2
	exit 1
fi
exit 0
