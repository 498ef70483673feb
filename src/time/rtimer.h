/*
 * rtimer.h — runtime timers: a 4-ary min-heap per worker (and one per
 * synctest bubble, on its fake clock).
 *
 * Every time-based thing is a goro_rtimer: sleep, timer channels, tickers,
 * AfterFunc, context deadlines, the deadline of an _until call.  Start,
 * stop and reset are O(log n): the timer knows its heap and its index.
 *
 * Firing: the heap's owner pops due timers under the heap lock, marks each
 * T_RUNNING, drops the lock and calls fn (on the scheduler; fn must not
 * block or park).  goro__rtimer_stop on a T_RUNNING timer waits until fn
 * returns (unless fn itself is the caller), so a stopped timer may be freed
 * at once.  Lock order: a heap lock is innermost; fn runs without it.
 */
#ifndef GORO_RTIMER_H
#define GORO_RTIMER_H

#include <stdatomic.h>
#include <stdint.h>

#include "internal.h"
#include "sched/spinlock.h"

enum goro_rtimer_state {
	T_IDLE = 0, /* not in a heap */
	T_PENDING,  /* in a heap */
	T_RUNNING,  /* popped, fn executing */
};

struct goro_rtimer;
typedef void (*goro_rtimer_fn)(struct goro_rtimer *t, int64_t now);

struct goro_timerheap;

struct goro_rtimer {
	int64_t when;
	int64_t period;      /* > 0: re-armed after each firing (tickers) */
	goro_rtimer_fn fn;
	void *arg;
	struct goro_timerheap *heap; /* where it is (or was last) pending */
	int index;           /* position in heap->a while T_PENDING */
	_Atomic int state;   /* enum goro_rtimer_state */
	_Atomic(void *) runner; /* thread running fn (T_RUNNING) */
	uint64_t seq;        /* random tie-break among equal `when` */
};

struct goro_timerheap {
	goro_spinlock lock;
	struct goro_rtimer **a;
	int n, cap;
	_Atomic int64_t next_when; /* a[0]->when, INT64_MAX when empty */
	void (*on_earlier)(struct goro_timerheap *h); /* a new earliest timer */
	void *owner;         /* worker or bubble */
	bool fake;           /* synctest: ordered by a random seq among ties */
};

GORO_HIDDEN void goro__timerheap_init(struct goro_timerheap *h, void *owner,
                                      void (*on_earlier)(struct goro_timerheap *));
/* The heap a new timer of the current goroutine goes to. */
GORO_HIDDEN struct goro_timerheap *goro__timerheap_current(void);
/* The clock of that heap (fake inside a bubble). */
GORO_HIDDEN int64_t goro__timerheap_now(struct goro_timerheap *h);

GORO_HIDDEN void goro__rtimer_init(struct goro_rtimer *t, goro_rtimer_fn fn, void *arg);
/* Arms t at `when` on heap h (stops it first if pending elsewhere). */
GORO_HIDDEN void goro__rtimer_start(struct goro_rtimer *t, struct goro_timerheap *h,
                                    int64_t when);
/* True if t was pending (it will not fire). */
GORO_HIDDEN bool goro__rtimer_stop(struct goro_rtimer *t);
/* Fires every timer due at `now`; returns how many fired. */
GORO_HIDDEN int goro__timerheap_run(struct goro_timerheap *h, int64_t now);
/* Pops one timer due at `now` or earlier and fires it; false if none. */
GORO_HIDDEN bool goro__timerheap_fire_one(struct goro_timerheap *h, int64_t now);
static inline int64_t goro__timerheap_next(struct goro_timerheap *h)
{
	return atomic_load_explicit(&h->next_when, memory_order_acquire);
}

/* Forgets every pending timer of h (a bubble being torn down): they will
 * never fire, and stopping them later is a no-op. */
GORO_HIDDEN void goro__timerheap_drop_all(struct goro_timerheap *h);

/* Timers pending in all heaps: the global deadlock check needs it. */
GORO_HIDDEN long goro__rtimers_pending(void);

#endif /* GORO_RTIMER_H */
