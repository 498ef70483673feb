//go:build leaky

package main

import (
	"testing"
	"testing/synctest"
)

// The article's synctest check on the leaky Gather; it fails by design
// (go test -tags leaky).
func Test(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		Gather(
			func() int { return 11 },
			func() int { return 22 },
			func() int { return 33 },
		)
		synctest.Wait()
	})
}
