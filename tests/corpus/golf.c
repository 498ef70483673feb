/*
 * golf.c — the GOLF artifact's extra programs (leak-corpus.md section 4):
 * leaks, must-not-report guards and documented false negatives.
 *
 * GOLF annotates each `go` site with the number of goroutines it leaks;
 * the counts below are those annotations (x > 0 becomes CORPUS_ANY).
 */
#include "corpus.h"
#include "kernel.h"
#include "../waiting.h"

struct chan_arg {
	goro_chan *ch;
};

/* Blocks forever on a channel nobody else has (Go: <-make(chan int)). */
static void receive_from_fresh_channel(void)
{
	int v;
	goro_chan_recv(goro_chan_new(int, 0), &v);
}

/* ------------------------------------------------------------------ */
/* GOLF-L1 deadlock/simple/loop                                        */
/* ------------------------------------------------------------------ */

enum { GOLF_LOOP_GOROUTINES = 100 };

static void golf_loop_func1(void *arg)
{
	(void)arg;
	receive_from_fresh_channel();
}

static void golf_loop_case(void)
{
	for (int i = 0; i < GOLF_LOOP_GOROUTINES; i++)
		goro_go0(golf_loop_func1);
}

CORPUS_CASE(golf_loop) {
	.id = "GOLF-L1/loop",
	.run = golf_loop_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "golf_loop_func1", "chan receive", GOLF_LOOP_GOROUTINES } },
	.note = "100 goroutines each receive from their own fresh channel",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* GOLF-L3 deadlock/simple/rwmutex                                     */
/* ------------------------------------------------------------------ */

struct rwmutex_arg {
	goro_rwmutex *rw;
};

static void golf_rwmutex_rlocker_func1(void *arg)
{
	goro_rwmutex_lock(((const struct rwmutex_arg *)arg)->rw);
}

/* Read-locks, starts a writer, exits: the read lock outlives its owner. */
static void golf_rwmutex_rlocker(void *arg)
{
	(void)arg;
	goro_rwmutex *rw = goro_new(goro_rwmutex);
	goro_rwmutex_rlock(rw);
	goro_go(golf_rwmutex_rlocker_func1, &(struct rwmutex_arg){ rw });
}

static void golf_rwmutex_locker_func1(void *arg)
{
	goro_rwmutex_rlock(((const struct rwmutex_arg *)arg)->rw);
}

/* Write-locks, starts a reader, exits. */
static void golf_rwmutex_locker(void *arg)
{
	(void)arg;
	goro_rwmutex *rw = goro_new(goro_rwmutex);
	goro_rwmutex_lock(rw);
	goro_go(golf_rwmutex_locker_func1, &(struct rwmutex_arg){ rw });
}

static void golf_rwmutex_case(void)
{
	goro_go0(golf_rwmutex_rlocker);
	goro_go0(golf_rwmutex_locker);
}

CORPUS_CASE(golf_rwmutex) {
	.id = "GOLF-L3/rwmutex",
	.run = golf_rwmutex_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "golf_rwmutex_rlocker_func1", "sync.RWMutex.Lock", 1 },
		{ "golf_rwmutex_locker_func1", "sync.RWMutex.RLock", 1 },
	},
	.note = "locks held by goroutines that exited: a writer waits for a "
	        "dead reader, a reader for a dead writer",
};

/* ------------------------------------------------------------------ */
/* GOLF-L4 deadlock/simple/mixed                                       */
/* ------------------------------------------------------------------ */

enum { GOLF_MIXED_CALLERS = 100, GOLF_MIXED_ITEMS = 3 };

struct mixed_item {
	goro_chan *ch;     /* int results, unbuffered */
	goro_chan *err_ch; /* int errors, unbuffered */
	goro_waitgroup *wg;
	int x;
};

/* A worker: reports an error or its result with a plain send.  GOLF picks
 * the outcome at random; here items 0 and 2 fail, so whatever the order
 * of arrival the collector stops with at least one worker unheard. */
static void golf_mixed_foo_func1(void *arg)
{
	const struct mixed_item *a = arg;
	goro_chan_send(a->x % 2 == 0 ? a->err_ch : a->ch, &a->x);
	goro_waitgroup_done(a->wg);
}

/* Go: Foo(xs): collects results, stops at the first error, then waits
 * for every worker. */
