#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tools/mutate/run.sh - the mutation check: apply each deliberate bug of
# tools/mutate/mutants/ to a scratch copy of the tree, build the variant
# that must catch it, run the tests that must catch it, and say CAUGHT or
# MISSED for each.  Documentation/testing.rst ("Mutation check") lists
# the mutants and explains the patch header.
#
# Usage: run.sh [NAME|NUMBER...]   run these mutants (default: all)
#        run.sh -l                 list the mutants
#        run.sh --check            only check that every mutant's header is
#                                  valid and its patch applies to the tree
#                                  (no build: make check runs this)
#
# Environment: BATON_SRCTREE (the tree), BATON_OBJTREE (the work goes to
# $BATON_OBJTREE/mutate), CC (default cc), MAKE, MUTATE_JOBS (make -j,
# default 2), MUTATE_TIMEOUT (seconds per test binary run, default 120),
# MUTATE_VARIANTS (the variants whose mutants run, default all of
# "plain address thread debug"; the others are listed as skipped).
#
# How it stays fast: the copy of the tree and one build directory per
# variant live in $BATON_OBJTREE/mutate and are kept between runs.  A
# mutant's files are patched in the copy, then put back with their old
# time stamps, and the objects its build compiled are deleted: the next
# build of that variant recompiles only those, the other variants nothing.
#
# Before the first mutant every selected test runs once on the unmutated
# copy and must pass: a test that fails there would "catch" any mutant.
#
# Exit: 0 when every mutant that ran was caught; 1 when one was missed,
# no longer applies (the code it mutates changed: update its patch) or
# does not build; 2 when the check itself could not run (the unmutated
# build or a baseline test failed, another run holds the directory).

set -u

src=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
obj=${BATON_OBJTREE:-$src/build/gcc}
cc=${CC:-cc}
make=${MAKE:-make}
jobs=${MUTATE_JOBS:-2}
tmo=${MUTATE_TIMEOUT:-120}
run_variants=${MUTATE_VARIANTS:-plain address thread debug}
work=$obj/mutate
copy=$work/src
mutdir=$src/tools/mutate/mutants
logs=$work/logs

mode=run
case ${1:-} in
-l)      mode=list;  shift ;;
--check) mode=check; shift ;;
-*)      echo "usage: $0 [-l | --check | NAME|NUMBER...]" >&2; exit 2 ;;
esac

die() {
	echo "mutate: $*" >&2
	exit 2
}

# ---------------------------------------------------------------- mutants
# field FILE KEY: a header field ("Key: value", continued on lines that
# start with a space), from the lines before the first blank one.
field() {
	awk -v key="$2" '
		/^$/ { exit }
		/^[A-Za-z-]+:/ {
			on = (substr($0, 1, length(key) + 1) == key ":")
			if (on) { sub(/^[A-Za-z-]+: */, ""); v = $0 }
			next
		}
		/^ / && on { sub(/^ +/, ""); v = v " " $0 }
		END { print v }' "$1"
}

# The files a patch changes, from its "+++ b/PATH" lines.
patch_files() {
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$1"
}

variant_args() {
	case $1 in
	plain)   echo "" ;;
	address) echo "SAN=address" ;;
	thread)  echo "SAN=thread" ;;
	debug)   echo "DEBUG=1" ;;
	*)       return 1 ;;
	esac
}

# apply DIR PATCH [--dry-run]: patch without fuzz (an offset is fine, a
# changed line of context is not) and without backup files.
apply() {
	local dir=$1 p=$2

	shift 2
	patch -p1 --fuzz=0 --no-backup-if-mismatch -s -d "$dir" "$@" <"$p"
}

