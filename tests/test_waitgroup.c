/*
 * test_waitgroup.c — sync.WaitGroup: Add/Done/Wait, a zero counter never
 * blocks, 100,000 goroutines on one WaitGroup (wg.Go and Add+go+Done),
 * every waiter is released, reuse, wait_until / wait_ctx, and the panic on
 * a negative counter.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include <goro.h>

#include "death.h"
#include "waiting.h"

struct wg_args {
	goro_waitgroup *wg;
	atomic_int *count;
};

static void count_and_done(void *p)
{
	struct wg_args *a = p;
	goro_sleep(GORO_MILLISECOND); /* Wait must really wait */
	atomic_fetch_add(a->count, 1);
	goro_waitgroup_done(a->wg);
}

static void count_only(void *p)
{
	struct wg_args *a = p;
	atomic_fetch_add(a->count, 1);
}

Test(waitgroup, add_done_wait)
{
	goro_waitgroup wg = { 0 };
	atomic_int count = 0;
	goro_waitgroup_add(&wg, 3);
	for (int i = 0; i < 3; i++)
		goro_go(count_and_done, &(struct wg_args){ &wg, &count });
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
	cr_assert_eq(atomic_load(&count), 3, "Wait returned before every Done");
	GOROUTINES_BACK_TO(1);
}

Test(waitgroup, wait_with_zero_counter_returns_at_once)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup_wait(&wg); /* the zero value has counter 0 */
	cr_assert_eq(goro_waitgroup_wait_until(&wg, goro_now() - GORO_SECOND), GORO_OK,
	             "a zero counter is not a timeout, whatever the deadline");
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_cancel(ctx);
	cr_assert_eq(goro_waitgroup_wait_ctx(&wg, ctx), GORO_OK);
	goro_ctx_release(ctx);

	goro_waitgroup_add(&wg, 2);
	goro_waitgroup_done(&wg);
	goro_waitgroup_add(&wg, -1);
	goro_waitgroup_wait(&wg); /* back to zero */
}

enum { MANY = SCALED(100000) };

Test(waitgroup, hundred_thousand_goroutines_with_go)
{
	goro_waitgroup wg = { 0 };
	atomic_int count = 0;
	for (int i = 0; i < MANY; i++)
		goro_waitgroup_go(&wg, count_only, &(struct wg_args){ &wg, &count });
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
	cr_assert_eq(atomic_load(&count), MANY);
	GOROUTINES_BACK_TO(1);
}

static void count_then_done(void *p)
{
	struct wg_args *a = p;
	atomic_fetch_add(a->count, 1);
	goro_waitgroup_done(a->wg);
}

Test(waitgroup, hundred_thousand_goroutines_with_add_and_done)
{
	goro_waitgroup wg = { 0 };
	atomic_int count = 0;
	for (int i = 0; i < MANY; i++) {
		goro_waitgroup_add(&wg, 1);
		goro_go(count_then_done, &(struct wg_args){ &wg, &count });
	}
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
	cr_assert_eq(atomic_load(&count), MANY);
	GOROUTINES_BACK_TO(1);
}

/* wg.Go copies the argument object, like goro_go. */
struct go_copy_args {
	int value;
	goro_chan *out;
};

static void send_value(void *p)
{
	struct go_copy_args *a = p;
	goro_send(a->out, a->value);
}

Test(waitgroup, go_copies_the_argument_and_returns_the_id)
{
	goro_waitgroup wg = { 0 };
	goro_chan *out = goro_chan_new(int, 2);
	struct go_copy_args args = { 7, out };
	int64_t id1 = goro_waitgroup_go(&wg, send_value, &args);
	args.value = 8;
	int64_t id2 = goro_waitgroup_go(&wg, send_value, &args);
	args.value = -1;
	cr_assert_gt(id1, 1);
	cr_assert_neq(id1, id2);
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
	int a = 0, b = 0;
	goro_chan_recv(out, &a);
	goro_chan_recv(out, &b);
	cr_assert_eq(a + b, 15, "wg.Go passed the caller's object, not a copy");
}

/* ------------------------------------------------------------------ */
/* Waiters                                                             */
/* ------------------------------------------------------------------ */

enum { WAITERS = 6 };

struct waiter_args {
	goro_waitgroup *wg;
	goro_chan *out;
	int64_t deadline;
	goro_ctx *ctx; /* owned reference, or NULL */
};

