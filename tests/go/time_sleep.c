/*
 * time_sleep.c — Go 1.27.3's src/time/sleep_test.go against goro's timers.
 * Timer channels carry int64_t instants (goro_now()).  Go's newTimerFunc
 * (a Timer made with AfterFunc, to test both paths) is timer_func below.
 * Not applicable: TestOverflowPeriodRuntimeTimer (runtime-internal timer),
 * TestZeroTimerResetPanics / TestZeroTimerStopPanics (a goro_timer exists
 * only through goro_timer_new: there is no zero Timer value).
 */
#include "go.h"

#define MS GORO_MILLISECOND

/* ---- newTimerFunc --------------------------------------------------------- */

struct timer_func {
	goro_timer *t;
	goro_chan *c;
};

static void send_now(void *p)
{
	goro_chan *c = *(goro_chan **)p;
	int64_t now = goro_now();
	goro_chan_send(c, &now);
}

static struct timer_func timer_func(goro_duration d)
{
	goro_chan *c = goro_chan_new(int64_t, 1);
	return (struct timer_func){ goro_after_func(d, send_now, &c), c };
}

static struct timer_func timer_chan(goro_duration d)
{
	goro_timer *t = goro_timer_new(d);
	return (struct timer_func){ t, goro_timer_chan(t) };
}

/* ---- TestSleep, TestAfter, TestAfterTick --------------------------------- */

Test(time_sleep, TestSleep)
{
	const goro_duration delay = 100 * MS;
	int64_t start = goro_now();
	goro_sleep(delay);
	goro_duration d = goro_since(start);
	cr_assert_geq(d, delay, "Sleep(100ms) slept for only %ld ns", (long)d);
}

Test(time_sleep, TestAfter)
{
	const goro_duration delay = 100 * MS;
	int64_t start = goro_now(), end = 0;
	goro_chan_recv(goro_after(delay), &end);
	cr_assert_geq(goro_since(start), delay, "After(100ms) slept for only %ld ns",
	              (long)goro_since(start));
	cr_assert_geq(end, start + delay, "After(100ms) expect >= start+100ms");
}

Test(time_sleep, TestAfterTick)
{
	enum { Count = 10 };
	const goro_duration Delta = 10 * MS; /* -short */
	int64_t t0 = goro_now();
	for (int i = 0; i < Count; i++)
		goro_chan_recv(goro_after(Delta), NULL);
	goro_duration d = goro_since(t0), target = Delta * Count;
	cr_assert_geq(d, target * 9 / 10, "%d ticks of %ld too fast: took %ld", Count, (long)Delta,
	              (long)d);
}

/* ---- TestAfterFunc ------------------------------------------------------- */

struct af_chain {
	int *i;
	goro_chan *c;
};

static void af_step(void *p)
{
	struct af_chain *a = p;
	if (--*a->i >= 0) {
		goro_after_func(0, af_step, a);
		goro_sleep(GORO_SECOND);
	} else {
		goro_send(a->c, (bool)true);
	}
}

Test(time_sleep, TestAfterFunc)
{
	int i = 10;
	struct af_chain a = { &i, goro_chan_new(bool, 0) };
	goro_after_func(0, af_step, &a);
	bool b;
	go_recv_soon(a.c, &b);
}

/* ---- TestTickerStress, TestTickerConcurrentStress ------------------------- */

static void busy_until(void *p)
{
	atomic_bool *stop = *(atomic_bool **)p;
	/* Go runs the GC here; the point is a goroutine that keeps the
	 * scheduler busy while the ticker must still be served. */
	while (!atomic_load(stop))
		goro_sleep(GORO_NANOSECOND);
}

Test(time_sleep, TestTickerStress)
{
	atomic_bool stop = false;
	atomic_bool *ps = &stop;
	goro_go(busy_until, &ps);
	goro_ticker *tk = goro_ticker_new(1);
	for (int i = 0; i < 100; i++)
		go_recv_soon(goro_ticker_chan(tk), NULL);
	goro_ticker_stop(tk);
	atomic_store(&stop, true);
	EVENTUALLY(goro_num_goroutine() == 1);
	goro_ticker_free(tk);
}

struct tick_reader {
	goro_ticker *tk;
	goro_waitgroup *wg;
};

static void tick_reader(void *p)
{
	struct tick_reader *a = p;
	for (int i = 0; i < 100; i++)
		go_recv_soon(goro_ticker_chan(a->tk), NULL);
	goro_waitgroup_done(a->wg);
}

