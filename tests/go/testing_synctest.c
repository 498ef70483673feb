/*
 * testing_synctest.c — Go 1.27.3's src/testing/synctest/synctest_test.go
 * and example_test.go against goro_synctest_run, goro_synctest_cleanup
 * and goro_synctest_context (Go's synctest.Test, t.Cleanup, t.Context).
 * Not applicable (README.md): the tests of testing.T's own behaviour in a
 * bubble (TestFatal, TestError, TestVerboseError, TestSkip, TestVerboseSkip,
 * TestDeadline, TestParallel, TestRun, TestHelper) and
 * TestHTTPTransport100Continue (net/http).
 */
#include "go.h"

static void nothing_root(void *p)
{
}

Test(testing_synctest, TestSuccess)
{
	GORO_SYNCTEST_ASSERT(nothing_root, &(int){ 0 });
}

/* ---- TestCleanup ------------------------------------------------------------ */

struct cleanup_args {
	goro_chan *ch;
	bool *done;
};

static void close_ch(void *p)
{
	goro_chan_close(p);
}

static void wait_ch_then_done(void *p)
{
	struct cleanup_args *a = p;
	goro_chan_recv(a->ch, NULL);
	*a->done = true;
}

static void cleanup_root(void *p)
{
	goro_chan *ch = goro_chan_new(char, 0);
	goro_synctest_cleanup(close_ch, ch);
	goro_go(wait_ch_then_done, &(struct cleanup_args){ ch, *(bool **)p });
}

Test(testing_synctest, TestCleanup)
{
	bool done = false;
	bool *pd = &done;
	GORO_SYNCTEST_ASSERT(cleanup_root, &pd);
	cr_assert(done, "background goroutine did not return");
}

/* ---- TestContext ------------------------------------------------------------ */

static const char *volatile ctx_state = "not started";

static void wait_on_context(void *p)
{
	ctx_state = "waiting on context";
	goro_chan_recv(goro_ctx_done(goro_synctest_context()), NULL);
	ctx_state = "done";
}

static void context_root(void *p)
{
	goro_go0(wait_on_context);
	goro_synctest_wait();
	cr_assert_str_eq((const char *)ctx_state, "waiting on context");
}

Test(testing_synctest, TestContext)
{
	GORO_SYNCTEST_ASSERT(context_root, &(int){ 0 });
	cr_assert_str_eq((const char *)ctx_state, "done");
}

/* Go's documentation: "canceled just before Cleanup-registered functions
 * are called" — the cleanup sees it done, the root did not. */
static void check_ctx_canceled(void *p)
{
	*(int *)p = goro_ctx_err(goro_synctest_context());
}

static void context_cleanup_root(void *p)
{
	int *seen = *(int **)p;
	goro_synctest_cleanup(check_ctx_canceled, seen);
	cr_assert_eq(goro_ctx_err(goro_synctest_context()), 0, "canceled before the root returned");
}

Test(testing_synctest, ContextCanceledBeforeCleanup)
{
	int seen = -1;
	int *ps = &seen;
	GORO_SYNCTEST_ASSERT(context_cleanup_root, &ps);
	cr_assert_eq(seen, GORO_CANCELED, "the cleanup saw Err() = %d", seen);
}

GO_SCENARIO(ContextOutsideBubble)
{
	goro_synctest_context();
}

Test(testing_synctest, ContextOutsideBubblePanics)
{
	struct death d;
	go_run_scenario(ContextOutsideBubble, &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "not in a bubble");
}

static void now_root(void *p)
{
	cr_assert_eq(goro_walltime(), 946684800LL * GORO_SECOND,
	             "time.Now() is not 2000-01-01 00:00:00 UTC");
}

Test(testing_synctest, TestNow)
{
	GORO_SYNCTEST_ASSERT(now_root, &(int){ 0 });
}

static void nested_after_func(void *p)
{
	goro_after_func(0, nothing_root, &(int){ 0 });
}

static void timer_race_root(void *p)
{
	for (int i = 0; i < 100; i++)
		goro_after_func(GORO_SECOND, nested_after_func, &(int){ 0 });
	goro_sleep(2 * GORO_SECOND);
}

Test(testing_synctest, TestSynctestTimerRaceCtxCrash)
{
	for (int i = 0; i < 20; i++)
		GORO_SYNCTEST_ASSERT(timer_race_root, &(int){ 0 });
}

/* ---- example_test.go ------------------------------------------------------------ */

static void tick_1ns(void *p)
{
	int64_t start = *(int64_t *)p;
	goro_sleep(1);
	cr_assert_eq(goro_since(start), 1, "always 1ns");
}

static void time_root(void *p)
{
	int64_t start = goro_now();
	cr_assert_eq(goro_walltime(), 946684800LL * GORO_SECOND, "midnight UTC 2000-01-01");
	goro_go(tick_1ns, &start);
	goro_sleep(2);
	cr_assert_eq(goro_since(start), 2, "always 2ns");
}

Test(testing_synctest, TestTime)
{
	GORO_SYNCTEST_ASSERT(time_root, &(int){ 0 });
}

static void set_done(void *p)
{
	**(bool **)p = true;
}

static void example_wait_root(void *p)
{
	bool done = false;
	bool *pd = &done;
	goro_go(set_done, &pd);
	goro_synctest_wait(); /* until the goroutine above has finished */
	cr_assert(done);
}

Test(testing_synctest, TestWait)
{
	GORO_SYNCTEST_ASSERT(example_wait_root, &(int){ 0 });
}

static void context_after_func_root(void *p)
{
	goro_ctx *ctx = goro_with_cancel(goro_synctest_context());
	bool called = false;
	bool *pc = &called;
	goro_ctx_after_func(ctx, set_done, &pc);
	goro_synctest_wait();
	cr_assert(!called, "before context is canceled: AfterFunc called");
	goro_cancel(ctx);
	goro_synctest_wait();
	cr_assert(called, "after context is canceled: AfterFunc not called");
	goro_ctx_release(ctx);
}

Test(testing_synctest, TestContextAfterFunc)
{
	GORO_SYNCTEST_ASSERT(context_after_func_root, &(int){ 0 });
}

static void context_with_timeout_root(void *p)
{
	const goro_duration timeout = 5 * GORO_SECOND;
	goro_ctx *ctx = goro_with_timeout(goro_synctest_context(), timeout);
	goro_sleep(timeout - 1);
	goro_synctest_wait();
	cr_assert_eq(goro_ctx_err(ctx), 0, "before timeout: ctx.Err() = %d, want nil",
	             goro_ctx_err(ctx));
	goro_sleep(1);
	goro_synctest_wait();
	cr_assert_eq(goro_ctx_err(ctx), GORO_DEADLINE_EXCEEDED,
	             "after timeout: ctx.Err() = %d, want DeadlineExceeded", goro_ctx_err(ctx));
	goro_ctx_release(ctx);
}

Test(testing_synctest, TestContextWithTimeout)
{
	for (int i = 0; i < 200; i++) /* it failed about half the time (issue 13) */
		GORO_SYNCTEST_ASSERT(context_with_timeout_root, &(int){ 0 });
}
