/*
 * cglp.c — common-goroutine-leak-patterns (leak-corpus.md section 1).
 *
 * The six channel patterns of Saioc et al. (CGO 2024) as the Go runtime's
 * commonpatterns.go runs them, each with its fixed twin.  CGLP-7 (looping
 * timer) is not among them.  Every goroutine here blocks on a channel or a
 * select, so every case also runs in a synctest bubble.
 */
#include "corpus.h"

/* Stands in for Go's `chan any` payloads: 0 is nil, 1 a value. */
static const int nil_value = 0;
static const int some_value = 1;

static const int four_items[] = { 11, 22, 33, 44 };

struct chan_arg {
	goro_chan *ch;
};

/* ------------------------------------------------------------------ */
/* CGLP-1 NoCloseRange                                                 */
/* ------------------------------------------------------------------ */

struct no_close_range_args {
	const int *list;
	int n;
	int workers;
};

/* A worker: `for item := range ch`. */
static void no_close_range_func1(void *arg)
{
	goro_chan *ch = ((const struct chan_arg *)arg)->ch;
	int item;
	goro_range(ch, item) {
		(void)item;
	}
}

/* Sends every item to the workers and never closes ch: the workers leak
 * once the list runs out; with no worker the first send leaks. */
static void no_close_range(void *arg)
{
	const struct no_close_range_args *a = arg;
	goro_chan *ch = goro_chan_new(int, 0);

	for (int w = 0; w < a->workers; w++)
		goro_go(no_close_range_func1, &(struct chan_arg){ ch });
	for (int i = 0; i < a->n; i++)
		goro_chan_send(ch, &a->list[i]);
}

static void fixed_no_close_range_func1(void *arg)
{
	goro_chan *ch = ((const struct chan_arg *)arg)->ch;
	int item;
	goro_range(ch, item) {
		(void)item;
	}
}

/* The fix: a buffer for the whole list, and close(ch) after the sends. */
static void fixed_no_close_range(void *arg)
{
	const struct no_close_range_args *a = arg;
	goro_chan *ch = goro_chan_new(int, (size_t)a->n);

	for (int w = 0; w < a->workers; w++)
		goro_go(fixed_no_close_range_func1, &(struct chan_arg){ ch });
	for (int i = 0; i < a->n; i++)
		goro_chan_send(ch, &a->list[i]);
	goro_chan_close(ch);
}

/* As Go's test: one run without workers, one with three. */
static void no_close_range_case(void)
{
	goro_go(no_close_range, &(struct no_close_range_args){ four_items, 4, 0 });
	goro_go(no_close_range, &(struct no_close_range_args){ four_items, 4, 3 });
}

static void fixed_no_close_range_case(void)
{
	goro_go(fixed_no_close_range, &(struct no_close_range_args){ four_items, 4, 0 });
	goro_go(fixed_no_close_range, &(struct no_close_range_args){ four_items, 4, 3 });
}

CORPUS_CASE(cglp_no_close_range) {
	.id = "CGLP-1/no-close-range",
	.run = no_close_range_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "no_close_range", "chan send", 1 },
		{ "no_close_range_func1", "chan receive", 3 },
	},
	.note = "range over a channel never closed: 3 workers block in the range "
	        "receive; with 0 workers the sender blocks (Go: noCloseRange "
	        "[chan send] + noCloseRange.func1 [chan receive], deterministic)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(cglp_no_close_range_fixed) {
	.id = "CGLP-1/no-close-range/fixed",
	.run = fixed_no_close_range_case,
	.mode = CORPUS_NO_LEAK,
	.note = "buffered to len(list) and closed after the last send",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* CGLP-2 MethodContractViolation                                      */
/* ------------------------------------------------------------------ */

/* A started worker must be stopped. */
struct worker {
	goro_chan *ch;   /* items (int), unbuffered */
	goro_chan *done; /* closed by worker_stop */
};

struct worker_ref {
	struct worker *w;
};