all=()
for p in "$mutdir"/*.patch; do
	[ -e "$p" ] && all+=("$p")
done
[ ${#all[@]} -gt 0 ] || die "no mutants in $mutdir"

sel=()
for p in "${all[@]}"; do
	base=$(basename "$p" .patch)
	num=${base%%-*}
	name=${base#*-}
	if [ $# -eq 0 ]; then
		sel+=("$p")
		continue
	fi
	for want in "$@"; do
		case $want in
		*[!0-9]*) [ "$want" = "$name" ] || [ "$want" = "$base" ] ;;
		*)        [ "$((10#$want))" = "$((10#$num))" ] ;;
		esac && { sel+=("$p"); break; }
	done
done
[ ${#sel[@]} -gt 0 ] || die "no mutant matches: $*"

# Every selected mutant's header, before anything runs.
for p in "${sel[@]}"; do
	base=$(basename "$p" .patch)
	case $base in
	[0-9][0-9]-*) ;;
	*) die "$p: the file name must be NN-name.patch" ;;
	esac
	[ "$(field "$p" Mutant)" = "${base#*-}" ] ||
		die "$p: Mutant: must be the name in the file's name"
	for k in Bug Variant Tests Symptom; do
		[ -n "$(field "$p" $k)" ] || die "$p: no $k: line"
	done
	variant_args "$(field "$p" Variant)" >/dev/null ||
		die "$p: Variant: must be plain, address, thread or debug"
	for e in $(field "$p" Tests); do
		[ -f "$src/selftests/${e%%:*}.c" ] ||
			die "$p: Tests: no selftests/${e%%:*}.c"
	done
	[ -n "$(patch_files "$p")" ] || die "$p: no diff"
done

case $mode in
list)
	for p in "${sel[@]}"; do
		printf '%-32s %-8s %s\n' "$(basename "$p" .patch)" \
			"$(field "$p" Variant)" "$(field "$p" Tests)"
	done
	exit 0
	;;
check)
	command -v patch >/dev/null 2>&1 ||
		die "patch is not installed (Debian: patch)"
	stale=0
	for p in "${sel[@]}"; do
		if out=$(apply "$src" "$p" --dry-run 2>&1); then
			echo "ok - $(basename "$p" .patch) applies"
		else
			echo "not ok - $(basename "$p" .patch) no longer applies:" \
				"the code it mutates changed; update $p"
			printf '%s\n' "$out" | sed 's/^/#   /'
			stale=1
		fi
	done
	exit $stale
	;;
esac

command -v patch >/dev/null 2>&1 || die "patch is not installed (Debian: patch)"
mkdir -p "$work" || die "cannot create $work"
exec 9>"$work/lock"
flock -n 9 || die "another run is using $work"
rm -rf "$logs"
mkdir -p "$logs"
t0=$(date +%s)

# ---------------------------------------------------------------- the copy
# The tree's files: git's view of the working tree (tracked, and untracked
# but not ignored) when $src is a checkout's top, else every file but
# build/ and .git; never anything under $obj.
tree_files() {
	local top

	top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null)
	if [ -n "$top" ] && [ "$(cd "$top" && pwd)" = "$(cd "$src" && pwd)" ]; then
		git -C "$src" ls-files -co --exclude-standard
	else
		(cd "$src" && find . -path ./build -prune -o -path ./.git -prune \
			-o -type f -print | sed 's|^\./||')
	fi | while IFS= read -r f; do
		[ -f "$src/$f" ] || continue
		case "$src/$f" in
		"$obj"/*) continue ;;
		esac
		printf '%s\n' "$f"
	done | sort
}

# Bring the copy up to date.  Only files whose content differs are copied
# (with a new time stamp, so make rebuilds what uses them): an unchanged
# tree rebuilds nothing.  This also undoes a mutant left applied by a run
# that was killed.
sync_copy() {
	local f n=0

	mkdir -p "$copy"
	tree_files >"$work/files.new" || return 1
	while IFS= read -r f; do
		if ! cmp -s "$src/$f" "$copy/$f"; then
			mkdir -p "$copy/$(dirname "$f")" &&
			cp "$src/$f" "$copy/$f" || return 1
			n=$((n + 1))
		fi
	done <"$work/files.new"
	(cd "$copy" && find . -type f | sed 's|^\./||' | sort) >"$work/files.old"
	comm -13 "$work/files.new" "$work/files.old" | while IFS= read -r f; do
		rm -f "$copy/$f"
	done
	echo "mutate: $copy: copy of $src ($n files updated)"
}

sync_copy || die "cannot copy the tree to $copy"

# Put the copy back as it was if we are interrupted with a mutant applied.
restore_list=""
restore() {
	local f

	for f in $restore_list; do
		cp -p "$work/orig/$f" "$copy/$f"
	done
	restore_list=""
}
trap 'restore; exit 130' INT TERM

# ---------------------------------------------------------------- builds
runs() {
	case " $run_variants " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# The binaries that the variant's mutants run (only those are built).
targets_of() {
	local v=$1 p e

	for p in "${sel[@]}"; do
		[ "$(field "$p" Variant)" = "$v" ] || continue
		for e in $(field "$p" Tests); do
			echo "$work/o-$v/selftests/${e%%:*}"
		done
	done | sort -u
}

build() {
	local v=$1 log=$2

	# Not the outer make's variables or jobserver.
	# shellcheck disable=SC2046
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$make" -s -C "$copy" \
		O="$work/o-$v" CC="$cc" $(variant_args "$v") -j"$jobs" \
		$(targets_of "$v") >"$log" 2>&1
}

variants=""
for v in $(for p in "${sel[@]}"; do field "$p" Variant; done | sort -u); do
	runs "$v" && variants="$variants $v"
done
for v in $variants; do
	s=$(date +%s)
	if ! build "$v" "$logs/build-$v.log"; then
		tail -30 "$logs/build-$v.log" | sed 's/^/  | /'
		die "the unmutated $v build failed (log: $logs/build-$v.log)"
	fi
	echo "mutate: built the $v variant ($(( $(date +%s) - s ))s)"
done

# ---------------------------------------------------------------- tests
# run_entry VARIANT ENTRY LOG: run one "binary[:test,test]" entry of a
# Tests: line with the selftest runner's sanitizer settings, under the
# timeout; its exit status.
run_entry() {
	local v=$1 e=$2 log=$3 bin only=""

	bin=$work/o-$v/selftests/${e%%:*}
	case $e in
	*:*) only=${e#*:} ;;
	esac
	# A subshell, so that the shell's note on a test killed by a signal
	# ("Aborted") goes to the log too.  TSan stops at its first report.
	(
		ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
		UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
		TSAN_OPTIONS="suppressions=$copy/selftests/tsan.supp halt_on_error=1 ${TSAN_OPTIONS:-}" \
		BATON_TEST_ONLY=$only BATON_OBJTREE="$work/o-$v" \
		BATON_SRCTREE="$copy" timeout -k 10 "$tmo" "$bin"
		exit $?
	) >"$log" 2>&1
}

# Baseline: per variant and binary, the tests its entries name (the
# whole binary when an entry names none), on the unmutated copy.
for v in $variants; do
	for p in "${sel[@]}"; do
		[ "$(field "$p" Variant)" = "$v" ] || continue
		for e in $(field "$p" Tests); do
			case $e in
			*:*) echo "${e#*:}" | tr , '\n' | sed "s|^|${e%%:*} |" ;;
			*)   echo "$e *" ;;
			esac
		done
	done | sort -u | awk '
		$2 == "*" { all[$1] = 1; next }
		{ sep = ($1 in t) ? "," : ""; t[$1] = t[$1] sep $2 }
		END {
			for (b in all) print b
			for (b in t) if (!(b in all)) print b ":" t[b]
		}' | sort >"$work/baseline-$v"
	while IFS= read -r e; do
		log=$logs/baseline-$v-$(echo "${e%%:*}" | tr / _).log
		s=$(date +%s)
		if ! run_entry "$v" "$e" "$log"; then
			tail -30 "$log" | sed 's/^/  | /'
			die "baseline: $e fails in the unmutated $v build (log: $log)"
		fi
		echo "mutate: baseline: $v $e passed ($(( $(date +%s) - s ))s)"
	done <"$work/baseline-$v"
done

# ---------------------------------------------------------------- mutants
# evidence LOG SYMPTOM: the log's first line with the symptom, then its
# first failed CUnit assertion if that is another line.
evidence() {
	local sym assert

	sym=$(grep -m1 -E -- "$2" "$1" | sed 's/^ *//')
	assert=$(grep -m1 -E '^ +[0-9]+\. .*:[0-9]+ +- ' "$1" | sed 's/^ *//')
	[ -n "$sym" ] && printf '      %s\n' "$sym"
	[ -n "$assert" ] && [ "$assert" != "$sym" ] && printf '      %s\n' "$assert"
	return 0
}

