/*
 * test_once.c — sync.Once: fn runs exactly once however many goroutines
 * race to call Do, and no caller returns before fn has finished (the
 * guarantee that makes Once usable for lazy initialisation).
 */
#include <criterion/criterion.h>
#include <stdatomic.h>

#include <goro.h>

#include "waiting.h"

static atomic_int init_runs;
static atomic_bool init_finished;
static long init_value; /* plain: published by Once itself */

static void slow_init(void *arg)
{
	atomic_fetch_add(&init_runs, 1);
	/* Long enough for the other callers to arrive and have to wait. */
	goro_sleep(20 * GORO_MILLISECOND);
	init_value = *(long *)arg;
	atomic_store(&init_finished, true);
}

enum { CALLERS = 64 };

struct caller_args {
	goro_once *once;
	goro_chan *out;
};

static long init_arg = 42;

static void caller(void *p)
{
	struct caller_args *a = p;
	goro_once_do(a->once, slow_init, &init_arg);
	/* After Do returns, fn's effects are visible and complete. */
	int ok = atomic_load(&init_finished) && init_value == 42;
	goro_send(a->out, ok);
}

Test(once, runs_exactly_once_under_concurrency)
{
	goro_once once = { 0 };
	goro_chan *out = goro_chan_new(int, CALLERS);
	for (int i = 0; i < CALLERS; i++)
		goro_go(caller, &(struct caller_args){ &once, out });
	for (int i = 0; i < CALLERS; i++) {
		int ok = 0;
		cr_assert_eq(goro_chan_recv_until(out, &ok, SOON), GORO_OK);
		cr_assert(ok, "a caller returned from Do before fn finished");
	}
	cr_assert_eq(atomic_load(&init_runs), 1, "fn ran %d times", atomic_load(&init_runs));
	/* Later calls do nothing either. */
	goro_once_do(&once, slow_init, &init_arg);
	cr_assert_eq(atomic_load(&init_runs), 1);
}

static void count_call(void *arg)
{
	(*(int *)arg)++;
}

Test(once, sequential_calls_and_separate_onces)
{
	goro_once a = { 0 }, b = { 0 };
	int na = 0, nb = 0;
	goro_once_do(&a, count_call, &na);
	goro_once_do(&a, count_call, &na);
	goro_once_do(&a, count_call, &nb); /* a different fn/arg does not run either */
	cr_assert_eq(na, 1);
	cr_assert_eq(nb, 0);
	goro_once_do(&b, count_call, &nb);
	cr_assert_eq(nb, 1, "Onces are independent");
}

/* fn may itself block; the other callers wait for it, then return. */
static void blocking_init(void *arg)
{
	goro_chan *release = arg;
	int v;
	goro_chan_recv(release, &v);
	atomic_store(&init_finished, true);
}

struct blocked_caller_args {
	goro_once *once;
	goro_chan *release; /* fn's argument */
	goro_chan *out;
};

static void blocked_caller(void *p)
{
	struct blocked_caller_args *a = p;
	goro_once_do(a->once, blocking_init, a->release);
	int finished = atomic_load(&init_finished);
	goro_send(a->out, finished);
}

Test(once, callers_wait_for_a_blocked_fn)
{
	goro_once once = { 0 };
	goro_chan *release = goro_chan_new(int, 0), *out = goro_chan_new(int, CALLERS + 1);
	int64_t first = goro_go(blocked_caller, &(struct blocked_caller_args){ &once, release, out });
	EVENTUALLY(blocked_in(first, WR_CHAN_RECV)); /* inside fn */
	for (int i = 0; i < CALLERS; i++)
		goro_go(blocked_caller, &(struct blocked_caller_args){ &once, release, out });
	/* Go's Once makes late callers wait on its mutex. */
	EVENTUALLY(blocked_count(WR_MUTEX) == CALLERS);
	cr_assert_eq(goro_chan_len(out), 0, "a caller returned while fn was still running");

	goro_send(release, 1);
	for (int i = 0; i < CALLERS + 1; i++) {
		int finished = 0;
		cr_assert_eq(goro_chan_recv_until(out, &finished, SOON), GORO_OK);
		cr_assert(finished, "a caller returned before fn finished");
	}
	GOROUTINES_BACK_TO(1);
}

/* Go: a Once whose f calls runtime.Goexit counts as done (doSlow defers
 * done.Store and the unlock), so the next Do returns at once. */
static atomic_int exiting_runs;

static void exiting_init(void *arg)
{
	atomic_fetch_add(&exiting_runs, 1);
	goro_exit();
}

struct exiting_args {
	goro_once *once;
	goro_chan *out;
};

static void do_then_report(void *p)
{
	struct exiting_args *a = p;
	goro_once_do(a->once, exiting_init, NULL);
	goro_send(a->out, 1); /* only reached by callers that did not run f */
}

Test(once, fn_ending_in_goro_exit_counts_as_done)
{
	goro_once once = { 0 };
	goro_chan *out = goro_chan_new(int, CALLERS);
	for (int i = 0; i < CALLERS; i++)
		goro_go(do_then_report, &(struct exiting_args){ &once, out });
	/* Every caller but the one whose f exited returns from Do. */
	for (int i = 0; i < CALLERS - 1; i++) {
		int v;
		cr_assert_eq(goro_chan_recv_until(out, &v, SOON), GORO_OK,
		             "a Do blocked after f called goro_exit");
	}
	goro_once_do(&once, exiting_init, NULL); /* returns: done */
	cr_assert_eq(atomic_load(&exiting_runs), 1);
	int v;
	cr_assert_eq(goro_chan_recv_until(out, &v, after_now(10 * GORO_MILLISECOND)),
	             GORO_TIMEDOUT, "the goroutine whose f exited came back");
}
