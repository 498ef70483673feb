/*
 * bench_core.c — scheduler and channel costs (issue 2): yield, spawn,
 * channel handoffs, select, a million parked goroutines, fan-in; whole
 * programs (issue 14): skynet, a ring, the prime sieve, starvation.
 * Go counterparts: bench/go/core.go (same shapes, same sizes).
 */
#include "harness.h"

#include <stdatomic.h>

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

/* ---- skynet: 1M goroutines in a 10-ary tree summing through channels ---- */

/*
 * Every inner node makes an unbuffered channel, starts its ten children
 * and adds up what they send; a leaf sends its number.  1,111,111
 * goroutines in all; the sum of 0..999,999 comes out at the root.
 * Wall time per run and the process's peak RSS.
 */
struct skynet_arg {
	goro_chan *out;
	long num, size;
};

#define SKYNET_DIV 10

static void skynet(void *p)
{
	struct skynet_arg *a = p;
	if (a->size == 1) {
		goro_chan_send(a->out, &a->num);
		return;
	}
	goro_chan *rc = goro_chan_new(long, 0);
	long sub = a->size / SKYNET_DIV, sum = 0, v;
	for (long i = 0; i < SKYNET_DIV; i++)
		goro_go(skynet, &(struct skynet_arg){ .out = rc, .num = a->num + i * sub,
		                                      .size = sub });
	for (long i = 0; i < SKYNET_DIV; i++) {
		goro_chan_recv(rc, &v);
		sum += v;
	}
	goro_chan_free(rc); /* waits for the last sender to let go of it */
	goro_chan_send(a->out, &sum);
}

static void skynet_rows(const bench_opts *o, const char *name, const char *rss_name)
{
	long leaves = bench_size(o, 1000000, 1000);
	double s[BENCH_MAX_REPS];
	char extra[96];

	for (int r = 0; r < o->reps; r++) {
		goro_chan *out = goro_chan_new(long, 1);
		long sum = 0;
		int64_t t0 = bench_now_ns();
		goro_go(skynet, &(struct skynet_arg){ .out = out, .num = 0, .size = leaves });
		goro_chan_recv(out, &sum);
		s[r] = bench_ms_since(t0);
		goro_chan_free(out);
		if (sum != leaves * (leaves - 1) / 2)
			bench_fail(name, "sum %ld, want %ld", sum, leaves * (leaves - 1) / 2);
	}
	double rss = bench_peak_rss_mb();
	snprintf(extra, sizeof extra, "\"rss_mb\": %.1f, \"leaves\": %ld", rss, leaves);
	bench_emit(name, "ms", s, o->reps, extra);
	bench_emit(rss_name, "MB", &rss, 1, NULL);
}

static void row_skynet(const bench_opts *o)
{
	skynet_rows(o, "skynet", "skynet_rss");
}

static void row_skynet_all(const bench_opts *o)
{
	skynet_rows(o, "skynet_all", "skynet_all_rss");
}

/* ---- ring_10k: a token passed around a ring of 10k goroutines ---- */

struct ring_arg {
	goro_chan *in, *out;
	long hops;   /* the token's value when it must stop */
	goro_waitgroup *done;
};

/* Passes the token on, incremented, until it has made `hops` hops; the
 * goroutine that sees that closes its output, and every goroutine whose
 * input closes closes its output too, which ends the ring. */
static void ring_node(void *p)
{
	struct ring_arg *a = p;
	long v;
	while (goro_chan_recv(a->in, &v) && v != a->hops) {
		v++;
		goro_chan_send(a->out, &v);
	}
	goro_chan_close(a->out);
	goro_waitgroup_done(a->done);
}

