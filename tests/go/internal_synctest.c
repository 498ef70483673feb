/*
 * internal_synctest.c — Go 1.27.3's src/internal/synctest/synctest_test.go
 * against goro_synctest_run (Go's synctest.Run).  Go's Run panics on a
 * deadlock; goro's returns the verdict and Go's text (GORO_BUBBLE_*).
 * Not applicable: TestIteratorPush, TestIteratorPull (Go's range-over-func
 * and iter.Pull coroutines), TestReflectFuncOf (reflect), TestWeak (weak
 * pointers and the GC).
 */
#include "go.h"

#define FAKE_START (946684800LL * GORO_SECOND) /* 2000-01-01 00:00:00 UTC */

/* Runs fn(arg) in a bubble and fails the test unless it ended well. */
#define RUN(fn, arg) GORO_SYNCTEST_ASSERT(fn, arg)

/* Runs fn in a bubble and returns its verdict (report freed). */
static int run_verdict(goro_fn fn, void *arg, size_t size, char *text, size_t textlen)
{
	goro_bubble_result r;
	int st = goro_synctest_run_(fn, arg, size, &r);
	if (text && textlen) {
		snprintf(text, textlen, "%s", r.report ? r.report : "");
	}
	goro_bubble_result_free(&r);
	return st;
}

/* ---- the fake clock -------------------------------------------------------- */

static void check_now_at_start(void *p)
{
	if (goro_walltime() != FAKE_START)
		cr_assert_fail("time.Now = %ld, want %ld", (long)goro_walltime(), (long)FAKE_START);
}

static void now_root(void *p)
{
	cr_assert_eq(goro_walltime(), FAKE_START, "at start: time.Now wrong");
	goro_go0(check_now_at_start);
	goro_sleep(GORO_SECOND);
	cr_assert_eq(goro_walltime(), FAKE_START + GORO_SECOND, "after sleep: time.Now wrong");
}

Test(internal_synctest, TestNow)
{
	RUN(now_root, &(int){ 0 });
}

static void monotonic_root(void *p)
{
	int64_t start = goro_now();
	goro_duration wait = GORO_SECOND;
	goro_sleep(wait);
	cr_assert_eq(goro_since(start), wait, "time.Since(start) = %ld, want %ld",
	             (long)goro_since(start), (long)wait);
}

Test(internal_synctest, TestMonotonicClock)
{
	RUN(monotonic_root, &(int){ 0 });
}

static void empty_root(void *p)
{
}

Test(internal_synctest, TestRunEmpty)
{
	RUN(empty_root, &(int){ 0 });
}

static void simple_wait_root(void *p)
{
	goro_synctest_wait();
}

Test(internal_synctest, TestSimpleWait)
{
	RUN(simple_wait_root, &(int){ 0 });
}

static void goroutine_wait_root(void *p)
{
	goro_go0(empty_root);
	goro_synctest_wait();
}

Test(internal_synctest, TestGoroutineWait)
{
	RUN(goroutine_wait_root, &(int){ 0 });
}

/* ---- TestWait, TestMallocs ------------------------------------------------ */

struct relay {
	goro_chan *ch;
	bool *done;
};

static void relay(void *p)
{
	struct relay *a = p;
	int count;
	goro_chan_recv(a->ch, &count);
	if (count == 0) {
		*a->done = true;
	} else {
		goro_go(relay, a);
		goro_send(a->ch, count - 1);
	}
}

static void wait_root(void *p)
{
	bool done = false;
	struct relay a = { goro_chan_new(int, 0), &done };
	goro_go(relay, &a);
	goro_send(a.ch, 100);
	goro_synctest_wait();
	cr_assert(done, "done = false, want true");
}

Test(internal_synctest, TestWait)
{
	RUN(wait_root, &(int){ 0 });
}

Test(internal_synctest, TestMallocs)
{
	for (int i = 0; i < 100; i++)
		RUN(wait_root, &(int){ 0 });
}

