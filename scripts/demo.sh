#!/bin/sh
# demo.sh BUILD_DIR — runs the article's walkthrough (make demo).
# The demo binary is built by `cmake --build BUILD_DIR` (examples/).
set -eu
build=${1:?usage: demo.sh BUILD_DIR}
demo="$build/examples/demo"
if [ ! -x "$demo" ]; then
	echo "demo.sh: $demo not found; build first (make build)" >&2
	exit 1
fi
exec "$demo"