static struct worker *new_worker(void)
{
	struct worker *w = goro_new(struct worker);
	w->ch = goro_chan_new(int, 0);
	w->done = goro_chan_new(char, 0);
	return w;
}

/* Go: worker.Start.func1, the goroutine Start launches. */
static void worker_start_func1(void *arg)
{
	struct worker *w = ((const struct worker_ref *)arg)->w;
	int item;

	for (;;) {
		goro_case cases[] = {
			GORO_RECV(w->ch, &item),
			GORO_RECV(w->done, NULL),
		};
		if (goro_select(cases, 2, false) == 1)
			return;
	}
}

static void worker_start(struct worker *w)
{
	goro_go(worker_start_func1, &(struct worker_ref){ w });
}

static void worker_stop(struct worker *w)
{
	goro_chan_close(w->done);
}

static void worker_add_to_queue(struct worker *w, int item)
{
	goro_chan_send(w->ch, &item);
}

static void worker_lifecycle(const int *items, int n)
{
	struct worker *w = new_worker();
	worker_start(w);
	for (int i = 0; i < n; i++)
		worker_add_to_queue(w, items[i]);
	/* Missing: worker_stop(w). */
}

static void fixed_worker_lifecycle(const int *items, int n)
{
	struct worker *w = new_worker();
	worker_start(w);
	for (int i = 0; i < n; i++)
		worker_add_to_queue(w, items[i]);
	worker_stop(w); /* Go: defer w.Stop() */
}

static void worker_lifecycle_case(void)
{
	worker_lifecycle(four_items, 4);
}

static void fixed_worker_lifecycle_case(void)
{
	fixed_worker_lifecycle(four_items, 4);
}

CORPUS_CASE(cglp_method_contract_violation) {
	.id = "CGLP-2/method-contract-violation",
	.run = worker_lifecycle_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "worker_start_func1", "select", 1 } },
	.note = "a started worker is never stopped: its goroutine waits in a "
	        "select on two channels nobody else holds (Go: worker.Start.func1 "
	        "[select], deterministic)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(cglp_method_contract_violation_fixed) {
	.id = "CGLP-2/method-contract-violation/fixed",
	.run = fixed_worker_lifecycle_case,
	.mode = CORPUS_NO_LEAK,
	.note = "the client calls Stop (Go: defer w.Stop())",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* CGLP-3 DoubleSend                                                   */
/* ------------------------------------------------------------------ */

struct double_send_args {
	goro_chan *ch;
	bool err;
};

/* On error sends nil but does not return, so it sends a second time. */
static void double_send(void *arg)
{
	const struct double_send_args *a = arg;
	if (a->err)
		goro_chan_send(a->ch, &nil_value);
	goro_chan_send(a->ch, &some_value);
}

static void fixed_double_send(void *arg)
{
	const struct double_send_args *a = arg;
	if (a->err) {
		goro_chan_send(a->ch, &nil_value);
		return;
	}
	goro_chan_send(a->ch, &some_value);
}

/* Starts fn(ch, err) on a channel of capacity cap, then receives once. */
static void double_send_once(goro_fn fn, bool err, size_t cap)
{
	goro_chan *ch = goro_chan_new(int, cap);
	int v;
	goro_go(fn, &(struct double_send_args){ ch, err });
	goro_chan_recv(ch, &v);
}

/* Go's three runs: only (error, unbuffered) leaves a send blocked; with
 * capacity 1 the second send fits the slot the receive freed. */
static void double_send_case(void)
{
	double_send_once(double_send, false, 0);
	double_send_once(double_send, true, 0);
	double_send_once(double_send, true, 1);
}

/* The repository's DoubleOneUnbuffered_HasLeak: capacity 1, no receive. */
static void double_send_no_receive_case(void)
{
	goro_go(double_send, &(struct double_send_args){ goro_chan_new(int, 1), true });
}