/* ---- timers in a bubble ---------------------------------------------------- */

static void timer_read_before_root(void *p)
{
	int64_t start = goro_now();
	goro_timer *tm = goro_timer_new(5 * GORO_SECOND);
	goro_chan_recv(goro_timer_chan(tm), NULL);
	cr_assert_eq(goro_since(start), 5 * GORO_SECOND);
	goro_timer_free(tm);
}

Test(internal_synctest, TestTimerReadBeforeDeadline)
{
	RUN(timer_read_before_root, &(int){ 0 });
}

static void timer_read_after_root(void *p)
{
	goro_duration delay = GORO_SECOND;
	int64_t want = goro_now() + delay, got = 0;
	goro_timer *tm = goro_timer_new(delay);
	goro_sleep(2 * delay);
	goro_chan_recv(goro_timer_chan(tm), &got);
	cr_assert_eq(got, want, "<-tm.C = %ld, want %ld", (long)got, (long)want);
	goro_timer_free(tm);
}

Test(internal_synctest, TestTimerReadAfterDeadline)
{
	RUN(timer_read_after_root, &(int){ 0 });
}

static void timer_reset_root(void *p)
{
	int64_t start = goro_now(), got = 0;
	goro_timer *tm = goro_timer_new(GORO_SECOND);
	goro_chan_recv(goro_timer_chan(tm), &got);
	cr_assert_eq(got, start + GORO_SECOND, "first sleep");
	goro_timer_reset(tm, 2 * GORO_SECOND);
	goro_chan_recv(goro_timer_chan(tm), &got);
	cr_assert_eq(got, start + 3 * GORO_SECOND, "second sleep");
	goro_timer_reset(tm, 3 * GORO_SECOND);
	goro_sleep(GORO_SECOND);
	goro_timer_reset(tm, 3 * GORO_SECOND);
	goro_chan_recv(goro_timer_chan(tm), &got);
	cr_assert_eq(got, start + 7 * GORO_SECOND, "third sleep");
	goro_timer_free(tm);
}

Test(internal_synctest, TestTimerReset)
{
	RUN(timer_reset_root, &(int){ 0 });
}

static void incr_after_sleep(void *p)
{
	goro_sleep(GORO_SECOND);
	(**(int **)p)++; /* 2 */
}

static void incr_and_go(void *p)
{
	(**(int **)p)++; /* 1 */
	goro_go(incr_after_sleep, (int **)p);
}

static void time_after_root(void *p)
{
	int i = 0;
	int *pi = &i;
	goro_after_func(GORO_SECOND, incr_and_go, &pi);
	goro_sleep(3 * GORO_SECOND);
	goro_synctest_wait();
	cr_assert_eq(i, 2, "after sleep and wait: i = %d, want 2", i);
}

Test(internal_synctest, TestTimeAfter)
{
	RUN(time_after_root, &(int){ 0 });
}

static void set_true(void *p)
{
	**(bool **)p = true;
}

static void after_bubble_exit_root(void *p)
{
	goro_after_func(GORO_SECOND, set_true, p);
}

Test(internal_synctest, TestTimerAfterBubbleExit)
{
	bool run = false;
	bool *pr = &run;
	RUN(after_bubble_exit_root, &pr);
	cr_assert(!run, "timer ran before bubble exit");
}

static void read_outside_timer(void *p)
{
	goro_chan_recv(goro_timer_chan(*(goro_timer **)p), NULL);
}

Test(internal_synctest, TestTimerFromOutsideBubble)
{
	goro_timer *tm = goro_timer_new(10 * GORO_MILLISECOND);
	RUN(read_outside_timer, &tm);
	cr_assert(!goro_timer_stop(tm), "synctest.Run unexpectedly returned before timer fired");
	goro_timer_free(tm);
}

