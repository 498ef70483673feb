/*
 * test_time.c — clocks, sleep, timers (Go 1.23 semantics: Stop and Reset
 * never leave a stale value in the channel), time.After, AfterFunc and
 * tickers, under load and in large numbers.
 *
 * Lower bounds are the contract (a timer never fires early); upper bounds
 * only catch a timer that never fires, so they are very generous.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>

#include <goro.h>

#include "death.h"
#include "chan/chan.h"  /* fired(): a timer channel hides its buffer */
#include "heap/heap.h" /* goro__heap_stats: nothing leaks */
#include "waiting.h"

#define MS GORO_MILLISECOND

/* Receives one instant from a timer channel, within the test's patience. */
static int64_t recv_instant(goro_chan *c)
{
	int64_t v = 0;
	cr_assert_eq(goro_chan_recv_until(c, &v, SOON), GORO_OK, "nothing received");
	return v;
}

/* Nothing arrives on c for a while (a stale or extra value would). */
static void assert_quiet(goro_chan *c, goro_duration d, const char *what)
{
	int64_t v;
	cr_assert_eq(goro_chan_recv_until(c, &v, after_now(d)), GORO_TIMEDOUT, "%s", what);
}

/* The timer has fired into its channel and nobody received the value:
 * internal state, since len and cap of a timer channel read 0 (Go 1.23). */
static bool fired(goro_timer *t)
{
	return __atomic_load_n(&goro_timer_chan(t)->qcount, __ATOMIC_RELAXED) == 1;
}

/* ------------------------------------------------------------------ */
/* Clocks and sleep                                                    */
/* ------------------------------------------------------------------ */

static void send_now(void *p)
{
	goro_chan *out = *(goro_chan **)p;
	goro_send(out, goro_now());
}

Test(time, now_is_monotonic)
{
	int64_t prev = goro_now();
	for (int i = 0; i < 100000; i++) {
		int64_t t = goro_now();
		cr_assert_geq(t, prev, "goro_now went backwards");
		prev = t;
	}
	/* Across goroutines (and so across worker threads). */
	goro_chan *out = goro_chan_new(int64_t, 1);
	for (int i = 0; i < 100; i++) {
		int64_t before = goro_now();
		goro_go(send_now, &out);
		int64_t there = recv_instant(out);
		cr_assert_geq(there, before, "another goroutine's clock was behind");
		cr_assert_geq(goro_now(), there);
	}
	cr_assert_geq(goro_since(prev), 0);
	/* The wall clock is somewhere after 2020 outside a bubble. */
	cr_assert_gt(goro_walltime(), (int64_t)1577836800 * GORO_SECOND);
}

Test(time, sleep_sleeps_at_least_d)
{
	static const goro_duration ds[] = { 1 * MS, 10 * MS, 50 * MS };
	for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
		int64_t t0 = goro_now();
		goro_sleep(ds[i]);
		goro_duration slept = goro_since(t0);
		cr_assert_geq(slept, ds[i], "slept %lld ns, asked %lld", (long long)slept,
		              (long long)ds[i]);
		cr_assert_lt(slept, ds[i] + 5 * GORO_SECOND);
	}
	goro_sleep(0); /* returns (a yield) */
	goro_sleep(-GORO_SECOND);
}

struct sleeper_args {
	goro_duration d;
	goro_chan *out;
};

static void sleeper(void *p)
{
	struct sleeper_args *a = p;
	int64_t t0 = goro_now();
	goro_sleep(a->d);
	int early = goro_since(t0) < a->d;
	goro_send(a->out, early);
}

Test(time, many_concurrent_sleepers_each_sleep_at_least_d)
{
	enum { N = SCALED(1000) };
	goro_chan *out = goro_chan_new(int, N);
	for (int i = 0; i < N; i++)
		goro_go(sleeper, &(struct sleeper_args){ (i % 20 + 1) * MS, out });
	for (int i = 0; i < N; i++) {
		int early = 1;
		cr_assert_eq(goro_chan_recv_until(out, &early, SOON), GORO_OK);
		cr_assert_not(early, "a sleeper woke before its duration");
	}
	GOROUTINES_BACK_TO(1);
}

/* A lone sleeper with nothing else to run: its worker sleeps too, and the
 * timer must wake it (main waits without a deadline of its own, so the
 * runtime must also not take this for a deadlock). */
