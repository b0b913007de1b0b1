#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_bench_smoke.sh - every micro-benchmark runs for about 0.1 s, exits 0
# and prints its CSV header, the thread split's quick pass writes a line
# for every server and test with the expected columns, and so does the
# pub/sub benchmark's for its servers: a functional
# check of the programs, not a timing test (no figure is judged; `make
# bench` measures).
#
# Under a sanitizer bench_llist runs baton's llist only: TSan cannot see
# liburcu's inline-assembly atomics in the cds/wfcq rows and UBSan stops
# on cds_lfs_push()'s &head->node with a NULL head (see the comment at
# the top of tools/bench/llist/bench_llist.c).
obj=${BATON_OBJTREE:?}
src=${BATON_SRCTREE:?}
b=$obj/tools/bench
fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

llist_impl=""
[ -n "${SAN:-}" ] && llist_impl="-i c11"

# check NAME CSV-HEADER COMMAND...
check() {
	name=$1
	head=$2
	shift 2
	if [ ! -x "$1" ]; then
		echo "FAIL $name: $1 not built"
		fail=1
		return
	fi
	"$@" >"$tmp/$name.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL $name: exit $rc"
		tail -5 "$tmp/$name.out"
		fail=1
	elif ! grep -q "^$head" "$tmp/$name.out" &&
	     ! grep -qs "^$head" "$tmp/$name.csv"; then
		echo "FAIL $name: no CSV header '$head'"
		tail -5 "$tmp/$name.out"
		fail=1
	else
		echo "ok   $name"
	fi
}

# shellcheck disable=SC2086
check llist 'impl,producers,rounds,' \
	"$b/llist/bench_llist" -p 2 -d 0.1 -n 1000 $llist_impl
check handoff 'mode,batch,reps,round_trips,ns_per_rt' \
	"$b/handoff/bench_handoff" -k 1,4 -d 0.1 -r 2 -o "$tmp/handoff.csv"
check table 'mode,readers,reps,lookups' \
	"$b/table/bench_table" -t 1,2 -d 0.1 -r 2 -n 100 -u 1000 -o "$tmp/table.csv"
check refcount 'impl,sharing,threads' \
	"$b/refcount/bench_refcount" -t 1,2 -d 0.1 -r 2 -o "$tmp/refcount.csv"
check free 'mode,run,objects' \
	"$b/free/bench_free" -n 2000 -r 1 -o "$tmp/free.csv"
check rcu 'flavor,readers' \
	"$b/rcu/bench_rcu" -t 1 -d 0.1

# -o writes the same CSV as stdout's (bench_free writes it to -o only).
for n in handoff table refcount; do
	if ! sed -n '/^[a-z_]*,[a-z_]*,/,$p' "$tmp/$n.out" | cmp -s - "$tmp/$n.csv"; then
		echo "FAIL $n: -o file differs from the CSV on stdout"
		fail=1
	fi
done
# The thread split (tools/bench/e2e/thread_split.sh -q, a few seconds):
# thread-split.csv has the expected header and one line per server and
# test, each with a request rate and CPU figures that are numbers.
split_check() {
	kvd=$obj/tools/kvd/baton-kvd
	if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
		echo "skip thread-split: redis-server or redis-benchmark is missing"
		return
	fi
	servers="kvd-io0 kvd-io1 redis-io1 redis-io2"
	"$kvd" --help 2>&1 | grep -q 'io-threads N|auto' &&
		servers="kvd-io0 kvd-io1 kvd-auto redis-io1 redis-io2"
	if ! bash "$src/tools/bench/e2e/thread_split.sh" -q -o "$tmp/split" \
		-k "$kvd" >"$tmp/split.out" 2>&1; then
		echo "FAIL thread-split: exit status $?"
		tail -5 "$tmp/split.out"
		fail=1
		return
	fi
	if python3 - "$tmp/split/thread-split.csv" $servers <<'PYEOF'
import csv
import sys

path, servers = sys.argv[1], sys.argv[2:]
head = ("server,test,clients,pipeline,reps,rps,total_us_per_req,"
        "min_total_us,max_total_us,main_us_per_req,io_us_per_req,"
        "other_us_per_req,x_total_vs_single,io_workers_end,activations,"
        "busy_reps").split(",")
tests = [(t, c, p) for t in ("SET", "GET")
         for c, p in (("1", "1"), ("10", "1"), ("50", "1"), ("50", "16"))]
with open(path, newline="") as f:
    r = csv.reader(f)
    got_head = next(r)
    lines = list(r)
bad = []
if got_head != head:
    bad.append(f"header {got_head}")
want = [(s,) + t for s in servers for t in tests]
have = [tuple(x[:4]) for x in lines]
if sorted(have) != sorted(want):
    bad.append(f"lines {sorted(set(have) ^ set(want))} missing or extra")
for x in lines:
    row = dict(zip(head, x))
    if len(x) != len(head):
        bad.append(f"{x[:4]}: {len(x)} columns")
        continue
    for k in ("rps", "total_us_per_req", "main_us_per_req", "io_us_per_req"):
        try:
            float(row[k])
        except ValueError:
            bad.append(f"{x[:4]}: {k} is {row[k]!r}")
    if row["server"].startswith("kvd") and not row["io_workers_end"]:
        bad.append(f"{x[:4]}: no io_workers_end")
for b in bad:
    print("    " + b)
sys.exit(1 if bad else 0)
PYEOF
	then
		echo "ok   thread-split: $(echo $servers | wc -w) servers x 8 tests"
	else
		echo "FAIL thread-split: thread-split.csv is not what it should be"
		fail=1
	fi
}
split_check

# Pub/sub (tools/bench/e2e/pubsub.sh -q, a second or two): pubsub.csv has
# a line per fan-out server with numbers, the latency CSV one per latency
# server; no figure is judged.
pubsub_check() {
	if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
		echo "skip pubsub: redis-server or redis-cli is missing"
		return
	fi
	if ! bash "$src/tools/bench/e2e/pubsub.sh" -q -o "$tmp/pubsub" \
		-k "$obj/tools/kvd/baton-kvd" -l "$b/e2e/pubsub_load" \
		>"$tmp/pubsub.out" 2>&1; then
		echo "FAIL pubsub: exit status $?"
		tail -5 "$tmp/pubsub.out"
		fail=1
		return
	fi
	if awk -F, 'NR == 1 { ok = $0 == "server,reps,msgs_per_sec,cpu_us_per_msg,msgs_per_cpu_sec"; next }
		$1 ~ /^(kvd-io1|kvd-auto|redis-io1)$/ && $3 > 0 && $4 > 0 && $5 > 0 { n++ }
		END { exit !(ok && n == 3) }' "$tmp/pubsub/pubsub.csv" &&
	   awk -F, 'NR > 1 && $1 ~ /^(kvd-io2|redis-io1)$/ && $3 > 0 && $4 > 0 { n++ }
		END { exit n != 2 }' "$tmp/pubsub/pubsub-latency.csv" &&
	   grep -q '^# target: kvd io1 / redis io1, deliveries per server-CPU-second >= 1.5: [0-9.]* \(MET\|MISSED\)$' \
		"$tmp/pubsub.out"; then
		echo "ok   pubsub: 3 fan-out servers, 2 latency servers, the targets printed"
	else
		echo "FAIL pubsub: its CSVs or summary are not what they should be"
		cat "$tmp/pubsub/pubsub.csv" "$tmp/pubsub/pubsub-latency.csv"
		fail=1
	fi
}
pubsub_check

exit $fail