static void timer_nondeterminism_root(void *p)
{
	bool seen1 = false, seen2 = false;
	for (int i = 0; i < 1000; i++) {
		goro_timer *tm1 = goro_timer_new(1), *tm2 = goro_timer_new(1);
		goro_case cs[2] = { GORO_RECV(goro_timer_chan(tm1), NULL),
			            GORO_RECV(goro_timer_chan(tm2), NULL) };
		if (goro_select(cs, 2, false) == 0)
			seen1 = true;
		else
			seen2 = true;
		goro_timer_free(tm1);
		goro_timer_free(tm2);
		if (seen1 && seen2)
			return;
		goro_synctest_wait();
	}
	cr_assert_fail("after 1000 iterations, seen timer1:%d, timer2:%d; want both", seen1, seen2);
}

Test(internal_synctest, TestTimerNondeterminism)
{
	RUN(timer_nondeterminism_root, &(int){ 0 });
}

struct first {
	atomic_int *first;
	int me;
};

static void sleep_then_claim(void *p)
{
	struct first *a = p;
	goro_sleep(1);
	int zero = 0;
	atomic_compare_exchange_strong(a->first, &zero, a->me);
}

static void sleep_nondeterminism_root(void *p)
{
	bool seen1 = false, seen2 = false;
	for (int i = 0; i < 1000; i++) {
		atomic_int first = 0;
		goro_go(sleep_then_claim, &(struct first){ &first, 1 });
		goro_go(sleep_then_claim, &(struct first){ &first, 2 });
		goro_sleep(1);
		goro_synctest_wait();
		int v = atomic_load(&first);
		if (v == 1)
			seen1 = true;
		else if (v == 2)
			seen2 = true;
		else
			cr_assert_fail("first = %d, want 1 or 2", v);
		if (seen1 && seen2)
			return;
		goro_synctest_wait();
	}
	cr_assert_fail("after 1000 iterations, seen goroutine 1:%d, 2:%d; want both", seen1, seen2);
}

Test(internal_synctest, TestSleepNondeterminism)
{
	RUN(sleep_nondeterminism_root, &(int){ 0 });
}

static void timer_runs_immediately_root(void *p)
{
	int64_t start = goro_now(), got = 0;
	goro_timer *tm = goro_timer_new(0);
	cr_assert_eq(goro_chan_tryrecv(goro_timer_chan(tm), &got), GORO_OK,
	             "0-duration timer channel is not readable; want it to be");
	cr_assert_eq(got, start);
	goro_timer_free(tm);
}

Test(internal_synctest, TestTimerRunsImmediately)
{
	RUN(timer_runs_immediately_root, &(int){ 0 });
}

static void timer_ran_in_past_root(void *p)
{
	goro_duration delay = GORO_SECOND;
	int64_t want = goro_now() + delay, got = 0;
	goro_timer *tm = goro_timer_new(delay);
	goro_sleep(2 * delay);
	cr_assert_eq(goro_chan_tryrecv(goro_timer_chan(tm), &got), GORO_OK,
	             "expired timer channel is not readable; want it to be");
	cr_assert_eq(got, want);
	goro_timer_free(tm);
}

Test(internal_synctest, TestTimerRanInPast)
{
	RUN(timer_ran_in_past_root, &(int){ 0 });
}

static void store_true(void *p)
{
	atomic_store(*(atomic_bool **)p, true);
}

static void afterfunc_immediately_root(void *p)
{
	atomic_bool b = false;
	atomic_bool *pb = &b;
	goro_after_func(0, store_true, &pb);
	while (!atomic_load(&b))
		goro_yield();
}

Test(internal_synctest, TestAfterFuncRunsImmediately)
{
	RUN(afterfunc_immediately_root, &(int){ 0 });
}

struct reset_zero {
	goro_timer *timer;
	goro_ctx *ctx;
};