static void fixed_double_send_case(void)
{
	double_send_once(fixed_double_send, false, 0);
	double_send_once(fixed_double_send, true, 0);
	double_send_once(fixed_double_send, true, 1);
	goro_go(fixed_double_send,
	        &(struct double_send_args){ goro_chan_new(int, 1), true });
}

CORPUS_CASE(cglp_double_send) {
	.id = "CGLP-3/double-send",
	.run = double_send_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "double_send", "chan send", 1 } },
	.note = "missing return after the error send: of (ok, unbuffered), "
	        "(error, unbuffered), (error, cap 1) with one receive each, only "
	        "the second blocks (Go: DoubleSend.func3 [chan send], deterministic)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(cglp_double_send_no_receive) {
	.id = "CGLP-3/double-send-no-receive",
	.run = double_send_no_receive_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "double_send", "chan send", 1 } },
	.note = "error path on a cap-1 channel nobody reads: the first send "
	        "fills the buffer, the second blocks (repository test "
	        "DoubleOneUnbuffered_HasLeak)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(cglp_double_send_fixed) {
	.id = "CGLP-3/double-send/fixed",
	.run = fixed_double_send_case,
	.mode = CORPUS_NO_LEAK,
	.note = "return after the error send; all four runs above",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* CGLP-4 EarlyReturn                                                  */
/* ------------------------------------------------------------------ */

static void early_return_func1(void *arg)
{
	goro_chan_send(((const struct chan_arg *)arg)->ch, &some_value);
}

/* On error the parent returns before receiving the child's result. */
static void early_return(bool err)
{
	goro_chan *ch = goro_chan_new(int, 0);
	int v;
	goro_go(early_return_func1, &(struct chan_arg){ ch });
	if (err)
		return;
	goro_chan_recv(ch, &v);
}

static void fixed_early_return_func1(void *arg)
{
	goro_chan_send(((const struct chan_arg *)arg)->ch, &some_value);
}

static void fixed_early_return(bool err)
{
	goro_chan *ch = goro_chan_new(int, 1); /* the one send never blocks */
	int v;
	goro_go(fixed_early_return_func1, &(struct chan_arg){ ch });
	if (err)
		return;
	goro_chan_recv(ch, &v);
}

static void early_return_case(void)
{
	early_return(true);
}

static void fixed_early_return_case(void)
{
	fixed_early_return(true);
	fixed_early_return(false);
}

CORPUS_CASE(cglp_early_return) {
	.id = "CGLP-4/early-return",
	.run = early_return_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "early_return_func1", "chan send", 1 } },
	.note = "the parent returns on error before receiving: the child's send "
	        "on the unbuffered channel blocks (Go: earlyReturn.func1 "
	        "[chan send], deterministic)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(cglp_early_return_fixed) {
	.id = "CGLP-4/early-return/fixed",
	.run = fixed_early_return_case,
	.mode = CORPUS_NO_LEAK,
	.note = "channel of capacity 1; run with and without the error",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* CGLP-5 NCastLeak                                                    */
/* ------------------------------------------------------------------ */

struct ncast_args {
	const int *items;
	int n;
};

struct ncast_item {
	goro_chan *ch;
	int item;
};

static void ncast_leak_func1(void *arg)
{
	const struct ncast_item *a = arg;
	goro_chan_send(a->ch, &a->item);
}

/* One sender per item, one receive: n-1 senders leak; with no item the
 * receive itself leaks. */
static void ncast_leak(void *arg)
{
	const struct ncast_args *a = arg;
	goro_chan *ch = goro_chan_new(int, 0);
	int first;

	for (int i = 0; i < a->n; i++)
		goro_go(ncast_leak_func1, &(struct ncast_item){ ch, a->items[i] });
	goro_chan_recv(ch, &first);
}

static void fixed_ncast_leak_func1(void *arg)
{
	const struct ncast_item *a = arg;
	goro_chan_send(a->ch, &a->item);
}

