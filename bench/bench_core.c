/*
 * bench_core.c — scheduler and channel costs (issue 2): yield, spawn,
 * channel handoffs, select, a million parked goroutines, fan-in.
 * Go counterparts: bench/go/core.go (same shapes, same sizes).
 */
#include "harness.h"

/* Goroutines that only need to say they finished. */
struct done_arg {
	goro_waitgroup *wg;
};

static void just_done(void *p)
{
	struct done_arg *a = p;
	goro_waitgroup_done(a->wg);
}

/* ---- yield: two goroutines call goro_yield in turn; cost per switch ---- */

struct yield_arg {
	goro_waitgroup *wg;
	long n;
};

static void yielder(void *p)
{
	struct yield_arg *a = p;
	for (long i = 0; i < a->n; i++)
		goro_yield();
	goro_waitgroup_done(a->wg);
}

static double yield_rep(long n)
{
	goro_waitgroup wg = { 0 };
	int64_t t0 = bench_now_ns();

	goro_waitgroup_add(&wg, 2);
	for (int i = 0; i < 2; i++)
		goro_go(yielder, &(struct yield_arg){ .wg = &wg, .n = n });
	goro_waitgroup_wait(&wg);
	return bench_ns_per(t0, 2 * n);
}

static void row_yield(const bench_opts *o)
{
	long n = bench_size(o, 1000000, 1000);
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = yield_rep(n);
	bench_emit("yield", "ns/op", s, o->reps, NULL);
}

/* ---- spawn: start an empty goroutine and see it finish ---- */

/* Join unit of spawn: big enough to hide the Wait, small enough that the
 * live goroutines stay in cache.  Same as Go's spawnBatch. */
#define SPAWN_BATCH 1000

static double spawn_rep(long batches)
{
	int64_t t0 = bench_now_ns();
	for (long b = 0; b < batches; b++) {
		goro_waitgroup wg = { 0 };
		goro_waitgroup_add(&wg, SPAWN_BATCH);
		for (int i = 0; i < SPAWN_BATCH; i++)
			goro_go(just_done, &(struct done_arg){ .wg = &wg });
		goro_waitgroup_wait(&wg);
	}
	return bench_ns_per(t0, batches * SPAWN_BATCH);
}

static void row_spawn(const bench_opts *o)
{
	long batches = bench_size(o, 500, 2);
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = spawn_rep(batches);
	bench_emit("spawn", "ns/op", s, o->reps, NULL);
}

/* ---- senders shared by the channel rows ---- */

/*
 * Sends n values on a (or alternately on a and b), then reports done.  The
 * receiver waits for done before freeing the channels: the last send may
 * still hold the channel after the receiver has its value.
 */
struct sender_arg {
	goro_chan *a, *b; /* b == NULL: everything goes to a */
	long n;
	goro_waitgroup *done;
};

static void sender(void *p)
{
	struct sender_arg *s = p;
	for (long i = 0; i < s->n; i++)
		goro_chan_send(s->b && i % 2 ? s->b : s->a, &i);
	goro_waitgroup_done(s->done);
}

/* ---- chan_unbuffered: one message between two goroutines ---- */

static double chan_unbuffered_rep(long n)
{
	goro_chan *ch = goro_chan_new(long, 0);
	goro_waitgroup done = { 0 };
	long v;
	int64_t t0 = bench_now_ns();

	goro_waitgroup_add(&done, 1);
	goro_go(sender, &(struct sender_arg){ .a = ch, .n = n, .done = &done });
	for (long i = 0; i < n; i++)
		goro_chan_recv(ch, &v);
	double ns = bench_ns_per(t0, n);
	goro_waitgroup_wait(&done);
	goro_chan_free(ch);
	return ns;
}

static void row_chan_unbuffered(const bench_opts *o)
{
	long n = bench_size(o, 1000000, 1000);
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = chan_unbuffered_rep(n);
	bench_emit("chan_unbuffered", "ns/op", s, o->reps, NULL);
}

/* ---- chan_buffered: send then receive in one goroutine ---- */

static double chan_buffered_rep(long n)
{
	goro_chan *ch = goro_chan_new(long, 1);
	long v;
	int64_t t0 = bench_now_ns();

	for (long i = 0; i < n; i++) {
		goro_chan_send(ch, &i);
		goro_chan_recv(ch, &v);
	}
	double ns = bench_ns_per(t0, n);
	goro_chan_free(ch);
	return ns;
}

static void row_chan_buffered(const bench_opts *o)
{
	long n = bench_size(o, 5000000, 1000);
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = chan_buffered_rep(n);
	bench_emit("chan_buffered", "ns/op", s, o->reps, NULL);
}

/* ---- select2: select over two receive channels fed alternately ---- */

