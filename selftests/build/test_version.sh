#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_version.sh - the version has one home, BATON_VERSION_MAJOR/MINOR/
# PATCH in include/uapi/baton/api.h: `make version`, the built library's
# file name and SONAME, baton.pc and baton-kvd's version all say the
# same, and lib/libbaton.map's newest node is not newer than it.
#
# The header is read through the preprocessor here, not with the
# Makefile's sed, so a Makefile that misreads it fails this test.
#
# Environment: BATON_SRCTREE, BATON_OBJTREE (a finished build), MAKE, CC.

src=${BATON_SRCTREE:?}
obj=${BATON_OBJTREE:?}
make=${MAKE:-make}
cc=${CC:-cc}

fails=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# macro HEADER NAME [CPPFLAGS...]: the value NAME expands to after
# including HEADER, string literals pasted together.
macro() {
	h=$1 m=$2; shift 2
	printf '#include <%s>\n@@@ %s\n' "$h" "$m" |
		$cc -E -P "$@" -x c - 2>/dev/null |
		sed -n 's/^@@@ //p' | sed 's/" *"//g; s/^"//; s/"$//'
}

inc="-I$src/include/uapi"
major=$(macro baton/api.h BATON_VERSION_MAJOR $inc)
minor=$(macro baton/api.h BATON_VERSION_MINOR $inc)
patch=$(macro baton/api.h BATON_VERSION_PATCH $inc)
case "$major.$minor.$patch" in
*[!0-9.]*|.*|*..*|*.)
	echo "FAIL api.h's version is '$major.$minor.$patch', not three numbers"
	exit 1 ;;
esac
v=$major.$minor.$patch
echo "     include/uapi/baton/api.h: $v"

got=$($make -s -C "$src" O="$obj" version 2>&1)
if [ "$got" = "$v" ]; then
	ok "make version says $v"
else
	bad "make version says '$got', api.h $v"
fi

if [ -f "$obj/libbaton.so.$v" ]; then
	ok "the library is libbaton.so.$v"
else
	bad "no libbaton.so.$v in $obj:"; ls "$obj" | grep '^libbaton' | sed 's/^/     /'
fi
if command -v readelf >/dev/null 2>&1; then
	soname=$(readelf -d "$obj/libbaton.so.$v" 2>/dev/null |
		sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	if [ "$soname" = "libbaton.so.$major" ]; then
		ok "its SONAME is libbaton.so.$major"
	else
		bad "its SONAME is '$soname', not libbaton.so.$major"
	fi
fi

pcv=$(sed -n 's/^Version: *//p' "$obj/baton.pc")
if [ "$pcv" = "$v" ]; then
	ok "baton.pc says Version: $v"
else
	bad "baton.pc says Version: '$pcv', api.h $v"
fi

# baton-kvd reports its version in INFO (KVD_VERSION); it is the
# library's, never a number of its own.
kv=$(macro kvd.h KVD_VERSION -D_GNU_SOURCE -I"$src/tools/kvd" \
	-I"$src/include" $inc)
if [ "$kv" = "$v" ]; then
	ok "baton-kvd's KVD_VERSION is $v"
else
	bad "baton-kvd's KVD_VERSION is '$kv', api.h $v"
fi

# The version script: one node per release, LIBBATON_<major>.<minor>.
# Nodes are ABI history and never renamed, so the newest one is checked,
# not generated: it must not be newer than the version, and it must be
# of the same major (a new SONAME starts its nodes again).
newest=$(sed -n 's/^LIBBATON_\([0-9]\{1,\}\)\.\([0-9]\{1,\}\) *{.*/\1 \2/p' \
	"$src/lib/libbaton.map" | sort -n -k1,1 -k2,2 | tail -n 1)
nmaj=${newest% *} nmin=${newest#* }
if [ -z "$newest" ]; then
	bad "lib/libbaton.map has no LIBBATON_<major>.<minor> node"
elif [ "$nmaj" -ne "$major" ]; then
	bad "lib/libbaton.map's newest node LIBBATON_$nmaj.$nmin is not of major $major"
elif [ "$nmin" -gt "$minor" ]; then
	bad "lib/libbaton.map's newest node LIBBATON_$nmaj.$nmin is newer than $v"
else
	ok "lib/libbaton.map's newest node LIBBATON_$nmaj.$nmin fits $v"
fi

if [ $fails -ne 0 ]; then
	echo "$fails version check(s) failed"
	exit 1
fi
echo "version: every check passed"
