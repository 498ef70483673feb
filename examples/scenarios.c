/*
 * scenarios.c — the article's goroutine leaks and their fixes (see
 * scenarios.h), line for line with examples/go/<name>/main.go where C
 * allows.  The comments inside the functions are the article's.
 *
 * A Go closure that captures variables becomes a function taking an
 * argument struct, started with a compound literal: goro_go copies the
 * struct onto the new goroutine's stack, just as Go's closure captures.
 */
#include <stddef.h>

#include "scenarios.h"

/* Go's `func() { ... }()` capturing one channel. */
struct chan_ref {
	goro_chan *ch;
};

/*
 * work stands in for the article's unspecified work function: it returns
 * n, except that work(13) fails, which is the error path every scenario
 * takes.  Go's (any, error) becomes a result parameter and an error
 * string (NULL: no error).
 */
static const char *work(int n, int *res)
{
	if (n == 13) {
		*res = 0;
		return "work: unlucky 13";
	}
	*res = n;
	return NULL;
}

/* process stands in for the article's unspecified per-item work. */
static int process(int item)
{
	return item;
}

/* ------------------------------------------------------------------ */
/* Gather                                                              */
/* ------------------------------------------------------------------ */

struct gather_func1_args {
	goro_chan *out;
	int_func f;
};

static void gather_func1(void *arg)
{
	const struct gather_func1_args *a = arg;
	int v = a->f();
	goro_chan_send(a->out, &v);
}

// Gather runs the given functions concurrently
// and collects the results.
goro_chan *gather(const int_func *funcs, int nfuncs)
{
	goro_chan *out = goro_chan_new(int, 0);
	for (int i = 0; i < nfuncs; i++) {
		goro_go(gather_func1, &(struct gather_func1_args){ out, funcs[i] });
	}
	return out;
}

/* Go: GatherFixed.func1 (a goroutine of its own name, so that a report
 * could never confuse the two versions). */
static void gather_fixed_func1(void *arg)
{
	const struct gather_func1_args *a = arg;
	int v = a->f();
	goro_chan_send(a->out, &v);
}

