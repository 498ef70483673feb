#!/bin/sh
# Installs the Debian packages goro's build and tests need.  As root it runs
# apt-get; otherwise it prints the exact command to run.  Quiet when all is
# there already.
set -eu

# clang + libclang-rt: the request-parser fuzz target (tests/fuzz/run.sh).
# libgtest-dev: the C++ test program (tests/cxx/test_cxx.cc); libcmocka-dev and
# the others: the test-framework recipes (examples/testing/).
# libcapstone-dev: the leak detector's machine-code liveness analysis.
PKGS="build-essential cmake pkg-config python3 libunwind-dev libdw-dev libelf-dev libcapstone-dev \
zlib1g-dev libcriterion-dev libgtest-dev libcmocka-dev protobuf-compiler valgrind gdb curl \
clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null
else
	echo "deps: missing packages:$missing"
	echo "deps: run:  sudo apt-get update && sudo apt-get install -y$missing"
	exit 1
fi