Test(time, timer_wakes_an_idle_worker)
{
	goro_chan *out = goro_chan_new(int, 1);
	int64_t t0 = goro_now();
	goro_go(sleeper, &(struct sleeper_args){ 50 * MS, out });
	int early = 1;
	cr_assert(goro_chan_recv(out, &early));
	cr_assert_not(early);
	cr_assert_lt(goro_since(t0), 2 * GORO_SECOND, "the sleeping worker woke far too late");

	t0 = goro_now();
	goro_sleep(50 * MS); /* goroutine 1 alone */
	cr_assert_lt(goro_since(t0), 2 * GORO_SECOND);
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */
/* ------------------------------------------------------------------ */

Test(time, timer_fires_once)
{
	int64_t t0 = goro_now();
	goro_timer *t = goro_timer_new(20 * MS);
	int64_t fired = recv_instant(goro_timer_chan(t));
	cr_assert_geq(fired, t0 + 20 * MS, "fired early");
	cr_assert_leq(fired, goro_now(), "the value is the instant it fired");
	assert_quiet(goro_timer_chan(t), 60 * MS, "a timer fired twice");
	cr_assert_not(goro_timer_stop(t), "Stop of a fired and received timer reports true");
	goro_timer_free(t);
}

Test(time, timer_with_nonpositive_duration_fires_at_once)
{
	goro_timer *t = goro_timer_new(0);
	recv_instant(goro_timer_chan(t));
	goro_timer_free(t);
	t = goro_timer_new(-GORO_SECOND);
	recv_instant(goro_timer_chan(t));
	goro_timer_free(t);
}

Test(time, stop_before_fire)
{
	goro_timer *t = goro_timer_new(30 * MS);
	/* Go 1.23: true, whether it was still pending or (on a slow machine)
	 * had fired unreceived; either way nothing is ever received. */
	cr_assert(goro_timer_stop(t), "Stop of an unreceived timer reported false");
	assert_quiet(goro_timer_chan(t), 100 * MS, "a stopped timer delivered a value");
	cr_assert_not(goro_timer_stop(t), "a second Stop reports true");
	goro_timer_free(t);
}

/* The timer has fired (its value sits in the channel) but nobody received
 * it: Stop reports true and discards it (no stale value, Go 1.23). */
Test(time, stop_after_fire_but_unreceived_discards_the_value)
{
	goro_timer *t = goro_timer_new(1 * MS);
	EVENTUALLY(fired(t));
	cr_assert(goro_timer_stop(t), "Stop after an unreceived fire reported false");
	int64_t v;
	cr_assert_eq(goro_chan_tryrecv(goro_timer_chan(t), &v), GORO_WOULDBLOCK,
	             "a stale value survived Stop");
	assert_quiet(goro_timer_chan(t), 30 * MS, "a stale value survived Stop");
	goro_timer_free(t);
}

Test(time, reset_after_fire_and_receive)
{
	goro_timer *t = goro_timer_new(1 * MS);
	int64_t first = recv_instant(goro_timer_chan(t));
	int64_t t1 = goro_now();
	cr_assert_not(goro_timer_reset(t, 20 * MS), "Reset of a received timer reports true");
	int64_t second = recv_instant(goro_timer_chan(t));
	cr_assert_gt(second, first);
	cr_assert_geq(second, t1 + 20 * MS, "fired early after Reset");
	goro_timer_free(t);
}

Test(time, reset_after_unreceived_fire_has_no_stale_value)
{
	goro_timer *t = goro_timer_new(1 * MS);
	EVENTUALLY(fired(t));
	int64_t t1 = goro_now();
	cr_assert(goro_timer_reset(t, 30 * MS), "Reset of an unreceived timer reported false");
	int64_t v = recv_instant(goro_timer_chan(t));
	cr_assert_geq(v, t1 + 30 * MS, "received the stale value of before the Reset");
	assert_quiet(goro_timer_chan(t), 30 * MS, "two values after one Reset");
	goro_timer_free(t);
}

Test(time, reset_of_pending_timer_moves_it)
{
	int64_t t0 = goro_now();
	goro_timer *t = goro_timer_new(10 * GORO_SECOND);
	cr_assert(goro_timer_reset(t, 10 * MS), "Reset of a pending timer reported false");
	int64_t v = recv_instant(goro_timer_chan(t));
	cr_assert_geq(v, t0 + 10 * MS);
	/* And the other way: a near timer pushed far out does not fire. */
	cr_assert_not(goro_timer_reset(t, 10 * MS), "Reset of a received timer reports true");
	cr_assert(goro_timer_reset(t, 10 * GORO_SECOND), "Reset of a pending timer reported false");
	assert_quiet(goro_timer_chan(t), 50 * MS, "fired at the time before the Reset");
	cr_assert(goro_timer_stop(t));
	goro_timer_free(t);
}

Test(time, stopped_timer_can_be_reset)
{
	goro_timer *t = goro_timer_new(10 * GORO_SECOND);
	cr_assert(goro_timer_stop(t));
	cr_assert_not(goro_timer_reset(t, 5 * MS), "Reset of a stopped timer reports true");
	recv_instant(goro_timer_chan(t));
	goro_timer_free(t);
}

Test(time, after_delivers_once)
{
	int64_t t0 = goro_now();
	goro_chan *c = goro_after(20 * MS);
	int64_t v = recv_instant(c);
	cr_assert_geq(v, t0 + 20 * MS);
	assert_quiet(c, 50 * MS, "time.After delivered twice");
}

static size_t heap_in_use(void)
{
	struct goro_heap_stats st;
	goro__heap_stats(&st);
	return st.pages_in_use;
}

/* Timers created and freed leave the heap where it was. */
Test(time, timer_free_returns_the_memory)
{
	enum { N = SCALED(50000) };
	size_t before = heap_in_use();
	for (int i = 0; i < N; i++) {
		goro_timer *t = goro_timer_new(i % 2 ? 0 : GORO_HOUR);
		if (i % 2)
			recv_instant(goro_timer_chan(t));
		goro_timer_free(t);
	}
	size_t after = heap_in_use();
	cr_assert_lt(after, before + (size_t)N * 16 + 256 * 1024,
	             "the heap grew by %zu bytes over %d timers", after - before, N);
}


Test(time, after_in_select)
{
	goro_chan *never = goro_chan_new(int, 0);
	int64_t at;
	int x;
	goro_case cases[] = { GORO_RECV(never, &x), GORO_RECV(goro_after(10 * MS), &at) };
	cr_assert_eq(goro_select(cases, 2, false), 1);
	cr_assert(cases[1].ok);
}

/* ------------------------------------------------------------------ */
/* AfterFunc                                                           */
/* ------------------------------------------------------------------ */

struct af_args {
	goro_chan *out;
};

static void report_id(void *p)
{
	struct af_args *a = p;
	goro_send(a->out, goro_id());
}

Test(time, after_func_runs_in_its_own_goroutine)
{
	goro_chan *out = goro_chan_new(int64_t, 1);
	int64_t t0 = goro_now();
	goro_timer *t = goro_after_func(20 * MS, report_id, &(struct af_args){ out });
	int64_t id = 0;
	cr_assert_eq(goro_chan_recv_until(out, &id, SOON), GORO_OK, "AfterFunc never ran");
	cr_assert_geq(goro_now(), t0 + 20 * MS);
	cr_assert_gt(id, 1);
	cr_assert_neq(id, goro_id(), "fn ran on the caller's goroutine");
	cr_assert_not(goro_timer_stop(t), "Stop after fn started reports true");
	goro_timer_free(t);
	GOROUTINES_BACK_TO(1);
}

Test(time, after_func_stop_prevents_it)
{
	goro_chan *out = goro_chan_new(int64_t, 1);
	goro_timer *t = goro_after_func(500 * MS, report_id, &(struct af_args){ out });
	bool stopped = goro_timer_stop(t);
	int64_t id;
	if (stopped) {
		/* Well past when it would have run. */
		cr_assert_eq(goro_chan_recv_until(out, &id, after_now(700 * MS)), GORO_TIMEDOUT,
		             "fn ran although Stop reported true");
	} else {
		/* The machine was too slow to stop it in time: then it runs. */
		cr_assert_eq(goro_chan_recv_until(out, &id, SOON), GORO_OK,
		             "Stop reported false but fn never ran");
	}
	goro_timer_free(t);
}

static atomic_int af_runs;

static void count_run(void *p)
{
	(void)p;
	atomic_fetch_add(&af_runs, 1);
}

Test(time, after_func_reset_runs_it_again)
{
	goro_timer *t = goro_after_func(1 * MS, count_run, &(int){ 0 });
	EVENTUALLY(atomic_load(&af_runs) == 1);
	cr_assert_not(goro_timer_reset(t, 1 * MS));
	EVENTUALLY(atomic_load(&af_runs) == 2);
	GOROUTINES_BACK_TO(1);
	cr_assert_eq(atomic_load(&af_runs), 2);
	goro_timer_free(t);
}

/* ------------------------------------------------------------------ */
/* Tickers                                                             */
/* ------------------------------------------------------------------ */

Test(time, ticker_ticks_repeatedly_then_stops)
{
	const goro_duration period = 10 * MS;
	int64_t t0 = goro_now();
	goro_ticker *tk = goro_ticker_new(period);
	int64_t prev = t0;
	for (int i = 1; i <= 5; i++) {
		int64_t v = recv_instant(goro_ticker_chan(tk));
		cr_assert_gt(v, prev, "tick %d not after the previous one", i);
		prev = v;
	}
	/* Five ticks cannot happen before five periods have passed. */
	cr_assert_geq(prev, t0 + 5 * period, "ticked faster than its period");

	goro_ticker_stop(tk);
	assert_quiet(goro_ticker_chan(tk), 5 * period, "a stopped ticker ticked");
	goro_ticker_free(tk);
}

Test(time, ticker_reset_changes_the_period)
{
	goro_ticker *tk = goro_ticker_new(GORO_HOUR);
	goro_ticker_reset(tk, 5 * MS);
	for (int i = 0; i < 3; i++)
		recv_instant(goro_ticker_chan(tk));

	/* Slower again: a pending tick is discarded, the next comes an hour on. */
	goro_ticker_reset(tk, GORO_HOUR);
	assert_quiet(goro_ticker_chan(tk), 50 * MS, "ticked at the old period after Reset");

	/* A stopped ticker restarts with Reset. */
	goro_ticker_stop(tk);
	goro_ticker_reset(tk, 5 * MS);
	recv_instant(goro_ticker_chan(tk));
	goro_ticker_free(tk);
}

/* A slow receiver: ticks are dropped, never queued up (the channel holds one). */
Test(time, ticker_drops_ticks_for_a_slow_receiver)
{
	goro_ticker *tk = goro_ticker_new(1 * MS);
	goro_sleep(30 * MS);
	cr_assert_leq(goro_chan_len(goro_ticker_chan(tk)), 1);
	recv_instant(goro_ticker_chan(tk));
	goro_ticker_stop(tk);
	goro_ticker_free(tk);
}

static atomic_bool busy_stop;
static atomic_uint busy_sink; /* keeps the busy work from being optimised out */

static void busy(void *p)
{
	unsigned x = 0;
	while (!atomic_load(&busy_stop)) {
		for (unsigned i = 0; i < 20000; i++)
			x = x * 31 + i;
		atomic_fetch_add(&busy_sink, x);
		goro_yield(); /* cooperative: a goroutine that never yields owns its worker */
	}
}

Test(time, ticker_ticks_under_load)
{
	enum { BUSY = 16 };
	for (int i = 0; i < BUSY; i++)
		goro_go0(busy);
	goro_ticker *tk = goro_ticker_new(5 * MS);
	int64_t prev = 0;
	for (int i = 0; i < 20; i++) {
		int64_t v = recv_instant(goro_ticker_chan(tk));
		cr_assert_gt(v, prev);
		prev = v;
	}
	goro_ticker_stop(tk);
	goro_ticker_free(tk);
	atomic_store(&busy_stop, true);
	GOROUTINES_BACK_TO(1);
}

/* ------------------------------------------------------------------ */
/* Many timers                                                         */
/* ------------------------------------------------------------------ */

enum { MANY_TIMERS = SCALED(100000) };

Test(time, hundred_thousand_pending_timers_then_stop_all)
{
	goro_timer **ts = calloc(MANY_TIMERS, sizeof *ts);
	cr_assert_not_null(ts);
	for (int i = 0; i < MANY_TIMERS; i++)
		ts[i] = goro_timer_new(GORO_HOUR + (goro_duration)(i % 977) * GORO_SECOND);
	/* A near timer still fires on time among them (the heap orders it). */
	goro_timer *near = goro_timer_new(5 * MS);
	recv_instant(goro_timer_chan(near));
	goro_timer_free(near);
	for (int i = 0; i < MANY_TIMERS; i++)
		cr_assert(goro_timer_stop(ts[i]), "timer %d was not pending", i);
	for (int i = 0; i < MANY_TIMERS; i++)
		goro_timer_free(ts[i]);
	free(ts);
	/* The runtime still has working timers afterwards. */
	goro_sleep(1 * MS);
}

/* Many goroutines create, stop, reset and receive timers at once; each
 * checks the Go 1.23 contract on every step. */
enum { CHURNERS = 16, CHURN_ITERS = SCALED(300) };

static atomic_int churn_errors;

struct churn_args {
	goro_chan *done;
	unsigned seed;
};

static void churn(void *p)
{
	struct churn_args *a = p;
	unsigned s = a->seed;
	for (int i = 0; i < CHURN_ITERS; i++) {
		s = s * 1103515245u + 12345u;
		goro_duration d = (goro_duration)(s % 300) * GORO_MICROSECOND;
		goro_timer *t = goro_timer_new(d);
		int64_t v;
		switch ((s >> 16) % 3) {
		case 0: /* never received: Stop must report true and leave nothing */
			if (!goro_timer_stop(t) ||
			    goro_chan_tryrecv(goro_timer_chan(t), &v) != GORO_WOULDBLOCK)
				atomic_fetch_add(&churn_errors, 1);
			break;
		case 1: /* received: then Stop reports false */
			if (goro_chan_recv_until(goro_timer_chan(t), &v, SOON) != GORO_OK ||
			    goro_timer_stop(t))
				atomic_fetch_add(&churn_errors, 1);
			break;
		default: { /* Reset before receiving: the value is never one from
		            * before the Reset */
			int64_t reset_at = goro_now();
			if (!goro_timer_reset(t, d))
				atomic_fetch_add(&churn_errors, 1);
			if (goro_chan_recv_until(goro_timer_chan(t), &v, SOON) != GORO_OK ||
			    v < reset_at + d)
				atomic_fetch_add(&churn_errors, 1);
			break;
		}
		}
		goro_timer_free(t);
	}
	goro_send(a->done, 1);
}

Test(time, concurrent_timer_churn_from_many_goroutines)
{
	goro_chan *done = goro_chan_new(int, CHURNERS);
	for (int i = 0; i < CHURNERS; i++)
		goro_go(churn, &(struct churn_args){ done, (unsigned)i + 1 });
	for (int i = 0; i < CHURNERS; i++) {
		int v;
		cr_assert_eq(goro_chan_recv_until(done, &v, SOON), GORO_OK);
	}
	cr_assert_eq(atomic_load(&churn_errors), 0, "%d timer operations broke the contract",
	             atomic_load(&churn_errors));
}

/* Timers created on one goroutine are stopped by another (usually on the
 * other worker, so the stop crosses heaps). */
struct cross_args {
	goro_chan *timers;
	goro_chan *done;
};

static void cross_stopper(void *p)
{
	struct cross_args *a = p;
	goro_timer *t;
	int bad = 0;
	while (goro_chan_recv(a->timers, &t)) {
		int64_t v;
		if (!goro_timer_stop(t) ||
		    goro_chan_tryrecv(goro_timer_chan(t), &v) != GORO_WOULDBLOCK)
			bad++;
		goro_timer_free(t);
	}
	goro_send(a->done, bad);
}

Test(time, timers_stopped_from_another_goroutine)
{
	goro_chan *timers = goro_chan_new(goro_timer *, 64), *done = goro_chan_new(int, 2);
	for (int i = 0; i < 2; i++)
		goro_go(cross_stopper, &(struct cross_args){ timers, done });
	for (int i = 0; i < SCALED(20000); i++) {
		goro_timer *t = goro_timer_new((goro_duration)(i % 200) * GORO_MICROSECOND);
		goro_chan_send(timers, &t);
	}
	goro_chan_close(timers);
	for (int i = 0; i < 2; i++) {
		int bad = -1;
		cr_assert_eq(goro_chan_recv_until(done, &bad, SOON), GORO_OK);
		cr_assert_eq(bad, 0, "%d cross-goroutine stops broke the contract", bad);
	}
}

/* Go's TestMultiWakeupTimer: goroutines on every worker drain and reset
 * one shared timer as fast as they can.  Each Reset used to stop and then
 * insert with nothing holding the two steps together, so two workers
 * could put the timer in two heaps (a crash within a few runs at 2
 * workers).  Twice as many goroutines as workers, so resets also race with
 * the timer firing on another worker. */
struct wakeup_args {
	goro_timer *t;
	goro_waitgroup *wg;
	int iters;
};

static void multi_wakeup(void *p)
{
	struct wakeup_args *a = p;
	for (int i = 0; i < a->iters; i++) {
		int64_t v;
		goro_chan_tryrecv(goro_timer_chan(a->t), &v);
		goro_timer_reset(a->t, GORO_NANOSECOND);
	}
	goro_waitgroup_done(a->wg);
}

Test(time, multi_wakeup_timer)
{
	int n = 2 * goro_maxprocs() + 2;
	for (int round = 0; round < 10; round++) {
		goro_timer *t = goro_timer_new(GORO_NANOSECOND);
		goro_waitgroup wg = { 0 };
		goro_waitgroup_add(&wg, n);
		for (int i = 0; i < n; i++)
			goro_go(multi_wakeup, &(struct wakeup_args){ t, &wg, SCALED(10000) });
		cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
		/* Still a working timer: one more reset fires once. */
		goro_timer_stop(t);
		cr_assert_not(goro_timer_reset(t, GORO_MILLISECOND),
		              "Reset of a stopped, drained timer reported it pending");
		recv_instant(goro_timer_chan(t));
		assert_quiet(goro_timer_chan(t), 20 * MS, "a reset timer fired twice");
		goro_timer_free(t);
	}
}

/* Stop and Reset of one timer from many goroutines at once, with the
 * timer firing meanwhile: every value a Stop reports pending was really
 * pending, and nothing stale is read after a Stop. */
struct race_args {
	goro_timer *t;
	goro_waitgroup *wg;
	atomic_int *bad;
	unsigned seed;
};

static void stop_reset_racer(void *p)
{
	struct race_args *a = p;
	unsigned s = a->seed;
	for (int i = 0; i < SCALED(5000); i++) {
		s = s * 1103515245u + 12345u;
		if ((s >> 16) & 1) {
			goro_timer_reset(a->t, (goro_duration)((s >> 20) % 50) * GORO_MICROSECOND);
		} else {
			goro_timer_stop(a->t);
			if ((s >> 17) & 1)
				goro_yield();
		}
	}
	goro_waitgroup_done(a->wg);
}

Test(time, concurrent_stop_and_reset_of_one_timer)
{
	atomic_int bad = 0;
	int n = 2 * goro_maxprocs() + 2;
	goro_timer *t = goro_timer_new(GORO_MICROSECOND);
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, n);
	for (int i = 0; i < n; i++)
		goro_go(stop_reset_racer, &(struct race_args){ t, &wg, &bad, (unsigned)i * 7 + 1 });
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
	goro_timer_stop(t);
	int64_t v;
	cr_assert_eq(goro_chan_tryrecv(goro_timer_chan(t), &v), GORO_WOULDBLOCK,
	             "a value was left in the channel after Stop");
	assert_quiet(goro_timer_chan(t), 5 * MS, "a stopped timer fired");
	goro_timer_free(t);
}

