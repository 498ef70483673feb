/*
 * runq.h — intrusive FIFO of goroutines (linked through g->schedlink) and
 * the lock-free inbox push.  The FIFO has no lock of its own: its owner
 * (a worker's thread, or whoever holds newq_lock) guarantees exclusion.
 */
#ifndef GORO_RUNQ_H
#define GORO_RUNQ_H

#include "sched/sched.h"

static inline void goro__gq_push(struct goro_gqueue *q, struct goro_g *g)
{
	g->schedlink = NULL;
	if (q->tail)
		q->tail->schedlink = g;
	else
		q->head = g;
	q->tail = g;
}

static inline struct goro_g *goro__gq_pop(struct goro_gqueue *q)
{
	struct goro_g *g = q->head;
	if (g) {
		q->head = g->schedlink;
		if (!q->head)
			q->tail = NULL;
		g->schedlink = NULL;
	}
	return g;
}

/*
 * Multi-producer push of the n goroutines first..last (linked by
 * schedlink, newest first) in one step; only the owner takes
 * (goro__inbox_drain).  first->inbox_depth: how many the inbox holds, for
 * the monitor's report; a hint (old may be drained meanwhile), which costs
 * a load and a store, no atomic read-modify-write.
 */
static inline void goro__inbox_push_chain(struct goro_worker *w, struct goro_g *first,
                                          struct goro_g *last, int n)
{
	struct goro_g *old = atomic_load_explicit(&w->inbox, memory_order_relaxed);
	do {
		last->schedlink = old;
		int below = old ? atomic_load_explicit(&old->inbox_depth, memory_order_relaxed) : 0;
		atomic_store_explicit(&first->inbox_depth, below + n, memory_order_relaxed);
	} while (!atomic_compare_exchange_weak_explicit(&w->inbox, &old, first,
	                                                memory_order_release,
	                                                memory_order_relaxed));
}

static inline void goro__inbox_push(struct goro_worker *w, struct goro_g *g)
{
	goro__inbox_push_chain(w, g, g, 1);
}

/* w->runq, owner only; runq_len is published for the monitor. */
static inline void goro__runq_put(struct goro_worker *w, struct goro_g *g)
{
	goro__gq_push(&w->runq, g);
	int n = atomic_load_explicit(&w->runq_len, memory_order_relaxed);
	atomic_store_explicit(&w->runq_len, n + 1, memory_order_relaxed);
}

static inline struct goro_g *goro__runq_get(struct goro_worker *w)
{
	struct goro_g *g = goro__gq_pop(&w->runq);
	if (g) {
		int n = atomic_load_explicit(&w->runq_len, memory_order_relaxed);
		atomic_store_explicit(&w->runq_len, n - 1, memory_order_relaxed);
	}
	return g;
}

/* Moves the whole inbox, oldest first, to the tail of w->runq. */
static inline bool goro__inbox_drain(struct goro_worker *w)
{
	if (!atomic_load_explicit(&w->inbox, memory_order_relaxed))
		return false;
	struct goro_g *g = atomic_exchange_explicit(&w->inbox, NULL, memory_order_acquire);
	struct goro_g *rev = NULL;
	while (g) { /* the stack is newest-first: reverse it */
		struct goro_g *n = g->schedlink;
		g->schedlink = rev;
		rev = g;
		g = n;
	}
	while (rev) {
		struct goro_g *n = rev->schedlink;
		goro__runq_put(w, rev);
		rev = n;
	}
	return true;
}

/*
 * A worker's not-yet-started goroutines (newq), newq_lock held: a deque
 * linked by schedlink (towards older) and schedprev (towards newer).  The
 * owner takes the newest (head), as a work-stealing deque does: a parent
 * that blocks goes on with its youngest waiting child, so a tree of
 * goroutines unfolds depth-first and its unstarted leaves never pile up.
 * Thieves, the monitor and the fairness tick take the oldest (tail), so no
 * goroutine waits forever behind younger ones.  Simulated on skynet's 1M
 * leaves at one worker, the most goroutines alive at once: a FIFO 673k,
 * Go's run queues (256-slot FIFO, overflow to the global queue) 156k, this
 * deque 31k (a pure LIFO 61, but without the fairness tick's oldest-first
 * pick an old goroutine could wait forever behind a stream of new ones).
 * newq_len is only written under the lock, so a plain store does: no
 * second atomic read-modify-write per spawn; readers without the lock
 * only use it as a hint ("anything there?").
 */
