/*
 * select.c — Go's selectgo for C, and the deadline/context forms of the
 * channel calls built on it.
 *
 * Pass 1 (all case channels locked in address order): look at the cases
 * in a random order and run the first that can proceed — Go's uniformly
 * random choice among ready cases.  Pass 2: enqueue one waiter per case
 * (cases on one channel in that random order),
 * all claiming through g->select_done, arm the deadline timer, park.
 * Whoever wins the claim (a channel operation, a close, the timer) wakes
 * the goroutine, which then unlinks its other waiters.
 */
#include <stdlib.h>
#include <string.h>

#include "chan/chan.h"
#include "chan/select.h"
#include "heap/heap.h"
#include "sched/sched.h"
#include "time/rtimer.h"

enum { SMALL = 8 };

struct sel {
	goro_case *cases; /* user cases, plus the done case at index n */
	int n, total;
	uint16_t *poll, *lock;
	int npoll;
	struct goro_waiter *waiters;
};

static struct goro_chan *case_chan(struct sel *s, int i)
{
	return s->cases[i].chan;
}

/* Lock order: the poll order stably sorted by channel address, so cases
 * on one channel keep their random relative order, and pass 2 queues them
 * in it: a blocked select does not always get the same case of a channel
 * (Go's selectgo sorts pollorder into lockorder the same way). */
static void sort_lockorder(struct sel *s)
{
	for (int i = 0; i < s->npoll; i++) { /* insertion sort: n is small */
		uint16_t v = s->poll[i];
		uintptr_t key = (uintptr_t)case_chan(s, v);
		int j = i - 1;
		while (j >= 0 && (uintptr_t)case_chan(s, s->lock[j]) > key) {
			s->lock[j + 1] = s->lock[j];
			j--;
		}
		s->lock[j + 1] = v;
	}
}

/* Locks every case's channel but skip (NULL: all), in address order. */
static void lock_but(struct sel *s, const struct goro_chan *skip)
{
	struct goro_chan *prev = NULL;
	for (int i = 0; i < s->npoll; i++) {
		struct goro_chan *c = case_chan(s, s->lock[i]);
		if (c != prev && c != skip)
			goro__spin_lock(&c->lock);
		prev = c;
	}
}

static void unlock_but(struct sel *s, const struct goro_chan *skip)
{
	struct goro_chan *prev = NULL;
	for (int i = s->npoll - 1; i >= 0; i--) {
		struct goro_chan *c = case_chan(s, s->lock[i]);
		if (c != prev && c != skip)
			goro__spin_unlock(&c->lock);
		prev = c;
	}
}

static void lock_all(struct sel *s)
{
	lock_but(s, NULL);
}

static void unlock_all(struct sel *s)
{
	unlock_but(s, NULL);
}

/*
 * After the wake-up: the channel whose lock the clean-up can skip.  The
 * waker took the winning waiter off its queue itself, so the winner's
 * channel needs no lock unless another case of ours waits on it too.  On a
 * cancel fan-out every woken select would otherwise queue on the one lock
 * of the Done channel.
 */
static const struct goro_chan *cleanup_skip(struct sel *s, const struct goro_waiter *won)
{
	if (!won)
		return NULL;
	for (int j = 0; j < s->npoll; j++)
		if (&s->waiters[j] != won && s->waiters[j].obj == won->obj)
			return NULL;
	return won->obj;
}

/* Pass 1 for one case, channels locked. True if it proceeded. */
static bool try_case(struct sel *s, int i)
{
	goro_case *k = &s->cases[i];
	struct goro_chan *c = k->chan;
	if (k->dir == GORO_CASE_RECV) {
		struct goro_waiter *snd = goro__waitq_dequeue(&c->sendq);
		if (snd) {
			goro__chan_recv_from_sender(c, snd, k->elem);
			k->ok = true;
		} else if (c->qcount > 0) {
			goro__chan_buf_take(c, k->elem);
			k->ok = true;
		} else if (c->closed) {
			if (k->elem)
				memset(k->elem, 0, c->elemsize);
			k->ok = false;
		} else {
			return false;
		}
		return true;
	}
	if (c->closed) {
		unlock_all(s);
		goro_panic("send on closed channel");
	}
	struct goro_waiter *rcv = goro__waitq_dequeue(&c->recvq);
	if (rcv)
		goro__chan_send_direct(c, rcv, k->elem);
	else if (c->qcount < c->cap)
		goro__chan_buf_put(c, k->elem);
	else
		return false;
	return true;
}

static struct goro_waitq *queue_of(goro_case *k)
{
	return k->dir == GORO_CASE_RECV ? &k->chan->recvq : &k->chan->sendq;
}

