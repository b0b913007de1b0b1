#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run_fuzz.sh - build the libFuzzer harnesses of tools/fuzz with clang
# (ASan + UBSan + -fsanitize=fuzzer, against a libbaton built the same way)
# and run each from a scratch copy of its committed seed corpus.
#
# Usage: run_fuzz.sh BUILDDIR SECONDS [RUNS]
#   BUILDDIR  where libbaton (make O=BUILDDIR CC=clang SAN=address), the
#             harnesses, the scratch corpora, the logs and any crash
#             inputs go; the source tree is never written
#   SECONDS   -max_total_time of each run (fuzz_client runs twice: with
#             1 IO worker and with none, SECONDS/2 each)
#   RUNS      optional -runs cap of each run
# Environment: BATON_SRCTREE (default: two levels above this script);
#   FUZZ_HARNESSES (default "resp client": which ones run).
# Exit: 0 no crash; 1 a crash, a failed invariant or a build failure;
# 4 clang cannot build a libFuzzer program here.

src=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${1:?usage: run_fuzz.sh BUILDDIR SECONDS [RUNS]}
secs=${2:?usage: run_fuzz.sh BUILDDIR SECONDS [RUNS]}
runs=${3:-}
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
clang=${FUZZ_CC:-clang}

# Does clang ship a working libFuzzer runtime here?
probe=$out/probe
mkdir -p "$probe"
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	'{ return (int)(n & 0); }' > "$probe/p.c"
if ! "$clang" -fsanitize=fuzzer,address -o "$probe/p" "$probe/p.c" \
	>/dev/null 2>&1 || ! "$probe/p" -runs=1 >/dev/null 2>&1; then
	echo "SKIP: $clang cannot build and run a libFuzzer program"
	exit 4
fi

# libbaton with ASan/UBSan and fuzzer coverage, in its own build dir;
# the outer make's command-line variables must not reach it.
echo "== building libbaton (clang, SAN=address, fuzzer coverage) in $out"
env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES -u MAKELEVEL \
	make -s -C "$src" O="$out" CC="$clang" SAN=address \
	CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" "$out/libbaton.a" || {
	echo "FAIL: building libbaton"; exit 1; }

flags=(-O1 -g -std=gnu11 -pthread -D_GNU_SOURCE -D_LGPL_SOURCE -Wall -Wextra
       -Wno-unused-parameter -Werror -I"$src/include" -I"$src/include/uapi"
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer)
mkdir -p "$out/fuzz" || exit 1
echo "== building the harnesses"
"$clang" "${flags[@]}" -I"$src/tools/kvd" -o "$out/fuzz/fuzz_resp" \
	"$src/tools/fuzz/fuzz_resp.c" "$src/tools/kvd/resp.c" || {
	echo "FAIL: building fuzz_resp"; exit 1; }
"$clang" "${flags[@]}" -o "$out/fuzz/fuzz_client" \
	"$src/tools/fuzz/fuzz_client.c" "$out/libbaton.a" \
	-lurcu-memb -lurcu-cds -lurcu-common || {
	echo "FAIL: building fuzz_client"; exit 1; }

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
rc=0
# fuzz NAME HARNESS CORPUS SECONDS MAXLEN [DICT]: one run from a scratch
# corpus, with a libFuzzer dictionary when DICT is given.
fuzz() {
	local name=$1 bin=$2 corpus=$3 t=$4 maxlen=$5 dict=${6:-} log=$out/fuzz/$1.log
	local work=$out/fuzz/corpus-$name
	local -a lim=(-max_total_time="$t" -max_len="$maxlen" -timeout=10
		      -rss_limit_mb=2048 -print_final_stats=1)

	[ -n "$runs" ] && lim+=(-runs="$runs")
	[ -n "$dict" ] && lim+=(-dict="$dict")
	rm -rf "$work" && mkdir -p "$work" "$out/fuzz/artifacts" || exit 1
	cp "$src/tools/fuzz/corpus/$corpus"/* "$work/" || exit 1
	echo "== $name: ${t}s from $(ls "$work" | wc -l) seeds"
	(cd "$out/fuzz" && "$bin" "${lim[@]}" \
		-artifact_prefix="$out/fuzz/artifacts/$name-" "$work") \
		>"$log" 2>&1
	local st=$?
	# The last status line: "#N DONE cov: C ft: F corp: ..."
	grep -E '^#[0-9]+' "$log" | tail -1 | sed "s/^/   $name: /"
	grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log" |
		sed "s/^/   $name: /"
	if [ $st -ne 0 ]; then
		echo "FAIL: $name exited $st; log $log; input:"
		ls "$out/fuzz/artifacts/$name-"* 2>/dev/null
		grep -E 'ERROR|fuzz_|SUMMARY' "$log" | head -10
		rc=1
	fi
}

half=$(( secs / 2 > 0 ? secs / 2 : 1 ))
case " ${FUZZ_HARNESSES:-resp client} " in *" resp "*)
	fuzz resp "$out/fuzz/fuzz_resp" resp "$secs" 4096 \
		"$src/tools/fuzz/resp.dict" ;;
esac
case " ${FUZZ_HARNESSES:-resp client} " in *" client "*)
	FUZZ_IO_WORKERS=1 fuzz client-io1 "$out/fuzz/fuzz_client" client \
		"$half" 512
	FUZZ_IO_WORKERS=0 fuzz client-io0 "$out/fuzz/fuzz_client" client \
		"$half" 512 ;;
esac
[ $rc = 0 ] && echo "fuzz: no crash"
exit $rc
