// Package leakprof holds the article's printLeaks helper, shared by the
// example programs so that each main.go shows only its scenario.
//
// The goroutineleak profile is in every Go 1.27 binary (the comparison:
// GOTOOLCHAIN=go1.27.3); Go 1.26 has it only with
// GOEXPERIMENT=goroutineleakprofile.
package leakprof

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"
)

// PrintLeaks runs f, gives the runtime a moment to settle, then prints the
// leaked goroutines of the goroutineleak profile (debug=2 dump filtered on
// "(leaked)"), exactly as the article's printLeaks does. It then prints the
// profile's count so that a run without leaks still says so.
func PrintLeaks(f func()) {
	prof := pprof.Lookup("goroutineleak")
	if prof == nil {
		fmt.Fprintln(os.Stderr, "no goroutineleak profile: use Go 1.27 (GOTOOLCHAIN=go1.27.3), or Go 1.26 with GOEXPERIMENT=goroutineleakprofile")
		os.Exit(2)
	}
	defer func() {
		time.Sleep(50 * time.Millisecond) // Give the runtime a moment to settle.
		var content strings.Builder
		prof.WriteTo(&content, 2)
		// Print only the leaked goroutines.
		goros := strings.Split(content.String(), "\n\n")
		for _, goro := range goros {
			if strings.Contains(goro, "(leaked)") {
				fmt.Println(goro + "\n")
			}
		}
		// Count() reports the goroutines found by the detection run above.
		fmt.Printf("leaked goroutines: %d\n", prof.Count())
	}()
	f()
}
