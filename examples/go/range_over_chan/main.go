// Command range_over_chan is the article's "Range Over Channel" scenario:
// workers ranging over a channel that is never closed leak once the items
// run out.
//
//	GOTOOLCHAIN=go1.27.3 go run ./range_over_chan [-fixed]
package main

import (
	"flag"

	"goroexamples/internal/leakprof"
)

func RangeOverChan(list []any, workers int) {
	ch := make(chan any)
	// Launch workers.
	for range workers {
		go func() {
			// Each worker processes items one by one.
			// The channel is never closed, so every worker leaks
			// once there are no more items left to process.
			for item := range ch {
				_ = item
			}
		}()
	}
	// Send items for processing.
	for _, item := range list {
		ch <- item
	}
	// close(ch) // FIX: Uncomment to resolve by closing the channel after sending.
}

// RangeOverChanFixed is RangeOverChan with the article's FIX applied.
func RangeOverChanFixed(list []any, workers int) {
	ch := make(chan any)
	for range workers {
		go func() {
			for item := range ch {
				_ = item
			}
		}()
	}
	for _, item := range list {
		ch <- item
	}
	close(ch) // FIX: closing the channel ends every worker's range loop.
}

func main() {
	fixed := flag.Bool("fixed", false, "close the channel after sending (the article's fix)")
	flag.Parse()

	rangeOverChan := RangeOverChan
	if *fixed {
		rangeOverChan = RangeOverChanFixed
	}
	leakprof.PrintLeaks(func() {
		rangeOverChan([]any{11, 22, 33, 44}, 2)
	})
}
