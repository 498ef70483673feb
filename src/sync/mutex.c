/*
 * mutex.c — sync.Mutex: not reentrant, fair under contention.
 *
 * state bits (goro_mutex.state):
 *   LOCKED    held by someone (a goroutine, or nobody: a holder that exited
 *             keeps it locked forever, as in Go)
 *   WAITERS   goroutines may be queued (sema table, key = the mutex);
 *             only changed with the queue's bucket lock held
 *   STARVING  Go's starvation mode: the lock is handed directly to the
 *             oldest waiter and newcomers queue instead of barging
 *
 * Normal mode lets a running goroutine barge in (throughput); a woken
 * waiter competes again and queues at the front if it loses.  A waiter
 * that waited more than 1 ms switches the mutex to starvation mode, where
 * Unlock hands ownership to the first waiter (fairness), like Go's.
 *
 * Race that the bucket lock closes: a locker sets WAITERS (checking that
 * LOCKED is still set) and enqueues under the bucket lock, and Unlock's
 * fast path CAS(LOCKED -> 0) fails once WAITERS is set, so an unlock can
 * never slip between "saw it locked" and "queued".
 */
#include "chan/chan.h"
#include "sched/sched.h"
#include "sync/sema.h"

enum { M_LOCKED = 1, M_WAITERS = 2, M_STARVING = 4 };
enum { W_STARVING = 1, W_HANDOFF = 2 };
#define STARVATION_NS 1000000

static uint32_t load(goro_mutex *m)
{
	return __atomic_load_n(&m->state, __ATOMIC_ACQUIRE);
}

static bool cas(goro_mutex *m, uint32_t *old, uint32_t new)
{
	return __atomic_compare_exchange_n(&m->state, old, new, false, __ATOMIC_ACQ_REL,
	                                   __ATOMIC_ACQUIRE);
}

static bool try_barge(goro_mutex *m)
{
	uint32_t old = load(m);
	while (!(old & (M_LOCKED | M_STARVING)))
		if (cas(m, &old, old | M_LOCKED))
			return true;
	return false;
}

/* Bucket locked.  Either takes the lock (true) or flags WAITERS so the
 * holder's Unlock will look at the queue. */
static bool take_or_flag(goro_mutex *m, bool starving)
{
	uint32_t old = load(m);
	for (;;) {
		if (!(old & (M_LOCKED | M_STARVING))) {
			if (cas(m, &old, old | M_LOCKED))
				return true;
			continue;
		}
		uint32_t want = old | M_WAITERS | (starving ? M_STARVING : 0);
		if (cas(m, &old, want))
			return false;
	}
}

static int lock_slow(goro_mutex *m, int64_t deadline, goro_chan *done)
{
	struct goro_g *g = goro__getg();
	int64_t wait_start = 0;
	for (;;) {
		for (int spin = 0; spin < 4 && goro__sched.nworkers > 1; spin++) {
			if (try_barge(m))
				return GORO_OK;
			for (int i = 0; i < 30; i++)
				goro__cpu_relax();
		}
		struct goro_semroot *r = goro__semroot(m);
		goro__semroot_lock(r);
		bool starving = wait_start && goro__nanotime() - wait_start > STARVATION_NS;
		if (take_or_flag(m, starving)) {
			goro__semroot_unlock(r);
			return GORO_OK;
		}
		struct goro_waiter w;
		goro__sema_waiter_init(&w, g, m, deadline, done);
		w.ticket = starving ? W_STARVING : 0;
		goro__sema_enqueue(r, &w, wait_start != 0);
		if (!wait_start)
			wait_start = goro__nanotime();
		int rc = goro__sema_wait(r, &w, WR_MUTEX, deadline, done, false);
		if (rc != GORO_OK)
			return rc; /* our waiter is gone; WAITERS is fixed by the next Unlock */
		if (w.ticket & W_HANDOFF)
			return GORO_OK;
	}
}

GORO_API void goro_mutex_lock(goro_mutex *m)
{
	uint32_t old = 0;
	if (likely(cas(m, &old, M_LOCKED)))
		return;
	lock_slow(m, INT64_MAX, NULL);
}

GORO_API bool goro_mutex_trylock(goro_mutex *m)
{
	return try_barge(m);
}

GORO_API int goro_mutex_lock_until(goro_mutex *m, int64_t deadline)
{
	if (try_barge(m))
		return GORO_OK;
	return lock_slow(m, deadline, NULL);
}

GORO_API int goro_mutex_lock_ctx(goro_mutex *m, goro_ctx *ctx)
{
	if (try_barge(m))
		return GORO_OK;
	int rc = lock_slow(m, INT64_MAX, goro_ctx_done(ctx));
	return rc == GORO_CANCELED ? goro_ctx_err(ctx) : rc;
}

static void unlock_slow(goro_mutex *m)
{
	struct goro_semroot *r = goro__semroot(m);
	goro__semroot_lock(r);
	struct goro_waiter *w = goro__sema_dequeue(r, m);
	bool more = goro__sema_has_waiters(r, m);
	uint32_t old = load(m);
	uint32_t flags = more ? M_WAITERS : 0;
	if (w && ((old & M_STARVING) || (w->ticket & W_STARVING))) {
		/* Hand off: the lock stays LOCKED, now owned by w. */
		w->ticket |= W_HANDOFF;
		bool stay_starving = more && (w->ticket & W_STARVING);
		__atomic_store_n(&m->state, M_LOCKED | flags | (stay_starving ? M_STARVING : 0),
		                 __ATOMIC_RELEASE);
	} else {
		/* Release; w (if any) competes with whoever runs first. */
		__atomic_store_n(&m->state, flags, __ATOMIC_RELEASE);
	}
	if (w)
		goro__sema_claimed(w);
	goro__semroot_unlock(r);
	if (w)
		goro__sema_wake(w);
}

GORO_API void goro_mutex_unlock(goro_mutex *m)
{
	uint32_t old = M_LOCKED;
	if (likely(cas(m, &old, 0)))
		return;
	if (!(old & M_LOCKED))
		goro__throw("sync: unlock of unlocked mutex");
	unlock_slow(m);
}

static void locker_lock(void *m)
{
	goro_mutex_lock(m);
}

static void locker_unlock(void *m)
{
	goro_mutex_unlock(m);
}

GORO_API goro_locker goro_mutex_locker(goro_mutex *m)
{
	return (goro_locker){ .lock = locker_lock, .unlock = locker_unlock, .obj = m };
}
