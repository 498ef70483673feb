/*
 * rwmutex.c — sync.RWMutex, writer-preferring like Go's: once a writer
 * waits, new readers wait too (that is what makes the corpus' RWR
 * deadlocks real), and a writer's Unlock admits the readers that queued
 * behind it before the next writer.
 *
 * state (goro_rwmutex.state):
 *   WRITER   a writer holds it
 *   WPEND    writers are queued
 *   RPEND    readers are queued
 *   low bits the number of readers holding it
 * The queues live in the sema table under the rwmutex's address; a waiter's
 * ticket says reader or writer.  Every change that involves the queues
 * happens under the bucket lock; the fast paths are single CASes that only
 * succeed when no PEND flag is set.  Grants are made by the releaser on the
 * waiter's behalf (reader count or WRITER set before waking it).
 */
#include "chan/chan.h"
#include "sched/sched.h"
#include "sync/sema.h"

#define WRITER (1u << 31)
#define WPEND (1u << 30)
#define RPEND (1u << 29)
#define READERS (RPEND - 1)
enum { T_READER = 0, T_WRITER = 1 };

static uint32_t load(goro_rwmutex *rw)
{
	return __atomic_load_n(&rw->state, __ATOMIC_ACQUIRE);
}

static bool cas(goro_rwmutex *rw, uint32_t *old, uint32_t new)
{
	return __atomic_compare_exchange_n(&rw->state, old, new, false, __ATOMIC_ACQ_REL,
	                                   __ATOMIC_ACQUIRE);
}

static bool is_reader(struct goro_waiter *w)
{
	return w->ticket == T_READER;
}

static bool is_writer(struct goro_waiter *w)
{
	return w->ticket == T_WRITER;
}

/* Bucket locked: the PEND flags as the queue says. */
static uint32_t pend_flags(struct goro_semroot *r, goro_rwmutex *rw)
{
	return (goro__sema_has_waiter_if(r, rw, is_writer) ? WPEND : 0) |
	       (goro__sema_has_waiter_if(r, rw, is_reader) ? RPEND : 0);
}

/* Bucket locked, no writer holds it: admit every queued reader.  Returns
 * them linked through w->next for waking after unlock. */
static struct goro_waiter *grant_readers(struct goro_semroot *r, goro_rwmutex *rw,
                                         uint32_t *nreaders)
{
	struct goro_waiter *list = NULL, *w;
	while ((w = goro__sema_dequeue_if(r, rw, is_reader)) != NULL) {
		goro__sema_claimed(w);
		w->next = list;
		list = w;
		(*nreaders)++;
	}
	return list;
}

/*
 * Bucket locked, nobody holds the lock for writing and no reader holds it:
 * give it to the next writer, else to the queued readers.  Stores the new
 * state; returns who to wake.
 */
static struct goro_waiter *grant_next(struct goro_semroot *r, goro_rwmutex *rw)
{
	struct goro_waiter *w = goro__sema_dequeue_if(r, rw, is_writer);
	if (w) {
		goro__sema_claimed(w);
		w->next = NULL;
		__atomic_store_n(&rw->state, WRITER | pend_flags(r, rw), __ATOMIC_RELEASE);
		return w;
	}
	uint32_t n = 0;
	struct goro_waiter *list = grant_readers(r, rw, &n);
	__atomic_store_n(&rw->state, n | pend_flags(r, rw), __ATOMIC_RELEASE);
	return list;
}

/* CAS loop: readers += add, everything else := extra (the reader count
 * may move under us through the fast paths; nothing else can). */
static void set_keep_readers(goro_rwmutex *rw, uint32_t add, uint32_t extra)
{
	uint32_t cur = load(rw);
	while (!cas(rw, &cur, ((cur & READERS) + add) | extra))
		;
}

/* Bucket locked, after a waiter withdrew (deadline or context). */
static struct goro_waiter *after_giving_up(struct goro_semroot *r, goro_rwmutex *rw)
{
	uint32_t cur = load(rw);
	uint32_t flags = pend_flags(r, rw);
	if (!(cur & WRITER) && (cur & READERS) == 0 && (cur & WPEND))
		return grant_next(r, rw); /* WPEND blocks the fast paths: safe */
	if (!(cur & WRITER) && !(flags & WPEND) && (flags & RPEND)) {
		uint32_t n = 0;
		struct goro_waiter *list = grant_readers(r, rw, &n);
		set_keep_readers(rw, n, pend_flags(r, rw));
		return list;
	}
	set_keep_readers(rw, 0, (cur & WRITER) | flags);
	return NULL;
}

static int wait_as(goro_rwmutex *rw, struct goro_semroot *r, int type, int64_t deadline,
                   goro_chan *done)
{
	struct goro_g *g = goro__getg();
	struct goro_waiter w;
	goro__sema_waiter_init(&w, g, rw, deadline, done);
	w.ticket = (uint32_t)type;
	goro__sema_enqueue(r, &w, false);
	int rc = goro__sema_wait(r, &w, type == T_WRITER ? WR_RWMUTEX_LOCK : WR_RWMUTEX_RLOCK,
	                         deadline, done, false);
	if (rc != GORO_OK) {
		/* Gave up: our PEND flag may have been holding others back. */
		goro__semroot_lock(r);
		struct goro_waiter *wake = after_giving_up(r, rw);
		goro__semroot_unlock(r);
		goro__waiters_wake(wake);
	}
	return rc;
}