static void golf_mixed_foo(void *arg)
{
	(void)arg;
	goro_chan *ch = goro_chan_new(int, 0);
	goro_chan *err_ch = goro_chan_new(int, 0);
	goro_waitgroup *wg = goro_new(goro_waitgroup);
	int x;

	for (int i = 0; i < GOLF_MIXED_ITEMS; i++) {
		goro_waitgroup_add(wg, 1);
		goro_go(golf_mixed_foo_func1, &(struct mixed_item){ ch, err_ch, wg, i });
	}
	for (int got = 0; got < GOLF_MIXED_ITEMS; got++) {
		goro_case cases[] = { GORO_RECV(ch, &x), GORO_RECV(err_ch, &x) };
		if (goro_select(cases, 2, false) == 1)
			break;
	}
	goro_waitgroup_wait(wg);
}

static void golf_mixed_case(void)
{
	for (int i = 0; i < GOLF_MIXED_CALLERS; i++)
		goro_go0(golf_mixed_foo);
}

CORPUS_CASE(golf_mixed) {
	.id = "GOLF-L4/mixed",
	.run = golf_mixed_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "golf_mixed_foo_func1", "chan send", CORPUS_ANY },
		{ "golf_mixed_foo", "sync.WaitGroup.Wait", GOLF_MIXED_CALLERS },
	},
	.note = "100 callers stop collecting at the first error and then wait for "
	        "workers still blocked sending (1 or 2 per caller)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* GOLF-L8 deadlock/corner-cases/gowrap                                */
/* ------------------------------------------------------------------ */
/* Each goroutine below is started from a different kind of site and must
 * be attributed to the function that was started, not to the site. */

static void gowrap_direct(void *arg)
{
	(void)arg;
	receive_from_fresh_channel();
}

static void gowrap_via_helper(void *arg)
{
	(void)arg;
	receive_from_fresh_channel();
}

/* A go-wrapper: the goroutine starts fn, not spawn_blocked. */
static void spawn_blocked(goro_fn fn)
{
	goro_go0(fn);
}

static void gowrap_nested3(void *arg)
{
	(void)arg;
	receive_from_fresh_channel();
}

static void gowrap_nested2(void *arg)
{
	(void)arg;
	goro_go0(gowrap_nested3);
	receive_from_fresh_channel();
}

static void gowrap_nested1(void *arg)
{
	(void)arg;
	goro_go0(gowrap_nested2);
	receive_from_fresh_channel();
}

static void gowrap_deferred(void *arg)
{
	(void)arg;
	receive_from_fresh_channel();
}

/* Run at scope exit: GNU C's cleanup attribute is C's `defer`. */
static void spawn_on_scope_exit(int *scope)
{
	(void)scope;
	goro_go0(gowrap_deferred);
}

static void with_deferred_spawn(void)
{
	int scope __attribute__((cleanup(spawn_on_scope_exit))) = 0;
	(void)scope;
}

static void gowrap_big_stack(void *arg)
{
	(void)arg;
	receive_from_fresh_channel();
}

static void gowrap_from_table(void *arg)
{
	(void)arg;
	receive_from_fresh_channel();
}

/* A function value kept in data (Go: a func variable or method value). */
static const struct {
	goro_fn start;
} spawn_table = { gowrap_from_table };

static void gowrap_orphan(void *arg)
{
	(void)arg;
	receive_from_fresh_channel();
}

/* Starts a goroutine and exits before it blocks. */
static void gowrap_orphan_parent(void *arg)
{
	(void)arg;
	goro_go0(gowrap_orphan);
}

static void golf_gowrap_case(void)
{
	goro_go0(gowrap_direct);
	spawn_blocked(gowrap_via_helper);
	goro_go0(gowrap_nested1);
	with_deferred_spawn();
	goro_go_opts(gowrap_big_stack, NULL, 0,
	             &(goro_go_options){ .stack_size = 256 * 1024 });
	goro_go0(spawn_table.start);
}

