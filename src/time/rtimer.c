/*
 * rtimer.c — the timer heap (see rtimer.h).
 *
 * A 4-ary heap keyed by (when, seq): shallower than a binary heap, so a
 * million pending timers cost ~10 levels per sift.  seq is 0 for real
 * heaps (FIFO among ties is not promised) and random for a bubble's fake
 * heap, where Go fires timers due at the same instant in random order.
 */
#include <limits.h>
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

/* Waits for a firing fn to finish, unless we are that fn. */
static void wait_not_running(struct goro_rtimer *t)
{
	void *self = goro__thread_token();
	void *r;
	while ((r = atomic_load(&t->runner)) != NULL && r != self)
		goro__cpu_relax();
}

bool goro__rtimer_stop(struct goro_rtimer *t)
{
	for (;;) {
		struct goro_timerheap *h = t->heap;
		if (!h)
			return false;
		goro__spin_lock(&h->lock);
		if (h != t->heap) { /* moved meanwhile: retry on its new heap */
			goro__spin_unlock(&h->lock);
			continue;
		}
		int st = atomic_load(&t->state);
		bool was = st == T_PENDING;
		if (was) {
			heap_remove(h, t);
			publish_next(h);
		}
		/* T_RUNNING -> T_IDLE tells the firing code not to re-arm it. */
		atomic_store(&t->state, T_IDLE);
		goro__spin_unlock(&h->lock);
		if (!was)
			wait_not_running(t);
		return was;
	}
}

void goro__rtimer_start(struct goro_rtimer *t, struct goro_timerheap *h, int64_t when)
{
	goro__rtimer_stop(t);
	goro__spin_lock(&h->lock);
	t->heap = h;
	t->when = when;
	if (!heap_add(h, t)) {
		goro__spin_unlock(&h->lock);
		goro_panic("goro: out of memory for a timer");
	}
	atomic_store(&t->state, T_PENDING);
	bool earliest = t->index == 0;
	publish_next(h);
	goro__spin_unlock(&h->lock);
	if (earliest && h->on_earlier)
		h->on_earlier(h);
}

bool goro__timerheap_fire_one(struct goro_timerheap *h, int64_t now)
{
	if (goro__timerheap_next(h) > now)
		return false;
	goro__spin_lock(&h->lock);
	if (h->n == 0 || h->a[0]->when > now) {
		goro__spin_unlock(&h->lock);
		return false;
	}
	struct goro_rtimer *t = h->a[0];
	heap_remove(h, t);
	atomic_store(&t->runner, goro__thread_token());
	atomic_store(&t->state, T_RUNNING);
	publish_next(h);
	goro__spin_unlock(&h->lock);

	int64_t fired_at = t->when;
	t->fn(t, now);

	goro__spin_lock(&h->lock);
	/* fn may have restarted t (tickers do, via period below). */
	if (atomic_load(&t->state) == T_RUNNING) {
		if (t->period > 0) {
			/* Skip missed ticks like Go's ticker: next tick after now. */
			int64_t next = fired_at + t->period;
			if (next <= now)
				next = now + t->period - (now - fired_at) % t->period;
			t->when = next;
			if (heap_add(h, t)) {
				atomic_store(&t->state, T_PENDING);
				publish_next(h);
			} else {
				atomic_store(&t->state, T_IDLE);
			}
		} else {
			atomic_store(&t->state, T_IDLE);
		}
	}
	atomic_store(&t->runner, NULL);
	goro__spin_unlock(&h->lock);
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
	goro__spin_lock(&h->lock);
	for (int i = 0; i < h->n; i++) {
		struct goro_rtimer *t = h->a[i];
		t->index = -1;
		t->heap = NULL;
		atomic_store(&t->state, T_IDLE);
	}
	atomic_fetch_sub(&pending_total, h->n);
	if (h->n)
		memset(h->a, 0, (size_t)h->n * sizeof *h->a);
	h->n = 0;
	publish_next(h);
	goro__spin_unlock(&h->lock);
}
