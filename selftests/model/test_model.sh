#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_model.sh - model-check the client handoff, wakeup, post, kill,
# close and free protocol (tools/model/baton.pml) with spin: every
# configuration must
# pass exhaustively (assertions, end states, and pan -l: no cycle), and
# spin must catch every deliberately broken variant, each with the
# violation it is meant to cause.  Documentation/model.rst explains it.
#
# Skips (exit 4) without spin or a C compiler.  As root with apt-get it
# first tries to install spin, bounded by timeouts (BATON_MODEL_INSTALL=0
# turns that off).
#
# Environment: BATON_SRCTREE, BATON_OBJTREE (work files go under
# $BATON_OBJTREE/selftests/model), BATON_MODEL_JOBS (parallel pan runs,
# default 2), BATON_MODEL_INSTALL.

# run_one NAME MODE EXPECT FLAGS...: generate, build and run one pan in
# $BATON_MODEL_WORK/NAME (the parent exports where and with what).
run_one() {
	name=$1 mode=$2 expect=$3
	shift 3
	d=$BATON_MODEL_WORK/$name
	mkdir -p "$d" && cd "$d" || return
	cp "$BATON_MODEL_FILE" baton.pml
	case $mode in
	safety) ccflags="-DSAFETY" panflags="" ;;
	cycles) ccflags="-DNP" panflags="-l" ;;
	esac
	# A run that must fail stops early: compile it fast instead.
	if [ "$expect" = pass ]; then
		ccflags="-O1 $ccflags" panflags="$panflags -w24"
	else
		ccflags="-O0 $ccflags" panflags="$panflags -w20"
	fi
	start=$(date +%s.%N)
	if spin "$@" -a baton.pml >spin.log 2>&1 &&
	   $BATON_MODEL_CC -w $ccflags -DMEMLIM=2048 -o pan pan.c >cc.log 2>&1; then
		./pan $panflags -m20000 >pan.log 2>&1
		echo $? >pan.rc
	else
		echo "spin -a or $BATON_MODEL_CC failed" >pan.log
		echo 127 >pan.rc
	fi
	echo "$start $(date +%s.%N)" >wall
}

if [ "${1:-}" = --run ]; then
	shift
	run_one "$@"
	exit 0
fi

src=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
obj=${BATON_OBJTREE:-${TMPDIR:-/tmp}/baton-model.$$}
model=$src/tools/model/baton.pml
work=$obj/selftests/model
jobs=${BATON_MODEL_JOBS:-2}

rm -rf "$work" && mkdir -p "$work" || exit 1

# ------------------------------------------------------------ tools
try_install_spin() {
	[ "${BATON_MODEL_INSTALL:-1}" != 0 ] || return 1
	[ "$(id -u)" = 0 ] || return 1
	command -v apt-get >/dev/null 2>&1 || return 1
	echo "spin is missing: apt-get install spin (bounded: 3 x 60 s)"
	export DEBIAN_FRONTEND=noninteractive
	timeout 60 apt-get install -y -q --no-install-recommends spin \
		>"$work/apt.log" 2>&1 && return 0
	timeout 60 apt-get update -q >>"$work/apt.log" 2>&1 &&
	timeout 60 apt-get install -y -q --no-install-recommends spin \
		>>"$work/apt.log" 2>&1
}

command -v spin >/dev/null 2>&1 || try_install_spin
if ! command -v spin >/dev/null 2>&1; then
	echo "SKIP: spin is not installed (Debian package 'spin')"
	exit 4
fi
# pan.c is generated C for the build machine: the host compiler, not $CC
# (which may carry a sanitizer or be a cross compiler).
hostcc=
for c in ${HOSTCC:-} gcc cc clang; do
	command -v "$c" >/dev/null 2>&1 && { hostcc=$c; break; }
done
if [ -z "$hostcc" ]; then
	echo "SKIP: no C compiler for spin's pan.c"
	exit 4