goro_chan *gather_fixed(const int_func *funcs, int nfuncs)
{
	// FIX: a buffer for every result: each goroutine can send and exit
	// whether or not the caller reads.
	goro_chan *out = goro_chan_new(int, (size_t)nfuncs);
	for (int i = 0; i < nfuncs; i++) {
		goro_go(gather_fixed_func1, &(struct gather_func1_args){ out, funcs[i] });
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* Range over channel                                                  */
/* ------------------------------------------------------------------ */

static void range_over_chan_func1(void *arg)
{
	goro_chan *ch = ((const struct chan_ref *)arg)->ch;
	// Each worker processes items one by one.
	// The channel is never closed, so every worker leaks
	// once there are no more items left to process.
	int item;
	goro_range(ch, item) {
		(void)item;
	}
}

void range_over_chan(const int *list, int nlist, int workers)
{
	goro_chan *ch = goro_chan_new(int, 0);
	// Launch workers.
	for (int w = 0; w < workers; w++) {
		goro_go(range_over_chan_func1, &(struct chan_ref){ ch });
	}
	// Send items for processing.
	for (int i = 0; i < nlist; i++) {
		goro_chan_send(ch, &list[i]);
	}
	// close(ch) // FIX: Uncomment to resolve by closing the channel after sending.
}

static void range_over_chan_fixed_func1(void *arg)
{
	goro_chan *ch = ((const struct chan_ref *)arg)->ch;
	int item;
	goro_range(ch, item) {
		(void)item;
	}
}

void range_over_chan_fixed(const int *list, int nlist, int workers)
{
	goro_chan *ch = goro_chan_new(int, 0);
	for (int w = 0; w < workers; w++) {
		goro_go(range_over_chan_fixed_func1, &(struct chan_ref){ ch });
	}
	for (int i = 0; i < nlist; i++) {
		goro_chan_send(ch, &list[i]);
	}
	goro_chan_close(ch); // FIX: closing the channel ends every worker's range loop.
}

/* ------------------------------------------------------------------ */
/* Double send                                                         */
/* ------------------------------------------------------------------ */

static void double_send_func1(void *arg)
{
	goro_chan *ch = ((const struct chan_ref *)arg)->ch;
	int res;
	const char *err = work(13, &res);
	if (err != NULL) {
		// In case of an error, send nil.
		goro_send(ch, 0);
		// return // FIX: Uncomment to prevent sending twice on error.
	}
	// Otherwise, continue with normal behavior.
	// This leaks if err != nil, as 'ch <- res' will block.
	goro_chan_send(ch, &res);
}

goro_chan *double_send(void)
{
	goro_chan *ch = goro_chan_new(int, 0);
	goro_go(double_send_func1, &(struct chan_ref){ ch });
	return ch;
}

static void double_send_fixed_func1(void *arg)
{
	goro_chan *ch = ((const struct chan_ref *)arg)->ch;
	int res;
	const char *err = work(13, &res);
	if (err != NULL) {
		goro_send(ch, 0);
		return; // FIX: send at most once.
	}
	goro_chan_send(ch, &res);
}

goro_chan *double_send_fixed(void)
{
	goro_chan *ch = goro_chan_new(int, 0);
	goro_go(double_send_fixed_func1, &(struct chan_ref){ ch });
	return ch;
}

/* ------------------------------------------------------------------ */
/* Early return                                                        */
/* ------------------------------------------------------------------ */

/* Shared by early_return and canceled (Go: EarlyReturn.func1 and
 * Canceled.func1 have the same body, with work(42) and work(100)). */
struct work_child_args {
	goro_chan *ch;
	int n;
};

static void early_return_func1(void *arg)
{
	const struct work_child_args *a = arg;
	int res;
	work(a->n, &res);
	// Leaks if the parent goroutine terminates early.
	goro_chan_send(a->ch, &res);
}

void early_return(void)
{
	goro_chan *ch = goro_chan_new(int, 0); // FIX: Should be buffered.
	goro_go(early_return_func1, &(struct work_child_args){ ch, 42 });
	int res;
	const char *err = work(13, &res);
	if (err != NULL) {
		// Early return in case of error.
		// The child goroutine leaks.
		return;
	}
	// Only receive if there is no error.
	goro_chan_recv(ch, NULL);
}

static void early_return_fixed_func1(void *arg)
{
	const struct work_child_args *a = arg;
	int res;
	work(a->n, &res);
	goro_chan_send(a->ch, &res);
}

void early_return_fixed(void)
{
	goro_chan *ch = goro_chan_new(int, 1); // FIX: the child's one send never blocks.
	goro_go(early_return_fixed_func1, &(struct work_child_args){ ch, 42 });
	int res;
	const char *err = work(13, &res);
	if (err != NULL) {
		return;
	}
	goro_chan_recv(ch, NULL);
}

/* ------------------------------------------------------------------ */
/* Cancel/Timeout                                                      */
/* ------------------------------------------------------------------ */

static void canceled_func1(void *arg)
{
	const struct work_child_args *a = arg;
	int res;
	work(a->n, &res);
	// Leaks if the parent goroutine gets canceled.
	goro_chan_send(a->ch, &res);
}

void canceled(goro_ctx *ctx)
{
	goro_chan *ch = goro_chan_new(int, 0); // FIX: Should be buffered.
	goro_go(canceled_func1, &(struct work_child_args){ ch, 100 });
	// Wait for the result or for cancellation.
	int res;
	goro_case cases[] = {
		GORO_RECV(goro_ctx_done(ctx), NULL),
		GORO_RECV(ch, &res),
	};
	switch (goro_select(cases, 2, false)) {
	case 0:
		// The child goroutine leaks.
		return;
	case 1:
		// Process the result.
		(void)res;
	}
}

static void canceled_fixed_func1(void *arg)
{
	const struct work_child_args *a = arg;
	int res;
	work(a->n, &res);
	goro_chan_send(a->ch, &res);
}

void canceled_fixed(goro_ctx *ctx)
{
	goro_chan *ch = goro_chan_new(int, 1); // FIX: the child's one send never blocks.
	goro_go(canceled_fixed_func1, &(struct work_child_args){ ch, 100 });
	int res;
	goro_case cases[] = {
		GORO_RECV(goro_ctx_done(ctx), NULL),
		GORO_RECV(ch, &res),
	};
	switch (goro_select(cases, 2, false)) {
	case 0:
		return;
	case 1:
		(void)res;
	}
}

/* ------------------------------------------------------------------ */
/* Take first                                                          */
/* ------------------------------------------------------------------ */

struct take_first_func1_args {
	goro_chan *ch;
	int item;
};

static void take_first_func1(void *arg)
{
	const struct take_first_func1_args *a = arg;
	int v = process(a->item);
	goro_chan_send(a->ch, &v);
}

void take_first(void *args)
{
	const struct take_first_args *a = args;
	goro_chan *ch = goro_chan_new(int, 0);
	// Iterate over every item.
	for (int i = 0; i < a->n; i++) {
		goro_go(take_first_func1, &(struct take_first_func1_args){ ch, a->items[i] });
	}
	// Retrieve the first result. All other children leak.
	// Also, the parent leaks if len(items) == 0 because it waits for a send that never comes.
	goro_chan_recv(ch, NULL);
}

static void take_first_fixed_func1(void *arg)
{
	const struct take_first_func1_args *a = arg;
	int v = process(a->item);
	goro_chan_send(a->ch, &v);
}

void take_first_fixed(void *args)
{
	const struct take_first_args *a = args;
	if (a->n == 0) {
		// Return early if the source collection is empty.
		return;
	}
	// Make the channel's buffer large enough.
	goro_chan *ch = goro_chan_new(int, (size_t)a->n);
	// Iterate over every item
	for (int i = 0; i < a->n; i++) {
		goro_go(take_first_fixed_func1, &(struct take_first_func1_args){ ch, a->items[i] });
	}
	// Retrieve first result.
	goro_chan_recv(ch, NULL);
}

/* ------------------------------------------------------------------ */
/* Orphans: the Worker type                                            */
/* ------------------------------------------------------------------ */

/*
 * Two goroutines run the queue, as in the article's output (two leaked
 * (*Worker).run goroutines created by (*Worker).Start.func1).
 * Allocated with goro_new: the leak detector must see that only the run
 * goroutines can still reach it.
 */
struct worker {
	goro_once once;     /* Start launches the goroutines once */
	goro_chan *queue;   /* int items; Push hands them to a run goroutine */
	goro_chan *done;    /* chan struct{}, closed by Stop */
	goro_waitgroup wg;  /* counts live run goroutines, for Stop */
};

struct worker_ref {
	struct worker *w;
};

struct worker *new_worker(void)
{
	struct worker *w = goro_new(struct worker);
	w->queue = goro_chan_new(int, 0);
	w->done = goro_chan_make(0, 0);
	return w;
}

/*
 * (*Worker).run: processes items until Stop.  Without Stop it blocks
 * forever in the select once the queue is empty: that is the leak.
 */
static void worker_run(void *arg)
{
	struct worker *w = ((const struct worker_ref *)arg)->w;
	for (;;) {
		int item;
		goro_case cases[] = {
			GORO_RECV(w->queue, &item),
			GORO_RECV(w->done, NULL),
		};
		switch (goro_select(cases, 2, false)) {
		case 0:
			(void)item; // process the item
			break;
		case 1:
			goro_waitgroup_done(&w->wg); // Go: defer w.wg.Done()
			return;
		}
	}
}

/* (*Worker).Start.func1: the function Start's once runs. */
static void worker_start_func1(void *arg)
{
	struct worker *w = arg;
	goro_waitgroup_add(&w->wg, 2);
	goro_go(worker_run, &(struct worker_ref){ w });
	goro_go(worker_run, &(struct worker_ref){ w });
}

void worker_start(struct worker *w)
{
	goro_once_do(&w->once, worker_start_func1, w);
}

void worker_stop(struct worker *w)
{
	goro_chan_close(w->done);
	goro_waitgroup_wait(&w->wg);
}

// Push adds an item to the processing queue. It blocks until a run
// goroutine takes the item.
void worker_push(struct worker *w, int item)
{
	goro_chan_send(w->queue, &item);
}

void orphans(void)
{
	struct worker *w = new_worker();
	worker_start(w);
	// defer w.Stop() // FIX: Uncomment to resolve by stopping the worker.

	int items[10] = { 0 };
	for (int i = 0; i < 10; i++) {
		worker_push(w, items[i]);
	}
}

void orphans_fixed(void)
{
	struct worker *w = new_worker();
	worker_start(w);

	int items[10] = { 0 };
	for (int i = 0; i < 10; i++) {
		worker_push(w, items[i]);
	}
	worker_stop(w); // FIX: honour the contract (Go: defer w.Stop()).
}
