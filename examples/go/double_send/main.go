// Command double_send is the article's "Double Send" scenario: on error the
// goroutine sends twice, and the second send blocks forever.
//
//	GOTOOLCHAIN=go1.27.3 go run ./double_send [-fixed]
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

func DoubleSend() <-chan any {
	ch := make(chan any)
	go func() {
		res, err := work(13)
		if err != nil {
			// In case of an error, send nil.
			ch <- nil
			// return // FIX: Uncomment to prevent sending twice on error.
		}
		// Otherwise, continue with normal behavior.
		// This leaks if err != nil, as 'ch <- res' will block.
		ch <- res
	}()
	return ch
}

// DoubleSendFixed is DoubleSend with the article's FIX applied.
func DoubleSendFixed() <-chan any {
	ch := make(chan any)
	go func() {
		res, err := work(13)
		if err != nil {
			ch <- nil
			return // FIX: send at most once.
		}
		ch <- res
	}()
	return ch
}

func main() {
	fixed := flag.Bool("fixed", false, "return after the error send (the article's fix)")
	flag.Parse()

	doubleSend := DoubleSend
	if *fixed {
		doubleSend = DoubleSendFixed
	}
	leakprof.PrintLeaks(func() {
		<-doubleSend()
	})
}