Test(time_sleep, TestTickerConcurrentStress)
{
	atomic_bool stop = false;
	atomic_bool *ps = &stop;
	goro_go(busy_until, &ps);
	goro_ticker *tk = goro_ticker_new(1);
	goro_waitgroup wg = { 0 };
	for (int i = 0; i < 10; i++) {
		goro_waitgroup_add(&wg, 1);
		goro_go(tick_reader, &(struct tick_reader){ tk, &wg });
	}
	goro_waitgroup_wait(&wg);
	goro_ticker_stop(tk);
	atomic_store(&stop, true);
	EVENTUALLY(goro_num_goroutine() == 1);
	goro_ticker_free(tk);
}

/* ---- TestAfterFuncStarvation ---------------------------------------------- */

struct starve {
	atomic_bool *stop;
	goro_chan *c;
	goro_waitgroup *wg;
};

static void starve_send(void *p)
{
	struct starve *a = p;
	while (!atomic_load(a->stop))
		goro_send(a->c, (bool)true);
	goro_chan_close(a->c);
	goro_waitgroup_done(a->wg);
}

static void starve_recv(void *p)
{
	struct starve *a = p;
	bool b;
	goro_range(a->c, b) {
	}
	goro_waitgroup_done(a->wg);
}

static void set_stop(void *p)
{
	atomic_store(*(atomic_bool **)p, true);
}

Test(time_sleep, TestAfterFuncStarvation)
{
	atomic_bool stop = false;
	atomic_bool *ps = &stop;
	goro_waitgroup wg = { 0 };
	struct starve a = { &stop, goro_chan_new(bool, 1), &wg };
	goro_waitgroup_add(&wg, 2);
	goro_go(starve_send, &a);
	goro_go(starve_recv, &a);
	goro_after_func(GORO_MICROSECOND, set_stop, &ps);
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK,
	             "AfterFunc starved by runnable goroutines");
}

/* ---- TestAfterStop -------------------------------------------------------- */

static void send_true(void *p)
{
	goro_send(*(goro_chan **)p, (bool)true);
}

static void nothing(void *p)
{
}

static void test_after_stop(struct timer_func (*new_timer)(goro_duration))
{
	int errs = 0;
	for (int i = 0; i < 5; i++) {
		goro_after_func(100 * MS, nothing, &(int){ 0 });
		struct timer_func t0 = new_timer(50 * MS);
		goro_chan *c1 = goro_chan_new(bool, 1);
		goro_timer *t1 = goro_after_func(150 * MS, send_true, &c1);
		goro_chan *c2 = goro_after(200 * MS);
		if (!goro_timer_stop(t0.t)) {
			errs++; /* failed to stop event 0 */
			continue;
		}
		if (!goro_timer_stop(t1)) {
			errs++;
			continue;
		}
		goro_chan_recv(c2, NULL);
		if (goro_chan_tryrecv(t0.c, NULL) != GORO_WOULDBLOCK ||
		    goro_chan_tryrecv(c1, NULL) != GORO_WOULDBLOCK) {
			errs++; /* an event was not stopped */
			continue;
		}
		if (goro_timer_stop(t1)) {
			errs++; /* Stop returned true twice */
			continue;
		}
		return;
	}
	cr_assert_fail("saw %d errors", errs);
}

Test(time_sleep, TestAfterStop)
{
	test_after_stop(timer_chan);
	test_after_stop(timer_func);
}

/* ---- TestAfterQueuing ----------------------------------------------------- */

static const int slots[] = { 5, 3, 6, 6, 6, 1, 1, 2, 7, 9, 4, 8, 0 };
#define NSLOTS ((int)(sizeof slots / sizeof slots[0]))

struct after_result {
	int slot;
	int64_t t;
};

struct await_args {
	int slot;
	goro_chan *result, *ac;
};

static void await_slot(void *p)
{
	struct await_args *a = p;
	struct after_result r = { a->slot, 0 };
	goro_chan_recv(a->ac, &r.t);
	goro_chan_send(a->result, &r);
}

