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

/* Multi-producer push of first..last (linked by schedlink, newest first)
 * in one step; only the owner takes (goro__inbox_drain). */
static inline void goro__inbox_push_chain(struct goro_worker *w, struct goro_g *first,
                                          struct goro_g *last)
{
	struct goro_g *old = atomic_load_explicit(&w->inbox, memory_order_relaxed);
	do {
		last->schedlink = old;
	} while (!atomic_compare_exchange_weak_explicit(&w->inbox, &old, first,
	                                                memory_order_release,
	                                                memory_order_relaxed));
}

static inline void goro__inbox_push(struct goro_worker *w, struct goro_g *g)
{
	goro__inbox_push_chain(w, g, g);
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
		goro__gq_push(&w->runq, rev);
		rev = n;
	}
	return true;
}

/*
 * A worker's not-yet-started goroutines (newq), newq_lock held.  newq_len
 * is only written under the lock, so a plain store does: no second atomic
 * read-modify-write per spawn; readers without the lock only use it as a
 * hint ("anything there?").
 */
static inline void goro__newq_push_locked(struct goro_worker *w, struct goro_g *g)
{
	goro__gq_push(&w->newq, g);
	int n = atomic_load_explicit(&w->newq_len, memory_order_relaxed);
	atomic_store_explicit(&w->newq_len, n + 1, memory_order_relaxed);
}

static inline struct goro_g *goro__newq_pop_locked(struct goro_worker *w)
{
	struct goro_g *g = goro__gq_pop(&w->newq);
	if (g) {
		int n = atomic_load_explicit(&w->newq_len, memory_order_relaxed);
		atomic_store_explicit(&w->newq_len, n - 1, memory_order_relaxed);
	}
	return g;
}

#endif /* GORO_RUNQ_H */
