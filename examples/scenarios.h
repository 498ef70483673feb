/*
 * scenarios.h — the article's leaky functions and their fixes, in goro.
 *
 * One implementation shared by the example programs (examples/<name>.c),
 * the demo (examples/demo.c) and the tests (tests/test_synctest.c,
 * tests/test_examples.c).  Each function mirrors the Go code of
 * reference/000_0876b61452e93b1b.txt (and examples/go/); a Go closure
 * `F.func1` becomes a C function `f_func1`, which is the name goro's
 * reports show for the leaked goroutines.
 *
 * C has no `any`: the values are ints (0 stands for nil).  Go's variadic
 * and slice parameters are a pointer and a length.
 *
 * Every object a leaked goroutine waits on lives in goro's tracked heap
 * (channels, goro_new) or on goroutine stacks (goro_go's argument copies),
 * never in globals: the goroutineleak profile and GORO_LEAKCHECK=1 judge
 * reachability, and a global would keep the leak "reachable".
 */
#ifndef GORO_EXAMPLES_SCENARIOS_H
#define GORO_EXAMPLES_SCENARIOS_H

#include <goro.h>

/* Go's func() int. */
typedef int (*int_func)(void);

/* Gather runs the given functions concurrently and collects the results
 * on the returned channel (of int).  Leaks: the goroutines block in their
 * send unless the caller reads every result. */
goro_chan *gather(const int_func *funcs, int nfuncs);
/* The fix (the article's remedy for this shape): a buffer for every
 * result, so every goroutine can send and exit. */
goro_chan *gather_fixed(const int_func *funcs, int nfuncs);

/* Workers range over a channel the sender never closes.  Leaks: every
 * worker, once the list runs out. */
void range_over_chan(const int *list, int nlist, int workers);
/* The fix: close(ch) after the last send. */
void range_over_chan_fixed(const int *list, int nlist, int workers);

/* The child sends twice on the error path; the caller receives once.
 * Returns the channel (of int) the caller reads.  Leaks: the child, on its
 * second send. */
goro_chan *double_send(void);
/* The fix: return after the error send. */
goro_chan *double_send_fixed(void);

/* The parent returns on an error before receiving the child's result.
 * Leaks: the child, on its send. */
void early_return(void);
/* The fix: a buffered channel. */
void early_return_fixed(void);

/* The parent gives up when ctx is done.  Leaks (ctx already canceled):
 * the child, on its send. */
void canceled(goro_ctx *ctx);
/* The fix: a buffered channel. */
void canceled_fixed(goro_ctx *ctx);

/* TakeFirst's parameter (Go: items []any; items == NULL, n == 0 is nil). */
struct take_first_args {
	const int *items;
	int n;
};
/*
 * Takes the first of the children's results.  A goro_fn taking a
 * struct take_first_args, because the article always starts it as a
 * goroutine (`go TakeFirst(items)`).  Leaks: every child but one, on its
 * send; with no items, the parent itself, on its receive.
 */
void take_first(void *args);
/* The fix: return early on no items; a buffer for every result. */
void take_first_fixed(void *args);

/*
 * A worker processes a queue of items one by one in the background.
 * A started worker must eventually be stopped.
 * Failing to stop a worker results in a goroutine leak: its two
 * worker_run goroutines wait in a select forever.
 */
struct worker;
struct worker *new_worker(void);           /* NewWorker */
void worker_start(struct worker *w);        /* (*Worker).Start */
void worker_stop(struct worker *w);         /* (*Worker).Stop; call it once */
void worker_push(struct worker *w, int item); /* (*Worker).Push */

/* A client that never stops its worker.  Leaks: both worker goroutines. */
void orphans(void);
/* The fix: stop the worker (Go: defer w.Stop()). */
void orphans_fixed(void);

#endif /* GORO_EXAMPLES_SCENARIOS_H */
