package main

// synctest.Test needs a *testing.T, which only a test binary has: the
// synctest rows live in ./synctestbench, built with `go test -c` as
// gobench-synctest next to gobench, which runs them there.

import "gorobench/internal/harness"

func init() {
	run := harness.Delegate("gobench-synctest")
	for _, name := range []string{"synctest_small", "synctest_timers", "synctest_leak_report"} {
		harness.Register(harness.Row{Name: name, Run: func(o harness.Opts) error { return run(name, o) }})
	}
}
