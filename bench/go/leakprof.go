//go:build go1.27 || goexperiment.goroutineleakprofile

package main

// Go counterparts of bench/bench_leakprof.c: the goroutineleak profile
// (generally available since Go 1.27; Go 1.26 has it only with
// GOEXPERIMENT=goroutineleakprofile, for which the runner builds the
// gobench-leakprof variant and a plain Go 1.26 gobench delegates these rows
// to it, leakprof_delegate.go).

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"gorobench/internal/harness"
)

func init() {
	harness.Register(
		harness.Row{Name: "leakprof_10k", Run: leakprofRow("leakprof_10k", 10_000, 0)},
		harness.Row{Name: "leakprof_100k", Run: leakprofRow("leakprof_100k", 100_000, 0)},
		harness.Row{Name: "leakprof_1m", Run: leakprofRow("leakprof_1m", 1_000_000, 0)},
		harness.Row{Name: "leakprof_heap_1g", Run: leakprofRow("leakprof_heap_1g", 100_000, 1<<30)},
		harness.Row{Name: "leakprof_10k_stall", Run: stallRow("leakprof_10k_stall", 10_000, 0)},
		harness.Row{Name: "leakprof_100k_stall", Run: stallRow("leakprof_100k_stall", 100_000, 0)},
		harness.Row{Name: "leakprof_1m_stall", Run: stallRow("leakprof_1m_stall", 1_000_000, 0)},
		harness.Row{Name: "leakprof_heap_stall", Run: stallRow("leakprof_heap_stall", 100_000, 256<<20)},
		harness.Row{Name: "leakprof_write_1m", Run: writeRow("leakprof_write_1m", 1_000_000)},
	)
}

// keptChans is the global that keeps half of the blocked goroutines alive:
// their channels are reachable, so they are blocked but not leaked.
var keptChans []chan struct{}

// heapRoot keeps the pointer-dense heap of leakprof_heap_1g live.
var heapRoot *heapNode

// heapNode is 512 bytes of pointers: every word is one the GC must trace.
type heapNode struct {
	p [64]*heapNode
}

// parkLeakShape starts n blocked goroutines: n/2 on channels nothing else
// references (leaked), n/2 on channels kept in keptChans (not leaked).
func parkLeakShape(n int) {
	var started sync.WaitGroup
	started.Add(n)
	keptChans = make([]chan struct{}, n/2)
	for i := range keptChans {
		keptChans[i] = make(chan struct{})
		go func() {
			started.Done()
			<-keptChans[i]
		}()
	}
	for range n - n/2 {
		go func() {
			ch := make(chan struct{})
			started.Done()
			<-ch
		}()
	}
	started.Wait()
	time.Sleep(parkSettle)
}

// buildHeap links bytes worth of heapNodes: p[0] chains them all from
// heapRoot, p[1] points at a random earlier node (an object graph the
// marker cannot walk in address order), the other slots at the nodes
// allocated just before (pointer-dense, but mostly cache-friendly, so the
// row measures the detector rather than DRAM latency).
func buildHeap(bytes int) int {
	n := bytes / 512
	old := debug.SetGCPercent(-1) // building is not what we measure
	defer debug.SetGCPercent(old)
	nodes := make([]*heapNode, 0, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for range n {
		x := &heapNode{}
		x.p[0] = heapRoot
		if len(nodes) > 0 {
			x.p[1] = nodes[rng.IntN(len(nodes))]
		}
		for j := 2; j < len(x.p) && j <= len(nodes); j++ {
			x.p[j] = nodes[len(nodes)-j]
		}
		nodes = append(nodes, x)
		heapRoot = x
	}
	return n
}

// longestPauseMs is the longest per-cycle stop-the-world pause of the GC
// cycles after cycle `since`.
func longestPauseMs(since uint32) (float64, uint32) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	longest := uint64(0)
	for c := since + 1; c <= ms.NumGC && c+256 > ms.NumGC; c++ {
		longest = max(longest, ms.PauseNs[(c+255)%256])
	}
	return float64(longest) / 1e6, ms.NumGC
}