static void reset_zero_reader(void *p)
{
	struct reset_zero *a = p;
	for (;;) {
		goro_case cs[2] = { GORO_RECV(goro_ctx_done(a->ctx), NULL),
			            GORO_RECV(goro_timer_chan(a->timer), NULL) };
		if (goro_select(cs, 2, false) == 0)
			return;
	}
}

static void reset_zero_root(void *p)
{
	struct reset_zero a = { goro_timer_new(0), goro_with_cancel(goro_background()) };
	goro_go(reset_zero_reader, &a);
	goro_synctest_wait();
	goro_timer_reset(a.timer, 0);
	goro_synctest_wait();
	goro_cancel(a.ctx);
	goro_synctest_wait();
	goro_ctx_release(a.ctx);
	goro_timer_free(a.timer);
}

Test(internal_synctest, TestTimerResetZeroDoNotHang)
{
	RUN(reset_zero_root, &(int){ 0 });
}

/* ---- channels across the bubble's border ----------------------------------- */

struct border {
	goro_chan *ch, *outside_only;
	int kind;
};

static void outside_side(void *p)
{
	struct border *a = p;
	int v = 0;
	switch (a->kind) {
	case 0: case 3: case 4: goro_chan_close(a->ch); break; /* read closed, selects */
	case 1: goro_send(a->ch, 0); break;                    /* read value */
	case 2: goro_chan_recv(a->ch, &v); break;              /* write value */
	}
}

static void inside_side(void *p)
{
	struct border *a = p;
	int v;
	switch (a->kind) {
	case 0: case 1: goro_chan_recv(a->ch, &v); break;
	case 2: goro_send(a->ch, 0); break;
	case 3: {
		goro_case cs[2] = { GORO_RECV(a->ch, &v), GORO_RECV(a->outside_only, NULL) };
		goro_select(cs, 2, false);
		break;
	}
	case 4: {
		goro_chan *ch2 = goro_chan_new(char, 0);
		goro_case cs[2] = { GORO_RECV(a->ch, &v), GORO_RECV(ch2, NULL) };
		goro_select(cs, 2, false);
		break;
	}
	}
}

Test(internal_synctest, TestChannelFromOutsideBubble)
{
	goro_chan *choutside = goro_chan_new(char, 0);
	for (int kind = 0; kind < 5; kind++) {
		struct border a = { goro_chan_new(int, 0), choutside, kind };
		goro_after_func(GORO_MILLISECOND, outside_side, &a);
		/* A goroutine blocked on an outside channel is not durably
		 * blocked: the bubble waits for the outside to act. */
		RUN(inside_side, &a);
	}
}

struct moved {
	goro_chan *ch, *donec;
	int op;
};

static void moved_op(goro_chan *c, int op)
{
	char x = 0;
	if (op == 0)
		goro_chan_recv(c, &x);
	else if (op == 1)
		goro_chan_send(c, &x);
	else
		goro_chan_close(c);
}

static void moved_outside(void *p)
{
	struct moved *a = p;
	goro_chan *c;
	goro_chan_recv(a->ch, &c);
	moved_op(c, a->op);
	goro_chan_close(a->donec);
}

static void make_and_hand_out(void *p)
{
	goro_chan *c = goro_chan_new(char, 0);
	goro_send(*(goro_chan **)p, c);
}

static void moved_into_other_bubble(void *p)
{
	struct moved *a = p;
	moved_op(a->ch, a->op);
}

static void moved_other_bubble(void *p)
{
	struct moved *a = p;
	goro_chan *c;
	goro_chan_recv(a->ch, &c);
	goro_synctest_run(NULL, moved_into_other_bubble, &(struct moved){ c, NULL, a->op });
	goro_chan_close(a->donec);
}

static void chan_moved(int op, bool other_bubble)
{
	struct moved a = { goro_chan_new(goro_chan *, 0), goro_chan_new(char, 0), op };
	goro_go(other_bubble ? moved_other_bubble : moved_outside, &a);
	goro_synctest_run(NULL, make_and_hand_out, &a.ch);
	goro_chan_recv(a.donec, NULL);
}