/* A ticker reset from other goroutines while it ticks keeps ticking. */
static void ticker_resetter(void *p)
{
	goro_ticker *tk = *(goro_ticker **)p;
	for (int i = 0; i < SCALED(5000); i++)
		goro_ticker_reset(tk, (goro_duration)(i % 7 + 1) * GORO_MICROSECOND);
}

Test(time, ticker_reset_from_many_goroutines)
{
	goro_ticker *tk = goro_ticker_new(GORO_MICROSECOND);
	int n = 2 * goro_maxprocs();
	goro_waitgroup wg = { 0 };
	for (int i = 0; i < n; i++)
		goro_waitgroup_go(&wg, ticker_resetter, &tk);
	int64_t v;
	while (goro_waitgroup_wait_until(&wg, goro_now()) == GORO_TIMEDOUT)
		goro_chan_tryrecv(goro_ticker_chan(tk), &v);
	goro_ticker_reset(tk, MS);
	recv_instant(goro_ticker_chan(tk));
	recv_instant(goro_ticker_chan(tk));
	goro_ticker_free(tk);
}

/* Go 1.23: a timer's channel is as if unbuffered: len and cap read 0,
 * before and after it fires. */
Test(time, timer_channels_report_len_and_cap_zero)
{
	goro_timer *t = goro_timer_new(1 * MS);
	goro_ticker *tk = goro_ticker_new(1 * MS);
	goro_chan *after = goro_after(1 * MS);
	goro_chan *cs[] = { goro_timer_chan(t), goro_ticker_chan(tk), after };
	for (int i = 0; i < 3; i++)
		cr_assert(goro_chan_len(cs[i]) == 0 && goro_chan_cap(cs[i]) == 0,
		          "channel %d: len %zu cap %zu before firing", i, goro_chan_len(cs[i]),
		          goro_chan_cap(cs[i]));
	EVENTUALLY(fired(t));
	goro_sleep(5 * MS);
	for (int i = 0; i < 3; i++)
		cr_assert(goro_chan_len(cs[i]) == 0 && goro_chan_cap(cs[i]) == 0,
		          "channel %d: len %zu cap %zu after firing", i, goro_chan_len(cs[i]),
		          goro_chan_cap(cs[i]));
	for (int i = 0; i < 3; i++)
		recv_instant(cs[i]); /* the values are still delivered */
	goro_timer_free(t);
	goro_ticker_free(tk);
}