static bool after_queuing1(goro_duration delta, bool func_impl)
{
	goro_chan *result = goro_chan_new(struct after_result, NSLOTS);
	int64_t t0 = goro_now();
	for (int i = 0; i < NSLOTS; i++) {
		goro_duration d = slots[i] * delta;
		goro_chan *ac = func_impl ? timer_func(d).c : goro_after(d);
		goro_go(await_slot, &(struct await_args){ slots[i], result, ac });
	}
	int order[NSLOTS];
	int64_t times[NSLOTS];
	for (int i = 0; i < NSLOTS; i++) {
		struct after_result r;
		goro_chan_recv(result, &r);
		order[i] = r.slot;
		times[i] = r.t;
	}
	for (int i = 1; i < NSLOTS; i++)
		if (order[i] < order[i - 1])
			return false; /* out of order */
	for (int i = 0; i < NSLOTS; i++) {
		goro_duration dt = times[i] - t0, target = order[i] * delta;
		if (dt < target - delta / 2 || dt > target + delta * 10)
			return false;
	}
	return true;
}

static void test_after_queuing(bool func_impl)
{
	for (int i = 0; i < 5; i++)
		if (after_queuing1((20 + i * 50) * MS, func_impl))
			return;
	cr_assert_fail("After calls returned out of order or late in 5 attempts");
}

Test(time_sleep, TestAfterQueuing, .timeout = 300)
{
	test_after_queuing(false);
	test_after_queuing(true);
}

/* ---- TestTimerStopStress (a -short skip in Go; kept: 3 s of stress) ----- */

static void must_not_fire(void *p)
{
	cr_assert_fail("timer %d was not stopped", *(int *)p);
}

static void stop_after_second(void *p)
{
	int i = *(int *)p;
	goro_timer *t = goro_after_func(2 * GORO_SECOND, must_not_fire, &i);
	goro_sleep(GORO_SECOND);
	goro_timer_stop(t);
}

Test(time_sleep, TestTimerStopStress)
{
	for (int i = 0; i < 100; i++)
		goro_go(stop_after_second, &i);
	goro_sleep(3 * GORO_SECOND);
}

/* ---- TestSleepZeroDeadlock ------------------------------------------------ */

static void yield_100(void *p)
{
	for (int i = 0; i < 100; i++)
		goro_yield(); /* Go: runtime.GC() */
	goro_send(*(goro_chan **)p, (bool)true);
}

Test(time_sleep, TestSleepZeroDeadlock)
{
	goro_chan *c = goro_chan_new(bool, 0);
	goro_go(yield_100, &c);
	for (int i = 0; i < 100; i++) {
		goro_sleep(0);
		goro_chan *tmp = goro_chan_new(bool, 1);
		goro_send(tmp, (bool)true);
		goro_chan_recv(tmp, NULL);
		goro_chan_free(tmp);
	}
	go_recv_soon(c, NULL);
}

/* ---- TestReset ---------------------------------------------------------------- */

static const char *test_reset(goro_duration d)
{
	goro_timer *t0 = goro_timer_new(2 * d);
	const char *err = NULL;
	goro_sleep(d);
	if (!goro_timer_reset(t0, 3 * d)) {
		err = "resetting unfired timer returned false";
		goto out;
	}
	goro_sleep(2 * d);
	if (goro_chan_tryrecv(goro_timer_chan(t0), NULL) == GORO_OK) {
		err = "timer fired early";
		goto out;
	}
	goro_sleep(2 * d);
	if (goro_chan_tryrecv(goro_timer_chan(t0), NULL) != GORO_OK) {
		err = "reset timer did not fire";
		goto out;
	}
	if (goro_timer_reset(t0, 50 * MS))
		err = "resetting expired timer returned true";
out:
	goro_timer_free(t0);
	return err;
}

Test(time_sleep, TestReset)
{
	const char *err;
	for (goro_duration d = MS; (err = test_reset(d)) != NULL; d *= 2)
		cr_assert_leq(d, 10 * GORO_SECOND, "%s", err);
}

/* ---- TestOverflowSleep -------------------------------------------------------- */

static void big_sleep(void *p)
{
	goro_sleep(INT64_MAX);
	goro_panic("big sleep returned");
}

Test(time_sleep, TestOverflowSleep)
{
	goro_go0(big_sleep);
	goro_case cs[2] = { GORO_RECV(goro_after(INT64_MAX), NULL),
		            GORO_RECV(goro_after(25 * MS), NULL) };
	cr_assert_eq(goro_select(cs, 2, false), 1, "big timeout fired");
	goro_sleep(INT64_MIN); /* returns at once */
	goro_case neg[2] = { GORO_RECV(goro_after(INT64_MIN), NULL),
		             GORO_RECV(goro_after(GORO_SECOND), NULL) };
	cr_assert_eq(goro_select(neg, 2, false), 0, "negative timeout didn't fire");
}

