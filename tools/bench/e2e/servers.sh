# SPDX-License-Identifier: LGPL-2.1-or-later
# servers.sh - starting and measuring the servers of an end-to-end
# benchmark; sourced by pubsub.sh and thread_split.sh (bash).
#
# The script that sources it sets $kvd (the baton-kvd binary) and
# $outdir (where the servers' logs go) and defines die MESSAGE.  It gets:
#   pid_of[NAME], port_of[NAME], kind_of[NAME]   each started server
#   pids                                         every pid started
#   server_start NAME KIND IO [ARG...]           start one (below)
#   servers_stop                                 stop them all (EXIT trap)
#   server_cpu_ns PID                            CPU time of all its threads

declare -A pid_of port_of kind_of
pids=""

# servers_stop: kill every server started and wait for each.
servers_stop() {
	local p
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	pids=""
}

# server_start NAME KIND IO [ARG...]: KIND kvd (baton-kvd --io-threads
# IO) or redis (redis-server --io-threads IO, persistence off), ARGs
# added to its command line, on a free port below the ephemeral range;
# ready when it answers PING.  A name already started is left alone.
# Three ports are tried, then die.
server_start() {
	local name=$1 kind=$2 io=$3 port try pid i log=$outdir/$1.log
	shift 3
	[ -n "${pid_of[$name]:-}" ] && return 0
	for try in 1 2 3; do
		port=$((20000 + RANDOM % 12000))
		(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && continue
		if [ "$kind" = kvd ]; then
			"$kvd" --port "$port" --bind 127.0.0.1 --io-threads "$io" \
				"$@" >"$log" 2>&1 &
		else
			redis-server --port "$port" --bind 127.0.0.1 \
				--io-threads "$io" --save "" --appendonly no \
				--protected-mode no --daemonize no --dir "$outdir" \
				--logfile "" "$@" >"$log" 2>&1 &
		fi
		pid=$!
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
				pids="$pids $pid"
				pid_of[$name]=$pid
				port_of[$name]=$port
				kind_of[$name]=$kind
				return 0
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	die "$name did not start (see $log)"
}

# server_cpu_ns PID: the CPU time of all the process's threads, in
# nanoseconds (/proc/PID/task/*/schedstat: time on a CPU, not waiting).
server_cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'
}
