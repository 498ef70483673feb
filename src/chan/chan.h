/*
 * chan.h — channels (Go's hchan) and the wait-queue operations select
 * shares with them.
 *
 * Invariants (all under c->lock):
 *   - At most one of recvq and sendq is non-empty... except transiently
 *     for select waiters already claimed by another case (they are skipped
 *     and unlinked by the next dequeue, or by their own goroutine).
 *   - cap == 0: no buffer; a transfer copies directly between the two
 *     goroutines' value slots.
 *   - cap > 0: qcount values live in buf[recvx..], ring of cap slots; a
 *     parked sender exists only when qcount == cap, a parked receiver only
 *     when qcount == 0.
 *   - closed only goes false -> true; after it, the queues stay empty.
 *
 * Lock order: channel locks in increasing address order (select), then a
 * timer's lock and its heap's lock, then scheduler queues.  Never park holding c->lock.
 *
 * The block is allocated in the tracked heap with kind GORO_HEAP_CHAN: the
 * leak detector scans only the buffered values (user data), never the
 * queues, which point at waiting goroutines (Go hides them the same way).
 */
#ifndef GORO_CHAN_H
#define GORO_CHAN_H

#include "sched/g.h"
#include "sched/spinlock.h"
#include "time/rtimer.h"

struct goro_chan {
	goro_spinlock lock;
	bool closed;
	size_t elemsize;
	size_t cap;
	size_t qcount;
	size_t sendx, recvx;
	struct goro_waitq recvq, sendq;
	struct goro_bubble *bubble; /* synctest bubble it was made in */
	/* A timer's channel (Go's c.timer): len and cap read 0, and a
	 * receive first runs the timer if it has expired (Go 1.23). */
	struct goro_rtimer *timer;
	char buf[];                 /* cap * elemsize bytes */
};

/* Where the buffered values of a channel block are (for the marker). */
static inline void goro__chan_values(const struct goro_chan *c, const void **lo,
                                     size_t *len)
{
	*lo = c->buf;
	*len = c->cap * c->elemsize;
}

/* Appends w; `lock` is the lock guarding q (kept for goro__waiter_unlink). */
GORO_HIDDEN void goro__waitq_push(struct goro_waitq *q, struct goro_waiter *w,
                                  goro_spinlock *lock);
/* Takes w out of whatever queue it is in, under that queue's lock. */
GORO_HIDDEN void goro__waiter_unlink(struct goro_waiter *w);
GORO_HIDDEN void goro__waitq_remove(struct goro_waitq *q, struct goro_waiter *w);
/* First waiter whose goroutine can be woken (select claims resolved). */
GORO_HIDDEN struct goro_waiter *goro__waitq_dequeue(struct goro_waitq *q);
/* Readies the goroutines of dequeued (claimed) waiters linked through
 * w->next, each told its waiter won (g->param); in batches per worker.
 * Call it after dropping the lock the waiters were queued under. */
GORO_HIDDEN void goro__waiters_wake(struct goro_waiter *list);

/* A bubbled channel used from outside its bubble is fatal (Go's rule). */
GORO_HIDDEN void goro__chan_check_bubble(struct goro_chan *c, const char *op);

/* Value moves, under c->lock. */
GORO_HIDDEN void goro__chan_send_direct(struct goro_chan *c, struct goro_waiter *r,
                                        const void *elem);
GORO_HIDDEN void goro__chan_recv_from_sender(struct goro_chan *c, struct goro_waiter *s,
                                             void *elem);
GORO_HIDDEN void goro__chan_buf_put(struct goro_chan *c, const void *elem);
GORO_HIDDEN void goro__chan_buf_take(struct goro_chan *c, void *elem);
/* The runtime's own non-blocking send and buffer drain (timers). */
GORO_HIDDEN int goro__chan_trysend_runtime(struct goro_chan *c, const void *elem);
GORO_HIDDEN bool goro__chan_drain_runtime(struct goro_chan *c);
/* Wakes a dequeued waiter (value passed or channel closed). */
GORO_HIDDEN void goro__chan_wake(struct goro_waiter *w, bool success);

#endif /* GORO_CHAN_H */
