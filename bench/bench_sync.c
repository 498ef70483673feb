/*
 * bench_sync.c — sync, time and context costs (issue 3): mutexes, wait
 * groups, timers, mass sleeps, a context cancel fan-out and sync.Map.
 * Go counterparts: bench/go/sync.go (same shapes, same sizes).
 */
#include "harness.h"

/* ---- mutex_uncontended: lock+unlock by one goroutine ---- */

static double mutex_uncontended_rep(long n)
{
	goro_mutex m = { 0 };
	int64_t t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		goro_mutex_lock(&m);
		goro_mutex_unlock(&m);
	}
	return bench_ns_per(t0, n);
}

static void row_mutex_uncontended(const bench_opts *o)
{
	long n = bench_size(o, 10000000, 1000);
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = mutex_uncontended_rep(n);
	bench_emit("mutex_uncontended", "ns/op", s, o->reps, NULL);
}

/* ---- mutex_contended: one goroutine per worker, one shared counter ---- */

/* The counter and its mutex; counter is only touched with mu held. */
struct counted {
	goro_mutex mu;
	long counter;
};

struct incr_arg {
	struct counted *c;
	long n;
	goro_waitgroup *wg;
};

static void incrementer(void *p)
{
	struct incr_arg *a = p;
	for (long i = 0; i < a->n; i++) {
		goro_mutex_lock(&a->c->mu);
		a->c->counter++;
		goro_mutex_unlock(&a->c->mu);
	}
	goro_waitgroup_done(a->wg);
}

static double mutex_contended_rep(long per, int workers)
{
	struct counted c = { 0 };
	goro_waitgroup wg = { 0 };
	int64_t t0 = bench_now_ns();

	goro_waitgroup_add(&wg, workers);
	for (int i = 0; i < workers; i++)
		goro_go(incrementer, &(struct incr_arg){ .c = &c, .n = per, .wg = &wg });
	goro_waitgroup_wait(&wg);
	return bench_ns_per(t0, c.counter);
}

static void row_mutex_contended(const bench_opts *o)
{
	int workers = goro_maxprocs();
	long per = bench_size(o, 5000000, 1000) / workers;
	double s[BENCH_MAX_REPS];
	char extra[32];

	for (int r = 0; r < o->reps; r++)
		s[r] = mutex_contended_rep(per, workers);
	snprintf(extra, sizeof extra, "\"workers\": %d", workers);
	bench_emit("mutex_contended", "ns/op", s, o->reps, extra);
}

/* ---- waitgroup: goro_waitgroup_go 1000 empty goroutines, then wait ---- */

/* Same batch as spawn and as Go's spawnBatch. */
#define WG_BATCH 1000

static void nothing(void *p)
{
	(void)p;
}

static double waitgroup_rep(long batches)
{
	int64_t t0 = bench_now_ns();
	for (long b = 0; b < batches; b++) {
		goro_waitgroup wg = { 0 };
		for (int i = 0; i < WG_BATCH; i++)
			goro_waitgroup_go_(&wg, nothing, NULL, 0); /* wg.Go(func(){}) */
		goro_waitgroup_wait(&wg);
	}
	return bench_us_since(t0) / (double)batches;
}

static void row_waitgroup(const bench_opts *o)
{
	long batches = bench_size(o, 300, 2);
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = waitgroup_rep(batches);
	bench_emit("waitgroup", "us/batch", s, o->reps, "\"batch\": 1000");
}

/* ---- timer_start_stop: create a timer due in an hour and stop it ---- */

static double timer_rep(long n)
{
	int64_t t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		goro_timer *t = goro_timer_new(GORO_HOUR);
		goro_timer_stop(t);
		/* Go's GC frees a stopped timer; goro needs the explicit call. */
		goro_timer_free(t);
	}
	return bench_ns_per(t0, n);
}

static void row_timer_start_stop(const bench_opts *o)
{
	long n = bench_size(o, 1000000, 1000);
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = timer_rep(n);
	bench_emit("timer_start_stop", "ns/op", s, o->reps, NULL);
}

/* ---- sleep_100k: lateness of 100k goroutines sleeping 10 ms ---- */

#define SLEEP_FOR (10 * GORO_MILLISECOND)

struct sleeper_arg {
	int64_t *late; /* this goroutine's slot: ns past its due instant */
	goro_waitgroup *wg;
};