/* Go 1.23 runs an expired timer when its channel is read: NewTimer(0)'s
 * value is there for a non-blocking receive at once, without waiting for
 * a worker to fire it. */
Test(time, expired_timer_channel_is_readable_at_once)
{
	for (int i = 0; i < 1000; i++) {
		goro_timer *t = goro_timer_new(i % 2 ? 0 : -GORO_SECOND);
		int64_t v = 0;
		if (i % 3 == 0) {
			goro_case k[] = { GORO_RECV(goro_timer_chan(t), &v) };
			cr_assert_eq(goro_select(k, 1, true), 0, "round %d: select missed an expired timer", i);
		} else {
			cr_assert_eq(goro_chan_tryrecv(goro_timer_chan(t), &v), GORO_OK,
			             "round %d: an expired timer's channel was empty", i);
		}
		cr_assert_gt(v, 0);
		cr_assert_eq(goro_chan_tryrecv(goro_timer_chan(t), &v), GORO_WOULDBLOCK,
		             "round %d: two values", i);
		goro_timer_free(t);
	}
	/* A timer whose instant has passed while this goroutine kept its
	 * worker busy (so no scheduler ran it). */
	goro_timer *t = goro_timer_new(1 * MS);
	int64_t end = goro_now() + 2 * MS;
	while (goro_now() < end)
		;
	int64_t v;
	cr_assert_eq(goro_chan_tryrecv(goro_timer_chan(t), &v), GORO_OK);
	goro_timer_free(t);
}

