#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# thread_split.sh - where a server's CPU goes per request, main thread
# against IO threads: baton-kvd with --io-threads 0, 1 and auto against
# Debian's redis-server with --io-threads 1 and 2, in one run.
#
# Every server is started once, on loopback, and stays up for the whole
# run.  For each test (SET and GET; 1, 10 and 50 clients at pipeline 1,
# and 50 clients at pipeline 16; random keys, -r 100000) each server gets
# a warm-up that sizes its measured runs (at most REQUESTS, about
# RUN_SECS seconds at the warm-up's rate, at least 5000), then REPS
# measured runs, the servers taking turns in an order that rotates with
# each repetition.  Around each measured run the script reads
#   - the CPU time of every thread of the server, in nanoseconds
#     (/proc/PID/task/TID/schedstat), sorted by the thread's name
#     (/proc/PID/task/TID/comm): the main thread is the one whose tid is
#     the pid; IO threads are kvd's "baton-io/N" and redis's "io_thd_N";
#     the rest (liburcu's call_rcu thread, redis's bio and jemalloc
#     threads) is "other";
#   - the load average (/proc/loadavg) before and after, and the
#     machine's busy CPU time (/proc/stat) less what the server and
#     redis-benchmark used: the CPU that other processes took meanwhile,
#     as a share of one CPU (other_cpu).  A run is marked "busy" when
#     other_cpu is above 5 %, or, for the first run, when the load
#     average was above 0.5 at its start.  After the first run the load
#     average mostly counts this script's own runs (it decays over
#     minutes), so other_cpu is what tells a quiet machine then;
#   - for kvd, INFO baton: io_workers just after the run and
#     io_activations before and after (did auto activate a worker?).
# redis-benchmark runs on the same CPUs as the servers; on a small
# machine its rate is bound by the client.  CPU time per request is the
# robust figure: it does not count the time a thread waits for a CPU.
#
# IO threads: kvd's --io-threads N is N IO threads besides main, auto
# lets the library activate them as main gets busy (when the binary has
# no auto, that server is left out and the run says so); redis-server 7
# counts main in io-threads, so redis io1 has no IO thread and redis io2
# one, with --io-threads-do-reads yes.  Persistence is off on both.
#
# Output under OUTDIR: thread-split-runs.csv (every measured run),
# thread-split.csv (each server and test: the median of the repetitions
# of each figure), thread-split-wide.csv (one line per test: the
# requests/s of each server, then their total CPU, main CPU and total
# against single-threaded per request, for the plot), header.txt and
# the servers' logs; a table on stdout, progress on stderr.  tools/bench/run_bench.sh runs it and
# checks the figures against Documentation/performance.rst's targets.
#
# Usage: thread_split.sh [-o OUTDIR] [-k KVD] [-r REPS] [-n REQUESTS_P1]
#                        [-N REQUESTS_P16] [-T RUN_SECS] [-q]
set -u

here=$(cd "$(dirname "$0")" && pwd)
srctree=$(cd "$here/../../.." && pwd)
outdir=${BATON_OBJTREE:-$srctree/build/gcc}/bench/thread-split
kvd=""
reps=3
n_p1=200000
n_p16=1000000
run_secs=2
quick=0
keyspace=100000
# A run is "busy" above this share of one CPU taken by other processes
# (or, for the first run, above this load average at its start).
busy_cpu=0.05
busy_load=0.5

usage() {
	cat <<EOF
usage: thread_split.sh [-o DIR] [-k PATH] [-r N] [-n N] [-N N] [-T S] [-q]
  -o DIR    output directory (default $outdir)
  -k PATH   the baton-kvd binary (default: DIR/../../tools/kvd/baton-kvd)
  -r N      measured repetitions of each test and server (3)
  -n N      at most N requests per run at pipeline 1 (200000)
  -N N      at most N requests per run at pipeline 16 (1000000)
  -T S      aim each measured run at about S seconds (2)
  -q        quick: no warm-up, 1 repetition, a few hundred requests per
            run (checks the pipeline; the figures mean nothing)
EOF
}

while getopts "o:k:r:n:N:T:qh" opt; do
	case $opt in
	o) outdir=$OPTARG ;;
	k) kvd=$OPTARG ;;
	r) reps=$OPTARG ;;
	n) n_p1=$OPTARG ;;
	N) n_p16=$OPTARG ;;
	T) run_secs=$OPTARG ;;
	q) quick=1; reps=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