GO_SCENARIO(MovedRecvOutside) { chan_moved(0, false); }
GO_SCENARIO(MovedSendOutside) { chan_moved(1, false); }
GO_SCENARIO(MovedCloseOutside) { chan_moved(2, false); }
GO_SCENARIO(MovedRecvOther) { chan_moved(0, true); }
GO_SCENARIO(MovedSendOther) { chan_moved(1, true); }
GO_SCENARIO(MovedCloseOther) { chan_moved(2, true); }

static void want_fatal(const char *scenario, const char *msg)
{
	struct death d;
	death_run(scenario, &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(&d, msg);
}

Test(internal_synctest, TestChannelMovedOutOfBubble)
{
	want_fatal("MovedRecvOutside", "fatal error: receive on synctest channel from outside bubble");
	want_fatal("MovedSendOutside", "fatal error: send on synctest channel from outside bubble");
	want_fatal("MovedCloseOutside", "fatal error: close of synctest channel from outside bubble");
	want_fatal("MovedRecvOther", "fatal error: receive on synctest channel from outside bubble");
	want_fatal("MovedSendOther", "fatal error: send on synctest channel from outside bubble");
	want_fatal("MovedCloseOther", "fatal error: close of synctest channel from outside bubble");
}

struct tm_moved {
	goro_chan *ch, *donec;
	int op;
};

static void tm_outside(void *p)
{
	struct tm_moved *a = p;
	goro_timer *tm;
	goro_chan_recv(a->ch, &tm);
	if (a->op == 0)
		goro_chan_recv(goro_timer_chan(tm), NULL);
	else if (a->op == 1)
		goro_timer_reset(tm, GORO_SECOND);
	else
		goro_timer_stop(tm);
	goro_chan_close(a->donec);
}

static void tm_make_and_hand_out(void *p)
{
	goro_timer *tm = goro_timer_new(GORO_SECOND);
	goro_send(*(goro_chan **)p, tm);
}

static void timer_moved(int op)
{
	struct tm_moved a = { goro_chan_new(goro_timer *, 0), goro_chan_new(char, 0), op };
	goro_go(tm_outside, &a);
	goro_synctest_run(NULL, tm_make_and_hand_out, &a.ch);
	goro_chan_recv(a.donec, NULL);
}

GO_SCENARIO(TimerMovedRead) { timer_moved(0); }
GO_SCENARIO(TimerMovedReset) { timer_moved(1); }
GO_SCENARIO(TimerMovedStop) { timer_moved(2); }

Test(internal_synctest, TestTimerFromInsideBubble)
{
	want_fatal("TimerMovedRead", "fatal error: receive on synctest channel from outside bubble");
	want_fatal("TimerMovedReset", "fatal error: reset of synctest timer from outside bubble");
	want_fatal("TimerMovedStop", "fatal error: stop of synctest timer from outside bubble");
}

/* ---- deadlocks ---------------------------------------------------------------- */

static void select_forever(void *p)
{
	goro_select(NULL, 0, false);
}

static void child_select_forever(void *p)
{
	goro_go0(select_forever);
}

static void tick_forever(void *p)
{
	goro_chan *c = goro_tick(GORO_SECOND);
	int64_t t;
	goro_range(c, t) {
		cr_assert_fail("ticker unexpectedly ran");
	}
}

static void child_ticks(void *p)
{
	goro_go0(tick_forever);
}

Test(internal_synctest, TestDeadlockRoot)
{
	char text[4096];
	cr_assert_eq(run_verdict(select_forever, &(int){ 0 }, sizeof(int), text, sizeof text),
	             GORO_BUBBLE_DEADLOCK);
	cr_assert(strstr(text, "deadlock: all goroutines in bubble are blocked"), "%s", text);
}

Test(internal_synctest, TestDeadlockChild)
{
	char text[4096];
	cr_assert_eq(run_verdict(child_select_forever, &(int){ 0 }, sizeof(int), text, sizeof text),
	             GORO_BUBBLE_LEAKED);
	cr_assert(strstr(text, "deadlock: main bubble goroutine has exited but blocked goroutines "
	                       "remain"), "%s", text);
}

Test(internal_synctest, TestDeadlockTicker)
{
	char text[4096];
	cr_assert_eq(run_verdict(child_ticks, &(int){ 0 }, sizeof(int), text, sizeof text),
	             GORO_BUBBLE_LEAKED);
	cr_assert(strstr(text, "deadlock: main bubble goroutine has exited but blocked goroutines "
	                       "remain"), "%s", text);
}

/* ---- TestCond ------------------------------------------------------------------ */

struct cond_args {
	goro_mutex *mu;
	goro_cond *cond;
	bool *waiter_done;
};

static void cond_signaler(void *p)
{
	struct cond_args *a = p;
	goro_sleep(GORO_MILLISECOND);
	goro_mutex_lock(a->mu);
	goro_cond_signal(a->cond);
	goro_mutex_unlock(a->mu);
	goro_sleep(GORO_MILLISECOND);
	goro_mutex_lock(a->mu);
	goro_cond_broadcast(a->cond);
	goro_mutex_unlock(a->mu);
}

static void cond_waiter2(void *p)
{
	struct cond_args *a = p;
	goro_mutex_lock(a->mu);
	goro_cond_wait(a->cond);
	goro_mutex_unlock(a->mu);
	*a->waiter_done = true;
}

static void cond_root(void *p)
{
	goro_mutex mu = { 0 };
	goro_cond cond;
	goro_cond_init(&cond, goro_mutex_locker(&mu));
	bool waiter_done = false;
	struct cond_args a = { &mu, &cond, &waiter_done };
	int64_t start = goro_now();
	goro_go(cond_signaler, &a);
	goro_mutex_lock(&mu);
	goro_cond_wait(&cond);
	goro_mutex_unlock(&mu);
	cr_assert_eq(goro_since(start), GORO_MILLISECOND, "after cond.Signal: time elapsed wrong");
	goro_go(cond_waiter2, &a);
	goro_mutex_lock(&mu);
	goro_cond_wait(&cond);
	goro_mutex_unlock(&mu);
	goro_synctest_wait();
	cr_assert(waiter_done, "after cond.Broadcast: waiter not done");
	cr_assert_eq(goro_since(start), 2 * GORO_MILLISECOND,
	             "after cond.Broadcast: time elapsed wrong");
}

Test(internal_synctest, TestCond)
{
	RUN(cond_root, &(int){ 0 });
}

/* ---- WaitGroups and bubbles ----------------------------------------------------- */

static void sleep_then_done(void *p)
{
	goro_sleep(GORO_SECOND);
	goro_waitgroup_done(*(goro_waitgroup **)p);
}

static void wg_in_bubble_root(void *p)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup *pw = &wg;
	goro_waitgroup_add(&wg, 1);
	goro_go(sleep_then_done, &pw);
	int64_t start = goro_now();
	goro_waitgroup_wait(&wg);
	cr_assert_eq(goro_since(start), GORO_SECOND, "WaitGroup.Wait() took %ld, want 1s",
	             (long)goro_since(start));
}

