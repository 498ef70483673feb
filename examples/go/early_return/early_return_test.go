package main

import (
	"testing"
	"testing/synctest"
)

// The article's synctest check, run on the fixed EarlyReturn.
func TestFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		EarlyReturnFixed()
		synctest.Wait()
	})
}
