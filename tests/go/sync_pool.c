/*
 * sync_pool.c — Go 1.27.3's src/sync/pool_test.go against goro_pool.
 * Not applicable: TestPoolGC and TestPoolRelease (the pool's contents are
 * dropped by Go's collector; goro has none, see goro_pool in goro.h),
 * TestPoolDequeue and TestPoolChain (Go's internal lock-free deques).
 */
#include "go.h"

static char str_a[] = "a", str_b[] = "b", str_c[] = "c";

/* Go pins the goroutine to its P between Put and Get; a goroutine here
 * never leaves its worker, so the order holds as it does in Go. */
Test(sync_pool, TestPool)
{
	goro_pool p = { 0 };
	cr_assert_null(goro_pool_get(&p), "expected empty");
	goro_pool_put(&p, str_a);
	goro_pool_put(&p, str_b);
	void *g = goro_pool_get(&p);
	cr_assert_eq(g, str_a, "got %s; want a", g ? (char *)g : "nil");
	g = goro_pool_get(&p);
	cr_assert_eq(g, str_b, "got %s; want b", g ? (char *)g : "nil");
	g = goro_pool_get(&p);
	cr_assert_null(g, "got %s; want nil", (char *)g);
	/* Spill into the shared (stealable) part; with no collector nothing
	 * is dropped: every object comes back, then the pool is empty. */
	for (int i = 0; i < 100; i++)
		goro_pool_put(&p, str_c);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(goro_pool_get(&p), str_c, "object %d lost", i);
	cr_assert_null(goro_pool_get(&p));
	goro_pool_destroy(&p, NULL);
}

static void *counting_new(void *arg)
{
	return (void *)(intptr_t)++*(int *)arg;
}

Test(sync_pool, TestPoolNew)
{
	int i = 0;
	goro_pool p = { .new_fn = counting_new, .new_arg = &i };
	cr_assert_eq((intptr_t)goro_pool_get(&p), 1);
	cr_assert_eq((intptr_t)goro_pool_get(&p), 2);
	goro_pool_put(&p, (void *)(intptr_t)42);
	cr_assert_eq((intptr_t)goro_pool_get(&p), 42);
	cr_assert_eq((intptr_t)goro_pool_get(&p), 3);
	goro_pool_destroy(&p, NULL);
}

struct pstress {
	goro_pool *p;
	int N;
	goro_chan *done;
};

static int zero_obj; /* Go's `var v any = 0`: one distinguishable object */

static void pool_stress(void *arg)
{
	struct pstress *a = arg;
	void *v = &zero_obj;
	for (int j = 0; j < a->N; j++) {
		if (!v)
			v = &zero_obj;
		goro_pool_put(a->p, v);
		v = goro_pool_get(a->p);
		if (v && v != &zero_obj) {
			cr_assert_fail("expect 0, got %p", v);
		}
		if ((j & 255) == 0)
			goro_yield(); /* Go preempts; let the others interleave */
	}
	goro_send(a->done, (bool)true);
}

Test(sync_pool, TestPoolStress)
{
	enum { P = 10 };
	goro_pool p = { 0 };
	struct pstress a = { &p, GO_N(1000000 / 100), goro_chan_new(bool, 0) };
	for (int i = 0; i < P; i++)
		goro_go(pool_stress, &a);
	bool b;
	for (int i = 0; i < P; i++)
		goro_chan_recv(a.done, &b);
	goro_pool_destroy(&p, NULL);
}

/* Many objects across workers: none lost, none duplicated (what Go's
 * TestPoolDequeue checks of its deque, through the public API). */
struct pspread {
	goro_pool *p;
	int base, n;
	goro_chan *done;
};

static void pool_spread_put(void *arg)
{
	struct pspread *a = arg;
	for (int i = 0; i < a->n; i++) {
		goro_pool_put(a->p, (void *)(intptr_t)(a->base + i + 1));
		if (i % 64 == 0)
			goro_yield();
	}
	goro_send(a->done, (bool)true);
}

GO_SCENARIO(NilPoolGet)
{
	goro_pool_get(NULL);
}
GO_SCENARIO(NilPoolPut)
{
	goro_pool_put(NULL, str_a);
}

Test(sync_pool, TestNilPool)
{
	struct death d;
	go_run_scenario(NilPoolGet, &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "nil pointer dereference");
	go_run_scenario(NilPoolPut, &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "nil pointer dereference");
}

Test(sync_pool, PoolNoLossNoDuplicate)
{
	enum { PUTTERS = 8, EACH = 2000 };
	goro_pool p = { 0 };
	goro_chan *done = goro_chan_new(bool, 0);
	for (int g = 0; g < PUTTERS; g++)
		goro_go(pool_spread_put, &(struct pspread){ &p, g * EACH, EACH, done });
	bool b;
	for (int g = 0; g < PUTTERS; g++)
		goro_chan_recv(done, &b);
	static bool seen[PUTTERS * EACH + 1];
	int got = 0;
	for (void *x; (x = goro_pool_get(&p)) != NULL; got++) {
		intptr_t v = (intptr_t)x;
		cr_assert(v >= 1 && v <= PUTTERS * EACH && !seen[v], "object %ld twice or bogus",
		          (long)v);
		seen[v] = true;
	}
	/* Each other worker's private slot may keep one (Go's Get does not
	 * steal private slots either); nothing else may be missing. */
	cr_assert_geq(got, PUTTERS * EACH - (goro_maxprocs() - 1), "got back %d of %d objects",
	              got, PUTTERS * EACH);
}
