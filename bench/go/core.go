package main

// Go counterparts of bench/bench_core.c: scheduler and channel costs.

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorobench/internal/harness"
)

func init() {
	harness.Register(
		harness.Row{Name: "yield", Run: benchYield},
		harness.Row{Name: "spawn", Run: benchSpawn},
		harness.Row{Name: "chan_unbuffered", Run: benchChanUnbuffered},
		harness.Row{Name: "chan_buffered", Run: benchChanBuffered},
		harness.Row{Name: "select2", Run: benchSelect2},
		harness.Row{Name: "blocked_1m", Run: benchBlocked1M},
		harness.Row{Name: "blocked_1m_rss", Run: benchBlocked1M},
		harness.Row{Name: "fanin_parallel", Run: benchFaninParallel},
	)
}

// yield: two goroutines call Gosched in turn; the cost of one switch.
func benchYield(o harness.Opts) error {
	n := o.Size(1_000_000, 1_000)
	s := harness.Repeat(o, func() float64 {
		var wg sync.WaitGroup
		t0 := time.Now()
		for range 2 {
			wg.Go(func() {
				for range n {
					runtime.Gosched()
				}
			})
		}
		wg.Wait()
		return harness.NsPer(time.Since(t0), 2*n)
	})
	harness.Emit("yield", "ns/op", s, nil)
	return nil
}

// spawnBatch is the join unit of spawn and waitgroup: big enough to hide the
// Wait, small enough that the live goroutines stay in cache.
const spawnBatch = 1000

// spawn: start an empty goroutine and see it finish (joined per batch).
func benchSpawn(o harness.Opts) error {
	batches := o.Size(500, 2)
	s := harness.Repeat(o, func() float64 {
		t0 := time.Now()
		for range batches {
			var wg sync.WaitGroup
			wg.Add(spawnBatch)
			for range spawnBatch {
				go wg.Done()
			}
			wg.Wait()
		}
		return harness.NsPer(time.Since(t0), batches*spawnBatch)
	})
	harness.Emit("spawn", "ns/op", s, nil)
	return nil
}

// chan_unbuffered: one message handed from a sender goroutine to a receiver.
func benchChanUnbuffered(o harness.Opts) error {
	n := o.Size(1_000_000, 1_000)
	s := harness.Repeat(o, func() float64 {
		ch := make(chan int)
		t0 := time.Now()
		go func() {
			for i := range n {
				ch <- i
			}
		}()
		for range n {
			<-ch
		}
		return harness.NsPer(time.Since(t0), n)
	})
	harness.Emit("chan_unbuffered", "ns/op", s, nil)
	return nil
}

// chan_buffered: send then receive in one goroutine (never blocks).
func benchChanBuffered(o harness.Opts) error {
	n := o.Size(5_000_000, 1_000)
	s := harness.Repeat(o, func() float64 {
		ch := make(chan int, 1)
		t0 := time.Now()
		for i := range n {
			ch <- i
			<-ch
		}
		return harness.NsPer(time.Since(t0), n)
	})
	harness.Emit("chan_buffered", "ns/op", s, nil)
	return nil
}

// select2: select over two receive channels fed alternately by a sender.
func benchSelect2(o harness.Opts) error {
	n := o.Size(500_000, 1_000)
	s := harness.Repeat(o, func() float64 {
		a, b := make(chan int), make(chan int)
		t0 := time.Now()
		go func() {
			for i := range n {
				if i%2 == 0 {
					a <- i
				} else {
					b <- i
				}
			}
		}()
		for range n {
			select {
			case <-a:
			case <-b:
			}
		}
		return harness.NsPer(time.Since(t0), n)
	})
	harness.Emit("select2", "ns/op", s, nil)
	return nil
}

// blocked_1m: start 1M goroutines that each block on a channel receive.
// The value is the time per goroutine until all of them have started; the
// process's peak RSS (VmHWM) is emitted as the second row blocked_1m_rss.
func benchBlocked1M(o harness.Opts) error {
	n := o.Size(1_000_000, 10_000)
	s := harness.Repeat(o, func() float64 {
		ch := make(chan struct{})
		var started, done sync.WaitGroup
		started.Add(n)
		done.Add(n)
		t0 := time.Now()
		for range n {
			go func() {
				started.Done()
				<-ch
				done.Done()
			}()
		}
		started.Wait()
		el := time.Since(t0)
		close(ch)
		done.Wait()
		return harness.NsPer(el, n)
	})
	rss, err := peakRSSMB()
	if err != nil {
		return err
	}
	// The first repetition pays for fresh stacks and page faults; later ones
	// reuse what the runtime cached. The median is the warm cost.
	harness.Emit("blocked_1m", "ns/op", s,
		harness.Extra{"rss_mb": rss, "goroutines": n, "first": s[0]})
	harness.Emit("blocked_1m_rss", "MB", []float64{rss}, harness.Extra{"goroutines": n})
	return nil
}

// peakRSSMB reads VmHWM, the process's peak resident set, in MB.
func peakRSSMB() (float64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return 0, err
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

// faninCap is the consumer channel's buffer: a typical fan-in queue, so the
// row measures throughput, not handoff latency.
const faninCap = 1024

// fanin_parallel: one producer per P, all sending into one consumer.
func benchFaninParallel(o harness.Opts) error {
	total := o.Size(2_000_000, 10_000)
	producers := runtime.GOMAXPROCS(0)
	per := total / producers
	total = per * producers
	s := harness.Repeat(o, func() float64 {
		ch := make(chan int, faninCap)
		t0 := time.Now()
		for range producers {
			go func() {
				for i := range per {
					ch <- i
				}
			}()
		}
		for range total {
			<-ch
		}
		return float64(total) / time.Since(t0).Seconds()
	})
	harness.Emit("fanin_parallel", "msg/s", s, harness.Extra{"producers": producers})
	return nil
}
