#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pubsub.sh - pub/sub fan-out and latency, baton-kvd against Debian's
# redis-server, in one run.
#
# Fan-out: SUBS subscribers on one channel (spread over the IO workers:
# baton gives each new connection the least loaded one) and one
# publisher keeping DEPTH PUBLISHes in flight until MSGS are published;
# the run ends when every subscriber has every message.  Servers:
# kvd --io-threads 1 (main + one IO worker), kvd --io-threads auto, and
# redis-server --io-threads 1 (its default: one thread); each REPS times,
# the servers taking turns in an order that rotates with each repetition.
# Figures per run: messages delivered per second (MSGS x SUBS over the
# wall time) and server CPU microseconds per delivered message (the CPU
# time of all the server's threads, /proc/PID/task/*/schedstat, before
# and after).  The client is tools/bench/e2e/pubsub_load (built by make).
#
# Latency: one subscriber and one publisher, each PUBLISH sent when the
# previous message arrived; the time from the send to the whole message
# read, p50 and p99.  kvd runs it with --io-threads 2, so that the
# subscriber and the publisher are on different IO workers (the output
# says where each was); redis-server with its one thread.
#
# The target (Documentation/performance.rst, issue 11): with one IO
# worker kvd delivers at least 1.5x redis-server's messages per
# server-CPU-second, and no fewer messages per second.  The summary
# prints both ratios with MET or MISSED; run_bench.sh puts them into its
# targets.txt.  On a small or shared machine the client competes with
# the servers for the CPUs: the figures are for a quiet box.
#
# Output under OUTDIR: pubsub-runs.csv (every run), pubsub.csv (each
# server: the medians), header.txt and the servers' logs; a table on
# stdout, progress on stderr.
#
# Usage: pubsub.sh [-o OUTDIR] [-k KVD] [-l LOAD] [-r REPS] [-s SUBS]
#                  [-n MSGS] [-d DEPTH] [-z SIZE] [-q]
set -u

here=$(cd "$(dirname "$0")" && pwd)
srctree=$(cd "$here/../../.." && pwd)
objtree=${BATON_OBJTREE:-$srctree/build/gcc}
outdir=$objtree/bench/pubsub
kvd=""
load=""
reps=3
subs=16
msgs=200000
depth=64
size=64
lat_msgs=20000
quick=0

usage() {
	cat <<EOF
usage: pubsub.sh [-o DIR] [-k PATH] [-l PATH] [-r N] [-s N] [-n N] [-d N] [-z N] [-q]
  -o DIR    output directory (default $outdir)
  -k PATH   the baton-kvd binary (default: OBJTREE/tools/kvd/baton-kvd)
  -l PATH   the load client (default: OBJTREE/tools/bench/e2e/pubsub_load)
  -r N      repetitions of each server's fan-out run ($reps)
  -s N      subscribers ($subs)
  -n N      messages published per fan-out run ($msgs)
  -d N      PUBLISHes in flight ($depth)
  -z N      message size in bytes ($size)
  -q        quick: 1 repetition, 2000 messages, 500 for the latency
            (checks the pipeline; the figures mean nothing)
EOF
}

while getopts "o:k:l:r:s:n:d:z:qh" opt; do
	case $opt in
	o) outdir=$OPTARG ;;
	k) kvd=$OPTARG ;;
	l) load=$OPTARG ;;
	r) reps=$OPTARG ;;
	s) subs=$OPTARG ;;
	n) msgs=$OPTARG ;;
	d) depth=$OPTARG ;;
	z) size=$OPTARG ;;
	q) quick=1; reps=1; msgs=2000; lat_msgs=500 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

mkdir -p "$outdir" || exit 1
outdir=$(cd "$outdir" && pwd)
[ -n "$kvd" ] || kvd=$objtree/tools/kvd/baton-kvd
[ -n "$load" ] || load=$objtree/tools/bench/e2e/pubsub_load

progress() { printf '[pubsub] %s\n' "$*" >&2; }
die() { printf 'pubsub: %s\n' "$*" >&2; exit 1; }

command -v redis-server >/dev/null || die "redis-server is missing (Debian: apt-get install redis-server)"
command -v redis-cli >/dev/null || die "redis-cli is missing (Debian: apt-get install redis-tools)"
[ -x "$kvd" ] || die "baton-kvd not found at $kvd (make)"
[ -x "$load" ] || die "pubsub_load not found at $load (make)"
[ -r /proc/self/schedstat ] || die "/proc/PID/schedstat is missing: no CPU time per thread"

# NAME|KIND|IO-ARG: the fan-out servers, then the latency ones.
fan_servers=("kvd-io1|kvd|1" "kvd-auto|kvd|auto" "redis-io1|redis|1")
lat_servers=("kvd-io2|kvd|2" "redis-io1|redis|1")

# The servers: server_start, servers_stop, server_cpu_ns (servers.sh).
. "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
trap servers_stop EXIT
trap 'exit 130' INT TERM


