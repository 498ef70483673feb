#!/bin/sh
# check_install.sh BUILD_DIR — installs BUILD_DIR to a temporary prefix,
# moves the installed tree (goro.pc and the CMake package must be
# relocatable), then builds and runs a consumer four ways: pkg-config
# (shared, and --static), find_package(goro) with goro::goro (shared, and
# static with GORO_STATIC=ON).  Each must link the library it asked for.
set -eu
build=$(cd "${1:?usage: check_install.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/staged" >/dev/null
mv "$tmp/staged" "$tmp/moved"          # nothing may point at the old prefix
prefix=$tmp/moved
pcdir=$(dirname "$(find "$prefix" -name goro.pc)")
grep -q '^prefix=${pcfiledir}' "$pcdir/goro.pc" || fail "goro.pc is not relocatable"

expect() {   # expect NAME PROGRAM: runs it, checks its output
	out=$("$2") || fail "$1: the program failed"
	[ "$out" = "14" ] || fail "$1: printed '$out', want '14'"
	echo "ok   $1"
}
links_shared() { ldd "$2" | grep -q 'libgoro\.so' || fail "$1: not linked to libgoro.so"; }
links_static() { ldd "$2" | grep -q 'libgoro\.so' && fail "$1: linked to libgoro.so, want libgoro.a"; true; }

export PKG_CONFIG_PATH="$pcdir"
cc=${CC:-cc}
# shellcheck disable=SC2046
$cc -o "$tmp/pc_shared" "$here/consumer/consumer.c" $(pkg-config --cflags --libs goro) \
	-Wl,-rpath,"$(pkg-config --variable=libdir goro)"
links_shared "pkg-config" "$tmp/pc_shared"
expect "pkg-config (shared)" "$tmp/pc_shared"
# shellcheck disable=SC2046
# The README's static recipe: libgoro.a by name, its dependencies from --static.
$cc -o "$tmp/pc_static" "$here/consumer/consumer.c" $(pkg-config --cflags goro) \
	"$(pkg-config --variable=libdir goro)/libgoro.a" \
	$(pkg-config --static --libs goro | sed 's/-lgoro //')
links_static "pkg-config --static" "$tmp/pc_static"
expect "pkg-config --static" "$tmp/pc_static"

for kind in shared static; do
	flag=OFF; [ $kind = static ] && flag=ON
	cmake -S "$here/consumer" -B "$tmp/cm_$kind" -DCMAKE_PREFIX_PATH="$prefix" \
		-DGORO_STATIC=$flag >"$tmp/cm_$kind.log" 2>&1 &&
	cmake --build "$tmp/cm_$kind" >>"$tmp/cm_$kind.log" 2>&1 ||
		{ cat "$tmp/cm_$kind.log"; fail "find_package(goro), $kind: build failed"; }
	links_$kind "find_package $kind" "$tmp/cm_$kind/consumer"
	expect "find_package(goro) goro::goro ($kind)" "$tmp/cm_$kind/consumer"
done
