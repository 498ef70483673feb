// Command take_first is the article's "Take First" scenario: the parent
// takes the first result and every other child leaks on its send; with no
// items the parent itself leaks on its receive.
//
//	GOTOOLCHAIN=go1.27.3 go run ./take_first [-items N] [-fixed]
//
// -items 0 passes a nil slice (the parent-leak case).
package main

import (
	"flag"

	"goroexamples/internal/leakprof"
)

// process stands in for the article's unspecified per-item work.
func process(item any) any {
	return item
}

func TakeFirst(items []any) {
	ch := make(chan any)
	// Iterate over every item.
	for _, item := range items {
		go func() {
			ch <- process(item)
		}()
	}
	// Retrieve the first result. All other children leak.
	// Also, the parent leaks if len(items) == 0 because it waits for a send that never comes.
	<-ch
}

// TakeFirstFixed is the article's fixed TakeFirst.
func TakeFirstFixed(items []any) {
	if len(items) == 0 {
		// Return early if the source collection is empty.
		return
	}
	// Make the channel's buffer large enough.
	ch := make(chan any, len(items))
	// Iterate over every item
	for _, item := range items {
		go func() {
			ch <- process(item)
		}()
	}
	// Retrieve first result.
	<-ch
}

// makeItems returns n items 11, 22, 33, ... (nil for n == 0, as in the
// article's TakeFirst(nil)).
func makeItems(n int) []any {
	if n == 0 {
		return nil
	}
	items := make([]any, n)
	for i := range items {
		items[i] = 11 * (i + 1)
	}
	return items
}

func main() {
	fixed := flag.Bool("fixed", false, "run the article's fixed TakeFirst")
	n := flag.Int("items", 3, "number of items (0 = nil slice)")
	flag.Parse()

	takeFirst := TakeFirst
	if *fixed {
		takeFirst = TakeFirstFixed
	}
	items := makeItems(*n)
	leakprof.PrintLeaks(func() {
		go takeFirst(items)
	})
}