Test(internal_synctest, TestWaitGroupInBubble)
{
	RUN(wg_in_bubble_root, &(int){ 0 });
}

static void racing_adds_root(void *p)
{
	goro_waitgroup wg = { 0 };
	for (int i = 0; i < 100; i++)
		goro_waitgroup_go(&wg, empty_root, &(int){ 0 });
	goro_waitgroup_wait(&wg);
}

Test(internal_synctest, TestWaitGroupRacingAdds)
{
	RUN(racing_adds_root, &(int){ 0 });
}

struct wg_out {
	goro_waitgroup *wg;
	goro_chan *donec;
};

static void wait_outside_wg(void *p)
{
	struct wg_out *a = p;
	goro_waitgroup_wait(a->wg);
	goro_chan_close(a->donec);
}

static void run_wait_outside(void *p)
{
	goro_synctest_run(NULL, wait_outside_wg, (struct wg_out *)p);
}

Test(internal_synctest, TestWaitGroupOutOfBubble)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, 1);
	struct wg_out a = { &wg, goro_chan_new(char, 0) };
	goro_go(run_wait_outside, &a);
	cr_assert_eq(goro_chan_recv_until(a.donec, NULL, after_now(GORO_MILLISECOND)), GORO_TIMEDOUT,
	             "synctest.Run finished before WaitGroup.Done called");
	goro_waitgroup_done(&wg);
	go_recv_soon(a.donec, NULL);
}

