# SPDX-License-Identifier: LGPL-2.1-or-later
# llist.gp - MPSC throughput against producers, from bench_llist's CSV
# (llist.csv: impl,producers,...,mitems_per_s (6),...).
f = dir."/llist.csv"
set title "llist MPSC throughput (1 consumer): million items/s, higher is better"
set xlabel "producer threads"
set ylabel "Mitems/s (all rounds' items / their time)"
set xtics 1
set yrange [0:*]
set offsets 0, 0, graph 0.35, 0
plot rows(f, "c11")      using 2:6 with linespoints ls 1 title "baton llist (c11)", \
     rows(f, "mutex")    using 2:6 with linespoints ls 2 title "pthread mutex list", \
     rows(f, "wfcq")     using 2:6 with linespoints ls 3 title "liburcu wfcqueue", \
     rows(f, "cds_lfs")  using 2:6 with linespoints ls 4 title "liburcu cds_lfs", \
     rows(f, "cds_load") using 2:6 with linespoints ls 5 title "cds_lfs, load-first push"