fi
echo "$(spin -V), pan.c built with $hostcc"

# ------------------------------------------------------------ runs
# Each run: NAME MODE EXPECT FLAGS...
#   MODE    safety: assertions + invalid end states (pan -DSAFETY)
#           cycles: non-progress cycles, every state (pan -DNP, pan -l)
#   EXPECT  pass, or the violation spin must find:
#           lost (the lost-wakeup invariant), owner (an OWNER access by
#           a thread that is not the owner), uaf (an access after free),
#           live (a liveness check: work or output left when all is
#           asleep), output (the output liveness check: a reply or post
#           that never reached its live peer), order (an item of output
#           queued out of the order main wrote it, twice or skipped),
#           cycle (a non-progress cycle)
# The configurations (Documentation/model.rst, "Configurations"):
one="-DNCLI=1 -DMAXREQ=2"
wake2="-DNCLI=2 -DNKILL=0 -DNREAD=0"
tick2="-DNCLI=2 -DNREAD=0 -DMAXREQ1=0 -DCLOSE0=0 -DNO_KILL_IN_EXEC"
exec2="-DNCLI=2 -DNREAD=0 -DNO_TICK_KILL -DCLOSE0=0 -DCLOSE1=0"
exec2c="-DNCLI=2 -DNREAD=0 -DNO_TICK_KILL -DMAXREQ1=0"
# Posts (main writing to a client it does not own) racing reads, a kill,
# a close after the output, and the other client's batch.
post1="-DNCLI=1 -DNREAD=0 -DNKILL=0 -DNPOST=2"
postkill1="-DNCLI=1 -DNREAD=0 -DNKILL=1 -DNPOST=1"
postclose1="-DNCLI=1 -DNREAD=0 -DNKILL=0 -DNPOST=1 -DNCLOSE=1"
post2="-DNCLI=2 -DNREAD=0 -DNKILL=0 -DNPOST=1 -DNCLOSE=1 -DNO_TICK_POST -DNO_TICK_CLOSE -DCLOSE0=0 -DCLOSE1=0"
fix=-DNEW_IO_AT_MAIN=1
# The bug spin found in lib/ (Documentation/model.rst, "Found bug"), fixed
# in lib/client.c and in the model's default: the model as the code was
# (NEW_IO_AT_MAIN=0) must still show it, so the model keeps proving it
# can see that regression.
known=owner

# Longest first, so that the parallel runs end together.  pan -l runs on
# three configurations (one1 is one with a single request): the others
# add no loop that these lack (all pass it; Documentation/model.rst,
# "Latest result").  The broken variants run on one1 too, those of posts
# on one1 with posts or a goodbye instead of the kill.
bug1="-DNCLI=1"
bugp="-DNCLI=1 -DNREAD=0 -DNKILL=0"
cat >"$work/runs" <<EOF
tick2-fix-cycles cycles pass $tick2 $fix
wake2-cycles cycles pass $wake2
tick2-fix safety pass $tick2 $fix
postclose1 safety pass $postclose1
postkill1 safety pass $postkill1
one1-cycles cycles pass $bug1
one safety pass $one
post1 safety pass $post1
post2 safety pass $post2
wake2 safety pass $wake2
exec2c safety pass $exec2c
exec2 safety pass $exec2
known-bug-tick2 safety $known $tick2 -DNEW_IO_AT_MAIN=0
bug-no-grace safety uaf $bug1 -DBUG_NO_GRACE
bug-drain-first safety lost $bug1 -DBUG_DRAIN_FIRST
bug-drain-first-live safety live $bug1 -DBUG_DRAIN_FIRST -DNO_WAKE_INVARIANT
bug-wake-nonempty safety lost $bug1 -DBUG_WAKE_NONEMPTY
bug-wake-nonempty-live safety live $bug1 -DBUG_WAKE_NONEMPTY -DNO_WAKE_INVARIANT
bug-kick-noref safety uaf $bug1 -DBUG_KICK_NOREF
bug-kill-anyway safety owner $bug1 -DBUG_KILL_ANYWAY
bug-wake-always cycles cycle $bug1 -DBUG_WAKE_ALWAYS
bug-post-no-take-at-main safety order $bugp -DNPOST=1 -DBUG_POST_NO_TAKE_AT_MAIN
bug-close-before-publish safety output $bugp -DNCLOSE=1 -DBUG_CLOSE_BEFORE_PUBLISH
bug-kick-clear-late safety output $bugp -DNPOST=2 -DBUG_KICK_CLEAR_LATE
EOF

