//go:build leaky

package main

import (
	"testing"
	"testing/synctest"
)

// The article's two synctest checks on the leaky TakeFirst; both fail by
// design (go test -tags leaky -run '^Test$' or '^TestItems$': the first
// deadlock panic ends the test binary).

// Zero items: the parent leaks.
func Test(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		go TakeFirst(nil) // Call in a goroutine to not block the test bubble directly
		synctest.Wait()
	})
}

// Several items: every child but one leaks.
func TestItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		go TakeFirst([]any{11, 22, 33}) // Call in a goroutine
		synctest.Wait()
	})
}
