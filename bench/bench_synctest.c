/*
 * bench_synctest.c — synctest bubbles (issue 5): a small bubble, a bubble
 * of fake-clock sleeps, and the time to report the article's Gather leak.
 * Go counterparts: bench/go/synctestbench (synctest.Test needs a
 * *testing.T, so they run in a `go test -c` binary).
 */
#include "gather.h"
#include "harness.h"

/* ---- synctest_small: 10 goroutines send 100 messages to the root ---- */

#define SMALL_SENDERS 10
#define SMALL_PER_SENDER 10

struct small_sender_arg {
	goro_chan *ch;
};

static void small_sender(void *p)
{
	struct small_sender_arg *a = p;
	for (int i = 0; i < SMALL_PER_SENDER; i++)
		goro_chan_send(a->ch, &i);
}

/* The root hands its channel back: it may only be freed once the bubble
 * is over, as a sender can still be inside its last send. */
struct small_root_arg {
	goro_chan **ch;
};

static void small_root(void *p)
{
	struct small_root_arg *a = p;
	goro_chan *ch = goro_chan_new(int, 0);
	int v;

	*a->ch = ch;
	for (int i = 0; i < SMALL_SENDERS; i++)
		goro_go(small_sender, &(struct small_sender_arg){ .ch = ch });
	for (int i = 0; i < SMALL_SENDERS * SMALL_PER_SENDER; i++)
		goro_chan_recv(ch, &v);
}

static void run_bubble(const char *row, goro_fn root, const void *arg,
                       size_t argsize)
{
	int st = goro_synctest_run_(root, arg, argsize, NULL);
	if (st != GORO_BUBBLE_OK)
		bench_fail(row, "bubble ended with status %d", st);
}

/* µs per bubble, creation to teardown. */
static double small_rep(long bubbles)
{
	int64_t t0 = bench_now_ns();
	for (long b = 0; b < bubbles; b++) {
		goro_chan *ch = NULL;
		struct small_root_arg a = { .ch = &ch };
		run_bubble("synctest_small", small_root, &a, sizeof a);
		goro_chan_free(ch);
	}
	return bench_us_since(t0) / (double)bubbles;
}

static void row_synctest_small(const bench_opts *o)
{
	long bubbles = bench_size(o, 500, 5);
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = small_rep(bubbles);
	bench_emit("synctest_small", "us", s, o->reps, NULL);
}

/* ---- synctest_timers: goroutines sleep 1000 fake intervals ---- */

#define TIMER_SLEEPERS 10
#define TIMER_INTERVALS 1000

static void timer_sleeper(void *p)
{
	(void)p;
	for (int i = 0; i < TIMER_INTERVALS; i++)
		goro_sleep(GORO_MILLISECOND);
}

/* Every sleeper asleep is the moment the fake clock jumps ahead. */
static void timers_root(void *p)
{
	goro_waitgroup wg = { 0 };
	(void)p;
	for (int i = 0; i < TIMER_SLEEPERS; i++)
		goro_waitgroup_go_(&wg, timer_sleeper, NULL, 0);
	goro_waitgroup_wait(&wg);
}

static double timers_rep(long bubbles)
{
	int64_t t0 = bench_now_ns();
	for (long b = 0; b < bubbles; b++)
		run_bubble("synctest_timers", timers_root, NULL, 0);
	return bench_us_since(t0) / (double)bubbles;
}

static void row_synctest_timers(const bench_opts *o)
{
	long bubbles = bench_size(o, 5, 1);
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = timers_rep(bubbles);
	bench_emit("synctest_timers", "us", s, o->reps, NULL);
}

/* ---- synctest_leak_report: the article's failing synctest test ---- */

static void leak_root(void *p)
{
	(void)p;
	gather_three();
	goro_synctest_wait();
}

/* µs until goro_synctest_run returns the leak report. */
static double leak_report_rep(void)
{
	goro_bubble_result res = { 0 };

	int64_t t0 = bench_now_ns();
	int st = goro_synctest_run_(leak_root, NULL, 0, &res);
	double us = bench_us_since(t0);

	if (st != GORO_BUBBLE_LEAKED || res.nblocked != 3 || res.report == NULL)
		bench_fail("synctest_leak_report", "status %d with %d blocked, want "
		           "a leak report of 3", st, res.nblocked);
	goro_bubble_result_free(&res);
	return us;
}

static void row_synctest_leak_report(const bench_opts *o)
{
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = leak_report_rep();
	bench_emit("synctest_leak_report", "us", s, o->reps, NULL);
}

static const bench_row rows[] = {
	{ "synctest_small", row_synctest_small, false },
	{ "synctest_timers", row_synctest_timers, false },
	{ "synctest_leak_report", row_synctest_leak_report, false },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, rows, BENCH_NROWS(rows));
}
