package main

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// The article's synctest check, run on the fixed Canceled.
func TestFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel() // Immediately cancel the context
		CanceledFixed(ctx)
		time.Sleep(time.Second) // Give time for operations to settle
		synctest.Wait()
	})
}
