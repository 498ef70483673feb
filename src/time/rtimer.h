/*
 * rtimer.h — runtime timers: a 4-ary min-heap per worker (and one per
 * synctest bubble, on its fake clock).
 *
 * Every time-based thing is a goro_rtimer: sleep, timer channels, tickers,
 * AfterFunc, context deadlines, the deadline of an _until call.  Start,
 * stop and reset are O(log n): the timer knows its heap and its index.
 *
 * Each timer has a state machine guarded by its own lock (Go's timer.mu in
 * runtime/time.go), so concurrent start/stop/reset of one timer from
 * several workers are serialised: a timer is in at most one heap, once.
 *
 *   T_IDLE ──start──▶ T_PENDING ──popped by the heap's owner──▶ T_RUNNING
 *     ▲                  │ stop                                  │ fn returns
 *     └──────────────────┘                                       ▼
 *     └────────────── T_IDLE, or T_PENDING again (ticker period) ┘
 *
 * While fn runs (T_RUNNING*), `runner` is the thread running it:
 *   - stop or start from another thread waits until fn has returned, so a
 *     stopped timer may be freed at once and fn never runs twice at a time;
 *   - fn itself may stop or restart its own timer: that only records the
 *     request (T_RUNNING_STOPPED / T_RUNNING_RESET), which the firing code
 *     carries out when fn returns.
 *
 * Invariants (all under t->lock):
 *   state == T_PENDING       <=> t is in t->heap at t->index;
 *   state is a T_RUNNING*     => runner != NULL, t is in no heap;
 *   state == T_IDLE           => t is in no heap; runner is NULL except in
 *                                the instant after fn when the firing code
 *                                clears it (its last touch of t, unlocked).
 *
 * Lock order: t->lock, then h->lock (a heap lock is innermost).  The
 * firing code holds h->lock first, so it only try-locks the timer and
 * backs off on failure; holding h->lock keeps a pending t alive (freeing
 * needs a stop, and a stop of a pending timer needs h->lock).  fn runs
 * with no lock held.
 */
#ifndef GORO_RTIMER_H
#define GORO_RTIMER_H

#include <stdatomic.h>
#include <stdint.h>

#include "internal.h"
#include "sched/spinlock.h"

enum goro_rtimer_state {
	T_IDLE = 0,        /* in no heap, fn not running */
	T_PENDING,         /* in t->heap at t->index */
	T_RUNNING,         /* popped, fn executing on `runner` */
	T_RUNNING_STOPPED, /* fn executing; stopped meanwhile: T_IDLE after fn */
	T_RUNNING_RESET,   /* fn executing; fn restarted it: goes pending at
	                      t->when on t->heap after fn */
};

struct goro_rtimer;
typedef void (*goro_rtimer_fn)(struct goro_rtimer *t, int64_t now);

struct goro_timerheap;

struct goro_rtimer {
	goro_spinlock lock;  /* guards every field below but fn/arg */
	_Atomic int state;   /* enum goro_rtimer_state; read unlocked by stop */
	int index;           /* position in heap->a while T_PENDING */
	int64_t when;
	int64_t period;      /* > 0: re-armed after each firing (tickers) */
	goro_rtimer_fn fn;
	void *arg;
	struct goro_timerheap *heap; /* where it is pending (or will be) */
	_Atomic(void *) runner; /* thread running fn; read unlocked by waiters */
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

/* now + d, saturating at INT64_MAX (Go's "never"); d <= 0 is now. */
static inline int64_t goro__when_after(int64_t now, int64_t d)
{
	if (d <= 0)
		return now;
	return now > INT64_MAX - d ? INT64_MAX : now + d;
}

GORO_HIDDEN void goro__rtimer_init(struct goro_rtimer *t, goro_rtimer_fn fn, void *arg);
/* Arms t at `when` on heap h (moving it if pending elsewhere).  A timer at
 * INT64_MAX never fires. */
GORO_HIDDEN void goro__rtimer_start(struct goro_rtimer *t, struct goro_timerheap *h,
                                    int64_t when);
/* True if t was pending (it will not fire).  On return fn is not running,
 * unless the caller is fn. */
GORO_HIDDEN bool goro__rtimer_stop(struct goro_rtimer *t);
/* Runs t now, in the caller, if it is pending and expired on its heap's
 * clock; true if it ran.  A timer channel's receive does this first, so an
 * expired timer's value is there at once (Go 1.23's maybeRunChan). */
GORO_HIDDEN bool goro__rtimer_run_if_expired(struct goro_rtimer *t);
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
