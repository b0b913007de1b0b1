# SPDX-License-Identifier: LGPL-2.1-or-later
# table.gp - client lookups from bench_table's CSV (table.csv:
# mode,readers (2),reps,lookups,hits,updates,mlookups_per_s (7),min (8),
# max (9),cpu_ns_per_lookup (10),min (11),max (12),...).
f = dir."/table.csv"
set multiplot layout 1,2 title "client lookup by id, main thread replacing clients meanwhile"
set title "throughput, all readers (median, min..max)"
set xlabel "reader threads"
set ylabel "million lookups/s"
set xtics 1
set yrange [0:*]
set offsets 0, 0, graph 0.35, 0
set key top left
plot rows(f, "rcu")         using 2:7:8:9 with yerrorlines ls 1 title "RCU client table (cds_lfht)", \
     rows(f, "rwlock")      using 2:7:8:9 with yerrorlines ls 2 title "open table + rwlock", \
     rows(f, "rwlock_lfht") using 2:7:8:9 with yerrorlines ls 4 title "cds_lfht + rwlock", \
     rows(f, "floor")       using 2:7 with points ls 7 pt 6 ps 2 title "cds_lfht, 1 thread, no sync", \
     rows(f, "floor_open")  using 2:7 with points ls 7 pt 4 ps 2 title "open table, 1 thread, no sync"
set title "CPU time per lookup (median, min..max)"
set ylabel "CPU ns per lookup"
plot rows(f, "rcu")         using 2:10:11:12 with yerrorlines ls 1 title "RCU client table", \
     rows(f, "rwlock")      using 2:10:11:12 with yerrorlines ls 2 title "open table + rwlock", \
     rows(f, "rwlock_lfht") using 2:10:11:12 with yerrorlines ls 4 title "cds_lfht + rwlock", \
     rows(f, "floor")       using 2:10 with points ls 7 pt 6 ps 2 title "cds_lfht floor", \
     rows(f, "floor_open")  using 2:10 with points ls 7 pt 4 ps 2 title "open table floor"
unset multiplot