static double select2_rep(long n)
{
	goro_chan *a = goro_chan_new(long, 0), *b = goro_chan_new(long, 0);
	goro_waitgroup done = { 0 };
	long v;
	goro_case cases[2] = { GORO_RECV(a, &v), GORO_RECV(b, &v) };
	int64_t t0 = bench_now_ns();

	goro_waitgroup_add(&done, 1);
	goro_go(sender, &(struct sender_arg){ .a = a, .b = b, .n = n, .done = &done });
	for (long i = 0; i < n; i++)
		goro_select(cases, 2, false);
	double ns = bench_ns_per(t0, n);
	goro_waitgroup_wait(&done);
	goro_chan_free(a);
	goro_chan_free(b);
	return ns;
}

static void row_select2(const bench_opts *o)
{
	long n = bench_size(o, 500000, 1000);
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = select2_rep(n);
	bench_emit("select2", "ns/op", s, o->reps, NULL);
}

/* ---- blocked_1m: a million goroutines parked on a channel receive ---- */

struct parked_arg {
	goro_chan *ch;
	goro_waitgroup *started, *done;
};

static void parked(void *p)
{
	struct parked_arg *a = p;
	char v;
	goro_waitgroup_done(a->started);
	goro_chan_recv(a->ch, &v);
	goro_waitgroup_done(a->done);
}

/* Time per goroutine until all n have started; closing releases them. */
static double blocked_rep(long n)
{
	goro_chan *ch = goro_chan_new(char, 0);
	goro_waitgroup started = { 0 }, done = { 0 };
	int64_t t0 = bench_now_ns();

	goro_waitgroup_add(&started, (int)n);
	goro_waitgroup_add(&done, (int)n);
	for (long i = 0; i < n; i++)
		goro_go(parked, &(struct parked_arg){
			.ch = ch, .started = &started, .done = &done });
	goro_waitgroup_wait(&started);
	double ns = bench_ns_per(t0, n);
	goro_chan_close(ch);
	goro_waitgroup_wait(&done);
	goro_chan_free(ch);
	return ns;
}

/* Emits blocked_1m and, from the same run, blocked_1m_rss. */
static void row_blocked_1m(const bench_opts *o)
{
	long n = bench_size(o, 1000000, 10000);
	double s[BENCH_MAX_REPS];
	char extra[160];

	for (int r = 0; r < o->reps; r++)
		s[r] = blocked_rep(n);
	double rss = bench_peak_rss_mb();
	/* The first repetition pays for fresh stacks and page faults, later
	 * ones reuse what the runtime cached: the median is the warm cost. */
	snprintf(extra, sizeof extra,
	         "\"rss_mb\": %.1f, \"goroutines\": %ld, \"first\": %.6g",
	         rss, n, s[0]);
	bench_emit("blocked_1m", "ns/op", s, o->reps, extra);
	snprintf(extra, sizeof extra, "\"goroutines\": %ld", n);
	bench_emit("blocked_1m_rss", "MB", &rss, 1, extra);
}

/* ---- fanin_parallel: one producer per worker into one consumer ---- */

/* The consumer's buffer: a typical fan-in queue, so the row measures
 * throughput rather than handoff latency.  Same as Go's faninCap. */
#define FANIN_CAP 1024

static double fanin_rep(long per, int producers)
{
	goro_chan *ch = goro_chan_new(long, FANIN_CAP);
	goro_waitgroup done = { 0 };
	long v, total = per * producers;
	int64_t t0 = bench_now_ns();

	goro_waitgroup_add(&done, producers);
	for (int i = 0; i < producers; i++)
		goro_go(sender, &(struct sender_arg){ .a = ch, .n = per, .done = &done });
	for (long i = 0; i < total; i++)
		goro_chan_recv(ch, &v);
	double rate = (double)total / bench_s_since(t0);
	goro_waitgroup_wait(&done);
	goro_chan_free(ch);
	return rate;
}

static void row_fanin_parallel(const bench_opts *o)
{
	int producers = goro_maxprocs();
	long per = bench_size(o, 2000000, 10000) / producers;
	double s[BENCH_MAX_REPS];
	char extra[64];

	for (int r = 0; r < o->reps; r++)
		s[r] = fanin_rep(per, producers);
	snprintf(extra, sizeof extra, "\"producers\": %d", producers);
	bench_emit("fanin_parallel", "msg/s", s, o->reps, extra);
}

static const bench_row rows[] = {
	{ "yield", row_yield, false },
	{ "spawn", row_spawn, false },
	{ "chan_unbuffered", row_chan_unbuffered, false },
	{ "chan_buffered", row_chan_buffered, false },
	{ "select2", row_select2, false },
	{ "blocked_1m", row_blocked_1m, false },
	{ "blocked_1m_rss", row_blocked_1m, false },
	{ "fanin_parallel", row_fanin_parallel, false },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, rows, BENCH_NROWS(rows));
}
