// Command canceled is the article's "Cancel/Timeout" scenario: the parent
// gives up when its context is canceled, and the child's send blocks forever.
//
//	GOTOOLCHAIN=go1.27.3 go run ./canceled [-fixed]
package main

import (
	"context"
	"errors"
	"flag"

	"goroexamples/internal/leakprof"
)

// work stands in for the article's unspecified work function: it returns n,
// except that n == 13 fails.
func work(n int) (any, error) {
	if n == 13 {
		return nil, errors.New("work: unlucky 13")
	}
	return n, nil
}

func Canceled(ctx context.Context) {
	ch := make(chan any) // FIX: Should be buffered.
	go func() {
		res, _ := work(100)
		// Leaks if the parent goroutine gets canceled.
		ch <- res
	}()
	// Wait for the result or for cancellation.
	select {
	case <-ctx.Done():
		// The child goroutine leaks.
		return
	case res := <-ch:
		// Process the result.
		_ = res
	}
}

// CanceledFixed is Canceled with the article's FIX applied.
func CanceledFixed(ctx context.Context) {
	ch := make(chan any, 1) // FIX: the child's one send never blocks.
	go func() {
		res, _ := work(100)
		ch <- res
	}()
	select {
	case <-ctx.Done():
		return
	case res := <-ch:
		_ = res
	}
}

func main() {
	fixed := flag.Bool("fixed", false, "buffer the channel (the article's fix)")
	flag.Parse()

	canceled := Canceled
	if *fixed {
		canceled = CanceledFixed
	}
	leakprof.PrintLeaks(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // Immediately cancel the context
		canceled(ctx)
	})
}
