// Command orphans is the article's "Orphans" scenario: a client breaks the
// Worker's contract by never calling Stop, so the worker's goroutines leak.
//
//	GOTOOLCHAIN=go1.27.3 go run ./orphans [-fixed]
package main

import (
	"flag"

	"goroexamples/internal/leakprof"
)

func Orphans() {
	w := NewWorker()
	w.Start()
	// defer w.Stop() // FIX: Uncomment to resolve by stopping the worker.

	items := make([]any, 10)
	for _, item := range items {
		w.Push(item)
	}
}

// OrphansFixed is Orphans with the article's FIX applied.
func OrphansFixed() {
	w := NewWorker()
	w.Start()
	defer w.Stop() // FIX: honour the contract.

	items := make([]any, 10)
	for _, item := range items {
		w.Push(item)
	}
}

func main() {
	fixed := flag.Bool("fixed", false, "defer w.Stop() (the article's fix)")
	flag.Parse()

	orphans := Orphans
	if *fixed {
		orphans = OrphansFixed
	}
	leakprof.PrintLeaks(func() {
		orphans()
	})
}
