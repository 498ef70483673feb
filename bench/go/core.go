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
	"sync/atomic"
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
		harness.Row{Name: "skynet", Run: skynetRows("skynet", "skynet_rss")},
		harness.Row{Name: "skynet_rss", Run: skynetRows("skynet", "skynet_rss")},
		harness.Row{Name: "skynet_all", Run: skynetRows("skynet_all", "skynet_all_rss")},
		harness.Row{Name: "skynet_all_rss", Run: skynetRows("skynet_all", "skynet_all_rss")},
		harness.Row{Name: "ring_10k", Run: ringRows("ring_10k")},
		harness.Row{Name: "ring_10k_all", Run: ringRows("ring_10k_all")},
		harness.Row{Name: "sieve_5000", Run: sieveRows("sieve_5000")},
		harness.Row{Name: "sieve_5000_all", Run: sieveRows("sieve_5000_all")},
		harness.Row{Name: "starve", Run: starveRows("starve")},
		harness.Row{Name: "starve_all", Run: starveRows("starve_all")},
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

// skynet: 1M goroutines in a 10-ary tree summing through unbuffered
// channels (wall time in ms; the peak RSS is the row *_rss).
func skynet(c chan<- int, num, size, div int) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int)
	sum := 0
	for i := range div {
		go skynet(rc, num+i*(size/div), size/div, div)
	}
	for range div {
		sum += <-rc
	}
	c <- sum
}

func skynetRows(name, rssName string) func(o harness.Opts) error {
	return func(o harness.Opts) error {
		leaves := o.Size(1_000_000, 1_000)
		var bad error
		s := harness.Repeat(o, func() float64 {
			c := make(chan int, 1)
			t0 := time.Now()
			go skynet(c, 0, leaves, 10)
			sum := <-c
			el := time.Since(t0)
			if sum != leaves*(leaves-1)/2 {
				bad = fmt.Errorf("sum %d, want %d", sum, leaves*(leaves-1)/2)
			}
			return float64(el.Nanoseconds()) / 1e6
		})
		if bad != nil {
			return bad
		}
		rss, err := peakRSSMB()
		if err != nil {
			return err
		}
		harness.Emit(name, "ms", s, harness.Extra{"rss_mb": rss, "leaves": leaves})
		harness.Emit(rssName, "MB", []float64{rss}, nil)
		return nil
	}
}

// ring_10k: a token passed 1M hops around a ring of 10k goroutines; the
// goroutine that sees the last hop closes its output and every closed input
// closes the next output, ending the ring.
func ringRows(name string) func(o harness.Opts) error {
	return func(o harness.Opts) error {
		n, hops := o.Size(10_000, 100), o.Size(1_000_000, 10_000)
		s := harness.Repeat(o, func() float64 {
			ch := make([]chan int, n)
			for i := range ch {
				ch[i] = make(chan int)
			}
			var wg sync.WaitGroup
			t0 := time.Now()
			for i := range n {
				in, out := ch[i], ch[(i+1)%n]
				wg.Go(func() {
					for v := range in {
						if v == hops {
							break
						}
						out <- v + 1
					}
					close(out)
				})
			}
			ch[0] <- 0
			wg.Wait()
			return float64(time.Since(t0).Nanoseconds()) / 1e6
		})
		harness.Emit(name, "ms", s, nil)
		return nil
	}
}

// sieve_5000: the concurrent prime sieve up to the 5000th prime (48611, so
// the pipeline ends by itself: every stage closes its output at the end).
func sieveRows(name string) func(o harness.Opts) error {
	return func(o harness.Opts) error {
		nprimes, limit := o.Size(5000, 100), o.Size(48611, 541)
		var bad error
		s := harness.Repeat(o, func() float64 {
			var wg sync.WaitGroup
			t0 := time.Now()
			gen := make(chan int)
			wg.Go(func() {
				for v := 2; v <= limit; v++ {
					gen <- v
				}
				close(gen)
			})
			ch := gen
			k, last := 0, 0
			for ; k < nprimes; k++ {
				p, ok := <-ch
				if !ok {
					break
				}
				last = p
				in, out := ch, make(chan int)
				wg.Go(func() {
					for v := range in {
						if v%p != 0 {
							out <- v
						}
					}
					close(out)
				})
				ch = out
			}
			for v := range ch {
				bad = fmt.Errorf("%d passed every filter", v)
			}
			wg.Wait()
			if k != nprimes || last != limit {
				bad = fmt.Errorf("prime #%d is %d, want #%d = %d", k, last, nprimes, limit)
			}
			return float64(time.Since(t0).Nanoseconds()) / 1e6
		})
		if bad != nil {
			return bad
		}
		harness.Emit(name, "ms", s, nil)
		return nil
	}
}

// starve: round trips per second of a ping-pong pair while the goroutine
// that started it computes for starveMS without blocking. Value: the pair
// had not started yet; extras: the pair had started first ("pinned"), and
// the pair while the driver sleeps ("alone"). Same shape as bench_core.c.
const starveMS = 300

type starveMode int

const (
	starveFresh starveMode = iota
	starvePinned
	starveAlone
)

var starveSink uint64

func computeFor(d time.Duration) uint64 {
	end := time.Now().Add(d)
	x := uint64(1)
	for time.Now().Before(end) {
		for range 1000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

func starveRep(mode starveMode, d time.Duration) float64 {
	a, b := make(chan int), make(chan int)
	var trips atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		v := 0
		for !stop.Load() {
			a <- v
			v = <-b
			trips.Add(1)
		}
		close(a)
	})
	wg.Go(func() {
		for v := range a {
			b <- v
		}
	})
	if mode == starvePinned {
		for trips.Load() < 100 {
			runtime.Gosched()
		}
	}
	before := trips.Load()
	t0 := time.Now()
	if mode == starveAlone {
		time.Sleep(d)
	} else {
		starveSink = computeFor(d)
	}
	made := trips.Load() - before
	el := time.Since(t0)
	stop.Store(true)
	wg.Wait()
	return float64(made) / el.Seconds()
}

func starveRows(name string) func(o harness.Opts) error {
	return func(o harness.Opts) error {
		d := starveMS * time.Millisecond
		if o.Quick {
			d = 20 * time.Millisecond
		}
		var pinned, alone []float64
		s := harness.Repeat(o, func() float64 {
			v := starveRep(starveFresh, d)
			pinned = append(pinned, starveRep(starvePinned, d))
			alone = append(alone, starveRep(starveAlone, d))
			return v
		})
		harness.Emit(name, "trips/s", s, harness.Extra{
			"pinned": harness.Median(pinned), "alone": harness.Median(alone)})
		return nil
	}
}
