#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_bench_smoke.sh - every micro-benchmark runs for about 0.1 s, exits 0
# and prints its CSV header: a functional check of the programs, not a
# timing test (no figure is judged; `make bench` measures).
#
# Under a sanitizer bench_llist runs baton's llist only: TSan cannot see
# liburcu's inline-assembly atomics in the cds/wfcq rows and UBSan stops
# on cds_lfs_push()'s &head->node with a NULL head (see the comment at
# the top of tools/bench/llist/bench_llist.c).
obj=${BATON_OBJTREE:?}
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
exit $fail
