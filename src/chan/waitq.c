/*
 * waitq.c — FIFO wait queues of goro_waiter (channels, semaphores).
 * The owner object's lock protects the queue and the waiters' links.
 */
#include "chan/chan.h"
#include "sched/sched.h"

void goro__waitq_push(struct goro_waitq *q, struct goro_waiter *w, goro_spinlock *lock)
{
	w->q = q;
	w->qlock = lock;
	w->next = NULL;
	w->prev = q->last;
	if (q->last)
		q->last->next = w;
	else
		q->first = w;
	q->last = w;
	w->in_queue = true;
}

void goro__waitq_remove(struct goro_waitq *q, struct goro_waiter *w)
{
	if (!w->in_queue)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		q->first = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		q->last = w->prev;
	w->next = w->prev = NULL;
	w->in_queue = false;
}

/*
 * A select (or deadline) waiter sits in several queues; only the first
 * source to win the goroutine's select_done claim may wake it.  Losers are
 * dropped here; the goroutine unlinks the rest itself when it resumes.
 */
struct goro_waiter *goro__waitq_dequeue(struct goro_waitq *q)
{
	for (;;) {
		struct goro_waiter *w = q->first;
		if (!w)
			return NULL;
		goro__waitq_remove(q, w);
		if (w->is_select) {
			uint32_t expected = 0;
			if (!atomic_compare_exchange_strong(&w->g->select_done, &expected, 1))
				continue;
		}
		return w;
	}
}

void goro__waiters_wake(struct goro_waiter *list)
{
	struct goro_readybatch b;
	goro__readybatch_init(&b);
	while (list) {
		/* Read the link first: a readied goroutine's waiter may vanish. */
		struct goro_waiter *w = list;
		list = w->next;
		w->g->param = w;
		goro__readybatch_add(&b, w->g);
	}
	goro__readybatch_flush(&b);
}

void goro__waiter_unlink(struct goro_waiter *w)
{
	if (!w->qlock)
		return;
	goro__spin_lock(w->qlock);
	goro__waitq_remove(w->q, w);
	goro__spin_unlock(w->qlock);
}
