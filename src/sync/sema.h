/*
 * sema.h — wait queues keyed by address (Go's semaphore table), the one
 * parking mechanism behind Mutex, RWMutex, WaitGroup and Cond.
 *
 * Why a side table: sync objects are zero-initialised values embedded in
 * user memory.  Keeping queue pointers inside them would (a) make them
 * bigger than Go's and (b) plant pointers to waiting goroutines' stacks in
 * user memory, which the leak detector would follow.  Instead a waiting
 * goroutine's goro_waiter (on its own stack) is linked into the bucket of
 * the object's address; the object itself holds only counters.
 *
 * Each bucket is one spinlock and one FIFO list of waiters of every
 * address hashing there; operations on an address scan for it.  All of a
 * sync object's slow-path state changes happen under its bucket lock, so
 * "check the state, then enqueue" never loses a wake-up.
 *
 * Lock order: bucket lock, then a channel lock (never the reverse), then
 * timer heaps and run queues.
 */
#ifndef GORO_SEMA_H
#define GORO_SEMA_H

#include "sched/g.h"
#include "sched/spinlock.h"

struct goro_semroot {
	goro_spinlock lock;
	struct goro_waitq q;
};

GORO_HIDDEN struct goro_semroot *goro__semroot(const void *addr);

static inline void goro__semroot_lock(struct goro_semroot *r)
{
	goro__spin_lock(&r->lock);
}

static inline void goro__semroot_unlock(struct goro_semroot *r)
{
	goro__spin_unlock(&r->lock);
}

/* Root locked for all of these. */
GORO_HIDDEN void goro__sema_enqueue(struct goro_semroot *r, struct goro_waiter *w, bool lifo);
/* First waiter on addr that can still be woken (claims select waiters). */
GORO_HIDDEN struct goro_waiter *goro__sema_dequeue(struct goro_semroot *r, const void *addr);
/* Like dequeue, but only waiters for which pred(w) holds. */
GORO_HIDDEN struct goro_waiter *goro__sema_dequeue_if(struct goro_semroot *r, const void *addr,
                                                      bool (*pred)(struct goro_waiter *));
GORO_HIDDEN bool goro__sema_has_waiters(struct goro_semroot *r, const void *addr);
GORO_HIDDEN bool goro__sema_has_waiter_if(struct goro_semroot *r, const void *addr,
                                          bool (*pred)(struct goro_waiter *));
/* Marks w's goroutine runnable now (under the root lock, see g.h). */
GORO_HIDDEN void goro__sema_claimed(struct goro_waiter *w);
/* Waking claimed waiters linked through w->next, after unlocking r:
 * goro__waiters_wake (chan.h). */

/*
 * Parks the calling goroutine on w (already filled: g, obj) until a
 * waker dequeues it, the deadline passes or `done` becomes receivable.
 * Called with r locked; returns with r unlocked.  Returns GORO_OK when a
 * waker chose w, GORO_TIMEDOUT, or GORO_CANCELED (done); on the latter two
 * w is no longer queued.  `durable`: only goroutines of the caller's bubble
 * can wake it.
 */
GORO_HIDDEN int goro__sema_wait(struct goro_semroot *r, struct goro_waiter *w, int reason,
                                int64_t deadline, goro_chan *done, bool durable);
/* The same, calling then(arg) after dropping r and before parking
 * (Cond.Wait unlocks its Locker there). */
GORO_HIDDEN int goro__sema_wait_then(struct goro_semroot *r, struct goro_waiter *w,
                                     int reason, int64_t deadline, goro_chan *done,
                                     bool durable, void (*then)(void *), void *arg);

/* A waiter for obj; with a deadline or done channel it must be claimed
 * (several things may race to wake it). Call before enqueueing. */
static inline void goro__sema_waiter_init(struct goro_waiter *w, struct goro_g *g, void *obj,
                                          int64_t deadline, goro_chan *done)
{
	*w = (struct goro_waiter){ .g = g, .obj = obj,
	                           .is_select = deadline != INT64_MAX || done != NULL };
	atomic_store(&g->select_done, 0);
}

/* Wakes a waiter taken with goro__sema_dequeue (after dropping r). */
GORO_HIDDEN void goro__sema_wake(struct goro_waiter *w);

#endif /* GORO_SEMA_H */
