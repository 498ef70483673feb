#!/bin/sh
# check_headers.sh INCLUDE_DIR — goro's public headers compile cleanly
# (-Wall -Wextra -pedantic -Werror) as C++11, 14, 17 and 20 with g++ and
# clang++ (each compiler that is installed), and as C11/C17 with cc.
set -eu
inc=${1:?usage: check_headers.sh INCLUDE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
n=0
for cxx in g++ clang++; do
	command -v $cxx >/dev/null || { echo "skip $cxx (not installed)"; continue; }
	for std in 11 14 17 20; do
		$cxx -std=c++$std -Wall -Wextra -pedantic -Werror -fsyntax-only \
			-I"$inc" "$here/headers.cc" || { echo "FAIL $cxx -std=c++$std"; exit 1; }
		echo "ok   $cxx -std=c++$std"; n=$((n + 1))
	done
done
for cc in gcc clang; do
	command -v $cc >/dev/null || continue
	for std in c11 c17; do
		echo '#include <goro.h>' | $cc -std=$std -Wall -Wextra -Werror -fsyntax-only \
			-I"$inc" -x c - || { echo "FAIL $cc -std=$std"; exit 1; }
		echo "ok   $cc -std=$std"
	done
done
[ $n -gt 0 ] || { echo "FAIL: no C++ compiler"; exit 1; }