// leakprofRow measures pprof.Lookup("goroutineleak").WriteTo(io.Discard, 0)
// with n blocked goroutines (half leaked) and heapBytes of live heap.
func leakprofRow(name string, n, heapBytes int) func(harness.Opts) error {
	return func(o harness.Opts) error {
		prof := pprof.Lookup("goroutineleak")
		if prof == nil {
			return fmt.Errorf("no goroutineleak profile (Go 1.26: build with GOEXPERIMENT=goroutineleakprofile)")
		}
		if o.Quick {
			n, heapBytes = min(n, 2_000), min(heapBytes, 8<<20)
		}
		parkLeakShape(n)
		nodes := buildHeap(heapBytes)
		runtime.GC() // start from a settled heap, as the C side does
		_, gc := longestPauseMs(0)
		var err error
		var pauses []float64
		s := harness.Repeat(o, func() float64 {
			t0 := time.Now()
			if e := prof.WriteTo(io.Discard, 0); e != nil {
				err = e
			}
			el := time.Since(t0)
			var p float64
			p, gc = longestPauseMs(gc)
			pauses = append(pauses, p)
			return float64(el.Nanoseconds()) / 1e6
		})
		if err != nil {
			return err
		}
		if leaked := prof.Count(); leaked != n-n/2 {
			return fmt.Errorf("profile counts %d leaked goroutines, want %d", leaked, n-n/2)
		}
		runtime.KeepAlive(keptChans)
		harness.Emit(name, "ms", s, harness.Extra{
			"goroutines": n, "leaked": n - n/2, "heap_nodes": nodes,
			"pause_ms": harness.Median(pauses),
		})
		return nil
	}
}

// ticker is a goroutine ticking every 1 ms that records the largest gap
// between its ticks while measuring is set (the application's stall).
type ticker struct {
	stop, measuring atomic.Bool
	maxGap          atomic.Int64
}

func (t *ticker) run() {
	last := time.Now()
	for !t.stop.Load() {
		time.Sleep(time.Millisecond)
		now := time.Now()
		if gap := now.Sub(last).Nanoseconds(); t.measuring.Load() && gap > t.maxGap.Load() {
			t.maxGap.Store(gap)
		}
		last = now
	}
}

// stallRow: the largest gap the ticker sees from just before one
// goroutineleak WriteTo(io.Discard, 0) to 5 ms after it returns.
func stallRow(name string, n, heapBytes int) func(harness.Opts) error {
	return func(o harness.Opts) error {
		prof := pprof.Lookup("goroutineleak")
		if prof == nil {
			return fmt.Errorf("no goroutineleak profile (Go 1.26: build with GOEXPERIMENT=goroutineleakprofile)")
		}
		if o.Quick {
			n, heapBytes = min(n, 2_000), min(heapBytes, 8<<20)
		}
		parkLeakShape(n)
		nodes := buildHeap(heapBytes)
		runtime.GC()
		var t ticker
		go t.run()
		time.Sleep(50 * time.Millisecond)
		var err error
		var totals []float64
		s := harness.Repeat(o, func() float64 {
			t.maxGap.Store(0)
			t.measuring.Store(true)
			t0 := time.Now()
			if e := prof.WriteTo(io.Discard, 0); e != nil {
				err = e
			}
			totals = append(totals, float64(time.Since(t0).Nanoseconds())/1e6)
			time.Sleep(5 * time.Millisecond)
			t.measuring.Store(false)
			gap := float64(t.maxGap.Load()) / 1e6
			time.Sleep(20 * time.Millisecond)
			return gap
		})
		t.stop.Store(true)
		if err != nil {
			return err
		}
		if leaked := prof.Count(); leaked != n-n/2 {
			return fmt.Errorf("profile counts %d leaked goroutines, want %d", leaked, n-n/2)
		}
		runtime.KeepAlive(keptChans)
		harness.Emit(name, "ms", s, harness.Extra{
			"goroutines": n, "leaked": n - n/2, "heap_nodes": nodes,
			"total_ms": harness.Median(totals),
		})
		return nil
	}
}

// writeRow: the debug=0 writer on n goroutines without detection (the
// goroutine profile; the goroutineleak profile's writer is the same code).
func writeRow(name string, n int) func(harness.Opts) error {
	return func(o harness.Opts) error {
		if o.Quick {
			n = min(n, 2_000)
		}
		parkLeakShape(n)
		var err error
		s := harness.Repeat(o, func() float64 {
			t0 := time.Now()
			if e := pprof.Lookup("goroutine").WriteTo(io.Discard, 0); e != nil {
				err = e
			}
			return float64(time.Since(t0).Nanoseconds()) / 1e6
		})
		if err != nil {
			return err
		}
		runtime.KeepAlive(keptChans)
		harness.Emit(name, "ms", s, harness.Extra{"goroutines": n})
		return nil
	}
}
