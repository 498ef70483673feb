/*
 * rtimer.c — the timer heap (see rtimer.h).
 *
 * A 4-ary heap keyed by (when, seq): shallower than a binary heap, so a
 * million pending timers cost ~10 levels per sift.  seq is 0 for real
 * heaps (FIFO among ties is not promised) and random for a bubble's fake
 * heap, where Go fires timers due at the same instant in random order.
 */
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "sched/sched.h"
#include "time/rtimer.h"

static atomic_long pending_total;

long goro__rtimers_pending(void)
{
	return atomic_load(&pending_total);
}

void goro__timerheap_init(struct goro_timerheap *h, void *owner,
                          void (*on_earlier)(struct goro_timerheap *))
{
	memset(h, 0, sizeof *h);
	h->owner = owner;
	h->on_earlier = on_earlier;
	atomic_store(&h->next_when, INT64_MAX);
}

void goro__rtimer_init(struct goro_rtimer *t, goro_rtimer_fn fn, void *arg)
{
	memset(t, 0, sizeof *t);
	t->fn = fn;
	t->arg = arg;
	t->index = -1;
}

static bool less(const struct goro_rtimer *a, const struct goro_rtimer *b)
{
	if (a->when != b->when)
		return a->when < b->when;
	return a->seq < b->seq;
}

static void place(struct goro_timerheap *h, int i, struct goro_rtimer *t)
{
	h->a[i] = t;
	t->index = i;
}

static void sift_up(struct goro_timerheap *h, int i)
{
	struct goro_rtimer *t = h->a[i];
	while (i > 0) {
		int p = (i - 1) / 4;
		if (!less(t, h->a[p]))
			break;
		place(h, i, h->a[p]);
		i = p;
	}
	place(h, i, t);
}

static void sift_down(struct goro_timerheap *h, int i)
{
	struct goro_rtimer *t = h->a[i];
	for (;;) {
		int c = 4 * i + 1, best = -1;
		for (int k = c; k < c + 4 && k < h->n; k++)
			if (best < 0 || less(h->a[k], h->a[best]))
				best = k;
		if (best < 0 || !less(h->a[best], t))
			break;
		place(h, i, h->a[best]);
		i = best;
	}
	place(h, i, t);
}

static void publish_next(struct goro_timerheap *h)
{
	atomic_store_explicit(&h->next_when, h->n ? h->a[0]->when : INT64_MAX,
	                      memory_order_release);
}

/* Caller holds h->lock. */
static void heap_remove(struct goro_timerheap *h, struct goro_rtimer *t)
{
	int i = t->index;
	struct goro_rtimer *last = h->a[--h->n];
	h->a[h->n] = NULL; /* the array is scanned as a root: no stale pointer */
	t->index = -1;
	if (i != h->n) {
		place(h, i, last);
		sift_down(h, i);
		sift_up(h, last->index);
	}
	atomic_fetch_sub(&pending_total, 1);
}

/* Caller holds h->lock. Returns false when out of memory. */
static bool heap_add(struct goro_timerheap *h, struct goro_rtimer *t)
{
	if (h->n == h->cap) {
		int cap = h->cap ? h->cap * 2 : 64;
		struct goro_rtimer **a = realloc(h->a, (size_t)cap * sizeof *a);
		if (!a)
			return false;
		h->a = a;
		h->cap = cap;
	}
	t->seq = h->fake ? goro__rand() : 0;
	place(h, h->n++, t);
	sift_up(h, t->index);
	atomic_fetch_add(&pending_total, 1);
	return true;
}

/* state changes under t->lock; the atomic lets goro__rtimer_stop see an
 * idle timer without taking the lock (relaxed: a racing start is simply
 * ordered after that stop). */
static inline int state_of(const struct goro_rtimer *t)
{
	return atomic_load_explicit(&t->state, memory_order_relaxed);
}

static inline void set_state(struct goro_rtimer *t, int st)
{
	atomic_store_explicit(&t->state, st, memory_order_relaxed);
}

