/*
 * test_sync_stress.c — sync primitives under heavy concurrency on every
 * worker: exact counters behind many mutexes (their wait queues share
 * buckets of the address-keyed table), an RWMutex invariant with mixed
 * readers and writers (some of them giving up), WaitGroups reused by many
 * rounds of goroutines, and Cond broadcasts racing with timeouts.
 *
 * Every test checks an exact invariant; none measures time.  A lost
 * wake-up shows as a join that never completes (bounded by SOON).
 */
#include <criterion/criterion.h>
#include <stdatomic.h>

#include <goro.h>

#include "waiting.h"

static unsigned next_rand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void join(goro_waitgroup *wg)
{
	cr_assert_eq(goro_waitgroup_wait_until(wg, SOON), GORO_OK,
	             "goroutines never finished: a lost wake-up?");
}

/* ------------------------------------------------------------------ */
/* Many mutexes, exact counters                                        */
/* ------------------------------------------------------------------ */

enum { NMUTEX = 64, MUTEX_G = 64, MUTEX_ITERS = SCALED(2000) };

struct counters {
	goro_mutex mu[NMUTEX];
	long count[NMUTEX]; /* count[i] guarded by mu[i] */
	atomic_long expected[NMUTEX];
};

struct counter_args {
	struct counters *c;
	unsigned seed;
};

static void bump_counters(void *p)
{
	struct counter_args *a = p;
	unsigned s = a->seed;
	for (int i = 0; i < MUTEX_ITERS; i++) {
		unsigned k = next_rand(&s) % NMUTEX;
		goro_mutex_lock(&a->c->mu[k]);
		long v = a->c->count[k];
		if (next_rand(&s) % 8 == 0)
			goro_yield(); /* make others queue behind this one */
		a->c->count[k] = v + 1;
		goro_mutex_unlock(&a->c->mu[k]);
		atomic_fetch_add(&a->c->expected[k], 1);
	}
}

Test(sync_stress, many_mutexes_exact_counters)
{
	struct counters *c = goro_new(struct counters);
	goro_waitgroup wg = { 0 };
	for (int i = 0; i < MUTEX_G; i++)
		goro_waitgroup_go(&wg, bump_counters, &(struct counter_args){ c, (unsigned)i * 7919 + 1 });
	join(&wg);
	long total = 0;
	for (int k = 0; k < NMUTEX; k++) {
		cr_assert_eq(c->count[k], atomic_load(&c->expected[k]), "mutex %d lost updates", k);
		total += c->count[k];
		cr_assert(goro_mutex_trylock(&c->mu[k]), "mutex %d left locked", k);
	}
	cr_assert_eq(total, (long)MUTEX_G * MUTEX_ITERS);
	goro_free(c);
}

/* ------------------------------------------------------------------ */
/* RWMutex: mixed readers and writers keep an invariant                 */
/* ------------------------------------------------------------------ */

enum { RW_READERS = 24, RW_WRITERS = 6, RW_ITERS = SCALED(20000) };

struct shared {
	goro_rwmutex rw;
	long a, b;               /* invariant under rw: a == b */
	atomic_int readers_in, writers_in;
	atomic_int violations;
	atomic_long writes;
	atomic_long gave_up;
};

struct rw_args {
	struct shared *s;
	unsigned seed;
};

static void check_readers_alone(struct shared *s)
{
	if (atomic_load(&s->writers_in) != 0)
		atomic_fetch_add(&s->violations, 1);
}

static void rw_reader(void *p)
{
	struct rw_args *a = p;
	struct shared *s = a->s;
	unsigned seed = a->seed;
	for (int i = 0; i < RW_ITERS; i++) {
		unsigned r = next_rand(&seed);
		if (r % 10 == 0) {
			/* Some readers give up quickly: must not disturb the rest. */
			if (goro_rwmutex_rlock_until(&s->rw, goro_now() + (int64_t)(r % 100) * 1000) !=
			    GORO_OK) {
				atomic_fetch_add(&s->gave_up, 1);
				continue;
			}
		} else {
			goro_rwmutex_rlock(&s->rw);
		}
		atomic_fetch_add(&s->readers_in, 1);
		check_readers_alone(s);
		long x = s->a;
		if (r % 4 == 0)
			goro_yield();
		if (s->b != x)
			atomic_fetch_add(&s->violations, 1);
		atomic_fetch_sub(&s->readers_in, 1);
		goro_rwmutex_runlock(&s->rw);
	}
}