# try_mutant PATCH: apply, build, run its tests, restore; sets verdict
# and detail.
try_mutant() {
	local p=$1 base v symptom hang e log rc f

	base=$(basename "$p" .patch)
	v=$(field "$p" Variant)
	symptom=$(field "$p" Symptom)
	hang=$(field "$p" Hang)
	verdict="" detail=""

	if ! apply "$copy" "$p" --dry-run >"$logs/$base.patch.log" 2>&1; then
		verdict=STALE
		detail="      the patch no longer applies: the code it mutates changed; update it
$(sed 's/^/      | /' "$logs/$base.patch.log" | head -10)"
		return
	fi
	restore_list=$(patch_files "$p")
	for f in $restore_list; do
		mkdir -p "$work/orig/$(dirname "$f")"
		cp -p "$copy/$f" "$work/orig/$f"
	done
	apply "$copy" "$p" >>"$logs/$base.patch.log" 2>&1
	touch "$work/stamp"
	if ! build "$v" "$logs/$base.build.log"; then
		verdict="NO BUILD"
		detail="the mutant does not compile (log: $logs/$base.build.log)"
	else
		for e in $(field "$p" Tests); do
			log=$logs/$base.$(echo "${e%%:*}" | tr / _).log
			run_entry "$v" "$e" "$log"
			rc=$?
			case $rc in
			0)
				detail="$detail
      $e: passed"
				;;
			124|137)
				if [ "$hang" = yes ]; then
					verdict=CAUGHT
					detail="$detail
      $e: hung (timeout ${tmo}s), the expected symptom"
					break
				fi
				detail="$detail
      $e: hung (timeout ${tmo}s), which this mutant does not expect (log: $log)"
				;;
			*)
				if grep -q -E -- "$symptom" "$log"; then
					verdict=CAUGHT
					detail="$detail
      $e: failed (exit $rc; log: $log)
