#!/bin/sh
# check.sh BUILD_DIR — builds verdicts.c against libcriterion and against
# minicriterion (linking BUILD_DIR/libgoro.a, a non-sanitizer build), runs
# both, and checks that every test got the verdict its suite names.
# Exit status 0 when both harnesses agree with every expected verdict.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
build=$(cd "${1:?usage: check.sh BUILD_DIR}" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

libs="$build/libgoro.a $(pkg-config --libs libunwind libdw) -lz -lpthread -ldl"
cflags="-std=gnu11 -g -O1 -Wall -Wno-unused-parameter -I$root/include"
cc $cflags -o "$out/criterion" "$here/verdicts.c" $libs -lcriterion
cc $cflags -I"$here/.." -o "$out/mini" "$here/verdicts.c" "$here"/../*.c $libs

# Criterion: TAP lines "ok - suite::name ... # SKIP ..." / "not ok - ...".
"$out/criterion" --jobs 2 --tap="$out/criterion.tap" >/dev/null 2>&1 || true
sed -n 's/^ok - \([^ ]*\).*# SKIP.*/\1 skip/p; t
        s/^ok - \([^ ]*\).*/\1 pass/p; s/^not ok - \([^ ]*\).*/\1 fail/p' \
	"$out/criterion.tap" | sort >"$out/criterion.got"
# minicriterion: "[PASS] suite::name[i]: reason".
"$out/mini" --jobs 2 >"$out/mini.log" 2>&1 || true
sed -n 's/^\[\(PASS\|FAIL\|SKIP\)\] \([a-z_]*::[a-z_]*\).*/\2 \1/p' "$out/mini.log" |
	tr 'A-Z' 'a-z' | sort >"$out/mini.got"

status=0
for h in criterion mini; do
	# the verdict each test must get is its suite's name
	if awk '{ split($1, p, "::"); if (p[1] != $2) { print "'$h': " $0; bad = 1 } }
	        END { exit bad }' "$out/$h.got"; then
		echo "$h: $(wc -l <"$out/$h.got") verdicts as expected"
	else
		status=1
	fi
done
if ! cmp -s "$out/criterion.got" "$out/mini.got"; then
	echo "the harnesses ran different tests:"
	diff "$out/criterion.got" "$out/mini.got" || true
	status=1
fi
[ $status -eq 0 ] || cat "$out/mini.log"
exit $status
