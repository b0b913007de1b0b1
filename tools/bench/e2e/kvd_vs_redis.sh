#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvd_vs_redis.sh - baton-kvd against Debian's redis-server, side by side
# in one run: redis-benchmark throughput and latency, memory per idle
# client and CPU used while idle after load.
#
# For each IO-threads setting N (default 0 1 2) both servers are started
# on loopback with the same settings, then:
#   1. memory: RSS before and after IDLE connections (default 5000) that
#      each sent one PING and stay open; CPU used meanwhile;
#   2. load: redis-benchmark SET and GET, 50 clients, pipeline 1 and 16,
#      random keys (-r 100000), against kvd then redis-server, REPS times
#      in turn; the median repetition is reported.  Each server, test and
#      pipeline first gets a warm-up run of 1/20 of the requests, which
#      also sizes the measured runs: at most REQUESTS, and no more than
#      about RUN_SECS seconds at the warm-up's rate (at least 5000), so a
#      slow configuration does not take minutes;
#   3. idle after load: CPU time both servers use over IDLE_SECS with no
#      client at all.
#
# IO threads: kvd's --io-threads N is N baton IO workers besides the main
# thread (0 = the main thread does all IO).  redis-server 7 counts the
# main thread in io-threads, so kvd N is run against redis-server
# --io-threads N+1 --io-threads-do-reads yes (io-threads 1 = no IO thread).
# Both run with persistence off (redis: save "", appendonly no; kvd has
# none) and maxclients above IDLE.
#
# Output: a table on stdout, and under OUTDIR e2e.csv (one line per
# server, setting, test and pipeline), idle.csv (memory and idle CPU) and
# the servers' logs.  Progress lines go to stderr.  redis-server and
# redis-benchmark come from Debian's redis-server package: installed here
# when missing and running as root, else the script says what to run.
#
# Usage: kvd_vs_redis.sh [-o OUTDIR] [-k KVD] [-t "0 1 2"] [-r REPS]
#                        [-n REQUESTS_P1] [-N REQUESTS_P16] [-i IDLE]
#                        [-s IDLE_SECS] [-T RUN_SECS] [-q]
set -u

here=$(cd "$(dirname "$0")" && pwd)
srctree=$(cd "$here/../../.." && pwd)
outdir=${BATON_OBJTREE:-$srctree/build/gcc}/bench/e2e
kvd=""
settings="0 1 2"
reps=3
n_p1=200000
n_p16=1000000
idle=5000
idle_secs=5
run_secs=3
clients=50
keyspace=100000

usage() {
	cat <<EOF
usage: kvd_vs_redis.sh [-o DIR] [-k PATH] [-t LIST] [-r N] [-n N] [-N N]
                       [-i N] [-s S] [-T S] [-q]
  -o DIR    output directory (default $outdir)
  -k PATH   the baton-kvd binary (default: DIR/../../tools/kvd/baton-kvd)
  -t LIST   kvd IO-thread settings, e.g. "0 1 2" (redis gets N+1)
  -r N      repetitions of each benchmark, alternating servers (3)
  -n N      requests per run at pipeline 1 (200000)
  -N N      requests per run at pipeline 16 (1000000)
  -i N      idle connections for the memory figure (5000)
  -s S      seconds of idle CPU measurement (5)
  -T S      aim each measured run at about S seconds (3)
  -q        quick: 2000/20000 requests, 1 repetition, 200 idle
            connections, 1 s idle (a smoke run, not a measurement)
EOF
}

while getopts "o:k:t:r:n:N:i:s:T:qh" opt; do
	case $opt in
	o) outdir=$OPTARG ;;
	k) kvd=$OPTARG ;;
	t) settings=$OPTARG ;;
	r) reps=$OPTARG ;;
	n) n_p1=$OPTARG ;;
	N) n_p16=$OPTARG ;;
	i) idle=$OPTARG ;;
	s) idle_secs=$OPTARG ;;
	T) run_secs=$OPTARG ;;
	q) n_p1=2000; n_p16=20000; reps=1; idle=200; idle_secs=1; run_secs=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