static void wg_add1(void *p)
{
	goro_waitgroup_add(*(goro_waitgroup **)p, 1);
}

GO_SCENARIO(WaitGroupMovedIntoBubble)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup *pw = &wg;
	goro_waitgroup_add(&wg, 1);
	goro_synctest_run(NULL, wg_add1, &pw);
}

GO_SCENARIO(WaitGroupMovedOutOfBubble)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup *pw = &wg;
	goro_synctest_run(NULL, wg_add1, &pw);
	goro_waitgroup_add(&wg, 1);
}

GO_SCENARIO(WaitGroupMovedBetweenBubbles)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup *pw = &wg;
	goro_synctest_run(NULL, wg_add1, &pw);
	goro_synctest_run(NULL, wg_add1, &pw);
}

Test(internal_synctest, TestWaitGroupMovedIntoBubble)
{
	want_fatal("WaitGroupMovedIntoBubble",
	           "fatal error: sync: WaitGroup.Add called from inside and outside synctest bubble");
}

Test(internal_synctest, TestWaitGroupMovedOutOfBubble)
{
	want_fatal("WaitGroupMovedOutOfBubble",
	           "fatal error: sync: WaitGroup.Add called from inside and outside synctest bubble");
}

Test(internal_synctest, TestWaitGroupMovedBetweenBubblesWithNonZeroCount)
{
	want_fatal("WaitGroupMovedBetweenBubbles",
	           "fatal error: sync: WaitGroup.Add called from multiple synctest bubbles");
}

static void add_done_wait(void *p)
{
	goro_waitgroup *wg = *(goro_waitgroup **)p;
	goro_waitgroup_add(wg, 1);
	goro_waitgroup_done(wg);
	goro_waitgroup_wait(wg);
}

static void add_done(void *p)
{
	goro_waitgroup *wg = *(goro_waitgroup **)p;
	goro_waitgroup_add(wg, 1);
	goro_waitgroup_done(wg);
}

Test(internal_synctest, TestWaitGroupDisassociateInWait)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup *pw = &wg;
	RUN(add_done_wait, &pw);
	RUN(add_done, &pw);
}

static void wg_wait_ptr(void *p)
{
	goro_waitgroup_wait(*(goro_waitgroup **)p);
}

static void add_go_wait_done(void *p)
{
	goro_waitgroup *wg = *(goro_waitgroup **)p;
	goro_waitgroup_add(wg, 1);
	goro_go(wg_wait_ptr, (goro_waitgroup **)p);
	goro_synctest_wait(); /* Wait has blocked */
	goro_waitgroup_done(wg);
}

Test(internal_synctest, TestWaitGroupDisassociateInAdd)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup *pw = &wg;
	RUN(add_go_wait_done, &pw);
	RUN(add_done, &pw);
}

static goro_waitgroup linker_wg; /* Go: a package-level WaitGroup */

static void linker_wg_root(void *p)
{
	goro_waitgroup_go(&linker_wg, empty_root, &(int){ 0 });
	goro_waitgroup_wait(&linker_wg);
}

