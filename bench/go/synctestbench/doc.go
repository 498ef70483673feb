// Package synctestbench holds the Go counterparts of bench/bench_synctest.c.
// synctest.Test needs a *testing.T, so they run inside a test binary:
//
//	go test -C bench/go -c -o build/bench/gobench-synctest ./synctestbench
//	build/bench/gobench-synctest synctest_small --reps 5
//
// Its TestMain speaks the bench row protocol (see internal/harness) and
// then hands the chosen row to TestRow, which owns the *testing.T.
package synctestbench