/* A ticker stopped while it fires on a worker (a 1 µs period keeps it
 * firing) never ticks again: the firing code must not re-arm it after a
 * Stop that ran meanwhile. */
Test(time, ticker_stopped_while_firing_stays_stopped)
{
	for (int i = 0; i < SCALED(300); i++) {
		goro_ticker *tk = goro_ticker_new(GORO_MICROSECOND);
		int64_t end = goro_now() + (i % 5) * GORO_MICROSECOND;
		while (goro_now() < end)
			;
		goro_ticker_stop(tk);
		int64_t v;
		cr_assert_eq(goro_chan_tryrecv(goro_ticker_chan(tk), &v), GORO_WOULDBLOCK,
		             "round %d: a tick was left after Stop", i);
		assert_quiet(goro_ticker_chan(tk), 1 * MS, "a stopped ticker ticked");
		goro_ticker_free(tk);
	}
}

/* Go's TestStopResult / TestResetResult (issue 69312): two timers race;
 * whichever the select got first, Stop (or Reset to an hour) of the other
 * reports false only if its value can be read.  A wrong false leaves the
 * receive below hanging (bounded here: counted as a failure). */
struct stop_result_args {
	bool stop;
	goro_chan *start;
	goro_waitgroup *wg;
	atomic_int *bad;
};