$(evidence "$log" "$symptom")"
					break
				fi
				detail="$detail
      $e: failed (exit $rc), but not with /$symptom/ (log: $log)"
				;;
			esac
		done
		[ -n "$verdict" ] || verdict=MISSED
	fi
	# Back to the unmutated copy: the old time stamps, and the objects
	# compiled from the mutant deleted, so that only they are rebuilt.
	restore
	find "$work/o-$v" -name '*.o' -newer "$work/stamp" -exec rm -f {} +
}

caught=0 failed=0 skipped=0 results=""
for p in "${sel[@]}"; do
	base=$(basename "$p" .patch)
	v=$(field "$p" Variant)
	s=$(date +%s)
	if runs "$v"; then
		try_mutant "$p"
	else
		verdict=SKIPPED detail="      (MUTATE_VARIANTS=\"$run_variants\")"
	fi
	case $verdict in
	CAUGHT)  caught=$((caught + 1)) ;;
	SKIPPED) skipped=$((skipped + 1)) ;;
	*)       failed=$((failed + 1)) ;;
	esac
	line=$(printf '%-32s %-8s %-8s %4ss' "$base" "$v" "$verdict" \
		"$(( $(date +%s) - s ))")
	echo "$line"
	printf '%s\n' "$detail" | sed '/^$/d'
	results="$results$line
"
done

echo "mutate: summary ($(( $(date +%s) - t0 ))s in all; logs in $logs):"
printf '%s' "$results" | sed 's/^/  /'
echo "mutate: ${#sel[@]} mutants: $caught caught, $failed not caught" \
	"(missed, stale or not building), $skipped skipped"
[ "$failed" -eq 0 ]