Test(internal_synctest, TestWaitGroupLinkerAllocated)
{
	RUN(linker_wg_root, &(int){ 0 });
}

Test(internal_synctest, TestWaitGroupHeapAllocated)
{
	goro_waitgroup *wg = goro_new(goro_waitgroup);
	RUN(add_go_wait_done, &wg);
	goro_free(wg);
}

static void wait_cancel(void *p)
{
	goro_chan_recv(*(goro_chan **)p, NULL);
}

static void many_bubble_root(void *p)
{
	goro_chan *cancelc = goro_chan_new(char, 0);
	goro_waitgroup wg2 = { 0 };
	for (int i = 0; i < 100; i++)
		goro_waitgroup_go(&wg2, wait_cancel, &cancelc);
	goro_synctest_wait();
	goro_chan_close(cancelc);
	goro_waitgroup_wait(&wg2);
}

static void run_many_bubble(void *p)
{
	RUN(many_bubble_root, &(int){ 0 });
}

Test(internal_synctest, TestWaitGroupManyBubbles, .timeout = 300)
{
	goro_waitgroup wg = { 0 };
	for (int i = 0; i < GO_N(100); i++)
		goro_waitgroup_go(&wg, run_many_bubble, &(int){ 0 });
	goro_waitgroup_wait(&wg);
}

/* ---- TestHappensBefore ---------------------------------------------------------- */

struct hb {
	int *v;
	goro_chan *ch;
};

static void hb_incr(void *p)
{
	struct hb *a = p;
	(*a->v)++;
	if (a->ch)
		goro_chan_recv(a->ch, NULL);
}

static void hb_incr_after(void *p)
{
	(**(int **)p)++;
}

static void hb_root1(void *p)
{
	int **v = p; /* v[0] = &v1, v[1] = &v2 */
	for (int k = 0; k < 2; k++)
		(*v[k])++; /* 1 */
	for (int k = 0; k < 2; k++)
		goro_go(hb_incr, &(struct hb){ v[k], NULL }); /* 2 */
	goro_synctest_wait();
	for (int k = 0; k < 2; k++)
		(*v[k])++; /* 3 */
	goro_chan *ch1 = goro_chan_new(char, 0);
	for (int k = 0; k < 2; k++)
		goro_go(hb_incr, &(struct hb){ v[k], ch1 }); /* 4 */
	goro_synctest_wait();
	for (int k = 0; k < 2; k++)
		(*v[k])++; /* 5 */
	goro_chan_close(ch1);
	for (int k = 0; k < 2; k++)
		goro_after_func(0, hb_incr_after, &v[k]); /* 6 */
	goro_synctest_wait();
	for (int k = 0; k < 2; k++)
		(*v[k])++; /* 7 */
	goro_chan *ch2 = goro_chan_new(char, 0);
	for (int k = 0; k < 2; k++)
		goro_go(hb_incr, &(struct hb){ v[k], ch2 }); /* 8 */
	goro_synctest_wait();
	for (int k = 0; k < 2; k++)
		(*v[k])++; /* 9 */
	goro_chan_close(ch2);
}

static void hb_go_incr(void *p)
{
	goro_go(hb_incr_after, (int **)p);
}

static void hb_root2(void *p)
{
	int **v = p;
	for (int k = 0; k < 2; k++)
		goro_go(hb_go_incr, &v[k]); /* 10 */
}

Test(internal_synctest, TestHappensBefore)
{
	int v1 = 0, v2 = 0;
	int *v[2] = { &v1, &v2 };
	GORO_SYNCTEST_ASSERT(hb_root1, &v);
	/* This Run happens after the previous Run returns. */
	GORO_SYNCTEST_ASSERT(hb_root2, &v);
	cr_assert_eq(v1, 10, "v1 = %d, want 10", v1);
	cr_assert_eq(v2, 10, "v2 = %d, want 10", v2);
}
