//go:build leaky

package main

import (
	"testing"
	"testing/synctest"
)

// The article's synctest check on the leaky RangeOverChan; it fails by
// design (go test -tags leaky).
func Test(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		RangeOverChan([]any{11, 22, 33, 44}, 2)
		synctest.Wait()
	})
}