static void sleeper(void *p)
{
	struct sleeper_arg *a = p;
	int64_t due = bench_now_ns() + SLEEP_FOR;
	goro_sleep(SLEEP_FOR);
	*a->late = bench_now_ns() - due;
	goro_waitgroup_done(a->wg);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* One repetition: the p50 and p99 lateness in µs. */
static void sleep_rep(long n, double *p50, double *p99)
{
	int64_t *late = calloc((size_t)n, sizeof *late);
	goro_waitgroup wg = { 0 };

	if (late == NULL)
		bench_fail("sleep_100k", "out of memory");
	goro_waitgroup_add(&wg, (int)n);
	for (long i = 0; i < n; i++)
		goro_go(sleeper, &(struct sleeper_arg){ .late = &late[i], .wg = &wg });
	goro_waitgroup_wait(&wg);
	qsort(late, (size_t)n, sizeof *late, cmp_i64);
	*p50 = (double)late[n / 2] / 1e3;
	*p99 = (double)late[n * 99 / 100] / 1e3;
	free(late);
}

static void row_sleep_100k(const bench_opts *o)
{
	long n = bench_size(o, 100000, 1000);
	double p50[BENCH_MAX_REPS], p99[BENCH_MAX_REPS];
	char extra[96];

	for (int r = 0; r < o->reps; r++)
		sleep_rep(n, &p50[r], &p99[r]);
	snprintf(extra, sizeof extra, "\"p50\": %.6g, \"p99\": %.6g",
	         bench_median(p50, o->reps), bench_median(p99, o->reps));
	bench_emit("sleep_100k", "us", p99, o->reps, extra);
}

/* ---- ctx_cancel_fanout: wake 100k selects on one ctx's Done ---- */

/* Lets freshly started goroutines reach their blocking call, so the
 * measurement starts with all of them parked.  Go's parkSettle. */
#define PARK_SETTLE (20 * GORO_MILLISECOND)

struct ctx_waiter_arg {
	goro_ctx *ctx;
	goro_chan *never; /* the second select case; nobody sends on it */
	goro_waitgroup *started, *woke;
};

static void ctx_waiter(void *p)
{
	struct ctx_waiter_arg *a = p;
	goro_case cases[2] = {
		GORO_RECV(goro_ctx_done(a->ctx), NULL),
		GORO_RECV(a->never, NULL),
	};
	goro_waitgroup_done(a->started);
	goro_select(cases, 2, false);
	goro_waitgroup_done(a->woke);
}

/* ms from goro_cancel until the last of n waiters has woken. */
static double ctx_cancel_rep(long n, goro_chan *never)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_waitgroup started = { 0 }, woke = { 0 };

	goro_waitgroup_add(&started, (int)n);
	goro_waitgroup_add(&woke, (int)n);
	for (long i = 0; i < n; i++)
		goro_go(ctx_waiter, &(struct ctx_waiter_arg){
			.ctx = ctx, .never = never, .started = &started, .woke = &woke });
	goro_waitgroup_wait(&started);
	goro_sleep(PARK_SETTLE);
	int64_t t0 = bench_now_ns();
	goro_cancel(ctx);
	goro_waitgroup_wait(&woke);
	double ms = bench_ms_since(t0);
	goro_ctx_release(ctx);
	return ms;
}

static void row_ctx_cancel_fanout(const bench_opts *o)
{
	long n = bench_size(o, 100000, 1000);
	goro_chan *never = goro_chan_new(char, 0);
	double s[BENCH_MAX_REPS];
	char extra[32];

	for (int r = 0; r < o->reps; r++)
		s[r] = ctx_cancel_rep(n, never);
	goro_chan_free(never);
	snprintf(extra, sizeof extra, "\"goroutines\": %ld", n);
	bench_emit("ctx_cancel_fanout", "ms", s, o->reps, extra);
}

/* ---- map_read_mostly: sync.Map, one goroutine per worker, 1024 keys,
 * one Store per 1000 operations (the rest Loads of present keys) ---- */

enum { MAP_KEYS = 1024 };

struct map_arg {
	goro_map *m;
	long n;
	unsigned seed;
	goro_waitgroup *wg;
};

static void map_worker(void *p)
{
	struct map_arg *a = p;
	unsigned x = a->seed;
	long found = 0;
	for (long i = 0; i < a->n; i++) {
		x = x * 1103515245u + 12345u; /* the same LCG as the Go side */
		uintptr_t k = (x >> 8) % MAP_KEYS + 1;
		if (i % 1000 == 0)
			goro_map_store(a->m, (void *)k, (void *)(k + (uintptr_t)i));
		else
			found += goro_map_load(a->m, (void *)k, NULL);
	}
	if (found < 0)
		abort(); /* keeps the loads */
	goro_waitgroup_done(a->wg);
}

static double map_rep(long total, int workers)
{
	goro_map m = { 0 };
	for (uintptr_t k = 1; k <= MAP_KEYS; k++)
		goro_map_store(&m, (void *)k, (void *)k);
	goro_waitgroup wg = { 0 };
	long per = total / workers;
	goro_waitgroup_add(&wg, workers);
	int64_t t0 = bench_now_ns();
	for (int w = 0; w < workers; w++)
		goro_go(map_worker, &(struct map_arg){ &m, per, (unsigned)w + 1, &wg });
	goro_waitgroup_wait(&wg);
	double ns = bench_ns_per(t0, per * workers);
	goro_map_destroy(&m);
	return ns;
}

static void row_map_read_mostly(const bench_opts *o)
{
	long total = bench_size(o, 10000000, 1000);
	int workers = goro_maxprocs();
	double s[BENCH_MAX_REPS];
	char extra[32];
	for (int r = 0; r < o->reps; r++)
		s[r] = map_rep(total, workers);
	snprintf(extra, sizeof extra, "\"workers\": %d", workers);
	bench_emit("map_read_mostly", "ns/op", s, o->reps, extra);
}

static const bench_row rows[] = {
	{ "mutex_uncontended", row_mutex_uncontended, false },
	{ "mutex_contended", row_mutex_contended, false },
	{ "waitgroup", row_waitgroup, false },
	{ "timer_start_stop", row_timer_start_stop, false },
	{ "sleep_100k", row_sleep_100k, false },
	{ "ctx_cancel_fanout", row_ctx_cancel_fanout, false },
	{ "map_read_mostly", row_map_read_mostly, false },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, rows, BENCH_NROWS(rows));
}
