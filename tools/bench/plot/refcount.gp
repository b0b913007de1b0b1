# SPDX-License-Identifier: LGPL-2.1-or-later
# refcount.gp - get/put pairs from bench_refcount's CSV (refcount.csv:
# impl,sharing (2),threads (3),reps,pairs,mpairs_per_s (6),min,max,
# cpu_ns_per_pair (9),min (10),max (11),x_atomic).
f = dir."/refcount.csv"
s(impl, sh) = sprintf("< grep '^%s,%s,' '%s'", impl, sh, f)
set multiplot layout 1,2 title "refcount get/put pair: CPU ns per pair (median, min..max), lower is better"
set xlabel "threads"
set ylabel "CPU ns per get/put pair"
set xtics 1
set yrange [0:*]
set offsets 0, 0, graph 0.35, 0
set key top left
do for [sh in "uncontended contended"] {
	set title sh.(sh eq "contended" ? ": every thread on one count" : ": each thread its own count")
	plot s("refcount", sh)     using 3:9:10:11 with yerrorlines ls 1 title "refcount_inc + dec_and_test", \
	     s("inc_not_zero", sh) using 3:9:10:11 with yerrorlines ls 3 title "inc_not_zero + dec_and_test", \
	     s("atomic", sh)       using 3:9:10:11 with yerrorlines ls 7 lw 2 title "bare C11 atomics", \
	     s("mutex", sh)        using 3:9:10:11 with yerrorlines ls 2 title "pthread mutex", \
	     s("plain", sh)        using 3:9 with linespoints ls 6 title "plain (no atomics)"
}
unset multiplot