static void rw_writer(void *p)
{
	struct rw_args *a = p;
	struct shared *s = a->s;
	unsigned seed = a->seed;
	for (int i = 0; i < RW_ITERS / 3; i++) {
		unsigned r = next_rand(&seed);
		if (r % 5 == 0) {
			if (goro_rwmutex_lock_until(&s->rw, goro_now() + (int64_t)(r % 200) * 1000) !=
			    GORO_OK) {
				atomic_fetch_add(&s->gave_up, 1);
				continue;
			}
		} else {
			goro_rwmutex_lock(&s->rw);
		}
		if (atomic_fetch_add(&s->writers_in, 1) != 0 || atomic_load(&s->readers_in) != 0)
			atomic_fetch_add(&s->violations, 1);
		s->a++;
		if (r % 3 == 0)
			goro_yield(); /* a == b broken only while we hold it */
		s->b++;
		atomic_fetch_add(&s->writes, 1);
		atomic_fetch_sub(&s->writers_in, 1);
		goro_rwmutex_unlock(&s->rw);
	}
}

Test(sync_stress, rwmutex_mixed_readers_writers_invariant)
{
	struct shared *s = goro_new(struct shared);
	goro_waitgroup wg = { 0 };
	for (int i = 0; i < RW_READERS; i++)
		goro_waitgroup_go(&wg, rw_reader, &(struct rw_args){ s, (unsigned)i + 1 });
	for (int i = 0; i < RW_WRITERS; i++)
		goro_waitgroup_go(&wg, rw_writer, &(struct rw_args){ s, (unsigned)i + 1000 });
	join(&wg);
	cr_assert_eq(atomic_load(&s->violations), 0, "the RWMutex let conflicting holders in");
	cr_assert_eq(s->a, atomic_load(&s->writes));
	cr_assert_eq(s->b, s->a);
	cr_assert(goro_rwmutex_trylock(&s->rw), "the RWMutex was left locked");
	goro_rwmutex_unlock(&s->rw);
	goro_free(s);
}

/* ------------------------------------------------------------------ */
/* WaitGroups: many rounds, nested                                       */
/* ------------------------------------------------------------------ */

enum { WG_ROUNDS = SCALED(300), WG_FANOUT = 200 };

struct wg_leaf_args {
	atomic_long *count;
};

static void wg_leaf(void *p)
{
	struct wg_leaf_args *a = p;
	if (atomic_fetch_add(a->count, 1) % 16 == 0)
		goro_yield();
}

struct wg_branch_args {
	atomic_long *count;
};

/* Each branch waits on its own WaitGroup of leaves (waits nested in waits). */
static void wg_branch(void *p)
{
	struct wg_branch_args *a = p;
	goro_waitgroup inner = { 0 };
	for (int i = 0; i < 10; i++)
		goro_waitgroup_go(&inner, wg_leaf, &(struct wg_leaf_args){ a->count });
	goro_waitgroup_wait(&inner);
}

Test(sync_stress, waitgroup_rounds_and_nesting)
{
	atomic_long count = 0;
	goro_waitgroup wg = { 0 };
	for (int round = 1; round <= WG_ROUNDS; round++) {
		for (int i = 0; i < WG_FANOUT / 10; i++)
			goro_waitgroup_go(&wg, wg_branch, &(struct wg_branch_args){ &count });
		join(&wg);
		cr_assert_eq(atomic_load(&count), (long)round * WG_FANOUT,
		             "round %d: Wait returned before every Done", round);
	}
	GOROUTINES_BACK_TO(1);
}

/* ------------------------------------------------------------------ */
/* Cond: a barrier of broadcasts racing with timed waits                 */
/* ------------------------------------------------------------------ */

enum { COND_WAITERS = 16, COND_GENERATIONS = SCALED(5000) };

/* A reusable barrier: waiters arrive, the coordinator waits for all of
 * them, starts the next generation and broadcasts.  A lost Broadcast or
 * Signal stops everything. */
struct barrier {
	goro_mutex mu;
	goro_cond next_gen; /* waiters wait for generation to move */
	goro_cond all_in;   /* the coordinator waits for arrived == COND_WAITERS */
	long generation;    /* guarded by mu */
	int arrived;        /* guarded by mu */
	atomic_int bad;
};

struct barrier_args {
	struct barrier *b;
	unsigned seed;
};