/* Waits until no thread but this one runs t's fn.  The runner clears
 * `runner` as its last touch of t, so after this t may be freed. */
static void wait_not_running(struct goro_rtimer *t)
{
	void *r = atomic_load_explicit(&t->runner, memory_order_acquire);
	if (r == NULL)
		return;
	void *self = goro__thread_token();
	for (int spins = 0;
	     (r = atomic_load_explicit(&t->runner, memory_order_acquire)) != NULL && r != self;) {
		if (++spins < 128)
			goro__cpu_relax();
		else {
			sched_yield();
			spins = 0;
		}
	}
}

/* t->lock held, t pending: takes it out of its heap. */
static void unheap(struct goro_rtimer *t)
{
	struct goro_timerheap *h = t->heap;
	goro__spin_lock(&h->lock);
	heap_remove(h, t);
	publish_next(h);
	goro__spin_unlock(&h->lock);
}

/* t->lock held, t in no heap: puts it in h at t->when and makes it
 * pending (or idle, out of memory: -1).  1 if it is h's earliest timer now
 * (the owner may have to wake up for it), else 0.  The state goes straight
 * to its final value: goro__rtimer_stop reads it without the lock. */
static int enheap(struct goro_rtimer *t, struct goro_timerheap *h)
{
	goro__spin_lock(&h->lock);
	if (!heap_add(h, t)) {
		goro__spin_unlock(&h->lock);
		set_state(t, T_IDLE);
		return -1;
	}
	t->heap = h;
	set_state(t, T_PENDING);
	int earliest = t->index == 0;
	publish_next(h);
	goro__spin_unlock(&h->lock);
	return earliest;
}

bool goro__rtimer_stop(struct goro_rtimer *t)
{
	if (state_of(t) == T_IDLE) { /* the common case after a firing or a stop */
		wait_not_running(t);
		return false;
	}
	bool was = false;
	goro__spin_lock(&t->lock);
	switch (state_of(t)) {
	case T_PENDING:
		unheap(t);
		set_state(t, T_IDLE);
		was = true;
		break;
	case T_RUNNING_RESET: /* fn re-armed it: that arming is cancelled */
		was = true;
		/* fallthrough */
	case T_RUNNING:
		set_state(t, T_RUNNING_STOPPED); /* the firing code will not re-arm it */
		break;
	default:
		break;
	}
	goro__spin_unlock(&t->lock);
	wait_not_running(t);
	return was;
}

void goro__rtimer_start(struct goro_rtimer *t, struct goro_timerheap *h, int64_t when)
{
	goro__spin_lock(&t->lock);
	void *r;
	while ((r = atomic_load_explicit(&t->runner, memory_order_acquire)) != NULL &&
	       r != goro__thread_token()) {
		/* fn runs on another thread: let it finish, so fn never runs
		 * twice at once and its end does not undo this start. */
		goro__spin_unlock(&t->lock);
		wait_not_running(t);
		goro__spin_lock(&t->lock);
	}
	t->when = when;
	if (state_of(t) >= T_RUNNING) { /* fn restarts its own timer */
		t->heap = h;
		set_state(t, T_RUNNING_RESET);
		goro__spin_unlock(&t->lock);
		return;
	}
	if (state_of(t) == T_PENDING)
		unheap(t); /* stays T_PENDING: it is back in a heap below */
	int earliest = enheap(t, h);
	goro__spin_unlock(&t->lock);
	if (earliest < 0)
		goro_panic("goro: out of memory for a timer");
	if (earliest && h->on_earlier)
		h->on_earlier(h);
}

/* The next time a ticker that fired at fired_at ticks: after `now`,
 * skipping missed ticks as Go's ticker does. */
static int64_t next_tick(int64_t fired_at, int64_t period, int64_t now)
{
	int64_t next = goro__when_after(fired_at, period);
	if (next <= now)
		next = goro__when_after(now, period - (now - fired_at) % period);
	return next;
}

