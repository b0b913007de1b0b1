#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_fault_sites.sh - every allocation and every socket call of the
# library goes through the fault-injection wrappers of
# include/baton/fault.h (bt_malloc, bt_read, ...), so that the fault walk
# (test_fault_walk) reaches each of them: a plain malloc() or sendmsg()
# added to lib/*.c fails this test with its file:line.  Runs in every
# build variant (it reads the sources only).
#
# Not checked: read() and write() on descriptors that are not client
# sockets (eventfds, the signalfd); a read or write of a client's fd
# (c->fd) is.
#
# Environment: BATON_SRCTREE (default: two levels up).

src=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
fail=0

# Source lines of lib/*.c but fault.c, without comment lines, as
# "file:line:text".
code_lines() {
	for f in "$src"/lib/*.c; do
		[ "$(basename "$f")" = fault.c ] && continue
		grep -nH '' "$f" | grep -vE '^[^:]*:[0-9]+:[[:space:]]*(\*|/\*|//)'
	done | sed "s|^$src/||"
}

# check WHAT REGEX: no line may call one of these directly.
check() {
	hits=$(code_lines | grep -E "$2")
	if [ -n "$hits" ]; then
		echo "not ok - $1 outside the fault wrappers (use bt_*):"
		echo "$hits" | sed 's/^/#   /'
		fail=1
	else
		echo "ok - every $1 goes through a bt_* wrapper"
	fi
}

nb='(^|[^_[:alnum:]])'
check "allocation" \
	"$nb(malloc|calloc|realloc|reallocarray|strdup|strndup|aligned_alloc|posix_memalign|memalign)[[:space:]]*\\("
check "socket call" \
	"$nb(send|sendmsg|sendmmsg|sendto|recv|recvmsg|recvmmsg|recvfrom|accept|accept4|writev|readv)[[:space:]]*\\("
check "read or write of a client socket" \
	"$nb(read|write)[[:space:]]*\\([[:space:]]*c->fd"

# The wrappers must be used at all, or the checks above prove nothing.
n=$(code_lines | grep -cE "${nb}bt_(malloc|calloc|realloc|read|send|sendmsg|accept4)[[:space:]]*\\(")
if [ "$n" -lt 10 ]; then
	echo "not ok - only $n bt_* calls in lib/: is this the right tree?"
	fail=1
else
	echo "ok - $n bt_* call sites in lib/"
fi
exit $fail