static void fixed_ncast_leak(void *arg)
{
	const struct ncast_args *a = arg;
	if (a->n == 0)
		return;
	goro_chan *ch = goro_chan_new(int, (size_t)a->n);
	int first;

	for (int i = 0; i < a->n; i++)
		goro_go(fixed_ncast_leak_func1, &(struct ncast_item){ ch, a->items[i] });
	goro_chan_recv(ch, &first);
}

/* As Go's test: three items in place, and nil in a goroutine of its own. */
static void ncast_leak_case(void)
{
	ncast_leak(&(struct ncast_args){ four_items, 3 });
	goro_go(ncast_leak, &(struct ncast_args){ NULL, 0 });
}

static void fixed_ncast_leak_case(void)
{
	fixed_ncast_leak(&(struct ncast_args){ four_items, 3 });
	goro_go(fixed_ncast_leak, &(struct ncast_args){ NULL, 0 });
}

CORPUS_CASE(cglp_ncast_leak) {
	.id = "CGLP-5/ncast-leak",
	.run = ncast_leak_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "ncast_leak_func1", "chan send", 2 },
		{ "ncast_leak", "chan receive", 1 },
	},
	.note = "only the first of three results is received (2 senders block); "
	        "with no items the receiver blocks (Go: nCastLeak.func1 "
	        "[chan send] + NCastLeak.func2 [chan receive], deterministic)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(cglp_ncast_leak_fixed) {
	.id = "CGLP-5/ncast-leak/fixed",
	.run = fixed_ncast_leak_case,
	.mode = CORPUS_NO_LEAK,
	.note = "return early on no items; buffer for every result",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* CGLP-6 Timeout                                                      */
/* ------------------------------------------------------------------ */

enum { TIMEOUT_RUNS = 100 };

static void timeout_func1(void *arg)
{
	goro_chan_send(((const struct chan_arg *)arg)->ch, &some_value);
}

/* Waits for the child's result or for ctx; once ctx wins nobody receives. */
static void timeout(goro_ctx *ctx)
{
	goro_chan *ch = goro_chan_new(int, 0);
	int v;
	goro_go(timeout_func1, &(struct chan_arg){ ch });
	goro_case cases[] = {
		GORO_RECV(goro_ctx_done(ctx), NULL),
		GORO_RECV(ch, &v),
	};
	goro_select(cases, 2, false);
}

static void fixed_timeout_func1(void *arg)
{
	goro_chan_send(((const struct chan_arg *)arg)->ch, &some_value);
}

static void fixed_timeout(goro_ctx *ctx)
{
	goro_chan *ch = goro_chan_new(int, 1);
	int v;
	goro_go(fixed_timeout_func1, &(struct chan_arg){ ch });
	goro_case cases[] = {
		GORO_RECV(goro_ctx_done(ctx), NULL),
		GORO_RECV(ch, &v),
	};
	goro_select(cases, 2, false);
}

/* Go runs 100 copies with a canceled context: each select chooses Done
 * unless the child is already blocked in its send, and then picks at
 * random, so at least one copy leaks. */
static void timeout_case(void)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_cancel(ctx);
	for (int i = 0; i < TIMEOUT_RUNS; i++)
		timeout(ctx);
	goro_ctx_release(ctx);
}

static void fixed_timeout_case(void)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_cancel(ctx);
	for (int i = 0; i < TIMEOUT_RUNS; i++)
		fixed_timeout(ctx);
	goro_ctx_release(ctx);
}

CORPUS_CASE(cglp_timeout) {
	.id = "CGLP-6/timeout",
	.run = timeout_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "timeout_func1", "chan send", CORPUS_ANY } },
	.note = "100 parents select on a canceled ctx.Done and the child's "
	        "channel; when Done wins, the child's send blocks; at most 100 "
	        "(Go: timeout.func1 [chan send], deterministic in practice)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(cglp_timeout_fixed) {
	.id = "CGLP-6/timeout/fixed",
	.run = fixed_timeout_case,
	.mode = CORPUS_NO_LEAK,
	.note = "channel of capacity 1",
	.flags = CORPUS_SYNCTEST,
};