static void ring_rows(const bench_opts *o, const char *name)
{
	long n = bench_size(o, 10000, 100), hops = bench_size(o, 1000000, 10000);
	double s[BENCH_MAX_REPS];
	goro_chan **ch = malloc((size_t)n * sizeof *ch);

	for (int r = 0; r < o->reps; r++) {
		goro_waitgroup done = { 0 };
		for (long i = 0; i < n; i++)
			ch[i] = goro_chan_new(long, 0);
		goro_waitgroup_add(&done, (int)n);
		int64_t t0 = bench_now_ns();
		for (long i = 0; i < n; i++)
			goro_go(ring_node, &(struct ring_arg){ .in = ch[i], .out = ch[(i + 1) % n],
			                                       .hops = hops, .done = &done });
		long zero = 0;
		goro_chan_send(ch[0], &zero);
		goro_waitgroup_wait(&done);
		s[r] = bench_ms_since(t0);
		for (long i = 0; i < n; i++)
			goro_chan_free(ch[i]);
	}
	free(ch);
	bench_emit(name, "ms", s, o->reps, NULL);
}

static void row_ring_10k(const bench_opts *o)
{
	ring_rows(o, "ring_10k");
}

static void row_ring_10k_all(const bench_opts *o)
{
	ring_rows(o, "ring_10k_all");
}

/* ---- sieve_5000: the concurrent prime sieve, first 5000 primes ---- */

/*
 * A generator sends 2..limit (the last prime wanted, so the pipeline ends
 * by itself), one filter goroutine per prime found passes on what its
 * prime does not divide; every stage closes its output when its input
 * closes.
 */
struct sieve_arg {
	goro_chan *in, *out;
	long prime;   /* 0: the generator, counting up to limit */
	long limit;
	goro_waitgroup *done;
};

static void sieve_stage(void *p)
{
	struct sieve_arg *a = p;
	long v;
	if (a->prime == 0) {
		for (v = 2; v <= a->limit; v++)
			goro_chan_send(a->out, &v);
	} else {
		while (goro_chan_recv(a->in, &v))
			if (v % a->prime)
				goro_chan_send(a->out, &v);
	}
	goro_chan_close(a->out);
	goro_waitgroup_done(a->done);
}

static double sieve_rep(const char *name, long nprimes, long limit)
{
	goro_chan **ch = malloc((size_t)(nprimes + 1) * sizeof *ch);
	goro_waitgroup done = { 0 };
	long v, last = 0;
	int64_t t0 = bench_now_ns();

	ch[0] = goro_chan_new(long, 0);
	goro_waitgroup_add(&done, 1);
	goro_go(sieve_stage, &(struct sieve_arg){ .out = ch[0], .limit = limit, .done = &done });
	long k = 0;
	for (; k < nprimes; k++) {
		if (!goro_chan_recv(ch[k], &last))
			break;
		ch[k + 1] = goro_chan_new(long, 0);
		goro_waitgroup_add(&done, 1);
		goro_go(sieve_stage, &(struct sieve_arg){ .in = ch[k], .out = ch[k + 1],
		                                          .prime = last, .done = &done });
	}
	while (goro_chan_recv(ch[k], &v)) /* nothing: limit is prime #nprimes */
		bench_fail(name, "%ld passed every filter", v);
	goro_waitgroup_wait(&done);
	double ms = bench_ms_since(t0);
	for (long i = 0; i <= k; i++)
		goro_chan_free(ch[i]);
	free(ch);
	if (k != nprimes || last != limit)
		bench_fail(name, "prime #%ld is %ld, want #%ld = %ld", k, last, nprimes, limit);
	return ms;
}

static void sieve_rows(const bench_opts *o, const char *name)
{
	long nprimes = bench_size(o, 5000, 100), limit = o->quick ? 541 : 48611;
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = sieve_rep(name, nprimes, limit);
	bench_emit(name, "ms", s, o->reps, NULL);
}

static void row_sieve_5000(const bench_opts *o)
{
	sieve_rows(o, "sieve_5000");
}

static void row_sieve_5000_all(const bench_opts *o)
{
	sieve_rows(o, "sieve_5000_all");
}

/* ---- starve: a ping-pong pair while another goroutine computes ---- */

/*
 * The driver starts a pair that sends a value back and forth, then
 * computes for STARVE_MS without calling goro (a parser, a hash).  The
 * value: round trips per second the pair made meanwhile, when the pair had
 * not started before the computation began (goro's monitor can hand it to
 * another worker).  Extras: the same when the pair had started first on
 * the driver's worker ("pinned", goro cannot move it: a warning), and the
 * pair's rate while the driver sleeps ("alone").
 */