static void on_deadline(struct goro_rtimer *t, int64_t now)
{
	(void)now;
	struct goro_g *g = t->arg;
	uint32_t expected = 0;
	if (!atomic_compare_exchange_strong(&g->select_done, &expected, 1))
		return; /* a channel won the race */
	g->param = NULL;
	g->wake_status = GORO_TIMEDOUT;
	goro__ready(g);
}

/* All cases' channels belong to g's bubble: only the bubble can wake it. */
static bool all_bubbled(struct sel *s, struct goro_g *g)
{
	if (!g->bubble)
		return false;
	for (int i = 0; i < s->npoll; i++)
		if (case_chan(s, s->poll[i])->bubble != g->bubble)
			return false;
	return true;
}

/* Pass 2: enqueue, park, and find out who woke us. Returns the winning
 * case index, or -1 on timeout. */
static int block_on_all(struct sel *s, int64_t deadline, int reason)
{
	struct goro_g *g = goro__getg();
	atomic_store(&g->select_done, 0);
	g->param = NULL;
	g->wake_status = GORO_OK;
	struct goro_waiter *list = NULL;
	for (int j = s->npoll - 1; j >= 0; j--) {
		int i = s->lock[j];
		struct goro_waiter *w = &s->waiters[j];
		*w = (struct goro_waiter){ .g = g, .obj = case_chan(s, i), .elem = s->cases[i].elem,
		                           .case_index = i, .is_select = true, .waitlink = list };
		list = w;
		goro__waitq_push(queue_of(&s->cases[i]), w, &case_chan(s, i)->lock);
	}
	g->waiting = list;
	g->durable = all_bubbled(s, g) || (s->npoll == 0 && g->bubble);
	struct goro_rtimer timer;
	bool timed = deadline != INT64_MAX;
	if (timed) {
		goro__rtimer_init(&timer, on_deadline, g);
		goro__rtimer_start(&timer, goro__timerheap_current(), deadline);
	}
	goro__set_waiting(g, reason);
	unlock_all(s);
	goro__park();
	if (timed)
		goro__rtimer_stop(&timer);
	struct goro_waiter *won = g->param;
	const struct goro_chan *skip = cleanup_skip(s, won);
	lock_but(s, skip);
	for (int j = 0; j < s->npoll; j++)
		if (&s->waiters[j] != won)
			goro__waitq_remove(queue_of(&s->cases[s->lock[j]]), &s->waiters[j]);
	unlock_but(s, skip);
	g->waiting = NULL;
	if (!won)
		return -1;
	goro_case *k = &s->cases[won->case_index];
	if (k->dir == GORO_CASE_SEND && !won->success)
		goro_panic("send on closed channel");
	if (k->dir == GORO_CASE_RECV) {
		k->ok = won->success;
		if (!won->success && k->elem)
			memset(k->elem, 0, k->chan->elemsize);
	}
	return won->case_index;
}

/* A receive from an expired timer's channel sees its value at once (Go
 * 1.23 runs the timer first); the timer sends, so no channel is locked. */
static void run_expired_timers(struct sel *s)
{
	for (int p = 0; p < s->npoll; p++) {
		goro_case *k = &s->cases[s->poll[p]];
		if (k->chan->timer && k->dir == GORO_CASE_RECV)
			goro__rtimer_run_if_expired(k->chan->timer);
	}
}

static int select_run(struct sel *s, bool block, int64_t deadline, int reason)
{
	bool timers = false;
	for (int i = 0; i < s->total; i++) {
		if (!s->cases[i].chan)
			continue; /* nil channel: never ready */
		goro__chan_check_bubble(s->cases[i].chan, "select");
		timers |= s->cases[i].chan->timer != NULL;
		/* Fisher-Yates as we go: a uniformly random poll order. */
		int j = (int)goro__randn((uint32_t)s->npoll + 1);
		s->poll[s->npoll] = s->poll[j];
		s->poll[j] = (uint16_t)i;
		s->npoll++;
	}
	if (unlikely(timers))
		run_expired_timers(s);
	sort_lockorder(s);
	lock_all(s);
	for (int p = 0; p < s->npoll; p++) {
		if (try_case(s, s->poll[p])) {
			unlock_all(s);
			return s->poll[p];
		}
	}
	if (!block) {
		unlock_all(s);
		return GORO_SELECT_DEFAULT;
	}
	if (deadline != INT64_MAX && deadline <= goro_now()) {
		unlock_all(s);
		return GORO_SELECT_TIMEDOUT;
	}
	int r = block_on_all(s, deadline, reason);
	return r < 0 ? GORO_SELECT_TIMEDOUT : r;
}