CORPUS_CASE(golf_gowrap) {
	.id = "GOLF-L8/gowrap",
	.run = golf_gowrap_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "gowrap_direct", "chan receive", 1 },
		{ "gowrap_via_helper", "chan receive", 1 },
		{ "gowrap_nested1", "chan receive", 1 },
		{ "gowrap_nested2", "chan receive", 1 },
		{ "gowrap_nested3", "chan receive", 1 },
		{ "gowrap_deferred", "chan receive", 1 },
		{ "gowrap_big_stack", "chan receive", 1 },
		{ "gowrap_from_table", "chan receive", 1 },
	},
	.note = "one leak per kind of go site: direct, through a wrapper, nested "
	        "3 deep, from a scope-exit cleanup (defer), with a custom stack, "
	        "from a function pointer in data (GOLF: ~25 sites, 1 each; see "
	        "also GOLF-L8/gowrap-orphan)",
	.flags = CORPUS_SYNCTEST,
};

/* One more site, in a case of its own (expect[] holds 8 kinds). */
static void golf_gowrap_orphan_case(void)
{
	goro_go0(gowrap_orphan_parent);
}

CORPUS_CASE(golf_gowrap_orphan) {
	.id = "GOLF-L8/gowrap-orphan",
	.run = golf_gowrap_orphan_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "gowrap_orphan", "chan receive", 1 } },
	.note = "a leak whose creator exited before it blocked is still "
	        "attributed to the function it started",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* GOLF-C2 correct/simple/mutex                                        */
/* ------------------------------------------------------------------ */

struct mutex_arg {
	goro_mutex *mu;
};

static void golf_mutex_func1(void *arg)
{
	goro_mutex *mu = ((const struct mutex_arg *)arg)->mu;
	goro_mutex_lock(mu);
	goro_mutex_unlock(mu);
}

static void golf_mutex_parent(void *arg)
{
	(void)arg;
	goro_mutex *mu = goro_new(goro_mutex);
	goro_mutex_lock(mu);
	goro_go(golf_mutex_func1, &(struct mutex_arg){ mu });
	goro_mutex_unlock(mu);
}

static void golf_mutex_case(void)
{
	goro_go0(golf_mutex_parent);
}