static void barrier_waiter(void *p)
{
	struct barrier_args *a = p;
	struct barrier *b = a->b;
	unsigned seed = a->seed;
	goro_mutex_lock(&b->mu);
	for (long gen = 0; gen < COND_GENERATIONS; gen++) {
		if (b->generation != gen)
			atomic_fetch_add(&b->bad, 1); /* skipped or repeated a generation */
		if (++b->arrived == COND_WAITERS)
			goro_cond_signal(&b->all_in);
		while (b->generation == gen) {
			/* Some waits time out and go round again: they must neither
			 * swallow the Broadcast nor return without the lock. */
			int rc;
			if (next_rand(&seed) % 3 == 0)
				rc = goro_cond_wait_until(&b->next_gen,
				                          goro_now() + (int64_t)(next_rand(&seed) % 100) * 1000);
			else
				goro_cond_wait(&b->next_gen), rc = GORO_OK;
			if (rc != GORO_OK && rc != GORO_TIMEDOUT)
				atomic_fetch_add(&b->bad, 1);
		}
	}
	goro_mutex_unlock(&b->mu);
}

Test(sync_stress, cond_barrier_with_timed_waits)
{
	struct barrier *b = goro_new(struct barrier);
	goro_cond_init(&b->next_gen, goro_mutex_locker(&b->mu));
	goro_cond_init(&b->all_in, goro_mutex_locker(&b->mu));
	goro_waitgroup wg = { 0 };
	for (int i = 0; i < COND_WAITERS; i++)
		goro_waitgroup_go(&wg, barrier_waiter, &(struct barrier_args){ b, (unsigned)i + 1 });
	goro_mutex_lock(&b->mu);
	for (int gen = 0; gen < COND_GENERATIONS; gen++) {
		while (b->arrived < COND_WAITERS)
			cr_assert_eq(goro_cond_wait_until(&b->all_in, SOON), GORO_OK,
			             "generation %d: waiters never all arrived", gen);
		b->arrived = 0;
		b->generation++;
		goro_cond_broadcast(&b->next_gen);
	}
	goro_mutex_unlock(&b->mu);
	join(&wg);
	cr_assert_eq(atomic_load(&b->bad), 0);
	goro_free(b);
}

/* ------------------------------------------------------------------ */
/* Mutex lock_ctx with contexts canceled at random                       */
/* ------------------------------------------------------------------ */

enum { CTX_G = 16, CTX_ITERS = SCALED(3000) };

struct ctx_shared {
	goro_mutex mu;
	long counter; /* guarded by mu */
	atomic_long acquired, canceled, bad;
};

struct canceler_args {
	goro_ctx *ctx; /* owned reference */
};

static void cancel_soon(void *p)
{
	struct canceler_args *a = p;
	goro_yield();
	goro_cancel(a->ctx);
	goro_ctx_release(a->ctx);
}

struct ctx_args {
	struct ctx_shared *s;
	unsigned seed;
};

static void ctx_locker(void *p)
{
	struct ctx_args *a = p;
	struct ctx_shared *s = a->s;
	unsigned seed = a->seed;
	for (int i = 0; i < CTX_ITERS; i++) {
		goro_ctx *ctx = goro_with_cancel(goro_background());
		if (next_rand(&seed) % 2)
			goro_go(cancel_soon, &(struct canceler_args){ goro_ctx_retain(ctx) });
		int rc = goro_mutex_lock_ctx(&s->mu, ctx);
		if (rc == GORO_OK) {
			s->counter++;
			if (next_rand(&seed) % 4 == 0)
				goro_yield();
			atomic_fetch_add(&s->acquired, 1);
			goro_mutex_unlock(&s->mu);
		} else if (rc == GORO_CANCELED) {
			atomic_fetch_add(&s->canceled, 1);
		} else {
			atomic_fetch_add(&s->bad, 1);
		}
		goro_ctx_release(ctx);
	}
}

Test(sync_stress, mutex_lock_ctx_with_random_cancels)
{
	struct ctx_shared *s = goro_new(struct ctx_shared);
	goro_waitgroup wg = { 0 };
	for (int i = 0; i < CTX_G; i++)
		goro_waitgroup_go(&wg, ctx_locker, &(struct ctx_args){ s, (unsigned)i + 1 });
	join(&wg);
	cr_assert_eq(atomic_load(&s->bad), 0, "lock_ctx returned an unexpected status");
	cr_assert_eq(s->counter, atomic_load(&s->acquired));
	cr_assert_eq(atomic_load(&s->acquired) + atomic_load(&s->canceled), (long)CTX_G * CTX_ITERS);
	cr_assert(goro_mutex_trylock(&s->mu), "mutex left locked");
	goro_mutex_unlock(&s->mu);
	GOROUTINES_BACK_TO(1);
	goro_free(s);
}