static bool stop_or_reset(goro_timer *t, bool stop)
{
	return stop ? goro_timer_stop(t) : goro_timer_reset(t, GORO_HOUR);
}

static void stop_result_worker(void *p)
{
	struct stop_result_args *a = p;
	goro_chan_recv(a->start, NULL);
	for (int j = 0; j < 100; j++) {
		goro_timer *t[2] = { goro_timer_new(1 * MS), goro_timer_new(1 * MS) };
		goro_case k[] = { GORO_RECV(goro_timer_chan(t[0]), NULL),
		                  GORO_RECV(goro_timer_chan(t[1]), NULL) };
		int won = goro_select(k, 2, false);
		goro_timer *other = t[1 - won];
		if (!stop_or_reset(other, a->stop) &&
		    goro_chan_recv_until(goro_timer_chan(other), NULL, SOON) != GORO_OK)
			atomic_fetch_add(a->bad, 1);
		goro_timer_free(t[0]);
		goro_timer_free(t[1]);
	}
	goro_waitgroup_done(a->wg);
}

static void stop_reset_result(bool stop)
{
	enum { N = SCALED(200) };
	atomic_int bad = 0;
	goro_chan *start = goro_chan_make(0, 0);
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, N);
	for (int i = 0; i < N; i++)
		goro_go(stop_result_worker, &(struct stop_result_args){ stop, start, &wg, &bad });
	goro_chan_close(start);
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
	cr_assert_eq(atomic_load(&bad), 0, "%d results said false but no value came",
	             atomic_load(&bad));
}