# fanout NAME REP: one fan-out run, one line of pubsub-runs.csv.
fanout() {
	local name=$1 rep=$2 c0 c1 out delivered secs rate
	c0=$(server_cpu_ns "${pid_of[$name]}")
	out=$("$load" fanout -p "${port_of[$name]}" -s "$subs" -n "$msgs" \
		-d "$depth" -z "$size") || { progress "$name: pubsub_load failed"; failed=1; return; }
	c1=$(server_cpu_ns "${pid_of[$name]}")
	delivered=$(sed -n 's/.*delivered=\([0-9]*\).*/\1/p' <<<"$out")
	secs=$(sed -n 's/.*secs=\([0-9.]*\).*/\1/p' <<<"$out")
	rate=$(sed -n 's/.*per_sec=\([0-9.]*\).*/\1/p' <<<"$out")
	awk -v OFS=, -v n="$name" -v r="$rep" -v d="$delivered" -v s="$secs" \
		-v rate="$rate" -v cpu=$((c1 - c0)) -v load="$(cut -d' ' -f1 /proc/loadavg)" \
		'BEGIN { print n, r, d, s, rate, sprintf("%.4f", cpu / 1e3 / d),
		  sprintf("%.0f", d / (cpu / 1e9)), load }' >>"$runs_csv"
}

runs_csv=$outdir/pubsub-runs.csv
lat_csv=$outdir/pubsub-latency.csv
echo "server,rep,delivered,secs,msgs_per_sec,cpu_us_per_msg,msgs_per_cpu_sec,load" >"$runs_csv"
echo "server,messages,p50_us,p99_us,sub_thread,pub_thread" >"$lat_csv"
failed=0
{
	echo "# pubsub: $(nproc) CPUs, $(uname -r), $(redis-server --version | sed 's/ sha=.*//')"
	echo "# fan-out: $subs subscribers, $msgs messages of $size bytes, depth $depth, $reps repetitions$([ $quick = 1 ] && echo ', quick: the figures mean nothing')"
	echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$outdir/header.txt"

for s in "${fan_servers[@]}" "${lat_servers[@]}"; do
	IFS='|' read -r name kind io <<<"$s"
	if [ "$kind" = kvd ]; then
		server_start "$name" kvd "$io" --max-io-threads 2
	else
		server_start "$name" redis "$io"
	fi
	progress "$name: pid ${pid_of[$name]} port ${port_of[$name]}"
done

names=("${fan_servers[@]%%|*}")
nsrv=${#names[@]}
for rep in $(seq "$reps"); do
	for i in $(seq 0 $((nsrv - 1))); do
		name=${names[$(((i + rep - 1) % nsrv))]}
		progress "fan-out $rep/$reps: $name"
		fanout "$name" "$rep"
	done
done
for s in "${lat_servers[@]}"; do
	name=${s%%|*}
	progress "latency: $name"
	out=$("$load" latency -p "${port_of[$name]}" -n "$lat_msgs" -z "$size") ||
		{ progress "$name: pubsub_load latency failed"; failed=1; continue; }
	sed -n 's/^n=\([0-9]*\) p50_us=\([0-9.]*\) p99_us=\([0-9.]*\) sub_thread=\(.*\) pub_thread=\(.*\)$/'"$name"',\1,\2,\3,\4,\5/p' \
		<<<"$out" >>"$lat_csv"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$outdir/header.txt"

# Each server: the median of its repetitions, figure by figure; then the
# target's two ratios.
awk -F, -v OFS=, '
	NR == 1 { next }
	{ n[$1]++; rate[$1, n[$1]] = $5; cpu[$1, n[$1]] = $6; per[$1, n[$1]] = $7
	  if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
	function med(a, s, c,   i, j, t, v) {
		for (i = 1; i <= c; i++) v[i] = a[s, i] + 0
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++)
			if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
	}
	END {
		print "server,reps,msgs_per_sec,cpu_us_per_msg,msgs_per_cpu_sec"
		for (i = 1; i <= k; i++) {
			s = order[i]
			printf "%s,%d,%.0f,%.4f,%.0f\n", s, n[s], med(rate, s, n[s]),
				med(cpu, s, n[s]), med(per, s, n[s])
		}
	}' "$runs_csv" >"$outdir/pubsub.csv"

get() { awk -F, -v s="$1" -v c="$2" 'NR > 1 && $1 == s { print $c; exit }' "$outdir/pubsub.csv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v g="$2" 'BEGIN { print (v != "" && v + 0 >= g + 0) ? "MET" : "MISSED" }'; }
cpu_x=$(ratio "$(get kvd-io1 5)" "$(get redis-io1 5)")
rate_x=$(ratio "$(get kvd-io1 3)" "$(get redis-io1 3)")

echo
cat "$outdir/header.txt"
echo "# fan-out (medians): deliveries/s, server CPU us per delivery, deliveries per server-CPU-second"
column -s, -t "$outdir/pubsub.csv"
echo
echo "# latency, PUBLISH to the subscriber's whole message (kvd: --io-threads 2)"
column -s, -t "$lat_csv"
echo
echo "# target: kvd io1 / redis io1, deliveries per server-CPU-second >= 1.5: ${cpu_x:--} $(verdict "$cpu_x" 1.5)"
echo "# target: kvd io1 / redis io1, deliveries per second >= 1.0: ${rate_x:--} $(verdict "$rate_x" 1.0)"
echo
echo "CSV: $outdir/pubsub.csv $runs_csv $lat_csv"
[ $failed = 0 ] || { echo "pubsub: some runs failed" >&2; exit 1; }
exit 0
