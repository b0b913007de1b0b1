# SPDX-License-Identifier: LGPL-2.1-or-later
# thread-split.gp - where the server CPU goes per request, from
# e2e/thread_split.sh's thread-split-wide.csv: label (1), then for the n
# servers of the run (kvd-io0, kvd-io1, kvd-auto, redis-io1, redis-io2,
# those that ran) their requests/s (2..n+1, headed by the server's
# name), total CPU us/request, main-thread CPU us/request, and total
# against the same server without an IO thread; label = "SET c50 P16".
f = dir."/thread-split-wide.csv"
n = (int(system(sprintf("head -n 1 '%s' | tr ',' '\\n' | wc -l", f))) - 1) / 4
color(i) = word("#1f77b4 #17becf #2ca02c #d62728 #ff7f0e", i)
set multiplot layout 2,2 title "thread split: redis-benchmark -r 100000, median repetition (kvd-ioN = kvd --io-threads N; redis-ioN = redis --io-threads N, main included)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside top center horizontal font ",8" samplen 1
set xtics rotate by -30 scale 0 font ",8"

set title "requests/s (client-bound on a small machine)"
set ylabel "thousand requests/s"
set yrange [0:*]
plot for [i=1:n] f using (column(1 + i) / 1000):xtic(1) lc rgb color(i) title columnhead(1 + i)

set logscale y
set yrange [*:*]
set title "server CPU per request, all threads"
set ylabel "CPU us / request (log)"
plot for [i=1:n] f using (column(1 + n + i)):xtic(1) lc rgb color(i) title columnhead(1 + i)

set title "main-thread CPU per request (targets: 1.0, 0.08 at P16)"
set ylabel "main CPU us / request (log)"
plot for [i=1:n] f using (column(1 + 2 * n + i)):xtic(1) lc rgb color(i) title columnhead(1 + i), \
     1.0 with lines ls 7 notitle, 0.08 with lines ls 7 notitle

set title "total CPU / same server without IO threads (target 1.15)"
set ylabel "x single-threaded (log)"
plot for [i=1:n] f using (column(1 + 3 * n + i)):xtic(1) lc rgb color(i) title columnhead(1 + i), \
     1.15 with lines ls 7 notitle
unset multiplot
