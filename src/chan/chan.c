/*
 * chan.c — channel send, receive and close (Go's chan.go, for C).
 * See chan.h for the invariants.  Blocking variants with a deadline or a
 * context are selects with one case (select.c).
 */
#include <string.h>

#include "chan/chan.h"
#include "chan/select.h"
#include "heap/heap.h"
#include "sched/sched.h"

static inline char *slot(struct goro_chan *c, size_t i)
{
	return c->buf + i * c->elemsize;
}

/* The next ring slot (no division on the hot path). */
static inline size_t ring_next(const struct goro_chan *c, size_t i)
{
	return ++i == c->cap ? 0 : i;
}

/* Element copies: the common word-sized ones inline, the rest memcpy. */
static inline void copy_or_zero(void *dst, const void *src, size_t n)
{
	if (!dst || !n)
		return;
	if (n == 8) {
		uint64_t v = 0;
		if (src)
			memcpy(&v, src, 8);
		memcpy(dst, &v, 8);
	} else if (n == 4) {
		uint32_t v = 0;
		if (src)
			memcpy(&v, src, 4);
		memcpy(dst, &v, 4);
	} else if (src) {
		memcpy(dst, src, n);
	} else {
		memset(dst, 0, n);
	}
}

GORO_API goro_chan *goro_chan_make(size_t elemsize, size_t cap)
{
	goro__ensure_init();
	if (elemsize > 65536)
		goro_panic("makechan: invalid channel element type (%zu bytes)", elemsize);
	if (cap && elemsize && cap > (SIZE_MAX - sizeof(struct goro_chan)) / elemsize)
		goro_panic("makechan: size out of range");
	struct goro_chan *c = goro__heap_alloc_kind(sizeof *c + cap * elemsize,
	                                            GORO_HEAP_CHAN, true);
	if (!c)
		goro__throw_oom("a channel", sizeof *c + cap * elemsize);
	c->elemsize = elemsize;
	c->cap = cap;
	c->bubble = goro__getg()->bubble;
	return c;
}

/*
 * A channel used after goro_chan_free (or freed twice): its lock word is
 * the heap's free-list link by then, and locking it would spin forever.
 * The heap's block table says whether c is still a live channel without
 * reading the freed block.  (A block already reused for a new channel
 * cannot be told apart: C has no GC.)
 */
static void check_live(struct goro_chan *c, const char *op)
{
	if (unlikely(goro__heap_kind(c) != GORO_HEAP_CHAN))
		goro_panic("%s: channel %p is not a live channel (used after goro_chan_free, "
		           "or freed twice)", op, (void *)c);
}

GORO_API void goro_chan_free(goro_chan *c)
{
	if (!c)
		return;
	check_live(c, "goro_chan_free");
	goro__spin_lock(&c->lock);
	bool busy = c->recvq.first || c->sendq.first;
	goro__spin_unlock(&c->lock);
	if (busy)
		goro_panic("goro_chan_free: channel has blocked goroutines");
	goro_free(c);
}

void goro__chan_check_bubble(struct goro_chan *c, const char *op)
{
	if (unlikely(c->bubble != NULL) && c->bubble != goro__getg()->bubble)
		goro__throw("%s %s synctest channel from outside bubble", op,
		            strcmp(op, "close") == 0 ? "of" : "on"); /* Go's wording */
}

void goro__chan_wake(struct goro_waiter *w, bool success)
{
	w->success = success;
	w->g->param = w;
	goro__ready(w->g);
}

void goro__chan_send_direct(struct goro_chan *c, struct goro_waiter *r, const void *elem)
{
	copy_or_zero(r->elem, elem, c->elemsize);
	goro__chan_wake(r, true);
}

/*
 * Receiving while a sender waits.  Unbuffered: take the sender's value.
 * Buffered (the buffer is full): take the oldest value and put the
 * sender's in the freed slot, which keeps FIFO order.
 */
