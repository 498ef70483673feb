package main

import (
	"testing"
	"testing/synctest"
)

// The article's synctest check, run on the fixed Orphans.
func TestFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		OrphansFixed()
		synctest.Wait()
	})
}
