package main

import (
	"testing"
	"testing/synctest"
)

// The article's first test: a caller that reads every result sees no
// problem, whichever Gather it uses.
func TestSum(t *testing.T) {
	for _, gather := range []func(...func() int) <-chan int{Gather, GatherFixed} {
		out := gather(
			func() int { return 11 },
			func() int { return 22 },
			func() int { return 33 },
		)
		total := 0
		for range 3 {
			total += <-out
		}
		if total != 66 {
			t.Errorf("got %v, want 66", total)
		}
	}
}

// The article's synctest check, run on the fixed Gather: no goroutine may
// stay blocked once the bubble's root returns.
func TestFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		GatherFixed(
			func() int { return 11 },
			func() int { return 22 },
			func() int { return 33 },
		)
		synctest.Wait()
	})
}
