# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e.gp - baton-kvd against redis-server from kvd_vs_redis.sh's
# e2e-pairs.csv: label (1),kvd_rps (2),redis_rps (3),kvd_p50 (4),
# redis_p50 (5),kvd_p99 (6),redis_p99 (7),io_threads,test,pipeline (10),
# ratio; label = "SET P1 io0" etc.
f = dir."/e2e-pairs.csv"
pipe(p) = sprintf("< awk -F, 'NR > 1 && $10 == %d' '%s'", p, f)
set multiplot layout 2,2 title "baton-kvd vs redis-server, redis-benchmark -c 50, median repetition (io N = kvd --io-threads N = redis --io-threads N+1)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top right
set xtics rotate by -25 scale 0
set yrange [0:*]
do for [p in "1 16"] {
	set title "requests/s, pipeline ".p.", higher is better"
	set ylabel "thousand requests/s"
	plot pipe(p + 0) using ($2/1000):xtic(1) lc rgb '#1f77b4' title "baton-kvd", \
	     '' using ($3/1000) lc rgb '#d62728' title "redis-server"
}
do for [p in "1 16"] {
	set title "p99 latency, pipeline ".p.", lower is better"
	set ylabel "p99 ms"
	plot pipe(p + 0) using 6:xtic(1) lc rgb '#1f77b4' title "baton-kvd", \
	     '' using 7 lc rgb '#d62728' title "redis-server"
}
unset multiplot
