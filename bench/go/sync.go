package main

// Go counterparts of bench/bench_sync.c: sync, time and context.

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"

	"gorobench/internal/harness"
)

func init() {
	harness.Register(
		harness.Row{Name: "mutex_uncontended", Run: benchMutexUncontended},
		harness.Row{Name: "mutex_contended", Run: benchMutexContended},
		harness.Row{Name: "waitgroup", Run: benchWaitGroup},
		harness.Row{Name: "timer_start_stop", Run: benchTimerStartStop},
		harness.Row{Name: "sleep_100k", Run: benchSleep100k},
		harness.Row{Name: "ctx_cancel_fanout", Run: benchCtxCancelFanout},
		harness.Row{Name: "map_read_mostly", Run: benchMapReadMostly},
	)
}

// mutex_uncontended: Lock+Unlock by a single goroutine.
func benchMutexUncontended(o harness.Opts) error {
	n := o.Size(10_000_000, 1_000)
	s := harness.Repeat(o, func() float64 {
		var mu sync.Mutex
		t0 := time.Now()
		for range n {
			mu.Lock()
			mu.Unlock()
		}
		return harness.NsPer(time.Since(t0), n)
	})
	harness.Emit("mutex_uncontended", "ns/op", s, nil)
	return nil
}

// mutex_contended: one goroutine per P increments a shared counter under a
// mutex; the cost of one increment.
func benchMutexContended(o harness.Opts) error {
	total := o.Size(5_000_000, 1_000)
	workers := runtime.GOMAXPROCS(0)
	per := total / workers
	s := harness.Repeat(o, func() float64 {
		var mu sync.Mutex
		var wg sync.WaitGroup
		counter := 0
		t0 := time.Now()
		for range workers {
			wg.Go(func() {
				for range per {
					mu.Lock()
					counter++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return harness.NsPer(time.Since(t0), counter)
	})
	harness.Emit("mutex_contended", "ns/op", s, harness.Extra{"workers": workers})
	return nil
}

// waitgroup: wg.Go 1000 empty goroutines, then Wait; time per batch.
func benchWaitGroup(o harness.Opts) error {
	batches := o.Size(300, 2)
	s := harness.Repeat(o, func() float64 {
		t0 := time.Now()
		for range batches {
			var wg sync.WaitGroup
			for range spawnBatch {
				wg.Go(func() {})
			}
			wg.Wait()
		}
		return float64(time.Since(t0).Nanoseconds()) / 1e3 / float64(batches)
	})
	harness.Emit("waitgroup", "us/batch", s, harness.Extra{"batch": spawnBatch})
	return nil
}

// timer_start_stop: create a timer that would fire in an hour and stop it.
func benchTimerStartStop(o harness.Opts) error {
	n := o.Size(1_000_000, 1_000)
	s := harness.Repeat(o, func() float64 {
		t0 := time.Now()
		for range n {
			t := time.NewTimer(time.Hour)
			t.Stop()
		}
		return harness.NsPer(time.Since(t0), n)
	})
	harness.Emit("timer_start_stop", "ns/op", s, nil)
	return nil
}

// sleepFor is what every sleep_100k goroutine asks for.
const sleepFor = 10 * time.Millisecond

// sleep_100k: 100k goroutines sleep 10 ms each; how late do they wake?
// The value is the p99 lateness in µs, p50 an extra key.
func benchSleep100k(o harness.Opts) error {
	n := o.Size(100_000, 1_000)
	var p50s []float64
	p99s := harness.Repeat(o, func() float64 {
		late := make([]time.Duration, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				due := time.Now().Add(sleepFor)
				time.Sleep(sleepFor)
				late[i] = time.Since(due)
			})
		}
		wg.Wait()
		slices.Sort(late)
		p50s = append(p50s, us(late[n/2]))
		return us(late[n*99/100])
	})
	harness.Emit("sleep_100k", "us", p99s,
		harness.Extra{"p50": harness.Median(p50s), "p99": harness.Median(p99s)})
	return nil
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// parkSettle lets freshly started goroutines reach their blocking call, so
// a measurement starts with all of them parked.
const parkSettle = 20 * time.Millisecond

// ctx_cancel_fanout: 100k goroutines wait in a select on one context's Done
// channel; the time from cancel until the last one has woken, in ms.
func benchCtxCancelFanout(o harness.Opts) error {
	n := o.Size(100_000, 1_000)
	never := make(chan struct{})
	s := harness.Repeat(o, func() float64 {
		ctx, cancel := context.WithCancel(context.Background())
		var started, woke sync.WaitGroup
		started.Add(n)
		woke.Add(n)
		for range n {
			go func() {
				started.Done()
				select {
				case <-ctx.Done():
				case <-never:
				}
				woke.Done()
			}()
		}
		started.Wait()
		time.Sleep(parkSettle)
		t0 := time.Now()
		cancel()
		woke.Wait()
		return float64(time.Since(t0).Nanoseconds()) / 1e6
	})
	harness.Emit("ctx_cancel_fanout", "ms", s, harness.Extra{"goroutines": n})
	return nil
}

// map_read_mostly: sync.Map, one goroutine per P, 1024 int keys, one Store
// per 1000 operations (the rest Loads of present keys); ns per operation.
func benchMapReadMostly(o harness.Opts) error {
	const keys = 1024
	total := o.Size(10_000_000, 1_000)
	workers := runtime.GOMAXPROCS(0)
	per := total / workers
	s := harness.Repeat(o, func() float64 {
		var m sync.Map
		for k := uintptr(1); k <= keys; k++ {
			m.Store(k, k)
		}
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := range workers {
			wg.Go(func() {
				x := uint32(w + 1)
				found := 0
				for i := range per {
					x = x*1103515245 + 12345
					k := uintptr((x>>8)%keys + 1)
					if i%1000 == 0 {
						m.Store(k, k+uintptr(i))
					} else if _, ok := m.Load(k); ok {
						found++
					}
				}
				if found < 0 {
					panic("unreachable")
				}
			})
		}
		wg.Wait()
		return harness.NsPer(time.Since(t0), per*workers)
	})
	harness.Emit("map_read_mostly", "ns/op", s, harness.Extra{"workers": workers})
	return nil
}