mkdir -p "$outdir" || exit 1
outdir=$(cd "$outdir" && pwd)
[ -n "$kvd" ] || kvd=$(cd "$outdir/../.." && pwd)/tools/kvd/baton-kvd

progress() { printf '[split] %s\n' "$*" >&2; }
die() { printf 'thread_split: %s\n' "$*" >&2; exit 1; }

for c in redis-server redis-benchmark redis-cli python3; do
	command -v $c >/dev/null ||
		die "$c is missing (Debian: apt-get install redis-server redis-tools python3)"
done
[ -r /proc/self/schedstat ] || die "/proc/PID/schedstat is missing: no per-thread CPU time"

# ------------------------------------------------------------ servers
# NAME|KIND|IO-ARG: the servers of the run, in their first order.
servers=()
if [ -x "$kvd" ]; then
	servers+=("kvd-io0|kvd|0" "kvd-io1|kvd|1")
	if "$kvd" --help 2>&1 | grep -q 'io-threads N|auto'; then
		servers+=("kvd-auto|kvd|auto")
	else
		progress "this baton-kvd has no --io-threads auto: kvd-auto left out"
	fi
else
	progress "baton-kvd not found at $kvd: redis-server alone"
fi
servers+=("redis-io1|redis|1" "redis-io2|redis|2")

# The servers: server_start, servers_stop, server_cpu_ns (servers.sh).
. "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
trap servers_stop EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ measures
# cpu_snapshot PID: "tid class ns" per thread; class is main, io or other.
cpu_snapshot() {
	local t tid comm ns rest class
	for t in /proc/"$1"/task/*; do
		tid=${t##*/}
		read -r ns rest <"$t/schedstat" 2>/dev/null || continue
		read -r comm <"$t/comm" 2>/dev/null || comm=""
		if [ "$tid" = "$1" ]; then
			class=main
		else
			case $comm in
			baton-io/*|io_thd_*) class=io ;;
			*) class=other ;;
			esac
		fi
		echo "$tid $class $ns"
	done
}

# busy_ticks: the machine's busy CPU time so far, in clock ticks
# (user, nice, system, irq, softirq, steal of /proc/stat's cpu line).
busy_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# children_ticks: user + system CPU time of this script's reaped children
# (redis-benchmark, once the command substitution that ran it is reaped),
# in clock ticks: cutime and cstime of /proc/$$/stat ($$ is this shell's
# pid, in a subshell too; its name, field 2, is "bash": no spaces).
children_ticks() {
	awk '{ print $16 + $17 }' /proc/$$/stat
}

# info PORT: "io_workers io_activations" of kvd's INFO baton.
info() {
	redis-cli -p "$1" info baton 2>/dev/null | tr -d '\r' |
		awk -F: '{ v[$1] = $2 } END { print v["io_workers"], v["io_activations"] }'
}

# bench PORT TEST CLIENTS PIPELINE REQUESTS: one redis-benchmark run;
# prints its requests/s.
bench() {
	redis-benchmark -h 127.0.0.1 -p "$1" -t "$2" -c "$3" -P "$4" -n "$5" \
		-r "$keyspace" --csv 2>/dev/null |
		awk -F'"' 'NR == 2 { print $4 }'
}

# measure NAME TEST CLIENTS PIPELINE REQUESTS REP: one measured run, one
# line of thread-split-runs.csv.
measure() {
	local name=$1 t=$2 c=$3 p=$4 n=$5 rep=$6
	local pid=${pid_of[$1]} port=${port_of[$1]} kind=${kind_of[$1]}
	local l0 l1 b0 b1 k0 k1 w0 w1 rps act0="" act1="" iow="" s0 s1
	[ "$kind" = kvd ] && read -r _ act0 < <(info "$port")
	s0=$(cpu_snapshot "$pid")
	l0=$(load1)
	b0=$(busy_ticks)
	k0=$(children_ticks)
	w0=$(date +%s%N)
	rps=$(bench "$port" "$t" "$c" "$p" "$n")
	w1=$(date +%s%N)
	k1=$(children_ticks)
	b1=$(busy_ticks)
	l1=$(load1)
	s1=$(cpu_snapshot "$pid")
	[ "$kind" = kvd ] && read -r iow act1 < <(info "$port")
	[ -n "$rps" ] || { progress "$name: redis-benchmark failed"; failed=1; }
	printf '%s\n--\n%s\n' "$s0" "$s1" | awk -v OFS=, -v name="$name" \
		-v t="${t^^}" -v c="$c" -v p="$p" -v rep="$rep" -v n="$n" \
		-v rps="$rps" -v iow="$iow" -v act0="$act0" -v act1="$act1" \
		-v l0="$l0" -v l1="$l1" -v hz="$(getconf CLK_TCK)" \
		-v db=$((b1 - b0)) -v dk=$((k1 - k0)) -v wall=$((w1 - w0)) \
		-v bcpu="$busy_cpu" -v bload="$busy_load" -v first="$first_run" '
		$1 == "--" { after = 1; next }
		!after { base[$1] = $3; next }
		{
			x = $3 - base[$1]	# a thread started during the run: all of it
			d[$2] += x
			if (x > 0) ran++
		}
		END {
			tot = d["main"] + d["io"] + d["other"]
			# The busy CPU that neither the server nor redis-benchmark
			# used, as a share of one CPU over the run.
			secs = wall / 1e9
			other = (db - dk) / hz - tot / 1e9
			other = (secs > 0 && other > 0) ? other / secs : 0
			warn = (other > bcpu || (first && l0 > bload)) ? "busy" : ""
			print name, t, c, p, rep, n, rps,
				sprintf("%.4f", tot / n / 1e3),
				sprintf("%.4f", d["main"] / n / 1e3),
				sprintf("%.4f", d["io"] / n / 1e3),
				sprintf("%.4f", d["other"] / n / 1e3), ran + 0,
				iow, (act0 != "" ? act1 - act0 : ""), l0, l1,
				sprintf("%.3f", other), warn
		}' >>"$runs_csv"
}

# ------------------------------------------------------------ the run
runs_csv=$outdir/thread-split-runs.csv
echo "server,test,clients,pipeline,rep,requests,rps,total_us_per_req,main_us_per_req,io_us_per_req,other_us_per_req,threads_ran,io_workers_end,activations,load_before,load_after,other_cpu,warn" >"$runs_csv"
cells="set,1,1 set,10,1 set,50,1 set,50,16 get,1,1 get,10,1 get,50,1 get,50,16"
failed=0
first_run=1
{
	echo "# thread_split: $(nproc) CPUs, $(uname -r), $(redis-server --version | sed 's/ sha=.*//')"
	echo "# servers: $(printf '%s ' "${servers[@]%%|*}")"
	echo "# keyspace $keyspace, $reps repetitions$([ $quick = 1 ] && echo ', quick: the figures mean nothing')"
	echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$outdir/header.txt"