CORPUS_CASE(golf_mutex_correct) {
	.id = "GOLF-C2/mutex",
	.run = golf_mutex_case,
	.mode = CORPUS_NO_LEAK,
	.note = "a child waits for a lock its parent releases",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* GOLF-C5 correct/simple/no-blocks                                    */
/* ------------------------------------------------------------------ */

enum { GOLF_BUSY_GOROUTINES = 10000 };

/* Computes forever and never blocks: the detector runs while all 10,000
 * are runnable.  It yields after each short burst so that the goroutine
 * still starting the others, and the detector's stop-the-world, get their
 * turn quickly. */
static void golf_no_blocks_func1(void *arg)
{
	(void)arg;
	volatile unsigned long work = 0;
	for (;;) {
		for (int i = 0; i < 64; i++)
			work = work * 31 + (unsigned long)i;
		goro_yield();
	}
}

static void golf_no_blocks_case(void)
{
	for (int i = 0; i < GOLF_BUSY_GOROUTINES; i++)
		goro_go0(golf_no_blocks_func1);
}

CORPUS_CASE(golf_no_blocks) {
	.id = "GOLF-C5/no-blocks",
	.run = golf_no_blocks_case,
	.mode = CORPUS_NO_LEAK,
	.note = "10,000 CPU-busy goroutines that never block are never "
	        "candidates (they spin until the test process exits)",
};

/* ------------------------------------------------------------------ */
/* GOLF-C7 correct/creation                                            */
/* ------------------------------------------------------------------ */

/* GOLF: 11 x 100,000; scaled down for a unit test, and further under
 * TSan, whose vector clocks grow with every goroutine (fiber) ever made. */
enum { GOLF_CREATION_ROUNDS = 11, GOLF_CREATION_GOROUTINES = SCALED(5000) };

struct handoff {
	goro_chan *ch;     /* int, unbuffered */
	goro_waitgroup *ready;
	goro_chan *start;  /* closed once every goroutine is ready */
};

static void golf_creation_func1(void *arg)
{
	const struct handoff *a = arg;
	const int v = 1;
	goro_waitgroup_done(a->ready);
	kernel_wait(a->start);
	goro_chan_send(a->ch, &v);
}

static void golf_creation_case(void)
{
	for (int r = 0; r < GOLF_CREATION_ROUNDS; r++) {
		struct handoff h = {
			.ch = goro_chan_new(int, 0),
			.ready = goro_new(goro_waitgroup),
			.start = goro_chan_new(char, 0),
		};
		int v;

		goro_waitgroup_add(h.ready, GOLF_CREATION_GOROUTINES);
		for (int i = 0; i < GOLF_CREATION_GOROUTINES; i++)
			goro_go(golf_creation_func1, &h);
		goro_waitgroup_wait(h.ready);
		goro_chan_close(h.start);
		for (int i = 0; i < GOLF_CREATION_GOROUTINES; i++)
			goro_chan_recv(h.ch, &v);
	}
}

CORPUS_CASE(golf_creation) {
	.id = "GOLF-C7/creation",
	.run = golf_creation_case,
	.mode = CORPUS_NO_LEAK,
	.note = "11 rounds of 5,000 goroutines (GOLF: 100,000) that pass a "
	        "WaitGroup barrier, then hand a value over an unbuffered channel",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* GOLF-C8 correct/signal                                              */
/* ------------------------------------------------------------------ */

enum { GOLF_SIGNAL_WAITERS = 1001 };

/* goro has no signal.Notify; what makes Go's case live is that the
 * runtime's signal table, a root, holds the channel.  This table plays
 * that part: a global, like the runtime's.  Only a signal handler would
 * read it, so it is volatile: the compiler may not drop the store. */
static goro_chan *volatile signal_table[1];

static void golf_signal_func1(void *arg)
{
	int sig;
	goro_chan_recv(((const struct chan_arg *)arg)->ch, &sig);
}

static void golf_signal_case(void)
{
	goro_chan *ch = goro_chan_new(int, 1);
	signal_table[0] = ch; /* Go: signal.Notify(ch, ...) */
	for (int i = 0; i < GOLF_SIGNAL_WAITERS; i++)
		goro_go(golf_signal_func1, &(struct chan_arg){ ch });
}

CORPUS_CASE(golf_signal) {
	.id = "GOLF-C8/signal",
	.run = golf_signal_case,
	.mode = CORPUS_NO_LEAK,
	.note = "1001 goroutines wait on a channel registered with an external "
	        "event source (a global table standing in for signal.Notify)",
};

/* ------------------------------------------------------------------ */
/* GOLF-C9 correct/timer                                               */
/* ------------------------------------------------------------------ */

enum { GOLF_TIMER_WAITERS = 1001 };

static void golf_timer_func1(void *arg)
{
	(void)arg;
	int64_t at;
	goro_chan_recv(goro_after(5 * GORO_SECOND), &at);
}

static void golf_timer_case(void)
{
	for (int i = 0; i < GOLF_TIMER_WAITERS; i++)
		goro_go0(golf_timer_func1);
}

CORPUS_CASE(golf_timer) {
	.id = "GOLF-C9/timer",
	.run = golf_timer_case,
	.mode = CORPUS_NO_LEAK,
	.note = "1001 goroutines wait on time.After(5s): the runtime's timers "
	        "keep their channels live (in a bubble the root's sleep on the "
	        "fake clock fires them)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* GOLF-C12 correct/corner-cases/higher-order-functions/bouncing-callback */
/* ------------------------------------------------------------------ */

#define BOUNCE_TIMEOUT GORO_MILLISECOND

struct bounce {
	goro_chan *events;    /* int, unbuffered */
	goro_chan *callbacks; /* int, unbuffered */
};

struct bounce_ref {
	struct bounce *b;
};

/* Sends or receives on c, giving up after BOUNCE_TIMEOUT. */
static void bounce_op(goro_chan *c, int dir, int *v)
{
	int64_t at;
	goro_case cases[] = {
		{ .chan = c, .dir = dir, .elem = v },
		GORO_RECV(goro_after(BOUNCE_TIMEOUT), &at),
	};
	goro_select(cases, 2, false);
}

/* Like cockroach/2448's state.start: two events, then a callback. */
static void golf_bounce_state(void *arg)
{
	struct bounce *b = ((const struct bounce_ref *)arg)->b;
	int v = 0;
	for (;;) {
		bounce_op(b->events, GORO_CASE_SEND, &v);
		bounce_op(b->events, GORO_CASE_SEND, &v);
		bounce_op(b->callbacks, GORO_CASE_RECV, &v);
	}
}

/* Like Store.processRaft: each event's callback sends back. */
static void golf_bounce_store(void *arg)
{
	struct bounce *b = ((const struct bounce_ref *)arg)->b;
	int v = 0;
	for (;;) {
		bounce_op(b->events, GORO_CASE_RECV, &v);
		bounce_op(b->callbacks, GORO_CASE_SEND, &v);
	}
}

static void golf_bouncing_callback_case(void)
{
	struct bounce *b = goro_new(struct bounce);
	b->events = goro_chan_new(int, 0);
	b->callbacks = goro_chan_new(int, 0);
	goro_go(golf_bounce_state, &(struct bounce_ref){ b });
	goro_go(golf_bounce_store, &(struct bounce_ref){ b });
}

CORPUS_CASE(golf_bouncing_callback) {
	.id = "GOLF-C12/bouncing-callback",
	.run = golf_bouncing_callback_case,
	.mode = CORPUS_NO_LEAK,
	.note = "cockroach/2448's two loops, each wait also taking a 1 ms "
	        "time.After: a select with a timer case is always live (the "
	        "loops run until the test process exits)",
};

/* ------------------------------------------------------------------ */
/* FN-1 false-negative/global/mutex                                    */
/* ------------------------------------------------------------------ */

/* A global, as in the original: a root. */
static goro_mutex fn_global_mu;

static void fn_global_mutex_func1(void *arg)
{
	(void)arg;
	goro_mutex_lock(&fn_global_mu);
}

static void fn_global_mutex_case(void)
{
	goro_mutex_lock(&fn_global_mu);
	goro_go0(fn_global_mutex_func1);
}

CORPUS_CASE(fn_global_mutex) {
	.id = "FN-1/global-mutex",
	.run = fn_global_mutex_case,
	.mode = CORPUS_FALSE_NEGATIVE,
	.expect = { { "fn_global_mutex_func1", "sync.Mutex.Lock", 1 } },
	.note = "a goroutine waits for a global mutex its locker will never "
	        "unlock; globals are roots, so the mutex looks reachable",
};

/* ------------------------------------------------------------------ */
/* FN-2 false-negative/global/rwmutex                                  */
/* ------------------------------------------------------------------ */

static goro_rwmutex fn_global_rw;

static void fn_global_rwmutex_func1(void *arg)
{
	(void)arg;
	goro_rwmutex_lock(&fn_global_rw);
}

static void fn_global_rwmutex_case(void)
{
	goro_rwmutex_rlock(&fn_global_rw);
	goro_go0(fn_global_rwmutex_func1);
}

CORPUS_CASE(fn_global_rwmutex) {
	.id = "FN-2/global-rwmutex",
	.run = fn_global_rwmutex_case,
	.mode = CORPUS_FALSE_NEGATIVE,
	.expect = { { "fn_global_rwmutex_func1", "sync.RWMutex.Lock", 1 } },
	.note = "a writer waits for a read lock held forever on a global "
	        "RWMutex; globals are roots",
};

/* ------------------------------------------------------------------ */
/* FN-4 false-negative/resource-on-stack                               */
/* ------------------------------------------------------------------ */

static void fn_resource_on_stack_func1(void *arg)
{
	int v;
	goro_chan_recv(((const struct chan_arg *)arg)->ch, &v);
}

/* Spins forever holding ch (Go: for { _ = ch }); yields so that the
 * world can stop.  It really reads ch every time round (its length,
 * which wakes nobody): an empty asm naming ch would read nothing, and
 * the machine-code liveness would rightly call ch dead. */
static void fn_resource_on_stack_func2(void *arg)
{
	goro_chan *ch = ((const struct chan_arg *)arg)->ch;
	for (;;) {
		(void)goro_chan_len(ch);
		goro_yield();
	}
}

static void fn_resource_on_stack_case(void)
{
	goro_chan *ch = goro_chan_new(int, 0);
	goro_go(fn_resource_on_stack_func1, &(struct chan_arg){ ch });
	goro_go(fn_resource_on_stack_func2, &(struct chan_arg){ ch });
}

CORPUS_CASE(fn_resource_on_stack) {
	.id = "FN-4/resource-on-stack",
	.run = fn_resource_on_stack_case,
	.mode = CORPUS_FALSE_NEGATIVE,
	.expect = { { "fn_resource_on_stack_func1", "chan receive", 1 } },
	.note = "the channel stays on the stack of a runnable goroutine that will "
	        "never use it: reachable, so not reported",
};
