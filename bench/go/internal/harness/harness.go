// Package harness speaks the bench row protocol shared with the C bench
// binaries (bench/harness.h):
//
//	PROGRAM --list                 row names, one per line
//	PROGRAM ROW [--reps N] [--quick]
//
// A row runs N repetitions and prints one JSON object per line:
// {"name": ROW, "value": median, "unit": ..., "reps": N, "samples": [...]}
// plus row-specific extra keys. On failure it prints {"name", "error"} and
// the program exits with status 1, so bench/run.py can show "error" and go on.
package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// Opts are the knobs the runner passes to every row.
type Opts struct {
	Reps  int  // repetitions; the reported value is their median
	Quick bool // tiny sizes, for smoke tests of the bench code itself
}

// Size picks the workload size: full for real runs, quick for smoke tests.
func (o Opts) Size(full, quick int) int {
	if o.Quick {
		return quick
	}
	return full
}

// Row is one named benchmark. Run measures o.Reps repetitions and emits its
// result lines itself (some rows emit a second row, e.g. blocked_1m_rss).
type Row struct {
	Name string
	Run  func(o Opts) error
}

var rows []Row

// Register adds rows; each file registers its own from init().
func Register(r ...Row) { rows = append(rows, r...) }

// Extra holds row-specific keys added to a result line.
type Extra map[string]any

// Median of the samples (mean of the middle two for an even count).
func Median(s []float64) float64 {
	if len(s) == 0 {
		return 0
	}
	c := append([]float64(nil), s...)
	sort.Float64s(c)
	m := len(c) / 2
	if len(c)%2 == 1 {
		return c[m]
	}
	return (c[m-1] + c[m]) / 2
}

// Emit prints one result line whose value is the median of samples.
func Emit(name, unit string, samples []float64, extra Extra) {
	obj := map[string]any{}
	for k, v := range extra {
		obj[k] = v
	}
	obj["name"] = name
	obj["value"] = round6(Median(samples))
	obj["unit"] = unit
	obj["reps"] = len(samples)
	rounded := make([]float64, len(samples))
	for i, v := range samples {
		rounded[i] = round6(v)
	}
	obj["samples"] = rounded
	line, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(line))
}

// round6 keeps 6 significant digits: timer noise is far above that, and
// shorter numbers keep the JSON readable.
func round6(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return r
}

// Repeat runs one repetition o.Reps times and collects the samples.
func Repeat(o Opts, rep func() float64) []float64 {
	s := make([]float64, 0, o.Reps)
	for range o.Reps {
		s = append(s, rep())
	}
	return s
}

// NsPer converts an elapsed time into ns per operation.
func NsPer(d time.Duration, ops int) float64 {
	return float64(d.Nanoseconds()) / float64(ops)
}

// Delegate runs a row in a sibling program (built next to this one) that
// needs a different build: the GOEXPERIMENT=goroutineleakprofile variant or
// the `go test -c` binary that owns a *testing.T for synctest.Test.
func Delegate(program string) func(name string, o Opts) error {
	return func(name string, o Opts) error {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		path := filepath.Join(filepath.Dir(self), program)
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%s not built (see bench/README.md)", program)
		}
		cmd := exec.Command(path, ProtocolArgs(name, o)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %v", program, name, err)
		}
		return nil
	}
}

// ProtocolArgs builds the command line that runs row name with o.
func ProtocolArgs(name string, o Opts) []string {
	args := []string{name, "--reps", strconv.Itoa(o.Reps)}
	if o.Quick {
		args = append(args, "--quick")
	}
	return args
}

// Command is a parsed protocol command line.
type Command struct {
	List bool
	Row  string
	Opts Opts
}

// Parse reads the protocol arguments (without the program name).
func Parse(args []string) (Command, error) {
	c := Command{Opts: Opts{Reps: 5}}
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "--list":
			c.List = true
		case "--quick":
			c.Opts.Quick = true
		case "--reps":
			if i+1 >= len(args) {
				return c, fmt.Errorf("--reps needs a number")
			}
			i++
			n, err := strconv.Atoi(args[i])
			if err != nil || n < 1 {
				return c, fmt.Errorf("bad --reps %q", args[i])
			}
			c.Opts.Reps = n
		default:
			if c.Row != "" || len(a) > 0 && a[0] == '-' {
				return c, fmt.Errorf("unexpected argument %q", a)
			}
			c.Row = a
		}
	}
	if !c.List && c.Row == "" {
		return c, fmt.Errorf("usage: [--list | ROW [--reps N] [--quick]]")
	}
	return c, nil
}

// Names lists the registered rows in registration order.
func Names() []string {
	n := make([]string, len(rows))
	for i, r := range rows {
		n[i] = r.Name
	}
	return n
}

// RunRow runs the named row; an error is also printed as a JSON line.
func RunRow(name string, o Opts) error {
	for _, r := range rows {
		if r.Name == name {
			err := r.Run(o)
			if err != nil {
				EmitError(name, err)
			}
			return err
		}
	}
	err := fmt.Errorf("unknown row %q", name)
	EmitError(name, err)
	return err
}

// EmitError prints the failure line the runner shows as "error".
func EmitError(name string, err error) {
	line, _ := json.Marshal(map[string]any{"name": name, "error": err.Error()})
	fmt.Println(string(line))
}

// Main implements the protocol for a plain program.
func Main() {
	c, err := Parse(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if c.List {
		for _, n := range Names() {
			fmt.Println(n)
		}
		return
	}
	if RunRow(c.Row, c.Opts) != nil {
		os.Exit(1)
	}
}