mkdir -p "$outdir" || exit 1
outdir=$(cd "$outdir" && pwd)
[ -n "$kvd" ] || kvd=$(cd "$outdir/../.." && pwd)/tools/kvd/baton-kvd

progress() { printf '[e2e] %s\n' "$*" >&2; }
die() { printf 'kvd_vs_redis: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------ dependencies
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		progress "installing redis-server (Debian package)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q redis-server >/dev/null; } ||
			die "could not install redis-server"
		# The package starts a system instance on 6379; we start our own.
		systemctl stop redis-server 2>/dev/null || true
	else
		die "redis-server and redis-benchmark are missing: run 'apt-get install redis-server' as root"
	fi
fi
command -v python3 >/dev/null || die "python3 is missing (apt-get install python3)"
have_kvd=1
if [ ! -x "$kvd" ]; then
	have_kvd=0
	progress "baton-kvd not found at $kvd: measuring redis-server alone"
fi

# Each idle connection is one fd in the server and one in the client.
ulimit -n $((idle + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((idle + 256)) ]; then
	idle=$(($(ulimit -n) - 256))
	progress "fd limit $(ulimit -n): using $idle idle connections"
fi
maxclients=$((idle + 100))

# ------------------------------------------------------------ processes
pids=""
cleanup() {
	local p
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	pids=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nobody listens on, in a range other tests do not use.
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# wait_ready PORT PID: until the server answers PING (10 s at most).
wait_ready() {
	local i
	for i in $(seq 100); do
		kill -0 "$2" 2>/dev/null || return 1
		[ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	return 1
}

# start_server NAME N: start it with N IO threads (kvd's sense); sets
# $srv_pid and $srv_port.
start_server() {
	local name=$1 n=$2 port try log
	for try in 1 2 3; do
		port=$(free_port) || die "no free port"
		log=$outdir/$name-io$n.log
		if [ "$name" = kvd ]; then
			"$kvd" --port "$port" --bind 127.0.0.1 --io-threads "$n" \
				--maxclients "$maxclients" >"$log" 2>&1 &
		else
			redis-server --port "$port" --bind 127.0.0.1 \
				--io-threads $((n + 1)) --io-threads-do-reads yes \
				--save "" --appendonly no --maxclients "$maxclients" \
				--protected-mode no --daemonize no \
				--dir "$outdir" --logfile "" >"$log" 2>&1 &
		fi
		srv_pid=$!
		pids="$pids $srv_pid"
		if wait_ready "$port" "$srv_pid"; then
			srv_port=$port
			return 0
		fi
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
	done
	die "$name did not start (see $log)"
}

stop_server() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	pids=$(echo "$pids" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# CPU time of every thread of a process, in ns (schedstat: exact, not
# rounded to clock ticks).
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null |
		awk '{ s += $1 } END { printf "%.0f\n", s }'
}

threads_of() { ls /proc/"$1"/task | wc -l; }

# idle_mem NAME PID PORT N: RSS growth for $idle idle clients, and the
# CPU the server used while they sat idle for $idle_secs.
idle_mem() {
	local name=$1 pid=$2 port=$3 n=$4 before after cpid ready c0 c1 i
	sleep 0.5
	before=$(rss_kb "$pid")
	python3 "$here/idle_clients.py" --port "$port" -n "$idle" \
		>"$outdir/idle-$name.out" 2>&1 &
	cpid=$!
	pids="$pids $cpid"
	ready=0
	for i in $(seq 600); do
		grep -q '^ready' "$outdir/idle-$name.out" && { ready=1; break; }
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	if [ $ready = 0 ]; then
		progress "$name: idle clients failed: $(cat "$outdir/idle-$name.out")"
		stop_server "$cpid"
		echo "$name,$n,$idle,$before,,,,,$(threads_of "$pid")" >>"$idle_csv.mem"
		return 1
	fi
	sleep 1
	after=$(rss_kb "$pid")
	c0=$(cpu_ns "$pid")
	sleep "$idle_secs"
	c1=$(cpu_ns "$pid")
	stop_server "$cpid"
	echo "$name,$n,$idle,$before,$after,$(( (after - before) * 1024 / idle )),$(awk -v d=$((c1 - c0)) -v s="$idle_secs" 'BEGIN { printf "%.3f", d / (s * 1e9) * 100 }'),$(threads_of "$pid")" >>"$idle_csv.mem"
}

# bench NAME PORT TEST PIPELINE REQUESTS: one redis-benchmark run; prints
# "rps,avg_ms,p50_ms,p99_ms".
bench() {
	redis-benchmark -h 127.0.0.1 -p "$2" -c "$clients" -n "$5" -P "$4" \
		-r "$keyspace" -t "$3" --csv 2>/dev/null |
		awk -F'"' 'NR == 2 { print $4 "," $6 "," $10 "," $14 }'
}

# ------------------------------------------------------------ the run
e2e_csv=$outdir/e2e.csv
idle_csv=$outdir/idle.csv
runs_csv=$outdir/e2e-runs.csv
: >"$idle_csv.mem"
: >"$idle_csv.cpu"
echo "server,io_threads,redis_io_threads,test,pipeline,rep,requests,rps,avg_ms,p50_ms,p99_ms" >"$runs_csv"

servers="redis"
[ $have_kvd = 1 ] && servers="kvd redis"
nr_settings=$(echo $settings | wc -w)
total=$((nr_settings * reps * 2 * 2 * $(echo $servers | wc -w)))
done_runs=0
{
	echo "# kvd_vs_redis: $(nproc) CPUs, $(uname -r), $(redis-server --version | sed 's/ sha=.*//')"
	echo "# $clients clients, keyspace $keyspace, $n_p1 requests at -P 1, $n_p16 at -P 16, $reps repetitions, $idle idle clients"
} | tee "$outdir/header.txt"

for n in $settings; do
	declare -A pid_of port_of
	for s in $servers; do
		start_server "$s" "$n"
		pid_of[$s]=$srv_pid
		port_of[$s]=$srv_port
		progress "$s io-threads $n: pid $srv_pid port $srv_port, $(threads_of "$srv_pid") threads"
	done

	for s in $servers; do
		progress "$s io-threads $n: $idle idle clients"
		idle_mem "$s" "${pid_of[$s]}" "${port_of[$s]}" "$n"
	done

	# Warm-up runs, which size the measured ones.
	declare -A req_of
	for t in set get; do
		for p in 1 16; do
			max=$n_p1
			[ "$p" = 16 ] && max=$n_p16
			for s in $servers; do
				progress "$s io-threads $n ${t^^} -P $p: warm-up, $((max / 20)) requests"
				r=$(bench "$s" "${port_of[$s]}" "$t" "$p" $((max / 20)))
				req_of[$s,$t,$p]=$(awk -v r="${r%%,*}" -v m="$max" -v s="$run_secs" \
					'BEGIN { n = r * s; if (n > m) n = m; if (n < 5000) n = m < 5000 ? m : 5000; printf "%d", n }')
			done
		done
	done

	for rep in $(seq "$reps"); do
		for t in set get; do
			for p in 1 16; do
				for s in $servers; do
					req=${req_of[$s,$t,$p]}
					done_runs=$((done_runs + 1))
					progress "$done_runs/$total: $s io-threads $n ${t^^} -P $p, $req requests"
					r=$(bench "$s" "${port_of[$s]}" "$t" "$p" "$req")
					[ -n "$r" ] || { progress "$s: redis-benchmark failed"; r=",,,"; }
					echo "$s,$n,$((n + 1)),${t^^},$p,$rep,$req,$r" >>"$runs_csv"
				done
			done
		done
	done

	# Idle after load: both servers at once, no client connected.
	sleep 1
	declare -A c0
	for s in $servers; do
		c0[$s]=$(cpu_ns "${pid_of[$s]}")
	done
	progress "io-threads $n: idle CPU after load for $idle_secs s"
	sleep "$idle_secs"
	for s in $servers; do
		c1=$(cpu_ns "${pid_of[$s]}")
		echo "$s,$n,$(awk -v d=$((c1 - ${c0[$s]})) -v s="$idle_secs" 'BEGIN { printf "%.3f", d / (s * 1e9) * 100 }')" >>"$idle_csv.cpu"
		stop_server "${pid_of[$s]}"
	done
	unset pid_of port_of c0 req_of
done

# ------------------------------------------------------------ report
# Median repetition of each (server, setting, test, pipeline) by rps.
echo "server,io_threads,redis_io_threads,test,pipeline,reps,rps,min_rps,max_rps,avg_ms,p50_ms,p99_ms" >"$e2e_csv"
tail -n +2 "$runs_csv" | awk -F, '$8 != ""' | sort -t, -k1,1 -k2,2n -k4,4 -k5,5n -k8,8g |
awk -F, -v OFS=, '
function flush() {
	if (!cnt) return
	m = int((cnt + 1) / 2)
	split(row[m], f, ",")
	print key, cnt, f[8], minr, maxr, f[9], f[10], f[11]
}
{
	k = $1 "," $2 "," $3 "," $4 "," $5
	if (k != key) { flush(); key = k; cnt = 0; minr = $8 }
	row[++cnt] = $0
	maxr = $8
}
END { flush() }' >>"$e2e_csv"

echo "server,io_threads,idle_clients,rss_before_kb,rss_after_kb,bytes_per_idle_client,cpu_pct_with_idle_clients,threads,idle_cpu_pct_after_load" >"$idle_csv"
awk -F, -v OFS=, 'NR == FNR { cpu[$1 "," $2] = $3; next }
	{ print $0, cpu[$1 "," $2] }' "$idle_csv.cpu" "$idle_csv.mem" >>"$idle_csv"
rm -f "$idle_csv.cpu" "$idle_csv.mem"

# One line per setting, test and pipeline, both servers side by side (for
# the plot and the ratio).
pairs_csv=$outdir/e2e-pairs.csv
echo "label,kvd_rps,redis_rps,kvd_p50_ms,redis_p50_ms,kvd_p99_ms,redis_p99_ms,io_threads,test,pipeline,ratio" >"$pairs_csv"
awk -F, -v OFS=, 'NR > 1 { k = $2 "," $4 "," $5; rps[$1, k] = $7; p50[$1, k] = $11; p99[$1, k] = $12; keys[k] = 1 }
	END {
		for (k in keys) {
			split(k, f, ",")
			kr = rps["kvd", k]; rr = rps["redis", k]
			print f[2] " P" f[3] " io" f[1], kr, rr, p50["kvd", k],
				p50["redis", k], p99["kvd", k], p99["redis", k],
				f[1], f[2], f[3],
				(kr != "" && rr > 0) ? sprintf("%.3f", kr / rr) : ""
		}
	}' "$e2e_csv" | sort -t, -k8,8n -k9,9r -k10,10n >>"$pairs_csv"

echo
printf '%-5s %3s %4s %11s %11s %6s %8s %8s %8s %8s\n' \
	test io pipe kvd_rps redis_rps ratio kvd_p50 red_p50 kvd_p99 red_p99
awk -F, 'NR > 1 { k = $2 "," $4 "," $5; rps[$1, k] = $7; p50[$1, k] = $11; p99[$1, k] = $12; keys[k] = 1 }
	END {
		for (k in keys) {
			split(k, f, ",")
			kr = rps["kvd", k]; rr = rps["redis", k]
			printf "%-5s %3s %4s %11s %11s %6s %8s %8s %8s %8s\n",
				f[2], f[1], f[3], kr == "" ? "-" : kr, rr,
				(kr != "" && rr > 0) ? sprintf("%.2f", kr / rr) : "-",
				p50["kvd", k] == "" ? "-" : p50["kvd", k], p50["redis", k],
				p99["kvd", k] == "" ? "-" : p99["kvd", k], p99["redis", k]
		}
	}' "$e2e_csv" | sort -k1,1r -k2,2n -k3,3n
echo
printf '%-6s %3s %10s %10s %12s %10s %12s %7s\n' server io rss_kb rss_idle_kb \
	B/idle_cli cpu%_idlecl cpu%_afterld threads
awk -F, 'NR > 1 { printf "%-6s %3s %10s %10s %12s %10s %12s %7s\n", $1, $2, $4, $5, $6, $7, $9, $8 }' "$idle_csv"
echo
echo "CSV: $e2e_csv $pairs_csv $idle_csv $runs_csv"
