package main

import (
	"testing"
	"testing/synctest"
)

// The article's synctest check, run on the fixed RangeOverChan.
func TestFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		RangeOverChanFixed([]any{11, 22, 33, 44}, 2)
		synctest.Wait()
	})
}