void goro__chan_recv_from_sender(struct goro_chan *c, struct goro_waiter *s, void *elem)
{
	if (c->cap == 0) {
		copy_or_zero(elem, s->elem, c->elemsize);
	} else {
		char *p = slot(c, c->recvx);
		copy_or_zero(elem, p, c->elemsize);
		copy_or_zero(p, s->elem, c->elemsize);
		c->recvx = ring_next(c, c->recvx);
		c->sendx = c->recvx;
	}
	goro__chan_wake(s, true);
}

void goro__chan_buf_put(struct goro_chan *c, const void *elem)
{
	copy_or_zero(slot(c, c->sendx), elem, c->elemsize);
	c->sendx = ring_next(c, c->sendx);
	/* Relaxed atomic: goro_chan_len reads it without the lock. */
	__atomic_store_n(&c->qcount, c->qcount + 1, __ATOMIC_RELAXED);
}

/* The slot is zeroed after the copy: a stale pointer left in a buffer
 * would keep objects "reachable" for the leak detector. */
void goro__chan_buf_take(struct goro_chan *c, void *elem)
{
	char *p = slot(c, c->recvx);
	copy_or_zero(elem, p, c->elemsize);
	copy_or_zero(p, NULL, c->elemsize);
	c->recvx = ring_next(c, c->recvx);
	__atomic_store_n(&c->qcount, c->qcount - 1, __ATOMIC_RELAXED);
}

static GORO_NORETURN void block_forever(int reason)
{
	struct goro_g *g = goro__getg();
	goro__set_waiting(g, reason);
	g->durable = g->bubble != NULL; /* only the bubble could ever... nobody */
	for (;;)
		goro__park();
}

/*
 * The blocking half of send and receive (c->lock held, released here):
 * queue a waiter on q, park until a partner moves the value or close wakes
 * us.  Returns the waiter's success (false: the channel was closed).
 */
static bool park_on(struct goro_chan *c, struct goro_waitq *q, void *elem, int reason)
{
	struct goro_g *g = goro__getg();
	struct goro_waiter w = { .g = g, .obj = c, .elem = elem };
	goro__waitq_push(q, &w, &c->lock);
	g->waiting = &w;
	g->durable = c->bubble != NULL;
	goro__set_waiting(g, reason);
	goro__spin_unlock(&c->lock);
	goro__park();
	g->waiting = NULL;
	return w.success;
}

/* Go's chansend for the blocking and try forms. */
static int chan_send_checked(struct goro_chan *c, const void *elem, bool block, bool check)
{
	if (!c) {
		if (!block)
			return GORO_WOULDBLOCK;
		block_forever(WR_CHAN_SEND_NIL);
	}
	check_live(c, "send");
	if (check)
		goro__chan_check_bubble(c, "send");
	goro__spin_lock(&c->lock);
	if (c->closed) {
		goro__spin_unlock(&c->lock);
		goro_panic("send on closed channel");
	}
	struct goro_waiter *r = goro__waitq_dequeue(&c->recvq);
	if (r) {
		goro__chan_send_direct(c, r, elem);
		goro__spin_unlock(&c->lock);
		return GORO_OK;
	}
	if (c->qcount < c->cap) {
		goro__chan_buf_put(c, elem);
		goro__spin_unlock(&c->lock);
		return GORO_OK;
	}
	if (!block) {
		goro__spin_unlock(&c->lock);
		return GORO_WOULDBLOCK;
	}
	if (!park_on(c, &c->sendq, (void *)elem, WR_CHAN_SEND))
		goro_panic("send on closed channel");
	return GORO_OK;
}

static int chan_send(struct goro_chan *c, const void *elem, bool block)
{
	return chan_send_checked(c, elem, block, true);
}

/* The runtime's own sends (timers, tickers): no bubble check, never block. */
int goro__chan_trysend_runtime(struct goro_chan *c, const void *elem)
{
	return chan_send_checked(c, elem, false, false);
}

/* Discards a buffered value (timer Stop/Reset); true if there was one. */
bool goro__chan_drain_runtime(struct goro_chan *c)
{
	goro__spin_lock(&c->lock);
	bool had = c->qcount > 0;
	while (c->qcount > 0)
		goro__chan_buf_take(c, NULL);
	goro__spin_unlock(&c->lock);
	return had;
}