static void waiter(void *p)
{
	struct waiter_args *a = p;
	int rc;
	if (a->ctx)
		rc = goro_waitgroup_wait_ctx(a->wg, a->ctx);
	else if (a->deadline != INT64_MAX)
		rc = goro_waitgroup_wait_until(a->wg, a->deadline);
	else
		goro_waitgroup_wait(a->wg), rc = GORO_OK;
	goro_ctx_release(a->ctx);
	goro_send(a->out, rc);
}

static void start_waiter(struct waiter_args a)
{
	int64_t id = goro_go(waiter, &a);
	EVENTUALLY(blocked_in(id, WR_WAITGROUP) || goro_chan_len(a.out) > 0);
}

static int recv_status(goro_chan *c)
{
	int rc = -1;
	cr_assert_eq(goro_chan_recv_until(c, &rc, SOON), GORO_OK, "no status reported");
	return rc;
}

Test(waitgroup, every_waiter_is_released)
{
	goro_waitgroup wg = { 0 };
	goro_chan *out = goro_chan_new(int, WAITERS);
	goro_waitgroup_add(&wg, 2);
	for (int i = 0; i < WAITERS; i++)
		start_waiter((struct waiter_args){ &wg, out, INT64_MAX, NULL });
	cr_assert_eq(blocked_count(WR_WAITGROUP), WAITERS);
	goro_waitgroup_done(&wg);
	int v;
	cr_assert_eq(goro_chan_tryrecv(out, &v), GORO_WOULDBLOCK, "released with counter 1");
	goro_waitgroup_done(&wg);
	for (int i = 0; i < WAITERS; i++)
		cr_assert_eq(recv_status(out), GORO_OK, "waiter %d never released", i);
	GOROUTINES_BACK_TO(1);
}

Test(waitgroup, reusable_after_wait)
{
	goro_waitgroup wg = { 0 };
	atomic_int count = 0;
	for (int round = 1; round <= 20; round++) {
		goro_waitgroup_add(&wg, 3);
		for (int i = 0; i < 3; i++)
			goro_go(count_and_done, &(struct wg_args){ &wg, &count });
		cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
		cr_assert_eq(atomic_load(&count), 3 * round, "round %d", round);
	}
}

/* Waiters that give up leave the WaitGroup working for the others. */
Test(waitgroup, wait_until_and_wait_ctx_give_up_then_it_still_works)
{
	goro_waitgroup wg = { 0 };
	goro_chan *timed = goro_chan_new(int, 1), *canceled = goro_chan_new(int, 1),
	          *expired = goro_chan_new(int, 1), *plain = goro_chan_new(int, 1);
	goro_ctx *cctx = goro_with_cancel(goro_background());
	goro_ctx *tctx = goro_with_timeout(goro_background(), 50 * GORO_MILLISECOND);
	goro_waitgroup_add(&wg, 1);

	cr_assert_eq(goro_waitgroup_wait_until(&wg, after_now(20 * GORO_MILLISECOND)),
	             GORO_TIMEDOUT);
	start_waiter((struct waiter_args){ &wg, plain, INT64_MAX, NULL });
	start_waiter((struct waiter_args){ &wg, timed, after_now(50 * GORO_MILLISECOND), NULL });
	start_waiter((struct waiter_args){ &wg, canceled, INT64_MAX, goro_ctx_retain(cctx) });
	start_waiter((struct waiter_args){ &wg, expired, INT64_MAX, goro_ctx_retain(tctx) });
	goro_cancel(cctx);
	cr_assert_eq(recv_status(timed), GORO_TIMEDOUT);
	cr_assert_eq(recv_status(canceled), GORO_CANCELED);
	cr_assert_eq(recv_status(expired), GORO_DEADLINE_EXCEEDED);
	int v;
	cr_assert_eq(goro_chan_tryrecv(plain, &v), GORO_WOULDBLOCK);

	goro_waitgroup_done(&wg);
	cr_assert_eq(recv_status(plain), GORO_OK, "lost wake-up after other waiters gave up");
	cr_assert_eq(goro_waitgroup_wait_until(&wg, goro_now()), GORO_OK);

	/* And a next round works too. */
	goro_waitgroup_add(&wg, 1);
	start_waiter((struct waiter_args){ &wg, plain, INT64_MAX, NULL });
	goro_waitgroup_done(&wg);
	cr_assert_eq(recv_status(plain), GORO_OK);
	goro_ctx_release(cctx);
	goro_ctx_release(tctx);
	GOROUTINES_BACK_TO(1);
}

