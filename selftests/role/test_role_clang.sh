#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# selftest: variant-independent (run.sh: BATON_VARIANT_TESTS_ONLY)
# test_role_clang.sh - compile-fail test of the role capabilities: clang's
# -Wthread-safety must reject the fixtures that break a role rule, with
# the thread-safety diagnostic and nothing else, and accept the control.
# The public API's BATON_MAIN_ONLY / BATON_IO_ONLY too: an application's
# @parse that calls a main-only function fails (baton-kvd's own included),
# and the annotations are inert under gcc and in C++.
#
# Environment: BATON_SRCTREE (default: two levels up from this script),
#              CLANG (default: clang).  Exit 0 pass, 1 fail, 4 skip.

src=${BATON_SRCTREE:-$(cd "$(dirname "$0")/../.." && pwd)}
fix=$src/selftests/role/fixtures
clang=${CLANG:-clang}

if ! command -v "$clang" >/dev/null 2>&1; then
	echo "SKIP: $clang is not installed"
	exit 4
fi

flags="-std=gnu11 -fsyntax-only -Wthread-safety -Werror=thread-safety \
-I$src/include -I$src/include/uapi"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }

# must_compile FILE: no error and no warning at all.
must_compile() {
	# shellcheck disable=SC2086
	if $clang $flags "$fix/$1" >"$out" 2>&1 && [ ! -s "$out" ]; then
		ok "$1 compiles"
	else
		not_ok "$1 must compile cleanly:"
		sed 's/^/#   /' "$out"
	fi
}

# must_fail FILE DIAG: fails with a -Wthread-safety error containing DIAG,
# and compiles once that one warning is off (so it is the only problem).
must_fail() {
	# shellcheck disable=SC2086
	if $clang $flags "$fix/$1" >"$out" 2>&1; then
		not_ok "$1 compiled but breaks a role rule"
		return
	fi
	if ! grep -q "^[^ 	].*: error: $2.*\[-Werror,-Wthread-safety" "$out"; then
		not_ok "$1 failed, but not with the thread-safety error '$2':"
		sed 's/^/#   /' "$out"
		return
	fi
	# Diagnostic lines start at column 0; quoted source lines do not.
	if [ "$(grep -c '^[^ 	].*: error: ' "$out")" -ne \
	     "$(grep -c '^[^ 	].*: error: .*-Wthread-safety' "$out")" ]; then
		not_ok "$1 has errors besides the thread-safety one:"
		sed 's/^/#   /' "$out"
		return
	fi
	# shellcheck disable=SC2086
	if ! $clang $flags -Wno-thread-safety "$fix/$1" >"$out" 2>&1; then
		not_ok "$1 does not compile even without -Wthread-safety:"
		sed 's/^/#   /' "$out"
		return
	fi
	ok "$1 rejected: $2"
}

echo "# $($clang --version | head -1)"
must_compile role_ok.c
must_fail io_calls_main.c \
	"calling function 'main_only_work' requires holding role 'role_main'"
must_fail io_reads_main_field.c \
	"reading variable 'window' requires holding role 'role_main'"
must_fail foreign_calls_main.c \
	"calling function 'main_only_work' requires holding role 'role_main'"

# The public annotations, as an application uses them.
must_compile app_ok.c
must_fail app_parse_calls_main.c \
	"cannot call function 'baton_client_data' while role 'baton_role_io' is held"

# Inert elsewhere: gcc, and clang compiling C++, take the failing fixture.
cc=${GCC:-gcc}
if command -v "$cc" >/dev/null 2>&1; then
	if "$cc" -std=gnu11 -fsyntax-only -Wall -Wextra -Wno-unused-parameter \
			-Werror -I"$src/include/uapi" "$fix/app_parse_calls_main.c" \
			>"$out" 2>&1; then
		ok "app_parse_calls_main.c compiles with $cc: the annotations are empty"
	else
		not_ok "app_parse_calls_main.c must compile with $cc:"
		sed 's/^/#   /' "$out"
	fi
fi
# shellcheck disable=SC2086
if $clang -x c++ -std=c++17 -fsyntax-only -Wthread-safety \
		-Werror=thread-safety -I"$src/include/uapi" \
		"$fix/app_parse_calls_main.c" >"$out" 2>&1; then
	ok "app_parse_calls_main.c compiles as C++: the annotations are empty"
else
	not_ok "app_parse_calls_main.c must compile as C++ (clang -x c++):"
	sed 's/^/#   /' "$out"
fi

# baton-kvd is built with them on (make CC=clang: -Wthread-safety
# -Werror=thread-safety everywhere): its parse callback, kvd_parse(),
# calling baton_client_close() does not compile, its real one does.
kvd_flags="-std=gnu11 -fsyntax-only -D_GNU_SOURCE -Wthread-safety \
-Werror=thread-safety -I$src/include/uapi -iquote $src/tools/kvd"
kvd=$(dirname "$out")/kvd_resp_$$.c
trap 'rm -f "$out" "$kvd"' EXIT
# shellcheck disable=SC2086
if $clang $kvd_flags "$src/tools/kvd/resp.c" >"$out" 2>&1 && [ ! -s "$out" ]; then
	ok "tools/kvd/resp.c compiles with the role annotations on"
else
	not_ok "tools/kvd/resp.c must compile cleanly:"
	sed 's/^/#   /' "$out"
fi
sed '/^ssize_t kvd_parse(/,/^}/s/^\t\*req = NULL;$/\tbaton_client_close(c);\n&/' \
	"$src/tools/kvd/resp.c" >"$kvd"
if ! grep -q '^	baton_client_close(c);$' "$kvd"; then
	not_ok "kvd_parse() in tools/kvd/resp.c has no '*req = NULL;' to put a call before"
# shellcheck disable=SC2086
elif $clang $kvd_flags "$kvd" >"$out" 2>&1; then
	not_ok "kvd_parse() calling baton_client_close() compiled"
elif grep -q "error: cannot call function 'baton_client_close' while role 'baton_role_io' is held" "$out"; then
	ok "kvd_parse() calling baton_client_close() is rejected"
else
	not_ok "kvd_parse() calling baton_client_close() failed otherwise:"
	sed 's/^/#   /' "$out"
fi

exit $fail