# The runs, $jobs at a time: each is this script again with --run.
export BATON_MODEL_WORK="$work" BATON_MODEL_FILE="$model" BATON_MODEL_CC="$hostcc"
xargs -P "$jobs" -L 1 sh "$0" --run <"$work/runs"

# ------------------------------------------------------------ verdicts
pattern() {
	case $1 in
	lost)  echo 'assertion violated.*w_owed' ;;
	owner) echo 'assertion violated.*owner\[' ;;
	uaf)   echo 'assertion violated +!\(freed\[[a-z0-9]*\]\) \(at depth' ;;
	live)  echo 'assertion violated.*(nrep|lastrep)\[' ;;
	output) echo 'assertion violated.*lastrep\[' ;;
	order) echo 'assertion violated.*(==\(?appd\[|pl_lo\[)' ;;
	cycle) echo 'non-progress cycle' ;;
	esac
}

fails=0
printf '%-24s %-6s %-6s %-7s %12s %7s\n' run mode expect result states seconds
while read -r name mode expect flags; do
	d=$work/$name
	log=$d/pan.log
	states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$log" | head -1)
	secs=$(awk '{ printf "%.1f", $2 - $1 }' "$d/wall" 2>/dev/null)
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$log" | head -1)
	incomplete=
	grep -qE 'max search depth too small|out of memory|reached -DMEMLIM|Search not completed' "$log" &&
		incomplete=1
	if [ "$(cat "$d/pan.rc" 2>/dev/null)" = 127 ] || [ -z "$errors" ]; then
		res="ERROR"
	elif [ "$expect" = pass ]; then
		if [ "$errors" = 0 ] && [ -z "$incomplete" ]; then
			res=ok
		else
			res=FAIL
		fi
	elif [ "$errors" != 0 ] && grep -qE "$(pattern "$expect")" "$log"; then
		res=caught
	else
		res=MISSED
	fi
	printf '%-24s %-6s %-6s %-7s %12s %7s\n' "$name" "$mode" "$expect" \
		"$res" "${states:-?}" "${secs:-?}"
	case $res in
	ok|caught) ;;
	*)
		fails=$((fails + 1))
		echo "    flags: $flags"
		grep -E '^pan:|error' "$log" | head -5 | sed 's/^/    | /'
		[ -f "$d/baton.pml.trail" ] &&
			echo "    trail: (cd $d && spin $flags -t -p baton.pml)"
		;;
	esac
done <"$work/runs"

# The bug found in lib/ (Documentation/model.rst, "Found bug"): spin's
# counter-example for the code as it was, readable.
kb=$work/known-bug-tick2
if [ -f "$kb/baton.pml.trail" ]; then
	(cd "$kb" && spin $tick2 -DNEW_IO_AT_MAIN=0 -t -p -l baton.pml >trace.txt 2>&1)
	echo "found bug (fixed): with NEW_IO_AT_MAIN=0, as lib/client.c was, a"
	echo "    kick for a client still on its worker's inbox is taken as"
	echo "    'owned'; counter-example: $kb/trace.txt"
fi

if [ $fails -ne 0 ]; then
	echo "model: $fails run(s) failed (work files in $work)"
	exit 1
fi
echo "model: every configuration passes and every broken variant is caught"
exit 0
