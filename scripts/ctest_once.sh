#!/bin/sh
# Runs a build directory's tests once (the project's rule: a test that fails
# sometimes is a bug in the code or in the test).  Only tests labelled
# `flaky` -- each carries its reason next to its set_tests_properties() --
# may run a second time, and every such rerun is printed as
# "RERUN: <test>" so CI logs show it.
#
#     scripts/ctest_once.sh <build-dir> [ctest args...]
set -u
dir=$1
shift
cd "$dir" || exit 2
status=0
ctest --output-on-failure -LE flaky "$@" || status=1
# The flaky-labelled tests: one rerun of each failure, printed.
if ctest -N -L flaky "$@" | grep -q 'Test *#'; then
	if ! ctest --output-on-failure -L flaky "$@"; then
		for t in $(sed -n 's/^[0-9]*:\(.*\)$/\1/p' Testing/Temporary/LastTestsFailed.log 2>/dev/null); do
			echo "RERUN: $t (labelled flaky; see its reason in tests/)"
		done
		ctest --output-on-failure --rerun-failed "$@" || status=1
	fi
fi
exit $status