static int select_with(goro_case *cases, int n, bool block, int64_t deadline,
                       goro_chan *done, int reason)
{
	goro__ensure_init();
	if (n < 0 || n > 65000)
		goro_panic("goro_select: invalid number of cases %d", n);
	/* Go's reflect.Select panics on a bad Dir; a C enum can hold anything.
	 * (cases == NULL with n > 0 faults here: Go's nil dereference panic.) */
	for (int i = 0; i < n; i++)
		if (cases[i].dir != GORO_CASE_RECV && cases[i].dir != GORO_CASE_SEND)
			goro_panic("goro_select: invalid direction %d in case %d (GORO_CASE_RECV or "
			           "GORO_CASE_SEND)", cases[i].dir, i);
	int total = n + (done ? 1 : 0);
	uint16_t poll_small[SMALL], lock_small[SMALL];
	struct goro_waiter w_small[SMALL];
	goro_case c_small[SMALL];
	struct sel s = { .n = n, .total = total, .poll = poll_small, .lock = lock_small,
	                 .waiters = w_small, .cases = cases };
	void *big = NULL;
	if (total > SMALL || done) {
		if (total > SMALL) {
			/* Waiters live off-stack only for huge selects; NOSCAN keeps
			 * them from making the channels look reachable. */
			size_t bytes = (size_t)total * (2 * sizeof(uint16_t) + sizeof(struct goro_waiter) +
			                                sizeof(goro_case));
			big = goro__heap_alloc_kind(bytes, GORO_HEAP_NOSCAN, false);
			if (!big)
				goro_panic("goro_select: out of memory");
			s.waiters = big;
			s.cases = (goro_case *)(s.waiters + total);
			s.poll = (uint16_t *)(s.cases + total);
			s.lock = s.poll + total;
		} else {
			s.cases = c_small;
		}
		memcpy(s.cases, cases, (size_t)n * sizeof *cases);
		if (done)
			s.cases[n] = GORO_RECV(done, NULL);
	}
	int r = select_run(&s, block, deadline, reason);
	if (s.cases != cases) {
		if (r >= 0 && r < n)
			cases[r].ok = s.cases[r].ok;
		if (r == n)
			r = GORO_SELECT_CANCELED;
	}
	if (big)
		goro_free(big);
	return r;
}

int goro__select(goro_case *cases, int n, bool block, int64_t deadline, goro_chan *done)
{
	int reason = n == 0 && !done ? WR_SELECT_NO_CASES : WR_SELECT;
	return select_with(cases, n, block, deadline, done, reason);
}

GORO_API int goro_select(goro_case *cases, int n, bool has_default)
{
	return goro__select(cases, n, !has_default, INT64_MAX, NULL);
}

GORO_API int goro_select_until(goro_case *cases, int n, int64_t deadline)
{
	return goro__select(cases, n, true, deadline, NULL);
}

GORO_API int goro_select_ctx(goro_case *cases, int n, goro_ctx *ctx)
{
	return goro__select(cases, n, true, INT64_MAX, ctx ? goro_ctx_done(ctx) : NULL);
}

/* One-case forms keep the wait reason of the plain call. */
static int one_case(goro_case k, int64_t deadline, goro_ctx *ctx, void *elem_out)
{
	int reason = k.dir == GORO_CASE_SEND ? WR_CHAN_SEND : WR_CHAN_RECV;
	goro_chan *done = ctx ? goro_ctx_done(ctx) : NULL;
	if (!k.chan)
		reason = k.dir == GORO_CASE_SEND ? WR_CHAN_SEND_NIL : WR_CHAN_RECV_NIL;
	int r = select_with(&k, 1, true, deadline, done, reason);
	(void)elem_out;
	if (r == 0)
		return k.dir == GORO_CASE_RECV && !k.ok ? GORO_CLOSED : GORO_OK;
	if (r == GORO_SELECT_TIMEDOUT)
		return GORO_TIMEDOUT;
	return goro_ctx_err(ctx);
}

GORO_API int goro_chan_send_until(goro_chan *c, const void *elem, int64_t deadline)
{
	return one_case(GORO_SEND(c, elem), deadline, NULL, NULL);
}

GORO_API int goro_chan_recv_until(goro_chan *c, void *elem, int64_t deadline)
{
	return one_case(GORO_RECV(c, elem), deadline, NULL, elem);
}

GORO_API int goro_chan_send_ctx(goro_chan *c, const void *elem, goro_ctx *ctx)
{
	return one_case(GORO_SEND(c, elem), INT64_MAX, ctx, NULL);
}

GORO_API int goro_chan_recv_ctx(goro_chan *c, void *elem, goro_ctx *ctx)
{
	return one_case(GORO_RECV(c, elem), INT64_MAX, ctx, elem);
}