/* A foreign pthread waits for goroutines (its whole thread blocks). */
static atomic_int foreign_status = -1;

static void *foreign_waiter(void *p)
{
	goro_waitgroup *wg = p;
	goro_waitgroup_wait(wg);
	int rc = goro_waitgroup_wait_until(wg, goro_now()); /* counter 0: OK */
	atomic_store(&foreign_status, rc);
	return NULL;
}

Test(waitgroup, foreign_thread_waits_for_goroutines)
{
	goro_waitgroup wg = { 0 };
	atomic_int count = 0;
	goro_waitgroup_add(&wg, 10);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, foreign_waiter, &wg), 0);
	for (int i = 0; i < 10; i++)
		goro_go(count_and_done, &(struct wg_args){ &wg, &count });
	EVENTUALLY(atomic_load(&foreign_status) != -1);
	pthread_join(t, NULL);
	cr_assert_eq(atomic_load(&foreign_status), GORO_OK);
	cr_assert_eq(atomic_load(&count), 10, "the foreign thread's Wait returned early");
}

/* ------------------------------------------------------------------ */
/* Negative counter: Go's panic                                         */
/* ------------------------------------------------------------------ */

static void sc_done_without_add(void)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup_done(&wg);
}

static void sc_add_negative(void)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, 2);
	goro_waitgroup_add(&wg, -3);
}

/* Go 1.25: a WaitGroup belongs to the bubble of its first Add inside one. */
static goro_waitgroup shared_wg;

static void add_in_bubble(void *arg)
{
	goro_waitgroup_add(&shared_wg, 1);
	if (*(int *)arg)
		goro_waitgroup_done(&shared_wg);
}

/* Go's TestWaitGroupMovedBetweenBubblesWithNonZeroCount, MovedOutOfBubble
 * and MovedIntoBubble. */
static void sc_wg_two_bubbles(void)
{
	goro_synctest_run(NULL, add_in_bubble, &(int){ 0 });
	goro_synctest_run(NULL, add_in_bubble, &(int){ 0 });
	fprintf(stderr, "survived a second bubble's Add\n");
}

static void sc_wg_inside_then_outside(void)
{
	goro_synctest_run(NULL, add_in_bubble, &(int){ 0 });
	goro_waitgroup_add(&shared_wg, 1);
	fprintf(stderr, "survived an outside Add\n");
}

static void sc_wg_outside_then_inside(void)
{
	goro_waitgroup_add(&shared_wg, 1);
	goro_synctest_run(NULL, add_in_bubble, &(int){ 0 });
	fprintf(stderr, "survived an inside Add\n");
}

DEATH_SCENARIOS({ "done_without_add", sc_done_without_add },
                { "add_negative", sc_add_negative },
                { "wg_two_bubbles", sc_wg_two_bubbles },
                { "wg_inside_then_outside", sc_wg_inside_then_outside },
                { "wg_outside_then_inside", sc_wg_outside_then_inside });

