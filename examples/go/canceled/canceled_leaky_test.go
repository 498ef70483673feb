//go:build leaky

package main

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// The article's synctest check on the leaky Canceled; it fails by design
// (go test -tags leaky).
func Test(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel() // Immediately cancel the context
		Canceled(ctx)
		time.Sleep(time.Second) // Give time for operations to settle
		synctest.Wait()
	})
}
