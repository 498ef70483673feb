package main

// Go counterparts of bench/bench_trace.c: stack dumps and goleak checks.

import (
	"fmt"
	"io"
	"runtime/pprof"
	"sync"
	"time"

	"go.uber.org/goleak"

	"gorobench/internal/harness"
)

func init() {
	harness.Register(
		harness.Row{Name: "dump_100k", Run: benchDump100k},
		harness.Row{Name: "verify_clean", Run: benchVerifyClean},
		harness.Row{Name: "verify_leak", Run: benchVerifyLeak},
	)
}

// parkN starts n goroutines blocked receiving from the returned channel and
// waits until they have all parked. Closing the channel releases them.
func parkN(n int) chan struct{} {
	ch := make(chan struct{})
	var started sync.WaitGroup
	started.Add(n)
	for range n {
		go func() {
			started.Done()
			<-ch
		}()
	}
	started.Wait()
	time.Sleep(parkSettle)
	return ch
}

// dump_100k: the debug=2 goroutine profile (runtime.Stack of every
// goroutine) of 100k parked goroutines, in seconds.
func benchDump100k(o harness.Opts) error {
	n := o.Size(100_000, 1_000)
	release := parkN(n)
	defer close(release)
	prof := pprof.Lookup("goroutine")
	var err error
	s := harness.Repeat(o, func() float64 {
		t0 := time.Now()
		if e := prof.WriteTo(io.Discard, 2); e != nil {
			err = e
		}
		return time.Since(t0).Seconds()
	})
	if err != nil {
		return err
	}
	harness.Emit("dump_100k", "s", s, harness.Extra{"goroutines": n})
	return nil
}

// verifyCleanCalls averages one repetition over several Find calls: a
// single clean Find is only tens of µs.
const verifyCleanCalls = 50

// verify_clean: goleak.Find when nothing leaked, in µs per call.
func benchVerifyClean(o harness.Opts) error {
	var err error
	s := harness.Repeat(o, func() float64 {
		t0 := time.Now()
		for range verifyCleanCalls {
			if e := goleak.Find(); e != nil {
				err = e
			}
		}
		return float64(time.Since(t0).Nanoseconds()) / 1e3 / verifyCleanCalls
	})
	if err != nil {
		return err
	}
	harness.Emit("verify_clean", "us", s, nil)
	return nil
}

// gather is the article's leaky Gather: nobody receives from out, so every
// goroutine it starts blocks forever in "chan send".
func gather(funcs ...func() int) <-chan int {
	out := make(chan int)
	for _, f := range funcs {
		go func() {
			out <- f()
		}()
	}
	return out
}

func gatherThree() <-chan int {
	return gather(
		func() int { return 11 },
		func() int { return 22 },
		func() int { return 33 },
	)
}

// verify_leak: time until goleak.Find reports the three goroutines Gather
// leaked, in ms (goleak retries with backoff before it gives up: ~0.44 s).
func benchVerifyLeak(o harness.Opts) error {
	var err error
	s := harness.Repeat(o, func() float64 {
		out := gatherThree()
		t0 := time.Now()
		found := goleak.Find()
		el := time.Since(t0)
		if found == nil {
			err = fmt.Errorf("goleak.Find reported no leak")
		}
		// Unblock the senders and let them exit, so the next repetition
		// starts clean.
		for range 3 {
			<-out
		}
		if e := goleak.Find(); e != nil {
			err = e
		}
		return float64(el.Nanoseconds()) / 1e6
	})
	if err != nil {
		return err
	}
	harness.Emit("verify_leak", "ms", s, nil)
	return nil
}
