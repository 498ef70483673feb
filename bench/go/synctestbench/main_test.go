package synctestbench

import (
	"fmt"
	"os"
	"testing"

	"gorobench/internal/harness"
)

// The row TestMain picked and the *testing.T TestRow lends to it.
var (
	cmd  harness.Command
	curT *testing.T
)

// TestMain reads the protocol arguments before the testing package sees
// them (it would reject "--reps"), then runs only TestRow.
func TestMain(m *testing.M) {
	var err error
	cmd, err = harness.Parse(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if cmd.List {
		for _, n := range harness.Names() {
			fmt.Println(n)
		}
		return
	}
	os.Args = []string{os.Args[0], "-test.run=^TestRow$"}
	os.Exit(m.Run())
}

func TestRow(t *testing.T) {
	curT = t
	if err := harness.RunRow(cmd.Row, cmd.Opts); err != nil {
		t.Fatal(err)
	}
}
