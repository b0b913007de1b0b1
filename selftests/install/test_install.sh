#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_install.sh - `make install` puts exactly the public headers, the
# libraries and baton.pc under DESTDIR; baton.pc brings liburcu in through
# Requires.private; a program outside the tree builds against them with
# pkg-config, runs against the installed libbaton.so and links statically
# too; the .so exports only baton_* symbols; `make uninstall` removes it
# all.
#
# Environment: BATON_SRCTREE, BATON_OBJTREE (the build to install), MAKE,
# CC, SAN (the program is built with the same sanitizer as the library).

src=${BATON_SRCTREE:?}
obj=${BATON_OBJTREE:?}
make=${MAKE:-make}
cc=${CC:-cc}

for tool in pkg-config readelf nm; do
	command -v $tool >/dev/null 2>&1 || {
		echo "SKIP: $tool is not installed"; exit 4; }
done

tmp=$(mktemp -d "$obj/install-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

fails=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
die() { echo "FAIL $1"; exit 1; }

case "$SAN" in
address) san="-fsanitize=address,undefined" ;;
thread)  san="-fsanitize=thread" ;;
*)       san= ;;
esac

# MAKEFLAGS from `make check` carries the variant (CC=, SAN=, ...), so
# the install uses the objects already built in $obj as they are.
$make -s -C "$src" O="$obj" install DESTDIR="$dest" PREFIX=/usr \
	>"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log"; die "make install"; }
ok "make install DESTDIR=... PREFIX=/usr"

# ---------------------------------------------------------------- the list
(cd "$dest" && find . ! -type d | sed 's|^\./||' | sort) >"$tmp/got"
{
	for h in "$src"/include/uapi/baton/*.h; do
		echo "usr/include/baton/${h##*/}"
	done
	echo usr/lib/libbaton.a
	echo usr/lib/libbaton.so
	echo usr/lib/libbaton.so.0
	(cd "$obj" && ls libbaton.so.0.*) | sed 's|^|usr/lib/|'
	echo usr/lib/pkgconfig/baton.pc
} | sort >"$tmp/want"
if cmp -s "$tmp/got" "$tmp/want"; then
	ok "installed exactly the public headers, libraries and baton.pc"
else
	bad "installed files differ (- expected, + installed):"
	diff -u "$tmp/want" "$tmp/got" | sed -n 's/^\([-+][^-+]\)/     \1/p'
fi
for h in "$src"/include/baton/*.h; do
	[ -e "$dest/usr/include/baton/${h##*/}" ] &&
		bad "internal header ${h##*/} was installed"
done
[ "$(readlink "$dest/usr/lib/libbaton.so")" = libbaton.so.0 ] &&
[ -L "$dest/usr/lib/libbaton.so.0" ] ||
	bad "libbaton.so -> libbaton.so.0 -> libbaton.so.0.x.y symlinks"

# ---------------------------------------------------------------- the .so
so=$dest/usr/lib/libbaton.so.0
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = libbaton.so.0 ]; then
	ok "SONAME is libbaton.so.0"
else
	bad "SONAME is '$soname', not libbaton.so.0"
fi
nm -D --defined-only "$so" | awk '{ print $NF }' | sed 's/@.*//' |
	grep -v -e '^baton_' -e '^LIBBATON_' >"$tmp/leaks"
if [ -s "$tmp/leaks" ]; then
	bad "libbaton.so exports symbols without the baton_ prefix:"
	sed 's/^/     /' "$tmp/leaks" | head -20
else
	ok "libbaton.so exports only baton_* symbols"
fi
# ... and exactly the functions the public headers declare BATON_API:
# none missing (a user would not link), none extra (an internal function
# marked by mistake).
nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sed 's/@.*//' |
	sort -u >"$tmp/exported"
