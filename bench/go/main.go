// Command gobench runs the Go counterparts of goro's C benchmark rows
// (bench/bench_*.c) and speaks the same protocol: `gobench --list`,
// `gobench ROW [--reps N] [--quick]`. See bench/README.md.
package main

import "gorobench/internal/harness"

func main() { harness.Main() }