Test(time, go_stop_result)
{
	stop_reset_result(true);
}

Test(time, go_reset_result)
{
	stop_reset_result(false);
}

/* Go's TestMultiWakeupTicker: goroutines on every worker select on one
 * fast ticker and a fresh After. */
static void multi_wakeup_ticker(void *p)
{
	goro_ticker *tk = *(goro_ticker **)p;
	for (int i = 0; i < SCALED(20000); i++) {
		goro_timer *after = goro_timer_new(1 * MS);
		goro_case k[] = { GORO_RECV(goro_ticker_chan(tk), NULL),
		                  GORO_RECV(goro_timer_chan(after), NULL) };
		goro_select(k, 2, false);
		goro_timer_free(after);
	}
}

Test(time, go_multi_wakeup_ticker)
{
	goro_ticker *tk = goro_ticker_new(GORO_MICROSECOND);
	goro_waitgroup wg = { 0 };
	for (int i = 0; i < 2 * goro_maxprocs(); i++)
		goro_waitgroup_go(&wg, multi_wakeup_ticker, &tk);
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
	goro_ticker_free(tk);
}

/* Go's TestTimerModifiedEarlier: a timer reset to the past (after Stop
 * and drain) fires promptly. */
Test(time, go_timer_modified_earlier)
{
	for (int i = 0; i < 1000; i++) {
		goro_timer *t = goro_timer_new(GORO_HOUR);
		for (int j = 0; j < 10; j++) {
			if (!goro_timer_stop(t))
				recv_instant(goro_timer_chan(t));
			goro_timer_reset(t, -goro_now());
		}
		recv_instant(goro_timer_chan(t));
		goro_timer_free(t);
	}
}

