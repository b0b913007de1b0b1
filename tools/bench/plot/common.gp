# SPDX-License-Identifier: LGPL-2.1-or-later
# common.gp - the look and the output shared by every baton benchmark
# plot.  tools/bench/run_bench.sh runs each plot once per format:
#   gnuplot -e "dir='DIR'; out='NAME'; fmt='png'" common.gp NAME.gp
# dir holds the CSVs and receives DIR/NAME.png (or .svg).
if (fmt eq "png") {
	set terminal pngcairo size 1000,600 font "Sans,10" noenhanced
} else {
	set terminal svg size 1000,600 dynamic font "Sans,10" noenhanced
}
set output dir."/".out.".".fmt
set datafile separator ','
set key top left box lc rgb '#c0c0c0'
set grid ytics lc rgb '#d8d8d8' lt 1
set border 3
set tics nomirror
set style line 1 lc rgb '#1f77b4' lw 2 pt 7 ps 1.0
set style line 2 lc rgb '#d62728' lw 2 pt 5 ps 1.0
set style line 3 lc rgb '#2ca02c' lw 2 pt 9 ps 1.2
set style line 4 lc rgb '#ff7f0e' lw 2 pt 11 ps 1.2
set style line 5 lc rgb '#9467bd' lw 2 pt 13 ps 1.2
set style line 6 lc rgb '#8c564b' lw 2 pt 3 ps 1.0
set style line 7 lc rgb '#7f7f7f' lw 1 dt 2
# rows(file, name): the CSV lines of one series (first column = name)
rows(file, name) = sprintf("< grep '^%s,' '%s'", name, file)
