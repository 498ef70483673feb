/*
 * micro.c — the Go runtime's goroutineleak micro tests, guard and stress
 * tests (leak-corpus.md section 3: simple.go, stresstests.go).  Their
 * commonpatterns.go cases are the CGLP ones, in cglp.c.
 */
#include "corpus.h"

struct chan_arg {
	goro_chan *ch;
};

/* ------------------------------------------------------------------ */
/* MICRO-1 NilRecv                                                     */
/* ------------------------------------------------------------------ */

static void nil_recv_func1(void *arg)
{
	(void)arg;
	int v;
	goro_chan_recv(NULL, &v);
}

static void nil_recv_case(void)
{
	goro_go0(nil_recv_func1);
}

CORPUS_CASE(micro_nil_recv) {
	.id = "MICRO-1/nil-recv",
	.run = nil_recv_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "nil_recv_func1", "chan receive (nil chan)", 1 } },
	.note = "a receive on the nil channel blocks forever (Go: NilRecv.func1)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* MICRO-3 SelectNoCases                                               */
/* ------------------------------------------------------------------ */

static void select_no_cases_func1(void *arg)
{
	(void)arg;
	goro_select(NULL, 0, false);
}

static void select_no_cases_case(void)
{
	goro_go0(select_no_cases_func1);
}

CORPUS_CASE(micro_select_no_cases) {
	.id = "MICRO-3/select-no-cases",
	.run = select_no_cases_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "select_no_cases_func1", "select (no cases)", 1 } },
	.note = "select {} in a goroutine other than main blocks forever (Go: "
	        "SelectNoCases.func1)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* MICRO-6 Select                                                      */
/* ------------------------------------------------------------------ */

static void select_func1(void *arg)
{
	(void)arg;
	int out = 1, in;
	goro_case cases[] = {
		GORO_SEND(goro_chan_new(int, 0), &out),
		GORO_RECV(goro_chan_new(int, 0), &in),
	};
	goro_select(cases, 2, false);
}

static void select_case(void)
{
	goro_go0(select_func1);
}

CORPUS_CASE(micro_select) {
	.id = "MICRO-6/select",
	.run = select_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "select_func1", "select", 1 } },
	.note = "select on a send to and a receive from fresh channels (Go: "
	        "Select.func1)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* MICRO-8 MutexStack                                                  */
/* ------------------------------------------------------------------ */

enum { MUTEX_STACK_GOROUTINES = 1000 };

/* Locks its own mutex twice.  The mutex is the goroutine's (Go keeps it
 * in a local variable); in C it lives in the tracked heap. */
static void mutex_stack_func1(void *arg)
{
	(void)arg;
	goro_mutex *mu = goro_new(goro_mutex);
	goro_mutex_lock(mu);
	goro_mutex_lock(mu);
}

static void mutex_stack_case(void)
{
	for (int i = 0; i < MUTEX_STACK_GOROUTINES; i++)
		goro_go0(mutex_stack_func1);
}

CORPUS_CASE(micro_mutex_stack) {
	.id = "MICRO-8/mutex-stack",
	.run = mutex_stack_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "mutex_stack_func1", "sync.Mutex.Lock", MUTEX_STACK_GOROUTINES } },
	.note = "1000 goroutines each Lock their own mutex twice (Go: "
	        "MutexStack.func1 x1000)",
};

/* ------------------------------------------------------------------ */
/* MICRO-11 RWMutexLock                                                */
/* ------------------------------------------------------------------ */

static void rwmutex_lock_func1(void *arg)
{
	(void)arg;
	goro_rwmutex *mu = goro_new(goro_rwmutex);
	goro_rwmutex_lock(mu);
	goro_rwmutex_lock(mu);
}

static void rwmutex_lock_case(void)
{
	goro_go0(rwmutex_lock_func1);
}

CORPUS_CASE(micro_rwmutex_lock) {
	.id = "MICRO-11/rwmutex-lock",
	.run = rwmutex_lock_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "rwmutex_lock_func1", CORPUS_RW_SECOND_WRITER, 1 } },
	.note = "Lock twice on the goroutine's own RWMutex: the second writer "
	        "waits on the inner Mutex (Go: RWMutexLock.func1 "
	        "[sync.(RW)?Mutex.Lock])",
};

/* ------------------------------------------------------------------ */
/* MICRO-12 Cond                                                       */
/* ------------------------------------------------------------------ */

struct cond_with_lock {
	goro_mutex mu;
	goro_cond cond; /* L = &mu */
};

static void cond_func1(void *arg)
{
	(void)arg;
	struct cond_with_lock *c = goro_new(struct cond_with_lock);
	goro_cond_init(&c->cond, goro_mutex_locker(&c->mu));
	goro_mutex_lock(&c->mu);
	goro_cond_wait(&c->cond);
}

static void cond_case(void)
{
	goro_go0(cond_func1);
}

CORPUS_CASE(micro_cond) {
	.id = "MICRO-12/cond",
	.run = cond_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "cond_func1", "sync.Cond.Wait", 1 } },
	.note = "Cond.Wait with nobody to signal (Go: Cond.func1)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* GUARD-2 SelectNoCasesMain                                           */
/* ------------------------------------------------------------------ */

static void select_no_cases_main_func1(void *arg)
{
	goro_chan *ch = ((const struct chan_arg *)arg)->ch;
	int v;
	goro_chan_recv(ch, &v);
}

