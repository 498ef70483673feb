package main

import (
	"testing"
	"testing/synctest"
)

// The article's synctest checks, run on the fixed TakeFirst: neither the
// parent (nil input) nor the children (several items) may stay blocked.
func TestFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		go TakeFirstFixed(nil)
		synctest.Wait()
	})
}

func TestFixedItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		go TakeFirstFixed([]any{11, 22, 33})
		synctest.Wait()
	})
}
