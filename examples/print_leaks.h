/*
 * print_leaks.h — the article's printLeaks helper (Go: examples/go/
 * internal/leakprof), shared by the example programs so that each one
 * shows only its scenario.
 */
#ifndef GORO_EXAMPLES_PRINT_LEAKS_H
#define GORO_EXAMPLES_PRINT_LEAKS_H

#include <stdio.h>

#include <goro.h>

/*
 * Runs f(arg), gives the runtime 50 ms to settle, prints
 * `nGoro = N` (goroutines besides main, as the article's first main does),
 * then the leaked goroutines of the goroutineleak profile (its debug=2
 * dump, only the blocks that contain "(leaked)", each followed by an empty
 * line) and finally `leaked goroutines: N`.
 */
void print_leaks(goro_fn f, void *arg);

/* Writes the blocks of a debug=2 dump that contain "(leaked)", each
 * followed by an empty line (what printLeaks prints); returns how many. */
int print_leaked_blocks(FILE *out, const char *dump);

#endif /* GORO_EXAMPLES_PRINT_LEAKS_H */