/* fn of t has returned: carry out what happened to t meanwhile. */
static void finish_run(struct goro_rtimer *t, int64_t fired_at, int64_t now)
{
	goro__spin_lock(&t->lock);
	struct goro_timerheap *h = NULL;
	if (state_of(t) == T_RUNNING && t->period > 0) {
		t->when = next_tick(fired_at, t->period, now);
		h = t->heap;
	} else if (state_of(t) == T_RUNNING_RESET) {
		h = t->heap;
	}
	if (h) {
		int earliest = enheap(t, h); /* out of memory: a tick is lost */
		/* Pending: nobody frees t without taking t->lock, which we hold. */
		atomic_store_explicit(&t->runner, NULL, memory_order_release);
		goro__spin_unlock(&t->lock);
		if (earliest > 0 && h->on_earlier)
			h->on_earlier(h);
		return;
	}
	set_state(t, T_IDLE);
	goro__spin_unlock(&t->lock);
	/* Last touch: a stopper waiting for this may free t at once. */
	atomic_store_explicit(&t->runner, NULL, memory_order_release);
}

/* t->lock and h->lock held, t pending in h: pops it for running by us. */
static void begin_run(struct goro_timerheap *h, struct goro_rtimer *t, void *self)
{
	heap_remove(h, t);
	publish_next(h);
	set_state(t, T_RUNNING);
	atomic_store_explicit(&t->runner, self, memory_order_relaxed);
}

static void run(struct goro_rtimer *t, int64_t now)
{
	int64_t fired_at = t->when;
	t->fn(t, now);
	finish_run(t, fired_at, now);
}

bool goro__timerheap_fire_one(struct goro_timerheap *h, int64_t now)
{
	if (goro__timerheap_next(h) > now)
		return false;
	void *self = goro__thread_token();
	struct goro_rtimer *t;
	for (int tries = 0;; tries++) {
		goro__spin_lock(&h->lock);
		if (h->n == 0 || h->a[0]->when > now) {
			goro__spin_unlock(&h->lock);
			return false;
		}
		t = h->a[0];
		/* Lock order is t then h: try, and back off if someone holds t
		 * (it is stopping or moving t and needs h->lock for that). */
		if (goro__spin_trylock(&t->lock))
			break;
		goro__spin_unlock(&h->lock);
		if (tries % 64 == 63)
			sched_yield();
		else
			goro__cpu_relax();
	}
	begin_run(h, t, self);
	goro__spin_unlock(&h->lock);
	goro__spin_unlock(&t->lock);
	run(t, now);
	return true;
}

bool goro__rtimer_run_if_expired(struct goro_rtimer *t)
{
	goro__spin_lock(&t->lock);
	if (state_of(t) != T_PENDING) {
		goro__spin_unlock(&t->lock);
		return false;
	}
	struct goro_timerheap *h = t->heap;
	int64_t now = goro__timerheap_now(h);
	if (t->when > now) {
		goro__spin_unlock(&t->lock);
		return false;
	}
	goro__spin_lock(&h->lock);
	begin_run(h, t, goro__thread_token());
	goro__spin_unlock(&h->lock);
	goro__spin_unlock(&t->lock);
	run(t, now);
	return true;
}

int goro__timerheap_run(struct goro_timerheap *h, int64_t now)
{
	int n = 0;
	while (goro__timerheap_fire_one(h, now))
		n++;
	return n;
}

void goro__timerheap_drop_all(struct goro_timerheap *h)
{
	for (;;) {
		goro__spin_lock(&h->lock);
		if (h->n == 0)
			break;
		struct goro_rtimer *t = h->a[h->n - 1];
		if (!goro__spin_trylock(&t->lock)) { /* order is t then h */
			goro__spin_unlock(&h->lock);
			goro__cpu_relax();
			continue;
		}
		heap_remove(h, t);
		set_state(t, T_IDLE);
		t->heap = NULL;
		goro__spin_unlock(&t->lock);
		goro__spin_unlock(&h->lock);
	}
	publish_next(h);
	goro__spin_unlock(&h->lock);
}