/* ---- TestIssue5745: a nil Timer's Stop is Go's nil-dereference panic ------ */

GO_SCENARIO(NilTimerStop)
{
	goro_ticker *tk = goro_ticker_new(GORO_HOUR);
	(void)tk;
	goro_timer_stop(NULL);
	fprintf(stderr, "Should be unreachable.\n");
}

Test(time_sleep, TestIssue5745)
{
	struct death d;
	go_run_scenario(NilTimerStop, &d);
#if defined(__SANITIZE_ADDRESS__)
	/* UBSan names the NULL member access before goro's SIGSEGV handler
	 * can turn it into Go's panic: either is a clear stop. */
	cr_assert(strstr(d.err, "nil pointer dereference") || strstr(d.err, "null pointer"),
	          "no nil-pointer report:\n%s", d.err);
#else
	death_assert_stderr_has(&d, "nil pointer dereference");
#endif
	cr_assert(!(WIFEXITED(d.status) && WEXITSTATUS(d.status) == 0), "the process went on");
	death_assert_stderr_lacks(&d, "Should be unreachable.");
}

/* ---- TestZeroTimer (a -short skip in Go; kept at 1/100 of its size) ------- */

static void zero_timer(struct timer_func (*new_timer)(goro_duration), struct timer_func *cache)
{
	for (int i = 0; i < GO_N(10000); i++) {
		int64_t s = goro_now();
		struct timer_func t;
		if (cache) {
			goro_timer_reset(cache->t, 0);
			t = *cache;
		} else {
			t = new_timer(0);
		}
		go_recv_soon(t.c, NULL);
		cr_assert_leq(goro_since(s), 2 * GORO_SECOND,
		              "Expected time to get value from Timer channel in less than 2 sec");
		if (!cache)
			goro_timer_free(t.t);
	}
}

Test(time_sleep, TestZeroTimer)
{
	zero_timer(timer_chan, NULL);
	zero_timer(timer_func, NULL);
	struct timer_func cache = timer_func(GORO_HOUR);
	zero_timer(NULL, &cache);
}

/* ---- TestTimerModifiedEarlier --------------------------------------------- */

Test(time_sleep, TestTimerModifiedEarlier)
{
	goro_duration past = -goro_walltime(); /* Until(Unix(0, 0)) */
	for (int i = 0; i < 1000; i++) {
		struct timer_func t = timer_func(GORO_HOUR);
		for (int j = 0; j < 10; j++) {
			if (!goro_timer_stop(t.t))
				goro_chan_recv(t.c, NULL);
			goro_timer_reset(t.t, past);
		}
		int64_t now = goro_now();
		cr_assert_eq(goro_chan_recv_until(t.c, NULL, now + 10 * GORO_SECOND), GORO_OK,
		             "deadline expired");
		cr_assert_leq(goro_since(now), 8 * GORO_SECOND, "timer took too long");
		goro_timer_free(t.t);
	}
}

/* ---- TestAdjustTimers ------------------------------------------------------ */

Test(time_sleep, TestAdjustTimers)
{
	enum { N = 100 };
	unsigned seed = (unsigned)goro_walltime();
	struct timer_func timers[N];
	int states[N] = { 0 }, indices[N], nind = N;
	for (int i = 0; i < N; i++)
		indices[i] = i;
	for (int i = N - 1; i > 0; i--) {
		int j = rand_r(&seed) % (i + 1), t = indices[i];
		indices[i] = indices[j];
		indices[j] = t;
	}
	while (nind) {
		int ii = rand_r(&seed) % nind, i = indices[ii];
		int state = states[i]++;
		struct timer_func *t = &timers[i];
		switch (state) {
		case 0: *t = timer_func(0); break;
		case 1: go_recv_soon(t->c, NULL); break; /* now idle */
		case 2:
			cr_assert(!goro_timer_reset(t->t, GORO_MINUTE), "shouldn't be active (1)");
			break;
		case 4:
			cr_assert(!goro_timer_reset(t->t, 3 * GORO_MINUTE), "shouldn't be active (3)");
			break;
		case 6:
			cr_assert(!goro_timer_reset(t->t, 2 * GORO_MINUTE), "shouldn't be active (2)");
			break;
		case 3: case 5: case 7:
			if (!goro_timer_stop(t->t))
				go_recv_soon(t->c, NULL);
			break;
		case 8: cr_assert(!goro_timer_reset(t->t, 0), "timer.Reset returned true"); break;
		case 9: {
			int64_t now = goro_now();
			go_recv_soon(t->c, NULL);
			cr_expect_leq(goro_since(now), 750 * MS, "timer %d took %ld to complete", i,
			              (long)goro_since(now));
			break;
		}
		case 10:
			goro_timer_free(t->t);
			indices[ii] = indices[--nind];
			break;
		}
	}
}

