//go:build leaky

package main

import (
	"testing"
	"testing/synctest"
)

// The article's synctest check on the leaky Orphans; it fails by design
// (go test -tags leaky).
func Test(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		Orphans()
		synctest.Wait()
	})
}
