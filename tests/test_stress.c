/*
 * test_stress.c — many goroutines on every worker, many iterations: every
 * value is received exactly once (no loss, no duplicate), closes race with
 * receivers and select senders, fan-in, long chains, spawn storms, timers
 * mixed with channels.
 *
 * Each workload returns NULL or a description of the first failure, so it
 * runs both as a Criterion test (default GORO_MAXPROCS: one worker per
 * CPU) and as a scenario in a fresh process with GORO_MAXPROCS=1 (every
 * goroutine on one thread: the wake-ups that stay on one worker) or
 * GORO_MAXPROCS=4 (more workers than CPUs: workers get preempted while
 * holding queues).  GORO_MAXPROCS is read once at start-up, hence the
 * separate process (see death.h).
 *
 * Goroutines never call cr_assert (a failing assertion unwinds to the
 * test's own stack); they report through channels and counters.  Volumes
 * shrink under ThreadSanitizer (SCALED, waiting.h).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <goro.h>

#include "death.h"
#include "waiting.h"

static char failure[512];

#define FAIL_IF(cond, ...)                                              \
	do {                                                                \
		if (cond) {                                                     \
			snprintf(failure, sizeof failure, __VA_ARGS__);             \
			return failure;                                             \
		}                                                               \
	} while (0)

/* A goroutine join: each finished goroutine sends one int. */
static void join(goro_chan *done, int n)
{
	for (int i = 0; i < n; i++)
		goro_chan_recv(done, NULL);
}

/* ------------------------------------------------------------------ */
/* Producers and consumers                                             */
/* ------------------------------------------------------------------ */

struct mpmc {
	goro_chan *data;
	goro_chan *done;
	atomic_uchar *seen;     /* per value: how many times received */
	atomic_long received;
	int per_producer;
	atomic_int out_of_order; /* single consumer: per-producer FIFO broken */
	int nconsumers;
};

struct producer_args {
	struct mpmc *m;
	int id;
};

static void producer(void *p)
{
	struct producer_args *a = p;
	int base = a->id * a->m->per_producer;
	for (int i = 0; i < a->m->per_producer; i++)
		goro_chan_send(a->m->data, &(int){ base + i });
	goro_chan_send(a->m->done, &a->id);
}

static void consumer(void *p)
{
	struct mpmc *m = *(struct mpmc **)p;
	int last[64];
	for (int i = 0; i < 64; i++)
		last[i] = -1;
	int v;
	goro_range(m->data, v)
	{
		atomic_fetch_add_explicit(&m->seen[v], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&m->received, 1, memory_order_relaxed);
		int prod = v / m->per_producer;
		if (m->nconsumers == 1 && prod < 64) {
			if (v <= last[prod])
				atomic_fetch_add(&m->out_of_order, 1);
			last[prod] = v;
		}
	}
	goro_send(m->done, -1);
}

static const char *run_mpmc(size_t cap, int producers, int consumers, int per_producer)
{
	struct mpmc *m = calloc(1, sizeof *m);
	int total = producers * per_producer;
	m->data = goro_chan_new(int, cap);
	m->done = goro_chan_new(int, 0);
	m->seen = calloc((size_t)total, sizeof *m->seen);
	m->per_producer = per_producer;
	m->nconsumers = consumers;
	for (int c = 0; c < consumers; c++)
		goro_go(consumer, &m);
	for (int p = 0; p < producers; p++)
		goro_go(producer, &(struct producer_args){ m, p });
	join(m->done, producers);
	goro_chan_close(m->data); /* consumers drain what is left, then end */
	join(m->done, consumers);
	FAIL_IF(atomic_load(&m->received) != total, "cap %zu: received %ld of %d values", cap,
	        atomic_load(&m->received), total);
	for (int v = 0; v < total; v++)
		FAIL_IF(m->seen[v] != 1, "cap %zu: value %d received %d times", cap, v,
		        (int)m->seen[v]);
	FAIL_IF(atomic_load(&m->out_of_order), "cap %zu: a producer's values came out of order",
	        cap);
	goro_chan_free(m->data);
	goro_chan_free(m->done);
	free(m->seen);
	free(m);
	return NULL;
}