for s in "${servers[@]}"; do
	IFS='|' read -r name kind io <<<"$s"
	if [ "$kind" = kvd ]; then
		server_start "$name" kvd "$io"
	else
		server_start "$name" redis "$io" --io-threads-do-reads yes
	fi
	progress "$name: pid ${pid_of[$name]} port ${port_of[$name]}"
done
names=("${servers[@]%%|*}")
nsrv=${#names[@]}
total=$((8 * reps * nsrv))
done_runs=0

for cell in $cells; do
	IFS=, read -r t c p <<<"$cell"
	max=$n_p1
	[ "$p" = 16 ] && max=$n_p16
	declare -A req_of
	for name in "${names[@]}"; do
		if [ $quick = 1 ]; then
			req_of[$name]=$((p == 16 ? 4000 : (c == 1 ? 200 : 1000)))
			continue
		fi
		progress "$name ${t^^} -c $c -P $p: warm-up, $((max / 50)) requests"
		r=$(bench "${port_of[$name]}" "$t" "$c" "$p" $((max / 50)))
		req_of[$name]=$(awk -v r="${r:-0}" -v m="$max" -v s="$run_secs" \
			'BEGIN { n = r * s; if (n > m) n = m; if (n < 5000) n = m < 5000 ? m : 5000; printf "%d", n }')
	done
	for rep in $(seq "$reps"); do
		for i in $(seq 0 $((nsrv - 1))); do
			name=${names[$(((i + rep - 1) % nsrv))]}
			done_runs=$((done_runs + 1))
			progress "$done_runs/$total: $name ${t^^} -c $c -P $p, ${req_of[$name]} requests"
			measure "$name" "$t" "$c" "$p" "${req_of[$name]}" "$rep"
			first_run=0
		done
	done
	unset req_of
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$outdir/header.txt"

# ------------------------------------------------------------ report
# Each server and test: the median repetition of each figure (taken
# figure by figure), the spread of the total, the worker counts seen at
# the end of the runs, and the total against the same server without an
# IO thread (kvd-io0 for kvd, redis-io1 for redis).  Then the same,
# one line per test, the servers side by side, for the plot.
python3 - "$runs_csv" "$outdir/thread-split.csv" "$outdir/thread-split-wide.csv" <<'PYEOF'
import csv
import statistics
import sys

runs, out, wide = sys.argv[1:4]
order = ["kvd-io0", "kvd-io1", "kvd-auto", "redis-io1", "redis-io2"]
single = {"kvd": "kvd-io0", "redis": "redis-io1"}
cells, groups = [], {}
with open(runs, newline="") as f:
    for r in csv.DictReader(f):
        cell = (r["test"], r["clients"], r["pipeline"])
        if cell not in cells:
            cells.append(cell)
        groups.setdefault((r["server"], cell), []).append(r)


def med(rs, key):
    v = [float(r[key]) for r in rs if r[key] not in ("", None)]
    return statistics.median(v) if v else None


def fmt(x, nd):
    return "" if x is None else f"{x:.{nd}f}"


rows = {}
for (srv, cell), rs in groups.items():
    tot = [float(r["total_us_per_req"]) for r in rs]
    rows[srv, cell] = {
        "server": srv, "test": cell[0], "clients": cell[1],
        "pipeline": cell[2], "reps": len(rs),
        "rps": fmt(med(rs, "rps"), 0),
        "total_us_per_req": fmt(med(rs, "total_us_per_req"), 4),
        "min_total_us": fmt(min(tot), 4), "max_total_us": fmt(max(tot), 4),
        "main_us_per_req": fmt(med(rs, "main_us_per_req"), 4),
        "io_us_per_req": fmt(med(rs, "io_us_per_req"), 4),
        "other_us_per_req": fmt(med(rs, "other_us_per_req"), 4),
        "io_workers_end": "/".join(r["io_workers_end"] for r in rs
                                   if r["io_workers_end"]),
        "activations": str(sum(int(r["activations"]) for r in rs
                               if r["activations"])) if srv.startswith("kvd") else "",
        "busy_reps": str(sum(1 for r in rs if r["warn"])),
    }
for (srv, cell), r in rows.items():
    base = rows.get((single[srv.split("-")[0]], cell))
    x = ""
    if base and base["total_us_per_req"] and float(base["total_us_per_req"]) > 0:
        x = fmt(float(r["total_us_per_req"]) / float(base["total_us_per_req"]), 3)
    r["x_total_vs_single"] = x

cols = ["server", "test", "clients", "pipeline", "reps", "rps",
        "total_us_per_req", "min_total_us", "max_total_us",
        "main_us_per_req", "io_us_per_req", "other_us_per_req",
        "x_total_vs_single", "io_workers_end", "activations", "busy_reps"]
with open(out, "w", newline="") as f:
    w = csv.DictWriter(f, cols, lineterminator="\n")
    w.writeheader()
    for cell in cells:
        for srv in order:
            if (srv, cell) in rows:
                w.writerow(rows[srv, cell])

present = [s for s in order if any(k[0] == s for k in rows)]
with open(wide, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    head = ["label"] + present
    for key in ("total", "main", "x_total"):
        head += [f"{s}_{key}" for s in present]
    w.writerow(head)
    for cell in cells:
        t, c, p = cell
        line = [f"{t} c{c}" + (f" P{p}" if p != "1" else "")]
        for key in ("rps", "total_us_per_req", "main_us_per_req",
                    "x_total_vs_single"):
            line += [rows[s, cell][key] if (s, cell) in rows else ""
                     for s in present]
        w.writerow(line)
PYEOF
[ $? = 0 ] || failed=1

echo
cat "$outdir/header.txt"
echo "# us/req: server CPU time per request, all threads (total), the main"
echo "# thread, the IO threads; x1: total / the same server with no IO thread"
cut -d, -f1-4,6,7,10,11,13,14,16 "$outdir/thread-split.csv" |
	sed '1s/.*/server,test,c,P,req\/s,total_us\/req,main_us\/req,io_us\/req,x1,workers_end,busy_reps/' |
	column -s, -t
echo
echo "CSV: $outdir/thread-split.csv $outdir/thread-split-runs.csv"
[ $failed = 0 ] || { echo "thread_split: some runs failed" >&2; exit 1; }
exit 0