#define STARVE_MS 300

struct pair_arg {
	goro_chan *a, *b;
	_Atomic long *trips;
	atomic_bool *stop;
	goro_waitgroup *done;
};

static void pinger(void *p)
{
	struct pair_arg *a = p;
	long v = 0;
	while (!atomic_load_explicit(a->stop, memory_order_relaxed)) {
		goro_chan_send(a->a, &v);
		goro_chan_recv(a->b, &v);
		atomic_fetch_add_explicit(a->trips, 1, memory_order_relaxed);
	}
	goro_chan_close(a->a);
	goro_waitgroup_done(a->done);
}

static void ponger(void *p)
{
	struct pair_arg *a = p;
	long v;
	while (goro_chan_recv(a->a, &v))
		goro_chan_send(a->b, &v);
	goro_waitgroup_done(a->done);
}

/* Busy for ms without any goro call. */
static unsigned long compute_for(int64_t ms)
{
	int64_t end = bench_now_ns() + ms * 1000000;
	unsigned long x = 1;
	while (bench_now_ns() < end)
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005ul + 1442695040888963407ul;
	return x;
}

/* Keeps the computation from being optimised away. */
static volatile unsigned long starve_sink;

enum starve_mode { STARVE_FRESH, STARVE_PINNED, STARVE_ALONE };

/* Round trips per second the pair makes during STARVE_MS. */
static double starve_rep(enum starve_mode mode, int64_t ms)
{
	goro_chan *a = goro_chan_new(long, 0), *b = goro_chan_new(long, 0);
	_Atomic long trips = 0;
	atomic_bool stop = false;
	goro_waitgroup done = { 0 };
	struct pair_arg pa = { .a = a, .b = b, .trips = &trips, .stop = &stop, .done = &done };

	goro_waitgroup_add(&done, 2);
	goro_go(pinger, &pa);
	goro_go(ponger, &pa);
	if (mode == STARVE_PINNED)
		while (atomic_load(&trips) < 100)
			goro_yield();
	long before = atomic_load(&trips);
	int64_t t0 = bench_now_ns();
	if (mode == STARVE_ALONE)
		goro_sleep(ms * 1000000);
	else
		starve_sink = compute_for(ms);
	long made = atomic_load(&trips) - before;
	double s = bench_s_since(t0);
	atomic_store(&stop, true);
	goro_waitgroup_wait(&done);
	goro_chan_free(a);
	goro_chan_free(b);
	return (double)made / s;
}

static void starve_rows(const bench_opts *o, const char *name)
{
	int64_t ms = o->quick ? 20 : STARVE_MS;
	double s[BENCH_MAX_REPS], pinned[BENCH_MAX_REPS], alone[BENCH_MAX_REPS];
	char extra[128];
	for (int r = 0; r < o->reps; r++) {
		s[r] = starve_rep(STARVE_FRESH, ms);
		pinned[r] = starve_rep(STARVE_PINNED, ms);
		alone[r] = starve_rep(STARVE_ALONE, ms);
	}
	snprintf(extra, sizeof extra, "\"pinned\": %.6g, \"alone\": %.6g",
	         bench_median(pinned, o->reps), bench_median(alone, o->reps));
	bench_emit(name, "trips/s", s, o->reps, extra);
}

static void row_starve(const bench_opts *o)
{
	starve_rows(o, "starve");
}

static void row_starve_all(const bench_opts *o)
{
	starve_rows(o, "starve_all");
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
	{ "skynet", row_skynet, false },
	{ "skynet_rss", row_skynet, false },
	{ "skynet_all", row_skynet_all, false },
	{ "skynet_all_rss", row_skynet_all, false },
	{ "ring_10k", row_ring_10k, false },
	{ "ring_10k_all", row_ring_10k_all, false },
	{ "sieve_5000", row_sieve_5000, false },
	{ "sieve_5000_all", row_sieve_5000_all, false },
	{ "starve", row_starve, false },
	{ "starve_all", row_starve_all, false },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, rows, BENCH_NROWS(rows));
}
