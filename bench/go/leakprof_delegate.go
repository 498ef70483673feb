//go:build !go1.27 && !goexperiment.goroutineleakprofile

package main

// Go 1.26 without GOEXPERIMENT=goroutineleakprofile has no goroutineleak
// profile (Go 1.27 has it always): run the leakprof rows in the gobench-leakprof variant instead
// (built by bench/run.py next to gobench, see leakprof.go).

import "gorobench/internal/harness"

func init() {
	run := harness.Delegate("gobench-leakprof")
	for _, name := range []string{"leakprof_10k", "leakprof_100k", "leakprof_1m", "leakprof_heap_1g",
		"leakprof_10k_stall", "leakprof_100k_stall", "leakprof_1m_stall", "leakprof_heap_stall", "leakprof_write_1m"} {
		harness.Register(harness.Row{Name: name, Run: func(o harness.Opts) error { return run(name, o) }})
	}
}
