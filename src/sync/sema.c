/*
 * sema.c — the address-keyed wait queues (see sema.h).
 */
#include <limits.h>

#include "chan/chan.h"
#include "runtime/owned.h"
#include "sched/sched.h"
#include "chan/claimwait.h"
#include "sync/sema.h"
#include "time/rtimer.h"

enum { SEMTAB_BITS = 12, SEMTAB_SIZE = 1 << SEMTAB_BITS };

static struct goro_semroot semtab[SEMTAB_SIZE] GORO_RT_STATE;

struct goro_semroot *goro__semroot(const void *addr)
{
	uint64_t h = ((uint64_t)(uintptr_t)addr >> 3) * 0x9e3779b97f4a7c15ULL;
	return &semtab[h >> (64 - SEMTAB_BITS)];
}

void goro__sema_enqueue(struct goro_semroot *r, struct goro_waiter *w, bool lifo)
{
	if (!lifo) {
		goro__waitq_push(&r->q, w, &r->lock);
		return;
	}
	/* LIFO: ahead of the first waiter on the same address (Go queues a
	 * goroutine that already waited once at the front). */
	struct goro_waiter *first = r->q.first;
	while (first && first->obj != w->obj)
		first = first->next;
	if (!first) {
		goro__waitq_push(&r->q, w, &r->lock);
		return;
	}
	w->next = first;
	w->prev = first->prev;
	if (first->prev)
		first->prev->next = w;
	else
		r->q.first = w;
	first->prev = w;
	w->in_queue = true;
	w->q = &r->q;
	w->qlock = &r->lock;
}

static bool claim(struct goro_waiter *w)
{
	if (!w->is_select)
		return true;
	uint32_t expected = 0;
	return atomic_compare_exchange_strong(&w->g->select_done, &expected, 1);
}

struct goro_waiter *goro__sema_dequeue_if(struct goro_semroot *r, const void *addr,
                                          bool (*pred)(struct goro_waiter *))
{
	struct goro_waiter *w = r->q.first;
	while (w) {
		struct goro_waiter *next = w->next;
		if (w->obj == addr && (!pred || pred(w))) {
			goro__waitq_remove(&r->q, w);
			if (claim(w))
				return w;
			/* Lost to its deadline or context: it unlinks itself, we drop it. */
		}
		w = next;
	}
	return NULL;
}

struct goro_waiter *goro__sema_dequeue(struct goro_semroot *r, const void *addr)
{
	return goro__sema_dequeue_if(r, addr, NULL);
}

bool goro__sema_has_waiter_if(struct goro_semroot *r, const void *addr,
                              bool (*pred)(struct goro_waiter *))
{
	for (struct goro_waiter *w = r->q.first; w; w = w->next)
		if (w->obj == addr && (!w->is_select || !atomic_load(&w->g->select_done)) &&
		    (!pred || pred(w)))
			return true;
	return false;
}

bool goro__sema_has_waiters(struct goro_semroot *r, const void *addr)
{
	return goro__sema_has_waiter_if(r, addr, NULL);
}

void goro__sema_claimed(struct goro_waiter *w)
{
	atomic_store(&w->g->state, G_RUNNABLE);
}

void goro__sema_wake(struct goro_waiter *w)
{
	w->g->param = w;
	goro__ready(w->g);
}

static void on_deadline(struct goro_rtimer *t, int64_t now)
{
	(void)now;
	struct goro_g *g = t->arg;
	uint32_t expected = 0;
	if (!atomic_compare_exchange_strong(&g->select_done, &expected, 1))
		return;
	g->param = NULL;
	goro__ready(g);
}

int goro__sema_wait(struct goro_semroot *r, struct goro_waiter *w, int reason,
                    int64_t deadline, goro_chan *done, bool durable)
{
	return goro__sema_wait_then(r, w, reason, deadline, done, durable, NULL, NULL);
}

int goro__sema_wait_then(struct goro_semroot *r, struct goro_waiter *w, int reason,
                         int64_t deadline, goro_chan *done, bool durable,
                         void (*then)(void *), void *arg)
{
	struct goro_g *g = w->g;
	struct goro_claimwait cw;
	goro__claimwait_init(&cw, g, done, deadline, on_deadline, g);
	g->param = NULL;
	g->waiting = w;
	w->waitlink = done ? &cw.dw : NULL;
	g->durable = durable;
	goro__set_waiting(g, reason);
	goro__semroot_unlock(r);
	if (then)
		then(arg);

	bool canceled = goro__claimwait_park(&cw);
	g->waiting = NULL;
	if (g->param == w)
		return GORO_OK;
	goro__semroot_lock(r);
	goro__waitq_remove(&r->q, w);
	goro__semroot_unlock(r);
	return canceled ? GORO_CANCELED : GORO_TIMEDOUT;
}
