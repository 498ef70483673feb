// Command early_return is the article's "Early Return" scenario: the parent
// returns on an error before receiving its child's result, so the child's
// send blocks forever.
//
//	GOTOOLCHAIN=go1.27.3 go run ./early_return [-fixed]
package main

import (
	"errors"
	"flag"

	"goroexamples/internal/leakprof"
)

// work stands in for the article's unspecified work function: it returns n,
// except that n == 13 fails, which is the error path the scenarios take.
func work(n int) (any, error) {
	if n == 13 {
		return nil, errors.New("work: unlucky 13")
	}
	return n, nil
}

func EarlyReturn() {
	ch := make(chan any) // FIX: Should be buffered.
	go func() {
		res, _ := work(42)
		// Leaks if the parent goroutine terminates early.
		ch <- res
	}()
	_, err := work(13)
	if err != nil {
		// Early return in case of error.
		// The child goroutine leaks.
		return
	}
	// Only receive if there is no error.
	<-ch
}

// EarlyReturnFixed is EarlyReturn with the article's FIX applied.
func EarlyReturnFixed() {
	ch := make(chan any, 1) // FIX: the child's one send never blocks.
	go func() {
		res, _ := work(42)
		ch <- res
	}()
	_, err := work(13)
	if err != nil {
		return
	}
	<-ch
}

func main() {
	fixed := flag.Bool("fixed", false, "buffer the channel (the article's fix)")
	flag.Parse()

	earlyReturn := EarlyReturn
	if *fixed {
		earlyReturn = EarlyReturnFixed
	}
	leakprof.PrintLeaks(func() {
		earlyReturn()
	})
}