/* Runs on goroutine 1: ch is referenced only from main's frame, and main
 * parks in select {} (a wait on nothing, so it never makes ch reachable). */
static void select_no_cases_main_case(void)
{
	goro_chan *ch = goro_chan_new(int, 0);
	goro_go(select_no_cases_main_func1, &(struct chan_arg){ ch });
	goro_select(NULL, 0, false);
}

CORPUS_CASE(guard_select_no_cases_main) {
	.id = "GUARD-2/select-no-cases-main",
	.run = select_no_cases_main_case,
	/* Under the test runner, its helper thread's stack points into main's
	 * stack (a conservative root), hiding the child: the MUST check runs as
	 * a plain program, tests/programs/guard2_select_no_cases_main.c. */
	.mode = CORPUS_MAY_LEAK,
	.expect = { { "select_no_cases_main_func1", "chan receive", 1 } },
	.note = "main parks in select {} and must not be reported; its child, "
	        "waiting on a channel only main's frame references, must be (Go: "
	        "SelectNoCasesMain, golang/go PR #78922)",
	.flags = CORPUS_ON_MAIN,
};

/* ------------------------------------------------------------------ */
/* STRESS-1 SpawnGC                                                    */
/* ------------------------------------------------------------------ */

enum { SPAWN_GC_DEPTH = 5 };

/* spawn_gc(i) leaks 1 + i * leaks(i - 1) goroutines: 206 for depth 5. */
enum { SPAWN_GC_LEAKS = 206 };

struct spawn_gc_args {
	goro_waitgroup *wg;
	int i;
};

static void spawn_gc(int i);

static void spawn_gc_func1(void *arg)
{
	const struct spawn_gc_args *a = arg;
	int v;
	goro_waitgroup_done(a->wg);
	goro_chan_recv(goro_chan_new(int, 0), &v);
}

/*
 * Every subtree, leaf requests included, is finished when run() returns:
 * each request stops the world, and in a slow build (ASan: ~100 ms each)
 * 120 queued requests outlast the driver's settling, which then checks a
 * tree that has not grown all its leaks yet.  A global: it refers to no
 * case object.
 */
static goro_waitgroup spawn_gc_tree;

static void spawn_gc_func2(void *arg)
{
	const struct spawn_gc_args *a = arg;
	goro_waitgroup_done(a->wg);
	spawn_gc(a->i - 1);
	goro_waitgroup_done(&spawn_gc_tree);
}

/* Each level leaks one goroutine and recurses i times; the leaves ask for
 * a leak profile while the rest of the tree is still growing. */
static void spawn_gc(int i)
{
	if (i == 0)
		return;
	goro_waitgroup *wg = goro_new(goro_waitgroup);
	goro_waitgroup_add(wg, i + 1);
	goro_go(spawn_gc_func1, &(struct spawn_gc_args){ wg, i });
	goro_waitgroup_add(&spawn_gc_tree, i);
	for (int j = 0; j < i; j++)
		goro_go(spawn_gc_func2, &(struct spawn_gc_args){ wg, i });
	goro_waitgroup_wait(wg);
	goro_yield();
	if (i == 1)
		goro_leakprof_find(NULL);
}

static void spawn_gc_case(void)
{
	spawn_gc(SPAWN_GC_DEPTH);
	goro_waitgroup_wait(&spawn_gc_tree);
}

CORPUS_CASE(stress_spawn_gc) {
	.id = "STRESS-1/spawn-gc",
	.run = spawn_gc_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "spawn_gc_func1", "chan receive", SPAWN_GC_LEAKS } },
	.note = "a depth-5 tree of goroutines, each level leaking one receiver, "
	        "with 120 concurrent leak-profile requests from the leaves; must "
	        "not crash, and the final profile finds all 206 (Go: "
	        "spawnGC.func1 [chan receive], flaky there)",
};

/* ------------------------------------------------------------------ */
/* STRESS-2 DaisyChain                                                 */
/* ------------------------------------------------------------------ */

enum { DAISY_CHAIN_LINKS = 1000 };

struct daisy_chain_args {
	int i;
	goro_chan *ch; /* the previous link waits on it */
};

/* Each link waits for the next one; the tail sleeps an hour, then sends:
 * the whole chain is reachable from that sleeping goroutine. */
static void daisy_chain(void *arg)
{
	const struct daisy_chain_args *a = arg;
	const int v = 0;

	if (a->i == 0) {
		goro_sleep(GORO_HOUR);
		goro_chan_send(a->ch, &v);
		return;
	}
	goro_chan *ch2 = goro_chan_new(int, 0);
	int got;
	goro_go(daisy_chain, &(struct daisy_chain_args){ a->i - 1, ch2 });
	goro_chan_recv(ch2, &got);
	goro_chan_send(a->ch, &v);
}

static void daisy_chain_case(void)
{
	goro_go(daisy_chain, &(struct daisy_chain_args){ DAISY_CHAIN_LINKS,
	                                                 goro_chan_new(int, 0) });
}

CORPUS_CASE(stress_daisy_chain) {
	.id = "STRESS-2/daisy-chain",
	.run = daisy_chain_case,
	.mode = CORPUS_NO_LEAK,
	.note = "1000 links each blocked on the next, the tail asleep for an hour: "
	        "all reachable from a sleeping goroutine, the worst case for the "
	        "detector's fixpoint. Not a synctest case: in a bubble the chain "
	        "outlives the root, so it is reported as blocked",
};
