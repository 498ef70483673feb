#!/bin/sh
# Builds the request-parser fuzz target with clang's libFuzzer (ASan and
# UBSan on) and runs it for FUZZ_SECONDS (default 20) from the seed corpus
# in tests/fuzz/corpus/http_request/.  New inputs go to a scratch corpus,
# never into the repository; a crash leaves its input in the build dir and
# makes the script fail.
#
#     tests/fuzz/run.sh                  # 20 s, as the CI runs it
#     FUZZ_SECONDS=600 tests/fuzz/run.sh # longer, by hand
set -eu
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${FUZZ_SECONDS:-20}
OUT=${FUZZ_BUILD:-build/fuzz}
CC=${FUZZ_CC:-clang}

command -v "$CC" >/dev/null 2>&1 || {
	echo "fuzz: $CC not found (scripts/deps.sh installs clang)" >&2
	exit 1
}
mkdir -p "$OUT/scratch"
"$CC" -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Iinclude -Isrc -o "$OUT/fuzz_http_request" \
	tests/fuzz/fuzz_http_request.c src/net/http_request.c
"$OUT/fuzz_http_request" -max_total_time="$SECONDS_TO_RUN" -max_len=12000 \
	-artifact_prefix="$OUT/" -print_final_stats=1 \
	"$OUT/scratch" tests/fuzz/corpus/http_request