Test(waitgroup_misuse, add_from_two_bubbles_is_fatal)
{
	struct death d;
	death_run("wg_two_bubbles", &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(&d,
	                        "fatal error: sync: WaitGroup.Add called from multiple synctest bubbles");
	death_assert_stderr_lacks(&d, "survived");
}

Test(waitgroup_misuse, add_inside_then_outside_a_bubble_is_fatal)
{
	struct death d;
	death_run("wg_inside_then_outside", &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(
	        &d, "fatal error: sync: WaitGroup.Add called from inside and outside synctest bubble");
	death_assert_stderr_lacks(&d, "survived");
}

Test(waitgroup_misuse, add_outside_then_inside_a_bubble_is_fatal)
{
	struct death d;
	death_run("wg_outside_then_inside", &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(
	        &d, "fatal error: sync: WaitGroup.Add called from inside and outside synctest bubble");
	death_assert_stderr_lacks(&d, "survived");
}

/* A WaitGroup reused outside bubbles, and one used only inside a bubble
 * (several times), stays legal. */
static void reuse_in_bubble(void *arg)
{
	goro_waitgroup *wg = *(goro_waitgroup **)arg;
	for (int i = 0; i < 3; i++) {
		goro_waitgroup_add(wg, 2);
		goro_waitgroup_done(wg);
		goro_waitgroup_done(wg);
		goro_waitgroup_wait(wg);
	}
}

Test(waitgroup, one_bubble_may_reuse_its_waitgroup)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup *p = &wg;
	cr_assert_eq(goro_synctest_run(NULL, reuse_in_bubble, &p), GORO_BUBBLE_OK);
	goro_waitgroup out = { 0 };
	goro_waitgroup_add(&out, 1);
	goro_waitgroup_done(&out);
	goro_waitgroup_add(&out, 1);
	goro_waitgroup_done(&out);
	goro_waitgroup_wait(&out);
}

/* Go's TestWaitGroupDisassociateInWait and ...InAdd: a bubbled WaitGroup
 * that is idle again (a Wait found it at zero, or the Done released its
 * waiters) leaves the bubble, and another bubble may use it. */
static void add_done_wait(void *arg)
{
	goro_waitgroup *wg = *(goro_waitgroup **)arg;
	goro_waitgroup_add(wg, 1);
	goro_waitgroup_done(wg);
	goro_waitgroup_wait(wg);
}

static void wait_on(void *arg)
{
	goro_waitgroup_wait(*(goro_waitgroup **)arg);
}

static void add_wait_done(void *arg)
{
	goro_waitgroup *wg = *(goro_waitgroup **)arg;
	goro_waitgroup_add(wg, 1);
	goro_go(wait_on, &wg);
	goro_synctest_wait(); /* the Wait has blocked */
	goro_waitgroup_done(wg);
}

Test(waitgroup, leaves_its_bubble_when_idle_again)
{
	for (int k = 0; k < 2; k++) {
		goro_waitgroup wg = { 0 };
		goro_waitgroup *p = &wg;
		cr_assert_eq(goro_synctest_run(NULL, k ? add_wait_done : add_done_wait, &p),
		             GORO_BUBBLE_OK);
		/* Another bubble; its final Wait disassociates it again, so the
		 * outside may use it next. */
		cr_assert_eq(goro_synctest_run(NULL, add_done_wait, &p), GORO_BUBBLE_OK);
		goro_waitgroup_add(&wg, 1);
		goro_waitgroup_done(&wg);
	}
}

/* Go's TestWaitGroupOutOfBubble: a Wait inside a bubble on a WaitGroup
 * counted outside is not durable: the bubble waits for the outside Done. */
static void wait_then_close(void *arg)
{
	struct { goro_waitgroup *wg; goro_chan *done; } *a = arg;
	goro_waitgroup_wait(a->wg);
	goro_chan_close(a->done);
}

struct bubble_wait_args {
	goro_waitgroup *wg;
	goro_chan *done;
};

static void run_wait_bubble(void *arg)
{
	goro_synctest_run(NULL, wait_then_close, (struct bubble_wait_args *)arg);
}

Test(waitgroup, wait_in_a_bubble_on_an_outside_count_is_not_durable)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, 1);
	goro_chan *done = goro_chan_make(0, 0);
	goro_go(run_wait_bubble, &(struct bubble_wait_args){ &wg, done });
	cr_assert_eq(goro_chan_recv_until(done, NULL, after_now(2 * GORO_MILLISECOND)),
	             GORO_TIMEDOUT, "the bubble finished before Done");
	goro_waitgroup_done(&wg);
	cr_assert_eq(goro_chan_recv_until(done, NULL, SOON), GORO_CLOSED);
}

/* Go's wg.Go runs Done however f ends, runtime.Goexit included. */
static atomic_int exited_before_done;

static void exit_early(void *arg)
{
	atomic_fetch_add(&exited_before_done, 1);
	goro_exit();
}

Test(waitgroup, go_runs_done_when_the_function_calls_goro_exit)
{
	goro_waitgroup wg = { 0 };
	for (int i = 0; i < 100; i++)
		goro_waitgroup_go(&wg, exit_early, &(int){ i });
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK,
	             "Wait hung: Done was skipped on goro_exit");
	cr_assert_eq(atomic_load(&exited_before_done), 100);
}

Test(waitgroup_misuse, done_without_add_panics)
{
	struct death d;
	death_run("done_without_add", &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: sync: negative WaitGroup counter");
}

Test(waitgroup_misuse, negative_add_panics)
{
	struct death d;
	death_run("add_negative", &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: sync: negative WaitGroup counter");
}