static inline void newq_len_add(struct goro_worker *w, int d)
{
	int n = atomic_load_explicit(&w->newq_len, memory_order_relaxed);
	atomic_store_explicit(&w->newq_len, n + d, memory_order_relaxed);
}

static inline void goro__newq_push_locked(struct goro_worker *w, struct goro_g *g)
{
	g->schedprev = NULL;
	g->schedlink = w->newq.head;
	if (w->newq.head)
		w->newq.head->schedprev = g;
	else
		w->newq.tail = g;
	w->newq.head = g;
	newq_len_add(w, 1);
}

/* The newest. */
static inline struct goro_g *goro__newq_pop_locked(struct goro_worker *w)
{
	struct goro_g *g = w->newq.head;
	if (!g)
		return NULL;
	w->newq.head = g->schedlink;
	if (w->newq.head)
		w->newq.head->schedprev = NULL;
	else
		w->newq.tail = NULL;
	g->schedlink = NULL;
	newq_len_add(w, -1);
	return g;
}

/* The oldest. */
static inline struct goro_g *goro__newq_pop_oldest_locked(struct goro_worker *w)
{
	struct goro_g *g = w->newq.tail;
	if (!g)
		return NULL;
	w->newq.tail = g->schedprev;
	if (w->newq.tail)
		w->newq.tail->schedlink = NULL;
	else
		w->newq.head = NULL;
	g->schedprev = NULL;
	newq_len_add(w, -1);
	return g;
}

/*
 * runnext (sched.h).  The slot holds a goroutine pointer, with RUNNEXT_NEW
 * set when that goroutine has never run.  Only the owner stores a
 * goroutine there; a thief (an idle worker, the monitor) may only swap a
 * RUNNEXT_NEW value for 0.  Hence the owner needs an atomic exchange only
 * when the slot holds a RUNNEXT_NEW value: a value without the tag cannot
 * change under it, so handing a started goroutine over (every channel
 * hand-off) is plain loads and stores.  ABA is harmless: a tagged value
 * in the slot always names a goroutine that has not started, since one
 * can only start after it was taken out.
 */
#define RUNNEXT_NEW ((uintptr_t)1)

static inline struct goro_g *goro__runnext_g(uintptr_t v)
{
	return (struct goro_g *)(v & ~RUNNEXT_NEW);
}

/* Owner: puts g in runnext; returns the goroutine it displaced, or NULL. */
static inline struct goro_g *goro__runnext_swap(struct goro_worker *w, struct goro_g *g)
{
	uintptr_t v = (uintptr_t)g | (g->started ? 0 : RUNNEXT_NEW);
	uintptr_t old = atomic_load_explicit(&w->runnext, memory_order_relaxed);
	if (old & RUNNEXT_NEW)
		old = atomic_exchange_explicit(&w->runnext, v, memory_order_acq_rel);
	else /* release: a thief that takes a new g must see its record */
		atomic_store_explicit(&w->runnext, v, memory_order_release);
	return goro__runnext_g(old);
}

/* Owner: takes what runnext holds, or NULL. */
static inline struct goro_g *goro__runnext_take(struct goro_worker *w)
{
	uintptr_t v = atomic_load_explicit(&w->runnext, memory_order_relaxed);
	if (!v)
		return NULL;
	if (v & RUNNEXT_NEW)
		v = atomic_exchange_explicit(&w->runnext, 0, memory_order_acquire);
	else
		atomic_store_explicit(&w->runnext, 0, memory_order_relaxed);
	return goro__runnext_g(v);
}

/* Anyone: takes v's runnext if it holds a goroutine that never ran. */
static inline struct goro_g *goro__runnext_steal(struct goro_worker *v)
{
	uintptr_t x = atomic_load_explicit(&v->runnext, memory_order_relaxed);
	if (!(x & RUNNEXT_NEW) ||
	    !atomic_compare_exchange_strong_explicit(&v->runnext, &x, 0, memory_order_acquire,
	                                             memory_order_relaxed))
		return NULL;
	return goro__runnext_g(x);
}

/* Whether w has a goroutine to run in runnext or runq (owner only). */
static inline bool goro__runq_any(struct goro_worker *w)
{
	return w->runq.head || atomic_load_explicit(&w->runnext, memory_order_relaxed);
}

#endif /* GORO_RUNQ_H */
