// Command gather is the article's first scenario: Gather's goroutines leak
// when the caller does not read every result from the unbuffered channel.
//
//	GOTOOLCHAIN=go1.27.3 go run ./gather [-fixed]
package main

import (
	"flag"

	"goroexamples/internal/leakprof"
)

// Gather runs the given functions concurrently
// and collects the results.
func Gather(funcs ...func() int) <-chan int {
	out := make(chan int)
	for _, f := range funcs {
		go func() {
			out <- f()
		}()
	}
	return out
}

// GatherFixed buffers the channel for every result, so each goroutine can
// send and exit whether or not the caller reads. The article shows no fix
// for Gather; this is the remedy it gives for the same shape (EarlyReturn,
// TakeFirst).
func GatherFixed(funcs ...func() int) <-chan int {
	out := make(chan int, len(funcs))
	for _, f := range funcs {
		go func() {
			out <- f()
		}()
	}
	return out
}

func main() {
	fixed := flag.Bool("fixed", false, "run the fixed Gather (buffered channel)")
	flag.Parse()

	gather := Gather
	if *fixed {
		gather = GatherFixed
	}
	leakprof.PrintLeaks(func() {
		gather(
			func() int { return 11 },
			func() int { return 22 },
			func() int { return 33 },
		)
	})
}