static bool try_rlock(goro_rwmutex *rw)
{
	uint32_t old = load(rw);
	while (!(old & (WRITER | WPEND))) {
		if ((old & READERS) == READERS)
			goro__throw("sync: too many readers on RWMutex");
		if (cas(rw, &old, old + 1))
			return true;
	}
	return false;
}

static int rlock(goro_rwmutex *rw, int64_t deadline, goro_chan *done)
{
	if (try_rlock(rw))
		return GORO_OK;
	struct goro_semroot *r = goro__semroot(rw);
	goro__semroot_lock(r);
	uint32_t old = load(rw);
	for (;;) {
		if (!(old & (WRITER | WPEND))) {
			if (cas(rw, &old, old + 1)) {
				goro__semroot_unlock(r);
				return GORO_OK;
			}
			continue;
		}
		if (cas(rw, &old, old | RPEND))
			break;
	}
	return wait_as(rw, r, T_READER, deadline, done);
}

static bool try_lock(goro_rwmutex *rw)
{
	uint32_t old = 0;
	return cas(rw, &old, WRITER);
}

static int wlock(goro_rwmutex *rw, int64_t deadline, goro_chan *done)
{
	if (try_lock(rw))
		return GORO_OK;
	struct goro_semroot *r = goro__semroot(rw);
	goro__semroot_lock(r);
	uint32_t old = load(rw);
	for (;;) {
		if (!(old & (WRITER | READERS)) && !(old & WPEND)) {
			if (cas(rw, &old, old | WRITER)) {
				goro__semroot_unlock(r);
				return GORO_OK;
			}
			continue;
		}
		if (cas(rw, &old, old | WPEND))
			break;
	}
	return wait_as(rw, r, T_WRITER, deadline, done);
}

GORO_API void goro_rwmutex_rlock(goro_rwmutex *rw)
{
	rlock(rw, INT64_MAX, NULL);
}

GORO_API bool goro_rwmutex_tryrlock(goro_rwmutex *rw)
{
	return try_rlock(rw);
}

GORO_API int goro_rwmutex_rlock_until(goro_rwmutex *rw, int64_t deadline)
{
	return rlock(rw, deadline, NULL);
}

GORO_API int goro_rwmutex_rlock_ctx(goro_rwmutex *rw, goro_ctx *ctx)
{
	int rc = rlock(rw, INT64_MAX, goro_ctx_done(ctx));
	return rc == GORO_CANCELED ? goro_ctx_err(ctx) : rc;
}

GORO_API void goro_rwmutex_lock(goro_rwmutex *rw)
{
	wlock(rw, INT64_MAX, NULL);
}

GORO_API bool goro_rwmutex_trylock(goro_rwmutex *rw)
{
	return try_lock(rw);
}

GORO_API int goro_rwmutex_lock_until(goro_rwmutex *rw, int64_t deadline)
{
	return wlock(rw, deadline, NULL);
}

GORO_API int goro_rwmutex_lock_ctx(goro_rwmutex *rw, goro_ctx *ctx)
{
	int rc = wlock(rw, INT64_MAX, goro_ctx_done(ctx));
	return rc == GORO_CANCELED ? goro_ctx_err(ctx) : rc;
}

GORO_API void goro_rwmutex_runlock(goro_rwmutex *rw)
{
	uint32_t old = load(rw);
	for (;;) {
		if ((old & READERS) == 0 || (old & WRITER))
			goro__throw("sync: RUnlock of unlocked RWMutex");
		if (cas(rw, &old, old - 1))
			break;
	}
	if ((old & READERS) != 1 || !(old & WPEND))
		return;
	/* Last reader out while a writer waits: hand it over. */
	struct goro_semroot *r = goro__semroot(rw);
	goro__semroot_lock(r);
	struct goro_waiter *wake = NULL;
	uint32_t cur = load(rw);
	if (!(cur & (WRITER | READERS)) && (cur & WPEND))
		wake = grant_next(r, rw);
	goro__semroot_unlock(r);
	goro__waiters_wake(wake);
}

GORO_API void goro_rwmutex_unlock(goro_rwmutex *rw)
{
	uint32_t old = WRITER;
	if (cas(rw, &old, 0))
		return;
	if (!(old & WRITER))
		goro__throw("sync: Unlock of unlocked RWMutex");
	struct goro_semroot *r = goro__semroot(rw);
	goro__semroot_lock(r);
	/* Go admits the readers that queued during the write first. */
	uint32_t n = 0;
	struct goro_waiter *wake = grant_readers(r, rw, &n);
	if (n)
		__atomic_store_n(&rw->state, n | pend_flags(r, rw), __ATOMIC_RELEASE);
	else
		wake = grant_next(r, rw);
	goro__semroot_unlock(r);
	goro__waiters_wake(wake);
}

static void rw_lock(void *p) { goro_rwmutex_lock(p); }
static void rw_unlock(void *p) { goro_rwmutex_unlock(p); }
static void rw_rlock(void *p) { goro_rwmutex_rlock(p); }
static void rw_runlock(void *p) { goro_rwmutex_runlock(p); }

GORO_API goro_locker goro_rwmutex_locker(goro_rwmutex *rw)
{
	return (goro_locker){ .lock = rw_lock, .unlock = rw_unlock, .obj = rw };
}

GORO_API goro_locker goro_rwmutex_rlocker(goro_rwmutex *rw)
{
	return (goro_locker){ .lock = rw_rlock, .unlock = rw_runlock, .obj = rw };
}