/* ------------------------------------------------------------------ */
/* Huge durations: Go saturates now + d, so the maximum means "never"   */
/* ------------------------------------------------------------------ */

static void sleep_forever(void *p)
{
	atomic_int *woke = p;
	goro_sleep(INT64_MAX);
	atomic_store(woke, 1);
}

Test(time, sleep_of_max_duration_does_not_wake)
{
	static atomic_int woke;
	int64_t id = goro_go(sleep_forever, &woke);
	EVENTUALLY(blocked_in(id, WR_SLEEP));
	goro_sleep(20 * MS);
	cr_assert(blocked_in(id, WR_SLEEP), "a sleep of INT64_MAX ended");
	cr_assert_eq(atomic_load(&woke), 0);
}

static atomic_int huge_ran;

static void mark_huge_ran(void *p)
{
	atomic_store(&huge_ran, 1);
}

Test(time, timers_of_huge_durations_never_fire)
{
	goro_duration huge[] = { INT64_MAX, INT64_MAX - 1, INT64_MAX / 2 + 1 };
	for (size_t i = 0; i < sizeof huge / sizeof *huge; i++) {
		goro_chan *after = goro_after(huge[i]);
		goro_timer *t = goro_timer_new(huge[i]);
		goro_timer *f = goro_after_func(huge[i], mark_huge_ran, &(int){ 0 });
		assert_quiet(after, 10 * MS, "time.After(huge) fired");
		assert_quiet(goro_timer_chan(t), 1 * MS, "NewTimer(huge) fired");
		cr_assert(goro_timer_reset(t, huge[i]), "a huge timer was not pending");
		cr_assert(goro_timer_stop(t), "a huge timer was not pending");
		cr_assert(goro_timer_stop(f), "AfterFunc(huge) was not pending");
		cr_assert_eq(atomic_load(&huge_ran), 0);
		goro_timer_free(t);
		goro_timer_free(f);
	}
}

Test(time, context_with_huge_timeout_is_not_done)
{
	goro_ctx *c = goro_with_timeout(goro_background(), INT64_MAX);
	int64_t dl = 0;
	cr_assert(goro_ctx_deadline(c, &dl));
	cr_assert_gt(dl, goro_now(), "the deadline of WithTimeout(max) is in the past");
	goro_sleep(10 * MS);
	cr_assert_eq(goro_ctx_err(c), 0, "WithTimeout(max) expired");
	goro_ctx *d = goro_with_deadline(goro_background(), INT64_MAX);
	goro_sleep(1 * MS);
	cr_assert_eq(goro_ctx_err(d), 0, "WithDeadline(max) expired");
	goro_ctx_release(c);
	goro_ctx_release(d);
}

/* ------------------------------------------------------------------ */
/* Misuse                                                              */
/* ------------------------------------------------------------------ */

static void sc_ticker_zero(void)
{
	goro_ticker_new(0);
}

static void sc_ticker_reset_negative(void)
{
	goro_ticker *tk = goro_ticker_new(GORO_SECOND);
	goro_ticker_reset(tk, -1);
}

DEATH_SCENARIOS({ "ticker_zero", sc_ticker_zero },
                { "ticker_reset_negative", sc_ticker_reset_negative });

Test(time_misuse, ticker_with_nonpositive_interval_panics)
{
	struct death d;
	death_run("ticker_zero", &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: non-positive interval for NewTicker");
}

Test(time_misuse, ticker_reset_with_nonpositive_interval_panics)
{
	struct death d;
	death_run("ticker_reset_negative", &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: non-positive interval for Ticker.Reset");
}