/* Go's chanrecv: GORO_OK, GORO_CLOSED or (try form) GORO_WOULDBLOCK. */
static int chan_recv(struct goro_chan *c, void *elem, bool block)
{
	if (!c) {
		if (!block)
			return GORO_WOULDBLOCK;
		block_forever(WR_CHAN_RECV_NIL);
	}
	check_live(c, "receive");
	goro__chan_check_bubble(c, "receive");
	if (unlikely(c->timer != NULL))
		goro__rtimer_run_if_expired(c->timer);
	goro__spin_lock(&c->lock);
	if (c->closed && c->qcount == 0) {
		goro__spin_unlock(&c->lock);
		copy_or_zero(elem, NULL, c->elemsize);
		return GORO_CLOSED;
	}
	struct goro_waiter *s = goro__waitq_dequeue(&c->sendq);
	if (s) {
		goro__chan_recv_from_sender(c, s, elem);
		goro__spin_unlock(&c->lock);
		return GORO_OK;
	}
	if (c->qcount > 0) {
		goro__chan_buf_take(c, elem);
		goro__spin_unlock(&c->lock);
		return GORO_OK;
	}
	if (!block) {
		goro__spin_unlock(&c->lock);
		return GORO_WOULDBLOCK;
	}
	if (!park_on(c, &c->recvq, elem, WR_CHAN_RECV)) {
		copy_or_zero(elem, NULL, c->elemsize);
		return GORO_CLOSED;
	}
	return GORO_OK;
}

GORO_API void goro_chan_send(goro_chan *c, const void *elem)
{
	chan_send(c, elem, true);
}

GORO_API void goro_chan_send_sized_(goro_chan *c, const void *elem, size_t n)
{
	if (c && n != c->elemsize)
		goro_panic("goro_send: value of %zu bytes on a channel of %zu-byte elements",
		           n, c->elemsize);
	chan_send(c, elem, true);
}

GORO_API bool goro_chan_recv(goro_chan *c, void *elem)
{
	return chan_recv(c, elem, true) == GORO_OK;
}

GORO_API int goro_chan_trysend(goro_chan *c, const void *elem)
{
	return chan_send(c, elem, false);
}

GORO_API int goro_chan_tryrecv(goro_chan *c, void *elem)
{
	return chan_recv(c, elem, false);
}

/* Moves every waiter of q onto `list` (linked through w->next, free once
 * dequeued); the caller wakes them after dropping the lock. */
static struct goro_waiter *take_all(struct goro_waitq *q, struct goro_waiter *list)
{
	struct goro_waiter *w;
	while ((w = goro__waitq_dequeue(q)) != NULL) {
		/* Mark runnable now, under the lock (see g.h); queue it later. */
		atomic_store_explicit(&w->g->state, G_RUNNABLE, memory_order_release);
		w->success = false;
		w->next = list;
		list = w;
	}
	return list;
}

GORO_API void goro_chan_close(goro_chan *c)
{
	if (!c)
		goro_panic("close of nil channel");
	check_live(c, "close");
	goro__chan_check_bubble(c, "close");
	goro__spin_lock(&c->lock);
	if (c->closed) {
		goro__spin_unlock(&c->lock);
		goro_panic("close of closed channel");
	}
	c->closed = true;
	struct goro_waiter *list = take_all(&c->recvq, NULL);
	list = take_all(&c->sendq, list);
	goro__spin_unlock(&c->lock);
	goro__waiters_wake(list); /* a close may wake many: batched */
}

GORO_API size_t goro_chan_len(goro_chan *c)
{
	if (!c || c->timer)
		return 0; /* a timer channel looks unbuffered (Go 1.23) */
	return __atomic_load_n(&c->qcount, __ATOMIC_RELAXED);
}

GORO_API size_t goro_chan_cap(goro_chan *c)
{
	return c && !c->timer ? c->cap : 0;
}

GORO_API size_t goro_chan_elemsize(goro_chan *c)
{
	return c ? c->elemsize : 0;
}