cat "$dest"/usr/include/baton/*.h | tr '\n' ' ' | grep -o 'BATON_API[^;(]*(' |
	sed -n 's/.*[ *]\(baton_[A-Za-z0-9_]*\) *($/\1/p' | sort -u >"$tmp/declared"
if cmp -s "$tmp/exported" "$tmp/declared"; then
	ok "it exports exactly the $(wc -l <"$tmp/declared") BATON_API functions"
else
	bad "exported functions differ from the BATON_API declarations" \
		"(- declared only, + exported only):"
	diff "$tmp/declared" "$tmp/exported" | sed -n 's/^</     -/p; s/^>/     +/p'
fi

# ---------------------------------------------------------------- a user
cat >"$tmp/user.c" <<'EOF'
/* A program that uses the installed library the way an application does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <baton/baton.h>

struct thing {
	struct baton_obj obj;
	int payload;
};

static int freed;

static void thing_free(struct baton_obj *obj)
{
	free(baton_container_of(obj, struct thing, obj));
	freed++;
}

static struct baton_type thing_type = {
	.name = "thing",
	.free = thing_free,
	.flags = BATON_TYPE_FREE_ANY_THREAD,
};

int main(void)
{
	static const struct baton_log_ops ops = {
		.fn = baton_log_stderr, .max_level = BATON_LOG_WARN,
	};
	struct thing *t;

	baton_log_set(&ops);
	baton_log_set(NULL);
	baton_log_stderr(BATON_LOG_INFO, "installed library reachable", NULL);

	if (baton_type_register(&thing_type) != 0) {
		fprintf(stderr, "baton_type_register failed\n");
		return 1;
	}
	t = calloc(1, sizeof(*t));
	if (!t || baton_obj_init(&t->obj, &thing_type) != 0)
		return 1;
	baton_obj_get(&t->obj);
	if (baton_obj_refs(&t->obj) != 2) {
		fprintf(stderr, "refs %u, expected 2\n", baton_obj_refs(&t->obj));
		return 1;
	}
	baton_obj_put(&t->obj);
	baton_obj_put(&t->obj);
	if (freed != 1) {
		fprintf(stderr, "freed %d times, expected once\n", freed);
		return 1;
	}
	printf("user: ok (version %d.%d.%d)\n", BATON_VERSION_MAJOR,
	       BATON_VERSION_MINOR, BATON_VERSION_PATCH);
	return 0;
}
EOF

# pkg-config sees the installed tree first, then the system's .pc files
# (baton.pc requires liburcu's): the .pc says prefix=/usr and the sysroot
# maps that into DESTDIR.  System dirs are kept in the output since
# /usr/include here means $dest/usr/include.  The sysroot maps liburcu's
# -L too, to a directory that does not exist, which the linker ignores;
# it finds liburcu where it always does.
syspc=$(pkg-config --variable pc_path pkg-config) ||
	die "pkg-config --variable pc_path pkg-config"
export PKG_CONFIG_LIBDIR="$dest/usr/lib/pkgconfig:$syspc"
export PKG_CONFIG_SYSROOT_DIR="$dest"
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
unset PKG_CONFIG_PATH
cflags=$(pkg-config --cflags baton) || die "pkg-config --cflags baton"
libs=$(pkg-config --libs baton) || die "pkg-config --libs baton"
slibs=$(pkg-config --static --libs baton) || die "pkg-config --static --libs"
echo "     cflags: $cflags"
echo "     libs:   $libs"
echo "     static: $slibs"
case "$cflags" in
*"$dest/usr/include"*) ok "pkg-config --cflags points into the install" ;;
*) bad "pkg-config --cflags '$cflags' does not name $dest/usr/include" ;;
esac

# liburcu comes in through Requires.private, never by hand: a dynamic
# link does not name it, a static one gets exactly what liburcu's own
# .pc files say.
req=$(pkg-config --print-requires-private baton | tr '\n' ' ')
if [ "$req" = "liburcu-memb liburcu-cds " ]; then
	ok "baton.pc: Requires.private: liburcu-memb liburcu-cds"
else
	bad "baton.pc requires privately '$req', not liburcu-memb liburcu-cds"
fi
grep -q -- '-lurcu' "$dest/usr/lib/pkgconfig/baton.pc" &&
	bad "baton.pc lists liburcu's libraries by hand"
case " $libs " in
*urcu*) bad "pkg-config --libs baton names liburcu: '$libs'" ;;
esac
urcu=$(pkg-config --static --libs liburcu-memb liburcu-cds) ||
	die "pkg-config --static --libs liburcu-memb liburcu-cds"
missing=
for l in $urcu; do
	case "$l" in -l*) case " $slibs " in *" $l "*) ;; *) missing="$missing $l" ;; esac ;; esac
done
if [ -z "$missing" ]; then
	ok "pkg-config --static --libs baton adds liburcu's libraries"
else
	bad "pkg-config --static --libs baton lacks$missing"
fi

# Compiled in $tmp with no -I into the source tree: only what was installed.
(cd "$tmp" && $cc -std=gnu11 -Wall -Wextra -Werror $san $cflags \
	-o user-shared user.c $libs) >"$tmp/cc.log" 2>&1
if [ $? -eq 0 ]; then
	ok "a program builds against the installed headers and libbaton.so"
	if out=$(LD_LIBRARY_PATH="$dest/usr/lib" "$tmp/user-shared" 2>&1); then
		ok "it runs against the installed libbaton.so: $(echo "$out" |
			tail -n 1)"
	else
		bad "user-shared failed:"; echo "$out" | sed 's/^/     /'
	fi
	LD_LIBRARY_PATH="$dest/usr/lib" ldd "$tmp/user-shared" 2>/dev/null |
		grep -q "$dest/usr/lib/libbaton.so.0" ||
		bad "user-shared does not load $dest/usr/lib/libbaton.so.0"
else
	bad "building against the installed library:"
	sed 's/^/     /' "$tmp/cc.log"
fi

# A fully static program; the sanitizers' runtimes cannot be linked
# statically, so a SAN= build links only libbaton.a statically.
if [ -z "$san" ]; then
	static="-static $slibs"
else
	static=$(echo "$slibs" | sed 's/-lbaton/-l:libbaton.a/')
fi
(cd "$tmp" && $cc -std=gnu11 -Wall -Wextra -Werror $san $cflags \
	-o user-static user.c $static) >"$tmp/cc.log" 2>&1
if [ $? -eq 0 ]; then
	if readelf -d "$tmp/user-static" | grep -q 'libbaton\.so'; then
		bad "user-static still needs libbaton.so"
	elif out=$("$tmp/user-static" 2>&1); then
		ok "linked with pkg-config --static --libs${san:+ (libbaton.a only)}, runs without the .so"
	else
		bad "user-static failed:"; echo "$out" | sed 's/^/     /'
	fi
else
	bad "static link with pkg-config --static --libs:"
	sed 's/^/     /' "$tmp/cc.log"
fi

# Every public header compiles on its own.
for h in "$dest"/usr/include/baton/*.h; do
	printf '#include <baton/%s>\n' "${h##*/}" >"$tmp/one.c"
	$cc -std=gnu11 -Wall -Wextra -Werror $cflags -fsyntax-only \
		"$tmp/one.c" >"$tmp/cc.log" 2>&1 ||
		{ bad "<baton/${h##*/}> does not compile alone:"
		  sed 's/^/     /' "$tmp/cc.log"; }
done

# The umbrella header is usable from C++ too (extern "C", no C-only
# syntax in the structs), where a C++ compiler is installed.
cxx=$(command -v g++ || command -v clang++ || true)
if [ -n "$cxx" ]; then
	printf '#include <baton/baton.h>\nint main() { return 0; }\n' >"$tmp/one.cc"
	if $cxx -Wall -Wextra -Werror $cflags -fsyntax-only "$tmp/one.cc" \
		>"$tmp/cc.log" 2>&1; then
		ok "<baton/baton.h> compiles as C++"
	else
		bad "<baton/baton.h> does not compile as C++:"
		sed 's/^/     /' "$tmp/cc.log"
	fi
fi

# ---------------------------------------------------------------- uninstall
$make -s -C "$src" O="$obj" uninstall DESTDIR="$dest" PREFIX=/usr \
	>"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log"; die "make uninstall"; }
left=$(cd "$dest" && find . ! -type d)
if [ -z "$left" ]; then
	ok "make uninstall removed every installed file"
else
	bad "make uninstall left:"; echo "$left" | sed 's/^/     /'
fi

if [ $fails -ne 0 ]; then
	echo "$fails install check(s) failed"
	exit 1
fi
echo "install: every check passed"
