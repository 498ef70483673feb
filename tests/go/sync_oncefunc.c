/*
 * sync_oncefunc.c — Go 1.27.3's src/sync/oncefunc_test.go against
 * goro_once_func / goro_once_value / goro_once_values.
 * Not applicable: the Panic variants, TestOnceFuncPanicNil and
 * TestOnceFuncPanicTraceback (C has no recover: a panic ends the process);
 * TestOnceXGC (collector cleanups; the port checks instead that the wrapper
 * forgets fn and arg after the first call).  The allocation counts of
 * TestOnceFunc/Value/Values hold by construction (embedded structs, no
 * allocation anywhere in oncefunc.c).
 */
#include "go.h"

static void of_incr(void *p)
{
	(*(int *)p)++;
}

Test(sync_oncefunc, TestOnceFunc)
{
	int calls = 0;
	goro_once_func f = GORO_ONCE_FUNC(of_incr, &calls);
	for (int i = 0; i < 10; i++)
		goro_once_func_call(&f);
	cr_assert_eq(calls, 1, "want calls==1, got %d", calls);
	cr_assert(f.fn == NULL && f.arg == NULL, "the wrapper still holds fn after its call");
}

static void *ov_incr(void *p)
{
	return (void *)(intptr_t)++*(int *)p;
}

Test(sync_oncefunc, TestOnceValue)
{
	int calls = 0;
	goro_once_value f = GORO_ONCE_VALUE(ov_incr, &calls);
	for (int i = 0; i < 10; i++)
		goro_once_value_get(&f);
	intptr_t value = (intptr_t)goro_once_value_get(&f);
	cr_assert_eq(calls, 1, "want calls==1, got %d", calls);
	cr_assert_eq(value, 1, "want value==1, got %ld", (long)value);
}

static void *ovs_incr(void *p, int *err)
{
	int calls = ++*(int *)p;
	*err = calls + 1;
	return (void *)(intptr_t)calls;
}

Test(sync_oncefunc, TestOnceValues)
{
	int calls = 0;
	goro_once_values f = GORO_ONCE_VALUES(ovs_incr, &calls);
	for (int i = 0; i < 10; i++)
		goro_once_values_get(&f, NULL);
	int v2 = 0;
	intptr_t v1 = (intptr_t)goro_once_values_get(&f, &v2);
	cr_assert_eq(calls, 1, "want calls==1, got %d", calls);
	cr_assert(v1 == 1 && v2 == 2, "want v1==1 and v2==2, got %ld and %d", (long)v1, v2);
}

/* Many goroutines race for the first call: one call, one value for all. */
struct of_race {
	goro_once_value *f;
	goro_chan *out;
};

static void *ov_slow(void *p)
{
	goro_sleep(GORO_MILLISECOND);
	return (void *)(intptr_t)++*(int *)p;
}

static void of_racer(void *p)
{
	struct of_race *a = p;
	intptr_t v = (intptr_t)goro_once_value_get(a->f);
	goro_send(a->out, v);
}

Test(sync_oncefunc, OnceValueConcurrent)
{
	int calls = 0;
	goro_once_value f = GORO_ONCE_VALUE(ov_slow, &calls);
	goro_chan *out = goro_chan_new(intptr_t, 64);
	for (int i = 0; i < 64; i++)
		goro_go(of_racer, &(struct of_race){ &f, out });
	for (int i = 0; i < 64; i++) {
		intptr_t v = 0;
		go_recv_soon(out, &v);
		cr_assert_eq(v, 1, "a caller got %ld", (long)v);
	}
	cr_assert_eq(calls, 1);
}

/* TestOnceFuncGoexit: if f calls Goexit the results are unspecified, but f
 * must not be called twice.  Go's `defer wg.Done()` is goro_waitgroup_go,
 * which runs Done on goro_exit as Go's wg.Go does. */
static void of_goexit_fn(void *p)
{
	(*(int *)p)++;
	goro_exit();
}

static void of_goexit_caller(void *p)
{
	goro_once_func_call(*(goro_once_func **)p);
}

Test(sync_oncefunc, TestOnceFuncGoexit)
{
	int calls = 0;
	goro_once_func f = GORO_ONCE_FUNC(of_goexit_fn, &calls);
	goro_once_func *pf = &f;
	for (int i = 0; i < 2; i++) {
		goro_waitgroup wg = { 0 };
		goro_waitgroup_go(&wg, of_goexit_caller, &pf);
		cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK,
		             "call %d of the OnceFunc never returned", i);
	}
	cr_assert_eq(calls, 1, "want calls==1, got %d", calls);
}