static const char *w_mpmc(void)
{
	static const size_t caps[] = { 0, 1, 64 };
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		const char *err = run_mpmc(caps[i], 8, 8, SCALED(20000));
		if (err)
			return err;
	}
	return NULL;
}

/* One consumer: each producer's values must also arrive in order. */
static const char *w_mpsc_fifo(void)
{
	static const size_t caps[] = { 0, 3 };
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		const char *err = run_mpmc(caps[i], 16, 1, SCALED(10000));
		if (err)
			return err;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* close racing with receivers                                         */
/* ------------------------------------------------------------------ */

struct counting_recv_args {
	goro_chan *c;
	goro_chan *done; /* receives how many values this receiver got */
};

static void counting_receiver(void *p)
{
	struct counting_recv_args *a = p;
	int v, n = 0;
	goro_range(a->c, v) n++;
	goro_chan_send(a->done, &n);
}

struct close_sender_args {
	goro_chan *c;
	int n;
};

static void send_n_then_close(void *p)
{
	struct close_sender_args *a = p;
	for (int i = 0; i < a->n; i++)
		goro_chan_send(a->c, &i);
	goro_chan_close(a->c);
}

static const char *w_close_vs_receivers(void)
{
	enum { ROUNDS = SCALED(2000), RECEIVERS = 8 };
	goro_chan *done = goro_chan_new(int, RECEIVERS);
	for (int r = 0; r < ROUNDS; r++) {
		goro_chan *c = goro_chan_new(int, (size_t)(r % 3) * 2); /* cap 0, 2, 4 */
		int n = r % 17;
		for (int i = 0; i < RECEIVERS; i++)
			goro_go(counting_receiver, &(struct counting_recv_args){ c, done });
		goro_go(send_n_then_close, &(struct close_sender_args){ c, n });
		int got = 0;
		for (int i = 0; i < RECEIVERS; i++) {
			int k;
			goro_chan_recv(done, &k);
			got += k;
		}
		FAIL_IF(got != n, "round %d: %d values sent before close, %d received", r, n, got);
		goro_chan_free(c);
	}
	return NULL;
}

/* Receivers blocked in select (with timeouts) while the channel closes. */
struct select_recv_args {
	goro_chan *c;
	goro_chan *done;
};

static void select_receiver(void *p)
{
	struct select_recv_args *a = p;
	int v, n = 0;
	goro_case cases[] = { GORO_RECV(a->c, &v), GORO_RECV(NULL, NULL) };
	for (;;) {
		int k = goro_select_until(cases, 2, goro_now() + 50 * GORO_MICROSECOND);
		if (k == GORO_SELECT_TIMEDOUT)
			continue;
		if (!cases[0].ok)
			break;
		n++;
	}
	goro_chan_send(a->done, &n);
}

static const char *w_close_vs_select_receivers(void)
{
	enum { ROUNDS = SCALED(1000), RECEIVERS = 6 };
	goro_chan *done = goro_chan_new(int, RECEIVERS);
	for (int r = 0; r < ROUNDS; r++) {
		goro_chan *c = goro_chan_new(int, (size_t)(r % 2));
		int n = r % 11;
		for (int i = 0; i < RECEIVERS; i++)
			goro_go(select_receiver, &(struct select_recv_args){ c, done });
		goro_go(send_n_then_close, &(struct close_sender_args){ c, n });
		int got = 0;
		for (int i = 0; i < RECEIVERS; i++) {
			int k;
			goro_chan_recv(done, &k);
			got += k;
		}
		FAIL_IF(got != n, "round %d: %d values sent before close, %d received", r, n, got);
		goro_chan_free(c);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* close of a done channel racing with select senders                  */
/* ------------------------------------------------------------------ */

struct sel_sender_args {
	goro_chan *data, *stop, *report;
	int id;
};

struct sent_report {
	long count;
	long sum;
};

/* Go's for { select { case data <- v: case <-stop: return } }. */
static void select_sender(void *p)
{
	struct sel_sender_args *a = p;
	struct sent_report rep = { 0, 0 };
	for (int seq = 0;; seq++) {
		int v = a->id * 1000000 + seq;
		goro_case cases[] = { GORO_SEND(a->data, &v), GORO_RECV(a->stop, NULL) };
		if (goro_select(cases, 2, false) == 1)
			break;
		rep.count++;
		rep.sum += v;
	}
	goro_chan_send(a->report, &rep);
}

static const char *w_stop_vs_select_senders(void)
{
	enum { ROUNDS = SCALED(500), SENDERS = 8 };
	goro_chan *report = goro_chan_new(struct sent_report, SENDERS);
	for (int r = 0; r < ROUNDS; r++) {
		goro_chan *data = goro_chan_new(int, (size_t)(r % 3));
		goro_chan *stop = goro_chan_new(int, 0);
		for (int i = 0; i < SENDERS; i++)
			goro_go(select_sender, &(struct sel_sender_args){ data, stop, report, i });
		long got = 0, got_sum = 0;
		int v;
		for (int k = 0; k < r % 40; k++) {
			goro_chan_recv(data, &v);
			got++;
			got_sum += v;
		}
		goro_chan_close(stop); /* races with senders mid-select */
		struct sent_report total = { 0, 0 };
		for (int i = 0; i < SENDERS; i++) {
			struct sent_report one;
			goro_chan_recv(report, &one);
			total.count += one.count;
			total.sum += one.sum;
		}
		while (goro_chan_tryrecv(data, &v) == GORO_OK) { /* still buffered */
			got++;
			got_sum += v;
		}
		FAIL_IF(total.count != got || total.sum != got_sum,
		        "round %d: senders sent %ld (sum %ld), receiver got %ld (sum %ld)", r,
		        total.count, total.sum, got, got_sum);
		goro_chan_free(data);
		goro_chan_free(stop);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* select fan-in                                                       */
/* ------------------------------------------------------------------ */

struct fanin_args {
	goro_chan *c;
	int n;
};

static void fanin_producer(void *p)
{
	struct fanin_args *a = p;
	for (int i = 0; i < a->n; i++)
		goro_chan_send(a->c, &i);
	goro_chan_close(a->c);
}

static const char *run_fanin(int producers, size_t cap, int per_producer)
{
	goro_chan *ch[32];
	int next[32], v;
	goro_case cases[32];
	for (int i = 0; i < producers; i++) {
		ch[i] = goro_chan_new(int, cap);
		next[i] = 0;
		cases[i] = GORO_RECV(ch[i], &v);
		goro_go(fanin_producer, &(struct fanin_args){ ch[i], per_producer });
	}
	int open = producers;
	while (open > 0) {
		int k = goro_select(cases, producers, false);
		FAIL_IF(k < 0 || k >= producers, "select returned %d", k);
		if (!cases[k].ok) {
			cases[k].chan = NULL; /* Go's idiom: a nil channel is never ready */
			open--;
			continue;
		}
		FAIL_IF(v != next[k], "producer %d: got %d, expected %d", k, v, next[k]);
		next[k]++;
	}
	for (int i = 0; i < producers; i++) {
		FAIL_IF(next[i] != per_producer, "producer %d: %d of %d values", i, next[i],
		        per_producer);
		goro_chan_free(ch[i]);
	}
	return NULL;
}

static const char *w_fanin(void)
{
	const char *err = run_fanin(4, 0, SCALED(20000)); /* small select */
	if (!err)
		err = run_fanin(16, 0, SCALED(5000)); /* large select */
	if (!err)
		err = run_fanin(16, 8, SCALED(5000));
	return err;
}

/* ------------------------------------------------------------------ */
/* Chains and ping-pong                                                */
/* ------------------------------------------------------------------ */

struct link_args {
	goro_chan *in, *out;
};

static void chain_link(void *p)
{
	struct link_args *a = p;
	int v;
	goro_range(a->in, v) goro_chan_send(a->out, &(int){ v + 1 });
	goro_chan_close(a->out);
}

struct feed_args {
	goro_chan *c;
	int n;
};

static void feed(void *p)
{
	struct feed_args *a = p;
	for (int i = 0; i < a->n; i++)
		goro_chan_send(a->c, &(int){ i * 10000 });
	goro_chan_close(a->c);
}

static const char *w_chain(void)
{
	enum { LINKS = 1000, TOKENS = 300 };
	goro_chan **ch = calloc(LINKS + 1, sizeof *ch);
	for (int i = 0; i <= LINKS; i++)
		ch[i] = goro_chan_new(int, 0);
	for (int i = 0; i < LINKS; i++)
		goro_go(chain_link, &(struct link_args){ ch[i], ch[i + 1] });
	goro_go(feed, &(struct feed_args){ ch[0], TOKENS });
	int v, n = 0;
	goro_range(ch[LINKS], v)
	{
		FAIL_IF(v != n * 10000 + LINKS, "token %d came out as %d", n, v);
		n++;
	}
	FAIL_IF(n != TOKENS, "%d of %d tokens came through", n, TOKENS);
	for (int i = 0; i <= LINKS; i++)
		goro_chan_free(ch[i]);
	free(ch);
	return NULL;
}

struct ring_args {
	goro_chan *in, *out;
	int rounds;
};

/* A ring of goroutines passing one token around: each wake-up hands the
 * CPU to the next link, across workers or on one. */
static void ring_member(void *p)
{
	struct ring_args *a = p;
	for (int i = 0; i < a->rounds; i++) {
		int v;
		goro_chan_recv(a->in, &v);
		goro_chan_send(a->out, &(int){ v + 1 });
	}
}

static const char *w_ring(void)
{
	enum { MEMBERS = 1000, ROUNDS = SCALED(50) };
	goro_chan **ch = calloc(MEMBERS, sizeof *ch);
	for (int i = 0; i < MEMBERS; i++)
		ch[i] = goro_chan_new(int, 0);
	/* Member i reads ch[i] and writes ch[i+1]; main closes the ring. */
	for (int i = 0; i + 1 < MEMBERS; i++)
		goro_go(ring_member, &(struct ring_args){ ch[i], ch[i + 1], ROUNDS });
	int v = 0;
	for (int r = 0; r < ROUNDS; r++) {
		goro_chan_send(ch[0], &v);
		goro_chan_recv(ch[MEMBERS - 1], &v);
		FAIL_IF(v != (r + 1) * (MEMBERS - 1), "round %d: token %d", r, v);
	}
	for (int i = 0; i < MEMBERS; i++)
		goro_chan_free(ch[i]);
	free(ch);
	return NULL;
}

static void ponger(void *p)
{
	struct ring_args *a = p;
	int v;
	goro_range(a->in, v) goro_chan_send(a->out, &(int){ v + 1 });
}

static const char *w_pingpong(void)
{
	enum { PAIRS = 8, ROUNDS = SCALED(20000) };
	goro_chan *done = goro_chan_new(int, PAIRS);
	for (int p = 0; p < PAIRS; p++) {
		goro_chan *ping = goro_chan_new(int, 0), *pong = goro_chan_new(int, 0);
		goro_go(ponger, &(struct ring_args){ ping, pong, 0 });
		/* The pinger is main for pair 0, a goroutine for the others. */
		int v = 0;
		if (p == 0) {
			for (int i = 0; i < ROUNDS; i++) {
				goro_chan_send(ping, &v);
				goro_chan_recv(pong, &v);
				FAIL_IF(v != i + 1, "round %d: %d", i, v);
			}
			goro_chan_close(ping);
			goro_send(done, 0);
		} else {
			goro_go(ponger, &(struct ring_args){ pong, ping, 0 });
			goro_chan_send(ping, &v); /* two pongers bounce it forever... */
			goro_chan_recv(ping, &v); /* ...until main takes it back */
			FAIL_IF(v % 2 != 0, "pair %d: token %d", p, v);
			goro_chan_close(ping);
			goro_chan_close(pong);
			goro_send(done, 0);
		}
	}
	join(done, PAIRS);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Spawn storms                                                        */
/* ------------------------------------------------------------------ */

struct storm_args {
	goro_chan *join;
	int first, n;
};

static void storm_child(void *p)
{
	goro_chan_send(((struct storm_args *)p)->join, &((struct storm_args *)p)->first);
}

static void storm_spawner(void *p)
{
	struct storm_args *a = p;
	for (int i = 0; i < a->n; i++)
		goro_go(storm_child, &(struct storm_args){ a->join, a->first + i, 0 });
}

static const char *w_spawn_storm(void)
{
	/* Scaled down under ThreadSanitizer, which also dies past about 8000
	 * threads and fibers (one per goroutine) alive at once. */
	enum { SPAWNERS = 4, EACH = SCALED(25000), TOTAL = SPAWNERS * EACH };
	goro_chan *joinc = goro_chan_new(int, 256);
	for (int s = 0; s < SPAWNERS; s++)
		goro_go(storm_spawner, &(struct storm_args){ joinc, s * EACH, EACH });
	unsigned char *seen = calloc(TOTAL, 1);
	for (int i = 0; i < TOTAL; i++) {
		int id;
		goro_chan_recv(joinc, &id);
		FAIL_IF(id < 0 || id >= TOTAL || seen[id], "child %d joined twice or bogus", id);
		seen[id] = 1;
	}
	free(seen);
	int64_t end = goro_now() + TEST_PATIENCE;
	while (goro_num_goroutine() != 1 && goro_now() < end)
		goro_sleep(GORO_MILLISECOND);
	FAIL_IF(goro_num_goroutine() != 1, "%d goroutines still counted after the storm",
	        goro_num_goroutine());
	goro_chan_free(joinc);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Timers and channels                                                 */
/* ------------------------------------------------------------------ */

struct mix_shared {
	goro_chan *c;           /* buffered: values in flight */
	atomic_long sent, sent_sum;
	atomic_long recvd, recvd_sum;
	goro_chan *done;
};

struct mix_args {
	struct mix_shared *s;
	int id;
	uint64_t seed;
};

static uint32_t next_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

static void count_recv(struct mix_shared *s, int v)
{
	atomic_fetch_add(&s->recvd, 1);
	atomic_fetch_add(&s->recvd_sum, v);
}

static void count_sent(struct mix_shared *s, int v)
{
	atomic_fetch_add(&s->sent, 1);
	atomic_fetch_add(&s->sent_sum, v);
}

/* Each iteration picks one of: a timed receive, a timed send, a select
 * against a timer channel, a select against a goro_timer, a short sleep. */
static void mixer(void *p)
{
	struct mix_args *a = p;
	struct mix_shared *s = a->s;
	goro_timer *t = goro_timer_new(GORO_HOUR);
	goro_timer_stop(t);
	for (int i = 0; i < 300; i++) {
		int v = a->id * 100000 + i, got;
		goro_duration d = (goro_duration)(next_rand(&a->seed) % 500) * GORO_MICROSECOND;
		switch (next_rand(&a->seed) % 5) {
		case 0:
			if (goro_chan_recv_until(s->c, &got, goro_now() + d) == GORO_OK)
				count_recv(s, got);
			break;
		case 1:
			if (goro_chan_send_until(s->c, &v, goro_now() + d) == GORO_OK)
				count_sent(s, v);
			break;
		case 2: {
			goro_case cases[] = { GORO_SEND(s->c, &v), GORO_RECV(goro_after(d), NULL) };
			if (goro_select(cases, 2, false) == 0)
				count_sent(s, v);
			break;
		}
		case 3: {
			goro_timer_reset(t, d);
			goro_case cases[] = { GORO_RECV(s->c, &got), GORO_RECV(goro_timer_chan(t), NULL) };
			if (goro_select(cases, 2, false) == 0)
				count_recv(s, got);
			goro_timer_stop(t);
			break;
		}
		default:
			goro_sleep(d);
		}
	}
	goro_timer_free(t);
	goro_send(s->done, a->id);
}

static const char *w_timers_and_channels(void)
{
	enum { MIXERS = 32 };
	struct mix_shared *s = calloc(1, sizeof *s);
	s->c = goro_chan_new(int, 4);
	s->done = goro_chan_new(int, MIXERS);
	for (int i = 0; i < MIXERS; i++)
		goro_go(mixer, &(struct mix_args){ s, i, 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1) });
	join(s->done, MIXERS);
	int v;
	while (goro_chan_tryrecv(s->c, &v) == GORO_OK)
		count_recv(s, v);
	FAIL_IF(atomic_load(&s->sent) != atomic_load(&s->recvd) ||
	                atomic_load(&s->sent_sum) != atomic_load(&s->recvd_sum),
	        "sent %ld values (sum %ld), received %ld (sum %ld)", atomic_load(&s->sent),
	        atomic_load(&s->sent_sum), atomic_load(&s->recvd), atomic_load(&s->recvd_sum));
	FAIL_IF(atomic_load(&s->sent) == 0, "nothing was ever transferred");
	free(s);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The tests                                                           */
/* ------------------------------------------------------------------ */

#define STRESS(name)                                          \
	Test(stress, name)                                        \
	{                                                         \
		const char *err = w_##name();                         \
		cr_assert_null(err, "%s", err);                       \
	}                                                         \
	static void sc_##name(void)                               \
	{                                                         \
		const char *err = w_##name();                         \
		if (err) {                                            \
			fprintf(stderr, "FAIL: %s\n", err);               \
			exit(1);                                          \
		}                                                     \
	}

/* The same workload in a fresh process with GORO_MAXPROCS=1 and =4. */
#define STRESS_PROCS(name)                                                  \
	STRESS(name)                                                            \
	Test(stress_procs, name)                                                \
	{                                                                       \
		struct death d;                                                     \
		death_run_env(#name, "GORO_MAXPROCS=1", &d);                        \
		death_assert_exit(&d, 0);                                           \
		death_run_env(#name, "GORO_MAXPROCS=4", &d);                        \
		death_assert_exit(&d, 0);                                           \
	}

STRESS_PROCS(mpmc)
STRESS_PROCS(mpsc_fifo)
STRESS_PROCS(close_vs_receivers)
STRESS_PROCS(close_vs_select_receivers)
STRESS_PROCS(stop_vs_select_senders)
STRESS_PROCS(fanin)
STRESS_PROCS(chain)
STRESS_PROCS(ring)
STRESS_PROCS(pingpong)
STRESS_PROCS(spawn_storm)
STRESS_PROCS(timers_and_channels)

DEATH_SCENARIOS({ "mpmc", sc_mpmc },
                { "mpsc_fifo", sc_mpsc_fifo },
                { "close_vs_receivers", sc_close_vs_receivers },
                { "close_vs_select_receivers", sc_close_vs_select_receivers },
                { "stop_vs_select_senders", sc_stop_vs_select_senders },
                { "fanin", sc_fanin },
                { "chain", sc_chain },
                { "ring", sc_ring },
                { "pingpong", sc_pingpong },
                { "spawn_storm", sc_spawn_storm },
                { "timers_and_channels", sc_timers_and_channels })
