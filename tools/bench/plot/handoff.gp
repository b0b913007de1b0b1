# SPDX-License-Identifier: LGPL-2.1-or-later
# handoff.gp - handoff round trip from bench_handoff's CSV (handoff.csv:
# mode,batch,reps,round_trips,ns_per_rt (5),min (6),max (7),
# ns_per_item (8),p50 (9),p90 (10),p99 (11),p999 (12),x_floor,
# x_floor_p50).
f = dir."/handoff.csv"
set multiplot layout 1,2 title "handoff worker -> main -> worker, both asleep in epoll/read between hand-offs"
set title "time per token (median repetition, min..max bars)"
set xlabel "tokens in flight per wake (batch)"
set ylabel "ns per token"
set logscale xy
set key bottom left
plot rows(f, "eventfd") using 2:8:($6/$2):($7/$2) with yerrorlines ls 7 lw 2 title "eventfd ping-pong (floor)", \
     rows(f, "baton")   using 2:8:($6/$2):($7/$2) with yerrorlines ls 1 title "baton: llist + baton_wake + epoll", \
     rows(f, "mutex")   using 2:8:($6/$2):($7/$2) with yerrorlines ls 2 title "mutex list + eventfd (Redis 8)", \
     rows(f, "baton_lt") using 2:8:($6/$2):($7/$2) with yerrorlines ls 3 title "baton before: level-triggered eventfd, a read per wake"
unset logscale
set title "round-trip latency percentiles, batch 1"
set xlabel "percentile"
set ylabel "microseconds (log)"
set logscale y
set key top left
set style fill solid 0.85 border -1
set boxwidth 0.25
set xtics ("p50" 0, "p90" 1, "p99" 2, "p99.9" 3)
set xrange [-0.6:3.6]
b1(name) = sprintf("< grep '^%s,1,' '%s'", name, f)
set boxwidth 0.2
plot for [i=9:12] b1("eventfd")  using (i-9-0.3):(column(i)/1000) with boxes lc rgb '#7f7f7f' title (i==9 ? "eventfd (floor)" : ""), \
     for [i=9:12] b1("baton")    using (i-9-0.1):(column(i)/1000) with boxes lc rgb '#1f77b4' title (i==9 ? "baton" : ""), \
     for [i=9:12] b1("mutex")    using (i-9+0.1):(column(i)/1000) with boxes lc rgb '#d62728' title (i==9 ? "mutex + eventfd" : ""), \
     for [i=9:12] b1("baton_lt") using (i-9+0.3):(column(i)/1000) with boxes lc rgb '#2ca02c' title (i==9 ? "baton_lt (before)" : "")
unset multiplot
