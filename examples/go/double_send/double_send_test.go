package main

import (
	"testing"
	"testing/synctest"
)

// The article's synctest check, run on the fixed DoubleSend.
func TestFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		<-DoubleSendFixed()
		synctest.Wait()
	})
}
