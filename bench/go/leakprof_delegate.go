//go:build !goexperiment.goroutineleakprofile

package main

// Without GOEXPERIMENT=goroutineleakprofile there is no goroutineleak
// profile: run the leakprof rows in the gobench-leakprof variant instead
// (built by bench/run.py next to gobench, see leakprof.go).

import "gorobench/internal/harness"

func init() {
	run := harness.Delegate("gobench-leakprof")
	for _, name := range []string{"leakprof_10k", "leakprof_100k", "leakprof_1m", "leakprof_heap_1g"} {
		harness.Register(harness.Row{Name: name, Run: func(o harness.Opts) error { return run(name, o) }})
	}
}