/* ---- TestStopResult, TestResetResult -------------------------------------- */

struct sr {
	goro_chan *start;
	goro_waitgroup *wg;
	bool stop;
};

static bool stop_or_reset(goro_timer *t, bool stop)
{
	return stop ? goro_timer_stop(t) : goro_timer_reset(t, GORO_HOUR);
}

static void stop_reset_worker(void *p)
{
	struct sr *a = p;
	goro_chan_recv(a->start, NULL);
	for (int j = 0; j < 100; j++) {
		goro_timer *t1 = goro_timer_new(MS), *t2 = goro_timer_new(MS);
		goro_case cs[2] = { GORO_RECV(goro_timer_chan(t1), NULL),
			            GORO_RECV(goro_timer_chan(t2), NULL) };
		goro_timer *other = goro_select(cs, 2, false) == 0 ? t2 : t1;
		if (!stop_or_reset(other, a->stop))
			/* The test fails if this read times out. */
			cr_assert_eq(goro_chan_recv_until(goro_timer_chan(other), NULL, SOON), GORO_OK,
			             "Stop/Reset said the timer fired, but its channel is empty");
		goro_timer_free(t1);
		goro_timer_free(t2);
	}
	goro_waitgroup_done(a->wg);
}

static void stop_reset_result(bool stop)
{
	enum { N = 1000 };
	goro_chan *start = goro_chan_new(char, 0);
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, GO_N(N));
	for (int i = 0; i < GO_N(N); i++)
		goro_go(stop_reset_worker, &(struct sr){ start, &wg, stop });
	goro_chan_close(start);
	goro_waitgroup_wait(&wg);
}

Test(time_sleep, TestStopResult, .timeout = 300)
{
	stop_reset_result(true);
}

Test(time_sleep, TestResetResult, .timeout = 300)
{
	stop_reset_result(false);
}

/* ---- TestMultiWakeupTicker, TestMultiWakeupTimer (-short skips in Go;
 *      kept, at a tenth of their size: they are the stress tests) ---------- */

struct mw {
	void *t;
	goro_waitgroup *wg;
};

static void multi_wakeup_ticker(void *p)
{
	struct mw *a = p;
	for (int i = 0; i < GO_N(10000); i++) {
		goro_case cs[1] = { GORO_RECV(goro_ticker_chan(a->t), NULL) };
		goro_select_until(cs, 1, goro_now() + MS); /* case <-After(ms) */
	}
	goro_waitgroup_done(a->wg);
}

Test(time_sleep, TestMultiWakeupTicker, .timeout = 300)
{
	goro_ticker *tk = goro_ticker_new(GORO_MICROSECOND);
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, goro_maxprocs());
	for (int i = 0; i < goro_maxprocs(); i++)
		goro_go(multi_wakeup_ticker, &(struct mw){ tk, &wg });
	goro_waitgroup_wait(&wg);
	goro_ticker_free(tk);
}

static void multi_wakeup_timer(void *p)
{
	struct mw *a = p;
	for (int i = 0; i < GO_N(10000); i++) {
		goro_chan_tryrecv(goro_timer_chan(a->t), NULL);
		goro_timer_reset(a->t, GORO_NANOSECOND);
	}
	goro_waitgroup_done(a->wg);
}

Test(time_sleep, TestMultiWakeupTimer, .timeout = 300)
{
	goro_timer *t = goro_timer_new(GORO_NANOSECOND);
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, goro_maxprocs());
	for (int i = 0; i < goro_maxprocs(); i++)
		goro_go(multi_wakeup_timer, &(struct mw){ t, &wg });
	goro_waitgroup_wait(&wg);
	goro_timer_free(t);
}
