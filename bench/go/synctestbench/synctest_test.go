package synctestbench

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"gorobench/internal/harness"
)

func init() {
	harness.Register(
		harness.Row{Name: "synctest_small", Run: benchSynctestSmall},
		harness.Row{Name: "synctest_timers", Run: benchSynctestTimers},
		harness.Row{Name: "synctest_leak_report", Run: benchSynctestLeakReport},
	)
}

// Shape of synctest_small: 10 goroutines send 10 messages each to the root.
const (
	smallSenders = 10
	smallPerSend = 10
)

// synctest_small: one bubble in which 10 goroutines exchange 100 messages
// with the root, in µs per bubble (creation to teardown).
func benchSynctestSmall(o harness.Opts) error {
	bubbles := o.Size(500, 5)
	s := harness.Repeat(o, func() float64 {
		t0 := time.Now()
		for range bubbles {
			synctest.Test(curT, func(*testing.T) {
				ch := make(chan int)
				for range smallSenders {
					go func() {
						for i := range smallPerSend {
							ch <- i
						}
					}()
				}
				for range smallSenders * smallPerSend {
					<-ch
				}
			})
		}
		return float64(time.Since(t0).Nanoseconds()) / 1e3 / float64(bubbles)
	})
	harness.Emit("synctest_small", "us", s, nil)
	return nil
}

// Shape of synctest_timers: 10 goroutines sleep 1000 fake intervals each.
const (
	timerSleepers  = 10
	timerIntervals = 1000
)

// synctest_timers: a bubble whose goroutines sleep 1000 fake 1 ms
// intervals; the fake clock jumps each time all of them are asleep.
// µs per bubble.
func benchSynctestTimers(o harness.Opts) error {
	bubbles := o.Size(5, 1)
	s := harness.Repeat(o, func() float64 {
		t0 := time.Now()
		for range bubbles {
			synctest.Test(curT, func(*testing.T) {
				var wg sync.WaitGroup
				for range timerSleepers {
					wg.Go(func() {
						for range timerIntervals {
							time.Sleep(time.Millisecond)
						}
					})
				}
				wg.Wait()
			})
		}
		return float64(time.Since(t0).Nanoseconds()) / 1e3 / float64(bubbles)
	})
	harness.Emit("synctest_timers", "us", s, nil)
	return nil
}

// gather is the article's leaky Gather: nobody receives from out.
func gather(funcs ...func() int) <-chan int {
	out := make(chan int)
	for _, f := range funcs {
		go func() {
			out <- f()
		}()
	}
	return out
}

// leakReport runs the article's failing synctest test and returns the
// deadlock panic synctest.Test raises ("main bubble goroutine has exited
// but blocked goroutines remain"). go test would let it crash the binary
// and print the bubble's stacks; recovering it keeps the process for the
// next repetition, at the price of three goroutines stranded per report.
func leakReport() (report any) {
	defer func() { report = recover() }()
	synctest.Test(curT, func(*testing.T) {
		gather(
			func() int { return 11 },
			func() int { return 22 },
			func() int { return 33 },
		)
		synctest.Wait()
	})
	return nil
}

// synctest_leak_report: time until synctest reports Gather's leak, in µs.
func benchSynctestLeakReport(o harness.Opts) error {
	var err error
	s := harness.Repeat(o, func() float64 {
		t0 := time.Now()
		report := leakReport()
		el := time.Since(t0)
		if report == nil {
			err = fmt.Errorf("synctest reported no leak")
		}
		return float64(el.Nanoseconds()) / 1e3
	})
	if err != nil {
		return err
	}
	harness.Emit("synctest_leak_report", "us", s, nil)
	return nil
}
