/*
 * test_synctest.c — synctest bubbles: the article's leak scenarios and
 * their fixes, the fake clock, synctest.Wait, misuse panics, deadlock
 * reports, cleanups, non-durable mutex waits, parallel bubbles and the
 * memory of released goroutines.
 *
 * The scenarios are examples/scenarios.c, shared with the example
 * programs.  Each Criterion test runs in its own process with the test body
 * as goroutine 1 (outside any bubble), so goro_now() there is real time.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <goro.h>

#include "death.h"
#include "resident.h"
#include "scenarios.h"

/* 2000-01-01 00:00:00 UTC, where every bubble's clock starts (Go's rule). */
#define FAKE_EPOCH ((int64_t)946684800 * GORO_SECOND)

/* goro_synctest_run for a body without arguments. */
static int run_bubble(goro_bubble_result *res, goro_fn body)
{
	return goro_synctest_run(res, body, &(char){ 0 });
}

static int count_substr(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* What the article shows for the blocked goroutines of a bubble: `count`
 * goroutines in `wait_reason`, `function` on top of the stack (also the
 * function goro_go started), created by `created_by` (NULL: not checked). */
struct want {
	int status;
	int count;
	const char *wait_reason;
	const char *function;
	const char *created_by;
};

/* The first frame line after the header of goroutine `id` in a report. */
static void top_frame_of(const char *report, int64_t id, char *out, size_t n)
{
	char header[64];
	snprintf(header, sizeof header, "goroutine %lld [", (long long)id);
	const char *p = strstr(report, header);
	cr_assert_not_null(p, "report has no block for goroutine %lld:\n%s", (long long)id, report);
	p = strchr(p, '\n');
	cr_assert_not_null(p);
	p++;
	size_t len = strcspn(p, "\n");
	snprintf(out, n, "%.*s", (int)len, p);
}

static void assert_report(const goro_bubble_result *r, const struct want *w)
{
	const char *panic_line = w->status == GORO_BUBBLE_LEAKED
	        ? "panic: deadlock: main bubble goroutine has exited but blocked goroutines remain\n"
	        : "panic: deadlock: all goroutines in bubble are blocked\n";
	cr_assert_eq(r->status, w->status, "bubble status %d, want %d; report:\n%s", r->status,
	             w->status, r->report ? r->report : "(none)");
	cr_assert_not_null(r->report);
	cr_assert(strncmp(r->report, panic_line, strlen(panic_line)) == 0,
	          "report does not start with Go's panic line:\n%s", r->report);
	cr_assert_gt(r->bubble_id, 0);

	char header[128];
	snprintf(header, sizeof header, "[%s (durable), synctest bubble %lld]:\n", w->wait_reason,
	         (long long)r->bubble_id);
	cr_assert_eq(count_substr(r->report, header), w->count,
	             "want %d headers \"%s\"; report:\n%s", w->count, header, r->report);
	if (w->created_by) {
		char created[160];
		snprintf(created, sizeof created, "\ncreated by %s in goroutine ", w->created_by);
		cr_assert_eq(count_substr(r->report, created), w->count,
		             "want %d \"created by %s\"; report:\n%s", w->count, w->created_by,
		             r->report);
	}

	cr_assert_eq(r->nblocked, w->count, "%d blocked goroutines, want %d; report:\n%s",
	             r->nblocked, w->count, r->report);
	for (int i = 0; i < r->nblocked; i++) {
		const goro_bubble_goroutine *g = &r->blocked[i];
		cr_assert_str_eq(g->wait_reason, w->wait_reason, "goroutine %lld waits in \"%s\"",
		                 (long long)g->id, g->wait_reason);
		cr_assert_str_eq(g->start_function, w->function, "goroutine %lld started %s",
		                 (long long)g->id, g->start_function);
		if (w->created_by)
			cr_assert_str_eq(g->created_by, w->created_by,
			                 "goroutine %lld created by %s", (long long)g->id,
			                 g->created_by);
		cr_assert_str_eq(g->function, w->function,
		                 "goroutine %lld: %s on top of the stack; report:\n%s",
		                 (long long)g->id, g->function, r->report);
		/* As in Go's dump: the goroutine's own function is the first frame. */
		char top[256], want_top[160];
		top_frame_of(r->report, g->id, top, sizeof top);
		snprintf(want_top, sizeof want_top, "%s(", w->function);
		cr_assert(strncmp(top, want_top, strlen(want_top)) == 0,
		          "goroutine %lld: first frame \"%s\", want %s...); report:\n%s",
		          (long long)g->id, top, want_top, r->report);
	}
}

/* Runs body in a bubble and checks the article's report; the released
 * goroutines are gone afterwards. */
static void expect_leak(goro_fn body, const struct want *w)
{
	int before = goro_num_goroutine();
	goro_bubble_result r;
	int st = run_bubble(&r, body);
	cr_assert_eq(st, r.status);
	assert_report(&r, w);
	cr_assert_eq(goro_num_goroutine(), before, "released goroutines still counted");
	goro_bubble_result_free(&r);
}

static void expect_ok(goro_fn body)
{
	goro_bubble_result r;
	int st = run_bubble(&r, body);
	cr_assert_eq(st, GORO_BUBBLE_OK, "status %d; report:\n%s", st,
	             r.report ? r.report : "(none)");
	cr_assert_eq(r.status, GORO_BUBBLE_OK);
	cr_assert_null(r.report);
	cr_assert_eq(r.nblocked, 0);
	goro_bubble_result_free(&r);
}

/* ------------------------------------------------------------------ */
/* The article's scenarios (each body is the article's synctest.Test)  */
/* ------------------------------------------------------------------ */

static int ret11(void) { return 11; }
static int ret22(void) { return 22; }
static int ret33(void) { return 33; }
static const int_func three_funcs[] = { ret11, ret22, ret33 };

static void gather_body(void *arg)
{
	gather(three_funcs, 3);
	goro_synctest_wait();
}

static void gather_fixed_body(void *arg)
{
	gather_fixed(three_funcs, 3);
	goro_synctest_wait();
}

/* The article's first test: a caller that reads every result. */
static void gather_sum_body(void *arg)
{
	int *totals = *(int **)arg;
	goro_chan *(*const versions[])(const int_func *, int) = { gather, gather_fixed };
	for (int k = 0; k < 2; k++) {
		goro_chan *out = versions[k](three_funcs, 3);
		for (int i = 0; i < 3; i++) {
			int v;
			goro_chan_recv(out, &v);
			totals[k] += v;
		}
	}
}

Test(article, gather_sum_reads_every_result)
{
	int totals[2] = { 0, 0 };
	goro_bubble_result r;
	cr_assert_eq(goro_synctest_run(&r, gather_sum_body, &(int *){ totals }), GORO_BUBBLE_OK);
	cr_assert_eq(totals[0], 66, "Gather: got %d, want 66", totals[0]);
	cr_assert_eq(totals[1], 66, "GatherFixed: got %d, want 66", totals[1]);
	goro_bubble_result_free(&r);
}

Test(article, gather_leaks)
{
	expect_leak(gather_body, &(struct want){ GORO_BUBBLE_LEAKED, 3, "chan send",
	                                         "gather_func1", "gather" });
}

Test(article, gather_fixed)
{
	expect_ok(gather_fixed_body);
}

static const int four_items[] = { 11, 22, 33, 44 };

static void range_over_chan_body(void *arg)
{
	range_over_chan(four_items, 4, 2);
	goro_synctest_wait();
}

static void range_over_chan_fixed_body(void *arg)
{
	range_over_chan_fixed(four_items, 4, 2);
	goro_synctest_wait();
}

Test(article, range_over_chan_leaks)
{
	expect_leak(range_over_chan_body,
	            &(struct want){ GORO_BUBBLE_LEAKED, 2, "chan receive", "range_over_chan_func1",
	                            "range_over_chan" });
}

Test(article, range_over_chan_fixed)
{
	expect_ok(range_over_chan_fixed_body);
}

static void double_send_body(void *arg)
{
	int *first = arg ? *(int **)arg : NULL;
	int v = -1;
	goro_chan_recv(double_send(), &v);
	if (first)
		*first = v;
	goro_synctest_wait();
}

static void double_send_fixed_body(void *arg)
{
	goro_chan_recv(double_send_fixed(), NULL);
	goro_synctest_wait();
}

Test(article, double_send_leaks)
{
	int first = -1;
	goro_bubble_result r;
	goro_synctest_run(&r, double_send_body, &(int *){ &first });
	assert_report(&r, &(struct want){ GORO_BUBBLE_LEAKED, 1, "chan send", "double_send_func1",
	                                  "double_send" });
	cr_assert_eq(first, 0, "the caller receives the error path's nil first");
	goro_bubble_result_free(&r);
}

Test(article, double_send_fixed)
{
	expect_ok(double_send_fixed_body);
}

static void early_return_body(void *arg)
{
	early_return();
	goro_synctest_wait();
}

static void early_return_fixed_body(void *arg)
{
	early_return_fixed();
	goro_synctest_wait();
}

Test(article, early_return_leaks)
{
	expect_leak(early_return_body, &(struct want){ GORO_BUBBLE_LEAKED, 1, "chan send",
	                                               "early_return_func1", "early_return" });
}

Test(article, early_return_fixed)
{
	expect_ok(early_return_fixed_body);
}

/* ctx, cancel := context.WithCancel(t.Context()); cancel(); Canceled(ctx);
 * time.Sleep(time.Second); synctest.Wait() */
static void canceled_body(void *arg)
{
	void (*const fn)(goro_ctx *) = *(void (*const *)(goro_ctx *))arg;
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_cancel(ctx); // Immediately cancel the context
	fn(ctx);
	goro_sleep(GORO_SECOND); // Give time for operations to settle
	goro_synctest_wait();
	goro_ctx_release(ctx);
}

/*
 * Canceled leaks only when its select takes ctx.Done().  Go keeps the new
 * child in the parent's run queue until the parent blocks, so there it
 * always leaks; goro may start the child at once on an idle worker, and if
 * it reaches its send before the parent's select, the select picks one of
 * the two ready cases at random (Go's rule).  Such a run leaks nothing and
 * its bubble must end cleanly; the test then runs the bubble again.
 */
enum { RACY_TRIES = 50 };

Test(article, canceled_leaks_and_its_second_takes_no_real_time)
{
	void (*fn)(goro_ctx *) = canceled;
	goro_bubble_result r;
	for (int try = 0;; try++) {
		int64_t t0 = goro_now(); /* real time: goroutine 1 is outside any bubble */
		goro_synctest_run(&r, canceled_body, &fn);
		int64_t real = goro_since(t0);
		/* Half the fake second: a real sleep cannot pass, and a loaded
		 * sanitizer run (seen at 111 ms under TSan) does. */
		cr_assert_lt(real, 500 * GORO_MILLISECOND,
		             "the bubble's 1 s sleep took %lld ns of real time", (long long)real);
		if (r.status != GORO_BUBBLE_OK || try == RACY_TRIES)
			break;
		goro_bubble_result_free(&r);
	}
	assert_report(&r, &(struct want){ GORO_BUBBLE_LEAKED, 1, "chan send", "canceled_func1",
	                                  "canceled" });
	goro_bubble_result_free(&r);
}

Test(article, canceled_fixed)
{
	void (*fn)(goro_ctx *) = canceled_fixed;
	goro_bubble_result r;
	cr_assert_eq(goro_synctest_run(&r, canceled_body, &fn), GORO_BUBBLE_OK, "report:\n%s",
	             r.report ? r.report : "");
	goro_bubble_result_free(&r);
}

/* go TakeFirst(nil) // Call in a goroutine to not block the test bubble directly */
static void take_first_nil_body(void *arg)
{
	goro_go(take_first, &(struct take_first_args){ NULL, 0 });
	goro_synctest_wait();
}

static const int three_items[] = { 11, 22, 33 };

static void take_first_items_body(void *arg)
{
	goro_go(take_first, &(struct take_first_args){ three_items, 3 });
	goro_synctest_wait();
}

static void take_first_fixed_body(void *arg)
{
	goro_go(take_first_fixed, &(struct take_first_args){ NULL, 0 });
	goro_go(take_first_fixed, &(struct take_first_args){ three_items, 3 });
	goro_synctest_wait();
}

Test(article, take_first_nil_parent_leaks)
{
	expect_leak(take_first_nil_body, &(struct want){ GORO_BUBBLE_LEAKED, 1, "chan receive",
	                                                 "take_first", "take_first_nil_body" });
}

Test(article, take_first_items_children_leak)
{
	expect_leak(take_first_items_body, &(struct want){ GORO_BUBBLE_LEAKED, 2, "chan send",
	                                                   "take_first_func1", "take_first" });
}

Test(article, take_first_fixed)
{
	expect_ok(take_first_fixed_body);
}

static void orphans_body(void *arg)
{
	orphans();
	goro_synctest_wait();
}

static void orphans_fixed_body(void *arg)
{
	orphans_fixed();
	goro_synctest_wait();
}

Test(article, orphans_leak)
{
	expect_leak(orphans_body, &(struct want){ GORO_BUBBLE_LEAKED, 2, "select", "worker_run",
	                                          "worker_start_func1" });
}

Test(article, orphans_fixed)
{
	expect_ok(orphans_fixed_body);
}

/* ------------------------------------------------------------------ */
/* Fake time                                                           */
/* ------------------------------------------------------------------ */

/* Inside a bubble cr_assert cannot be used (it would end the test from
 * another goroutine); bodies record what they saw in the caller's memory. */

static void walltime_body(void *arg)
{
	**(int64_t **)arg = goro_walltime();
}

Test(fake_time, clock_starts_at_2000_01_01_utc)
{
	int64_t seen = 0;
	cr_assert_eq(goro_synctest_run(NULL, walltime_body, &(int64_t *){ &seen }), GORO_BUBBLE_OK);
	cr_assert_eq(seen, FAKE_EPOCH, "walltime %lld, want %lld", (long long)seen,
	             (long long)FAKE_EPOCH);
}

static void sleep_day_body(void *arg)
{
	int64_t *elapsed = *(int64_t **)arg;
	int64_t t0 = goro_walltime();
	goro_sleep(24 * GORO_HOUR);
	*elapsed = goro_walltime() - t0;
}

Test(fake_time, sleeping_a_day_takes_no_real_time)
{
	int64_t fake = 0;
	int64_t t0 = goro_now();
	cr_assert_eq(goro_synctest_run(NULL, sleep_day_body, &(int64_t *){ &fake }), GORO_BUBBLE_OK);
	int64_t real = goro_since(t0);
	cr_assert_eq(fake, 24 * GORO_HOUR, "fake clock moved %lld ns", (long long)fake);
	cr_assert_lt(real, GORO_SECOND, "24 fake hours took %lld ns of real time", (long long)real);
}

struct sleeper_args {
	goro_chan *order;
	int seconds;
};

static void sleeper(void *arg)
{
	const struct sleeper_args *a = arg;
	goro_sleep(a->seconds * GORO_SECOND);
	goro_chan_send(a->order, &a->seconds);
}

struct order_report {
	int woke[3];        /* which sleeper woke k-th */
	int64_t at[3];      /* fake time since start when it was received */
	int64_t fired[3];   /* the timers' fired instants, since start */
	int timer_order[3]; /* which timer fired k-th (10, 20, 30 ms) */
};

static void deadline_order_body(void *arg)
{
	struct order_report *rep = *(struct order_report **)arg;
	int64_t t0 = goro_now();
	goro_chan *order = goro_chan_new(int, 3);
	const int secs[] = { 3, 1, 2 };
	for (int i = 0; i < 3; i++)
		goro_go(sleeper, &(struct sleeper_args){ order, secs[i] });
	for (int k = 0; k < 3; k++) {
		goro_chan_recv(order, &rep->woke[k]);
		rep->at[k] = goro_since(t0);
	}

	t0 = goro_now();
	const int ms[] = { 30, 10, 20 };
	goro_timer *t[3];
	goro_case cases[3];
	int64_t when[3];
	for (int i = 0; i < 3; i++) {
		t[i] = goro_timer_new(ms[i] * GORO_MILLISECOND);
		cases[i] = GORO_RECV(goro_timer_chan(t[i]), &when[i]);
	}
	for (int k = 0; k < 3; k++) {
		int i = goro_select(cases, 3, false);
		rep->timer_order[k] = ms[i];
		rep->fired[k] = when[i] - t0;
		cases[i].chan = NULL; /* received; never ready again */
	}
	for (int i = 0; i < 3; i++)
		goro_timer_free(t[i]);
}

Test(fake_time, timers_fire_in_deadline_order)
{
	struct order_report rep = { 0 };
	cr_assert_eq(goro_synctest_run(NULL, deadline_order_body, &(struct order_report *){ &rep }),
	             GORO_BUBBLE_OK);
	for (int k = 0; k < 3; k++) {
		cr_assert_eq(rep.woke[k], k + 1, "sleeper %d woke as #%d", rep.woke[k], k + 1);
		cr_assert_eq(rep.at[k], (k + 1) * GORO_SECOND, "#%d received at %lld ns", k + 1,
		             (long long)rep.at[k]);
		cr_assert_eq(rep.timer_order[k], 10 * (k + 1), "timer %d ms fired as #%d",
		             rep.timer_order[k], k + 1);
		cr_assert_eq(rep.fired[k], 10 * (k + 1) * GORO_MILLISECOND,
		             "timer #%d fired at %lld ns", k + 1, (long long)rep.fired[k]);
	}
}

struct same_instant_report {
	int64_t fired[2]; /* since start */
	int64_t now;      /* since start, after both */
};

static void same_instant_body(void *arg)
{
	struct same_instant_report *rep = *(struct same_instant_report **)arg;
	int64_t t0 = goro_now();
	goro_timer *a = goro_timer_new(5 * GORO_SECOND);
	goro_timer *b = goro_timer_new(5 * GORO_SECOND);
	int64_t when;
	goro_chan_recv(goro_timer_chan(a), &when);
	rep->fired[0] = when - t0;
	goro_chan_recv(goro_timer_chan(b), &when);
	rep->fired[1] = when - t0;
	rep->now = goro_since(t0);
	goro_timer_free(a);
	goro_timer_free(b);
}

Test(fake_time, timers_due_at_the_same_instant_both_fire)
{
	struct same_instant_report rep = { { -1, -1 }, -1 };
	cr_assert_eq(goro_synctest_run(NULL, same_instant_body,
	                               &(struct same_instant_report *){ &rep }),
	             GORO_BUBBLE_OK);
	cr_assert_eq(rep.fired[0], 5 * GORO_SECOND);
	cr_assert_eq(rep.fired[1], 5 * GORO_SECOND);
	cr_assert_eq(rep.now, 5 * GORO_SECOND, "the clock moved past the shared instant");
}

/* `go Sleep(1); Sleep(1)`: both timers are due at one instant, and all of
 * them fire before the bubble is judged again.  Firing one at a time let
 * the root finish first, leaving the other sleeper (with a timer due now)
 * reported as a leak. */
static atomic_int other_slept;

static void sleep_1ns(void *arg)
{
	goro_sleep(1);
	atomic_store(&other_slept, 1);
}

static void two_sleepers_body(void *arg)
{
	goro_go(sleep_1ns, &(int){ 0 });
	goro_sleep(1);
}

Test(fake_time, two_sleepers_of_one_instant_are_no_deadlock)
{
	for (int i = 0; i < 200; i++) {
		goro_bubble_result res;
		int st = goro_synctest_run(&res, two_sleepers_body, &(int){ 0 });
		cr_assert_eq(st, GORO_BUBBLE_OK, "run %d: %s", i, res.report ? res.report : "");
		goro_bubble_result_free(&res);
	}
}

/* ... and Wait does not return before the other sleeper has run. */
static void sleep_then_wait_body(void *arg)
{
	int *saw = *(int **)arg;
	atomic_store(&other_slept, 0);
	goro_go(sleep_1ns, &(int){ 0 });
	goro_sleep(1);
	goro_synctest_wait();
	*saw = atomic_load(&other_slept);
}

Test(synctest_wait, waits_for_a_sleeper_due_at_the_same_instant)
{
	for (int i = 0; i < 200; i++) {
		int saw = -1;
		cr_assert_eq(goro_synctest_run(NULL, sleep_then_wait_body, &(int *){ &saw }),
		             GORO_BUBBLE_OK);
		cr_assert_eq(saw, 1, "run %d: Wait returned before the other sleeper ran", i);
	}
}

/* The example of Go's testing/synctest documentation. */
struct timeout_seen {
	int before, at; /* ctx error just before and at the timeout */
	int after_full_sleep;
};

static void docs_example_body(void *arg)
{
	struct timeout_seen *seen = *(struct timeout_seen **)arg;
	const goro_duration timeout = 5 * GORO_SECOND;
	goro_ctx *ctx = goro_with_timeout(goro_background(), timeout);
	goro_sleep(timeout - 1);
	goro_synctest_wait();
	seen->before = goro_ctx_err(ctx);
	goro_sleep(1);
	goro_synctest_wait();
	seen->at = goro_ctx_err(ctx);
	goro_ctx_release(ctx);
	/* The shorter form: Sleep the whole timeout, then Wait. */
	ctx = goro_with_timeout(goro_background(), timeout);
	goro_sleep(timeout);
	goro_synctest_wait();
	seen->after_full_sleep = goro_ctx_err(ctx);
	goro_ctx_release(ctx);
}

Test(fake_time, the_synctest_docs_context_example)
{
	for (int i = 0; i < 200; i++) {
		struct timeout_seen seen = { -1, -1, -1 };
		cr_assert_eq(goro_synctest_run(NULL, docs_example_body, &(struct timeout_seen *){ &seen }),
		             GORO_BUBBLE_OK);
		cr_assert_eq(seen.before, 0, "run %d: done before the timeout", i);
		cr_assert_eq(seen.at, GORO_DEADLINE_EXCEEDED, "run %d: not done at the timeout", i);
		cr_assert_eq(seen.after_full_sleep, GORO_DEADLINE_EXCEEDED,
		             "run %d: Sleep(timeout); Wait left the context live", i);
	}
}

/* A timer due at the current instant runs at once in a bubble, even while
 * the root keeps running (it never blocks, so the bubble never idles). */
static atomic_int after_func_ran;

static void mark_after_func(void *arg)
{
	atomic_store(&after_func_ran, 1);
}

struct busy_root_seen {
	int ran;          /* AfterFunc(0) ran while the root spun */
	int timer_ready;  /* NewTimer(0)'s channel had its value at once */
	int reset_ready;  /* and again after Reset(0) */
	int len, cap;     /* of a timer channel */
};

static void busy_root_body(void *arg)
{
	struct busy_root_seen *seen = *(struct busy_root_seen **)arg;
	atomic_store(&after_func_ran, 0);
	goro_timer *f = goro_after_func(0, mark_after_func, &(int){ 0 });
	for (int i = 0; i < 1000000 && !atomic_load(&after_func_ran); i++)
		goro_yield();
	seen->ran = atomic_load(&after_func_ran);
	goro_timer *t = goro_timer_new(0);
	int64_t v = 0;
	seen->timer_ready = goro_chan_tryrecv(goro_timer_chan(t), &v) == GORO_OK && v == goro_now();
	goro_timer_reset(t, 0);
	seen->reset_ready = goro_chan_tryrecv(goro_timer_chan(t), &v) == GORO_OK;
	goro_timer_reset(t, GORO_SECOND);
	goro_sleep(2 * GORO_SECOND);
	seen->len = (int)goro_chan_len(goro_timer_chan(t));
	seen->cap = (int)goro_chan_cap(goro_timer_chan(t));
	goro_timer_free(t);
	goro_timer_free(f);
}

Test(fake_time, timers_due_now_run_while_the_root_keeps_running)
{
	for (int i = 0; i < 50; i++) {
		struct busy_root_seen seen = { -1, -1, -1, -1, -1 };
		cr_assert_eq(goro_synctest_run(NULL, busy_root_body, &(struct busy_root_seen *){ &seen }),
		             GORO_BUBBLE_OK);
		cr_assert_eq(seen.ran, 1, "AfterFunc(0) did not run while the root ran");
		cr_assert_eq(seen.timer_ready, 1, "NewTimer(0)'s channel was empty");
		cr_assert_eq(seen.reset_ready, 1, "Reset(0)'s value was not there at once");
		cr_assert(seen.len == 0 && seen.cap == 0, "timer channel len %d cap %d", seen.len,
		          seen.cap);
	}
}

/* Ports of internal/synctest's timer tests.  Bodies count what went
 * wrong in go_errors (goroutines never call cr_assert). */
static atomic_int go_errors;

static void go_timer_ran_in_past_body(void *arg)
{
	goro_duration delay = GORO_SECOND;
	int64_t want = goro_now() + delay;
	goro_timer *tm = goro_timer_new(delay);
	goro_sleep(2 * delay);
	int64_t got = 0;
	if (goro_chan_tryrecv(goro_timer_chan(tm), &got) != GORO_OK || got != want)
		atomic_fetch_add(&go_errors, 1);
	goro_timer_free(tm);
}

struct reset_zero_args {
	goro_timer *timer;
	goro_ctx *ctx;
};

static void reset_zero_reader(void *arg)
{
	const struct reset_zero_args *a = arg;
	for (;;) {
		goro_case k[] = { GORO_RECV(goro_ctx_done(a->ctx), NULL),
		                  GORO_RECV(goro_timer_chan(a->timer), NULL) };
		if (goro_select(k, 2, false) == 0)
			return;
	}
}

static void go_timer_reset_zero_body(void *arg)
{
	goro_timer *timer = goro_timer_new(0);
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_go(reset_zero_reader, &(struct reset_zero_args){ timer, ctx });
	goro_synctest_wait();
	goro_timer_reset(timer, 0);
	goro_synctest_wait();
	goro_cancel(ctx);
	goro_synctest_wait();
	goro_ctx_release(ctx);
}

static int time_after_i;

static void time_after_inner(void *arg)
{
	goro_sleep(GORO_SECOND);
	time_after_i++;
}

static void time_after_func(void *arg)
{
	time_after_i++;
	goro_go(time_after_inner, &(int){ 0 });
}

static void go_time_after_body(void *arg)
{
	time_after_i = 0;
	goro_after_func(GORO_SECOND, time_after_func, &(int){ 0 });
	goro_sleep(3 * GORO_SECOND);
	goro_synctest_wait();
	if (time_after_i != 2)
		atomic_fetch_add(&go_errors, 1);
}

static void go_timer_nondeterminism_body(void *arg)
{
	bool seen[2] = { false, false };
	for (int i = 0; i < 1000 && !(seen[0] && seen[1]); i++) {
		goro_timer *t1 = goro_timer_new(1), *t2 = goro_timer_new(1);
		goro_case k[] = { GORO_RECV(goro_timer_chan(t1), NULL),
		                  GORO_RECV(goro_timer_chan(t2), NULL) };
		seen[goro_select(k, 2, false)] = true;
		goro_synctest_wait();
		goro_timer_free(t1);
		goro_timer_free(t2);
	}
	if (!(seen[0] && seen[1]))
		atomic_fetch_add(&go_errors, 1);
}

/* TestSleepNondeterminism: two goroutines sleeping to one instant wake
 * in either order. */
static atomic_int sleep_first;

static void sleep_then_claim(void *arg)
{
	goro_sleep(1);
	int none = -1;
	atomic_compare_exchange_strong(&sleep_first, &none, *(int *)arg);
}

static void go_sleep_nondeterminism_body(void *arg)
{
	bool seen[2] = { false, false };
	for (int i = 0; i < 1000 && !(seen[0] && seen[1]); i++) {
		atomic_store(&sleep_first, -1);
		goro_go(sleep_then_claim, &(int){ 0 });
		goro_go(sleep_then_claim, &(int){ 1 });
		goro_sleep(2);
		goro_synctest_wait();
		int f = atomic_load(&sleep_first);
		if (f < 0) {
			atomic_fetch_add(&go_errors, 1);
			return;
		}
		seen[f] = true;
	}
	if (!(seen[0] && seen[1]))
		atomic_fetch_add(&go_errors, 1);
}

Test(go_synctest, timer_tests) /* TestTimerRanInPast, TestTimerResetZeroDoNotHang,
                                  TestTimeAfter, TestTimer/SleepNondeterminism */
{
	for (int i = 0; i < 20; i++) {
		atomic_store(&go_errors, 0);
		goro_fn bodies[] = { go_timer_ran_in_past_body, go_timer_reset_zero_body,
		                     go_time_after_body, go_timer_nondeterminism_body,
		                     go_sleep_nondeterminism_body };
		for (int b = 0; b < 5; b++) {
			goro_bubble_result res;
			int st = goro_synctest_run(&res, bodies[b], &(int){ 0 });
			cr_assert_eq(st, GORO_BUBBLE_OK, "body %d: %s", b, res.report ? res.report : "");
			goro_bubble_result_free(&res);
			cr_assert_eq(atomic_load(&go_errors), 0, "body %d failed", b);
		}
	}
}

/* TestTimerFromOutsideBubble: an unbubbled timer read inside a bubble. */
static void read_outside_timer(void *arg)
{
	goro_chan_recv(goro_timer_chan(*(goro_timer **)arg), NULL);
}

Test(go_synctest, TestTimerFromOutsideBubble)
{
	goro_timer *tm = goro_timer_new(10 * GORO_MILLISECOND);
	cr_assert_eq(goro_synctest_run(NULL, read_outside_timer, &tm), GORO_BUBBLE_OK);
	cr_assert_not(goro_timer_stop(tm), "Run returned before the timer fired");
	goro_timer_free(tm);
}

struct tick_counter_args {
	goro_ticker *ticker;
	goro_chan *stop;   /* closed by the root */
	goro_chan *result; /* receives the count */
};

static void tick_counter(void *arg)
{
	const struct tick_counter_args *a = arg;
	int ticks = 0;
	for (;;) {
		goro_case cases[] = {
			GORO_RECV(goro_ticker_chan(a->ticker), NULL),
			GORO_RECV(a->stop, NULL),
		};
		if (goro_select(cases, 2, false) == 1)
			break;
		ticks++;
	}
	goro_chan_send(a->result, &ticks);
}

static void ticker_body(void *arg)
{
	int *ticks = *(int **)arg;
	goro_ticker *t = goro_ticker_new(GORO_SECOND);
	goro_chan *stop = goro_chan_make(0, 0);
	goro_chan *result = goro_chan_new(int, 0);
	goro_go(tick_counter, &(struct tick_counter_args){ t, stop, result });
	goro_sleep(10 * GORO_SECOND + GORO_SECOND / 2);
	goro_ticker_stop(t);
	goro_chan_close(stop);
	goro_chan_recv(result, ticks);
	goro_ticker_free(t);
}

Test(fake_time, a_ticker_ticks_n_times_in_n_periods)
{
	int ticks = -1;
	cr_assert_eq(goro_synctest_run(NULL, ticker_body, &(int *){ &ticks }), GORO_BUBBLE_OK);
	cr_assert_eq(ticks, 10, "%d ticks in 10.5 periods", ticks);
}

struct ctx_deadline_report {
	int err_before; /* goro_ctx_err just before the deadline */
	int err_after;
	int64_t done_at; /* since start */
};

static void ctx_deadline_body(void *arg)
{
	struct ctx_deadline_report *rep = *(struct ctx_deadline_report **)arg;
	int64_t t0 = goro_now();
	goro_ctx *ctx = goro_with_timeout(goro_background(), 5 * GORO_SECOND);
	goro_sleep(5 * GORO_SECOND - 1);
	rep->err_before = goro_ctx_err(ctx);
	goro_chan_recv(goro_ctx_done(ctx), NULL);
	rep->done_at = goro_since(t0);
	rep->err_after = goro_ctx_err(ctx);
	goro_ctx_release(ctx);
}

Test(fake_time, context_deadlines_expire_on_the_fake_clock)
{
	struct ctx_deadline_report rep = { -1, -1, -1 };
	cr_assert_eq(goro_synctest_run(NULL, ctx_deadline_body,
	                               &(struct ctx_deadline_report *){ &rep }),
	             GORO_BUBBLE_OK);
	cr_assert_eq(rep.err_before, 0);
	cr_assert_eq(rep.err_after, GORO_DEADLINE_EXCEEDED, "err %d", rep.err_after);
	cr_assert_eq(rep.done_at, 5 * GORO_SECOND, "done after %lld ns", (long long)rep.done_at);
}

/* ------------------------------------------------------------------ */
/* synctest.Wait                                                       */
/* ------------------------------------------------------------------ */

struct busy_args {
	atomic_int *steps;
	goro_chan *release;
};

/* Runs a while (yielding, so the root gets every chance to run), then
 * blocks durably on release. */
static void busy_then_block(void *arg)
{
	const struct busy_args *a = arg;
	for (int i = 0; i < 100; i++) {
		atomic_fetch_add(a->steps, 1);
		goro_yield();
	}
	goro_chan_recv(a->release, NULL);
}

struct wait_report {
	atomic_int steps;
	int steps_at_wait; /* when goro_synctest_wait returned */
	int64_t slept;     /* fake time that passed during the wait */
};

static void wait_body(void *arg)
{
	struct wait_report *rep = *(struct wait_report **)arg;
	goro_chan *release = goro_chan_make(0, 0);
	goro_go(busy_then_block, &(struct busy_args){ &rep->steps, release });
	goro_go(busy_then_block, &(struct busy_args){ &rep->steps, release });
	goro_go(sleeper, &(struct sleeper_args){ goro_chan_new(int, 1), 3600 });
	int64_t t0 = goro_now();
	goro_synctest_wait();
	rep->steps_at_wait = atomic_load(&rep->steps);
	rep->slept = goro_since(t0);
	goro_chan_close(release);
	/* Time stops once the root has returned (Go): outlive the sleeper. */
	goro_sleep(2 * GORO_HOUR);
}

Test(synctest_wait, returns_once_every_other_goroutine_is_durably_blocked)
{
	struct wait_report rep = { .steps = 0, .steps_at_wait = -1, .slept = -1 };
	cr_assert_eq(goro_synctest_run(NULL, wait_body, &(struct wait_report *){ &rep }),
	             GORO_BUBBLE_OK);
	cr_assert_eq(rep.steps_at_wait, 200, "Wait returned after %d of 200 steps",
	             rep.steps_at_wait);
	/* Go's order: a pending Wait returns before time may advance. */
	cr_assert_eq(rep.slept, 0, "the clock moved %lld ns during Wait", (long long)rep.slept);
}

/* ------------------------------------------------------------------ */
/* Misuse (each in a fresh process: it ends the process)               */
/* ------------------------------------------------------------------ */

static void sc_wait_outside_bubble(void)
{
	goro_synctest_wait();
}

static void wait_child(void *arg)
{
	goro_synctest_wait();
}

/* Whichever of the two calls Wait second finds the first still pending:
 * neither can return while the other goroutine has not blocked yet. */
static void wait_twice_body(void *arg)
{
	goro_go0(wait_child);
	goro_synctest_wait();
}

static void sc_wait_twice(void)
{
	run_bubble(NULL, wait_twice_body);
}

static void nested_body(void *arg)
{
	run_bubble(NULL, walltime_body);
}

static void sc_nested_bubble(void)
{
	run_bubble(NULL, nested_body);
}

struct smuggle_args {
	goro_chan *out;  /* made outside: carries the bubbled channel out */
	goro_chan *hold; /* made outside: keeps the root blocked, not durably */
};

static void smuggle_body(void *arg)
{
	const struct smuggle_args *a = arg;
	goro_chan *ch = goro_chan_new(int, 1);
	goro_chan_send(a->out, &ch);
	goro_chan_recv(a->hold, NULL);
}

static void smuggle_runner(void *arg)
{
	goro_synctest_run(NULL, smuggle_body, (const struct smuggle_args *)arg);
}

static void sc_bubbled_chan_from_outside(void)
{
	struct smuggle_args a = { goro_chan_new(goro_chan *, 1), goro_chan_new(int, 0) };
	goro_go(smuggle_runner, &a);
	goro_chan *ch;
	goro_chan_recv(a.out, &ch);
	goro_send(ch, 1);
	fprintf(stderr, "survived a send on a bubbled channel\n");
}

static void sc_bubbled_chan_closed_from_outside(void)
{
	struct smuggle_args a = { goro_chan_new(goro_chan *, 1), goro_chan_new(int, 0) };
	goro_go(smuggle_runner, &a);
	goro_chan *ch;
	goro_chan_recv(a.out, &ch);
	goro_chan_close(ch);
	fprintf(stderr, "survived a close of a bubbled channel\n");
}

DEATH_SCENARIOS({ "bubbled_chan_closed_from_outside", sc_bubbled_chan_closed_from_outside },
                { "wait_outside_bubble", sc_wait_outside_bubble },
                { "wait_twice", sc_wait_twice },
                { "nested_bubble", sc_nested_bubble },
                { "bubbled_chan_from_outside", sc_bubbled_chan_from_outside });

Test(synctest_misuse, wait_outside_a_bubble_panics)
{
	struct death d;
	death_run("wait_outside_bubble", &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: goroutine is not in a bubble");
}

Test(synctest_misuse, a_second_concurrent_wait_panics)
{
	struct death d;
	death_run("wait_twice", &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: wait already in progress");
}

Test(synctest_misuse, a_bubble_inside_a_bubble_panics)
{
	struct death d;
	death_run("nested_bubble", &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: synctest.Run called from within a synctest bubble");
}

Test(synctest_misuse, a_bubbled_channel_used_from_outside_is_fatal)
{
	struct death d;
	death_run("bubbled_chan_from_outside", &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(&d, "fatal error: send on synctest channel from outside bubble");
	death_assert_stderr_lacks(&d, "survived");
}

/* ------------------------------------------------------------------ */
/* Deadlock of the root itself                                         */
/* ------------------------------------------------------------------ */

static void root_blocks_forever(void *arg)
{
	goro_chan *never = goro_chan_new(int, 0);
	goro_chan_recv(never, NULL);
}

Test(synctest_deadlock, a_root_blocked_forever_is_reported)
{
	int before = goro_num_goroutine();
	goro_bubble_result r;
	cr_assert_eq(run_bubble(&r, root_blocks_forever), GORO_BUBBLE_DEADLOCK);
	assert_report(&r, &(struct want){ GORO_BUBBLE_DEADLOCK, 1, "chan receive",
	                                  "root_blocks_forever", NULL });
	cr_assert_eq(goro_num_goroutine(), before);
	goro_bubble_result_free(&r);
}

/* ------------------------------------------------------------------ */
/* Cleanups                                                            */
/* ------------------------------------------------------------------ */

struct cleanup_log {
	int n;
	int order[4];        /* cleanup tags, in the order they ran */
	int64_t bubble[4];   /* goro_synctest_bubble() in each */
};

struct cleanup_rec {
	struct cleanup_log *log;
	int tag;
};

static void record_cleanup(void *arg)
{
	struct cleanup_rec *c = arg;
	c->log->order[c->log->n] = c->tag;
	c->log->bubble[c->log->n] = goro_synctest_bubble();
	c->log->n++;
}

/* Registers cleanups 1 and 2 (their records live in tracked memory, as
 * the body's frame is gone when they run), then does `then`. */
static void register_two_cleanups(struct cleanup_log *log)
{
	for (int tag = 1; tag <= 2; tag++) {
		struct cleanup_rec *c = goro_new(struct cleanup_rec);
		c->log = log;
		c->tag = tag;
		goro_synctest_cleanup(record_cleanup, c);
	}
}

static void cleanup_ok_body(void *arg)
{
	register_two_cleanups(*(struct cleanup_log **)arg);
}

static void cleanup_leak_body(void *arg)
{
	register_two_cleanups(*(struct cleanup_log **)arg);
	gather(three_funcs, 3);
}

static void cleanup_deadlock_body(void *arg)
{
	register_two_cleanups(*(struct cleanup_log **)arg);
	root_blocks_forever(NULL);
}

static void assert_cleanups_ran(goro_fn body, int want_status)
{
	struct cleanup_log log = { 0 };
	goro_bubble_result r;
	cr_assert_eq(goro_synctest_run(&r, body, &(struct cleanup_log *){ &log }), want_status);
	cr_assert_eq(log.n, 2, "%d cleanups ran before run returned", log.n);
	cr_assert_eq(log.order[0], 2, "cleanups run last registered first");
	cr_assert_eq(log.order[1], 1);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(log.bubble[i], r.bubble_id, "cleanup %d ran in bubble %lld, want %lld",
		             log.order[i], (long long)log.bubble[i], (long long)r.bubble_id);
	cr_assert_neq(r.bubble_id, 0);
	goro_bubble_result_free(&r);
	cr_assert_eq(goro_synctest_bubble(), 0, "the caller is outside every bubble");
}

Test(synctest_cleanup, runs_inside_the_bubble_before_run_returns)
{
	assert_cleanups_ran(cleanup_ok_body, GORO_BUBBLE_OK);
}

Test(synctest_cleanup, runs_after_a_leak_is_reported)
{
	assert_cleanups_ran(cleanup_leak_body, GORO_BUBBLE_LEAKED);
}

Test(synctest_cleanup, runs_after_the_root_deadlocks)
{
	assert_cleanups_ran(cleanup_deadlock_body, GORO_BUBBLE_DEADLOCK);
}

/* ------------------------------------------------------------------ */
/* Mutex waits are not durable                                         */
/* ------------------------------------------------------------------ */

struct mutex_args {
	goro_mutex *m;       /* held by goroutine 1, outside the bubble */
	atomic_bool *locked; /* the bubbled goroutine got the mutex */
	bool *seen_at_wait;  /* *locked when goro_synctest_wait returned */
	goro_chan *status;   /* the bubble's outcome */
};

static void lock_outside_mutex(void *arg)
{
	const struct mutex_args *a = arg;
	goro_mutex_lock(a->m);
	atomic_store(a->locked, true);
	goro_mutex_unlock(a->m);
}

static void mutex_body(void *arg)
{
	const struct mutex_args *a = arg;
	goro_go(lock_outside_mutex, a);
	goro_synctest_wait();
	*a->seen_at_wait = atomic_load(a->locked);
}

static void mutex_runner(void *arg)
{
	const struct mutex_args *a = arg;
	int st = goro_synctest_run(NULL, mutex_body, a);
	goro_chan_send(a->status, &st);
}

/*
 * A goroutine of the bubble waits for a mutex goroutine 1 holds.  Were the
 * wait durable, Wait would return at once and the bubble would end as a
 * leak; as it is not, the bubble stays busy until the real-time unlock.
 * Either way the test ends: goroutine 1 unlocks after 50 ms.
 */
Test(synctest_mutex, a_mutex_wait_is_not_durable)
{
	goro_mutex m = { 0 };
	atomic_bool locked = false;
	bool seen = false;
	goro_chan *status = goro_chan_new(int, 0);
	goro_mutex_lock(&m);
	goro_go(mutex_runner, &(struct mutex_args){ &m, &locked, &seen, status });
	goro_sleep(50 * GORO_MILLISECOND);
	goro_mutex_unlock(&m);
	int st = -1;
	goro_chan_recv(status, &st);
	cr_assert_eq(st, GORO_BUBBLE_OK, "bubble status %d", st);
	cr_assert(seen, "Wait returned while a bubble goroutine waited for a mutex");
}

/* ------------------------------------------------------------------ */
/* Many bubbles at once                                                */
/* ------------------------------------------------------------------ */

enum { PAR_RUNNERS = 4, PAR_ROUNDS = 50 };

struct par_args {
	int seed;
	atomic_int *failures;
	int64_t *ids; /* PAR_ROUNDS * 3 bubble ids of this runner */
	goro_waitgroup *wg;
};

/* Sleeps a runner-specific time: clocks of concurrent bubbles must not
 * leak into each other. */
static void par_sleep_body(void *arg)
{
	int seconds = **(int **)arg;
	int64_t t0 = goro_walltime();
	goro_sleep(seconds * GORO_SECOND);
	**(int **)arg = t0 == FAKE_EPOCH && goro_walltime() - t0 == seconds * GORO_SECOND;
}

static bool leak_is_gather(const goro_bubble_result *r)
{
	if (r->status != GORO_BUBBLE_LEAKED || r->nblocked != 3 || !r->report)
		return false;
	for (int i = 0; i < 3; i++)
		if (strcmp(r->blocked[i].start_function, "gather_func1") != 0 ||
		    strcmp(r->blocked[i].wait_reason, "chan send") != 0)
			return false;
	return true;
}

static void par_runner(void *arg)
{
	const struct par_args *a = arg;
	for (int i = 0; i < PAR_ROUNDS; i++) {
		goro_bubble_result r;
		goro_synctest_run(&r, gather_body, &(char){ 0 });
		if (!leak_is_gather(&r))
			atomic_fetch_add(a->failures, 1);
		a->ids[3 * i] = r.bubble_id;
		goro_bubble_result_free(&r);

		if (goro_synctest_run(&r, gather_fixed_body, &(char){ 0 }) != GORO_BUBBLE_OK)
			atomic_fetch_add(a->failures, 1);
		a->ids[3 * i + 1] = r.bubble_id;

		int slept = a->seed + i % 7;
		if (goro_synctest_run(&r, par_sleep_body, &(int *){ &slept }) != GORO_BUBBLE_OK ||
		    !slept)
			atomic_fetch_add(a->failures, 1);
		a->ids[3 * i + 2] = r.bubble_id;
	}
	goro_waitgroup_done(a->wg);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

Test(synctest_parallel, many_bubbles_from_several_goroutines)
{
	atomic_int failures = 0;
	static int64_t ids[PAR_RUNNERS * PAR_ROUNDS * 3];
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, PAR_RUNNERS);
	for (int k = 0; k < PAR_RUNNERS; k++)
		goro_go(par_runner, &(struct par_args){ k + 1, &failures, &ids[k * PAR_ROUNDS * 3],
		                                        &wg });
	goro_waitgroup_wait(&wg);
	cr_assert_eq(atomic_load(&failures), 0, "%d bubbles went wrong", atomic_load(&failures));
	size_t n = sizeof ids / sizeof ids[0];
	qsort(ids, n, sizeof ids[0], cmp_id);
	for (size_t i = 0; i < n; i++) {
		cr_assert_gt(ids[i], 0);
		if (i)
			cr_assert_neq(ids[i], ids[i - 1], "two bubbles share id %lld", (long long)ids[i]);
	}
}

/* ------------------------------------------------------------------ */
/* Released goroutines give their memory back                          */
/* ------------------------------------------------------------------ */

static void run_leaky_gathers(int n)
{
	for (int i = 0; i < n; i++) {
		goro_bubble_result r;
		int st = goro_synctest_run(&r, gather_body, &(char){ 0 });
		cr_assert_eq(st, GORO_BUBBLE_LEAKED, "run %d: status %d", i, st);
		cr_assert_eq(r.nblocked, 3, "run %d", i);
		goro_bubble_result_free(&r);
	}
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1 /* gcc's names */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1 /* clang's */
#endif
#endif

/* 10,000 leaky bubbles leave 30,000 released goroutines behind: were
 * their stacks (or the bubbles, the reports, the channels) kept, the
 * resident set would grow by well over 100 MiB. */
Test(synctest_memory, ten_thousand_leaky_bubbles_do_not_grow_memory)
{
#ifdef UNDER_SANITIZER
	/* The sanitizers keep freed memory in quarantine (up to 256 MiB). */
	cr_skip_test("RSS says nothing under a sanitizer");
#endif
	int goroutines = goro_num_goroutine();
	run_leaky_gathers(500); /* warm up caches and free lists */
	long before = resident_bytes();
	run_leaky_gathers(10000);
	long growth = resident_bytes() - before;
	cr_assert_lt(growth, 8L << 20, "RSS grew by %ld KiB over 10,000 bubbles", growth >> 10);
	cr_assert_eq(goro_num_goroutine(), goroutines, "released goroutines still counted");
}

Test(synctest_misuse, a_bubbled_channel_closed_from_outside_is_fatal)
{
	struct death d;
	death_run("bubbled_chan_closed_from_outside", &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(&d, "fatal error: close of synctest channel from outside bubble");
	death_assert_stderr_lacks(&d, "survived");
}
