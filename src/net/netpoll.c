/*
 * netpoll.c — parking goroutines on fds and waking them from the workers'
 * epoll sets (see pollfd.h for the registration scheme).
 *
 * A waiting goroutine can be woken by four sources: an edge on its fd
 * (POLL_RETRY), goro_fd_close (POLL_CLOSED), its deadline timer and its
 * context's Done channel.  They race through the goroutine's select_done
 * claim, exactly as a select's cases do: only the winner readies it and
 * says why; losers drop or ignore the waiter, and the goroutine unlinks
 * itself from every queue once it runs again.
 *
 * Events are delivered on the worker whose epoll set has the fd, from two
 * places: the worker's idle sleep (the goro__netpoll_hook it calls with
 * the non-eventfd events) and goro__netpoll_poll, a zero-timeout epoll
 * the scheduler makes every few dozen switches while goroutines of that
 * worker wait on I/O, so a worker that never idles still hears its fds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "chan/chan.h"
#include "chan/claimwait.h"
#include "net/netpoll.h"
#include "net/pollfd.h"
#include "sched/runq.h"
#include "sched/sched.h"
#include "time/rtimer.h"

/* A goroutine waiting on an fd; lives on its stack while it is parked. */
struct io_waiter {
	struct goro_waiter w; /* in pd->q[dir]; w.g, w.is_select (always) */
	int why;              /* written by the claim's winner (not ctx) */
};

/*
 * Goroutines of each worker parked in IO wait, indexed by worker id.  Only
 * that worker's thread touches its slot (a goroutine counts itself in and
 * out on its home worker; the busy poll runs there too): no atomics.
 */
static int *io_waiting;

void goro__netpoll_init(void)
{
	io_waiting = calloc((size_t)goro__sched.nworkers, sizeof *io_waiting);
	if (!io_waiting)
		goro__throw("goro: out of memory starting the netpoller");
	goro__netpoll_hook = goro__netpoll_dispatch;
}

/* Takes every claimable waiter of q (pd locked): the list is linked by
 * w.next.  Waiters whose claim another source won are dropped. */
static struct goro_waiter *take_queue(struct goro_waitq *q, struct goro_waiter *list,
                                      int *taken)
{
	struct goro_waiter *w;
	while ((w = goro__waitq_dequeue(q)) != NULL) {
		/* Runnable from now on, under the lock (g.h's rule for wakers). */
		atomic_store(&w->g->state, G_RUNNABLE);
		w->next = list;
		list = w;
		++*taken;
	}
	return list;
}

struct goro_waiter *goro__pollfd_take_all_locked(struct goro_pollfd *pd)
{
	int taken = 0;
	struct goro_waiter *list = take_queue(&pd->q[POLL_READ], NULL, &taken);
	return take_queue(&pd->q[POLL_WRITE], list, &taken);
}

void goro__pollfd_wake_list(struct goro_waiter *list, int why)
{
	while (list) {
		/* Once readied the goroutine may run and its waiter vanish. */
		struct goro_waiter *next = list->next;
		struct goro_g *g = list->g;
		GORO_CONTAINER_OF(list, struct io_waiter, w)->why = why;
		goro__ready(g);
		list = next;
	}
}

/* An edge in direction dir (pd locked): the waiters, or the token. */
static struct goro_waiter *edge_locked(struct goro_pollfd *pd, int dir,
                                       struct goro_waiter *list)
{
	int taken = 0;
	list = take_queue(&pd->q[dir], list, &taken);
	if (taken == 0)
		pd->ready[dir] = true;
	return list;
}

void goro__netpoll_dispatch(struct goro_worker *w, struct epoll_event *ev, int n)
{
	(void)w;
	for (int i = 0; i < n; i++) {
		uint64_t data = ev[i].data.u64;
		int fd = (int)(uint32_t)data - 1;
		uint32_t seq = (uint32_t)(data >> 32);
		struct goro_pollfd *pd = goro__pollfd_peek(fd);
		if (!pd)
			continue;
		uint32_t e = ev[i].events;
		/* Errors and hang-ups wake both sides: their calls will say so. */
		bool rd = e & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
		bool wr = e & (EPOLLOUT | EPOLLHUP | EPOLLERR);
		struct goro_waiter *list = NULL;
		goro__spin_lock(&pd->lock);
		if (pd->seq == seq && pd->open && !pd->closing) {
			if (rd)
				list = edge_locked(pd, POLL_READ, list);
			if (wr)
				list = edge_locked(pd, POLL_WRITE, list);
		}
		goro__spin_unlock(&pd->lock);
		goro__pollfd_wake_list(list, POLL_RETRY);
	}
}

/* Small: this may run on the stack of a goroutine that is parking. */
enum { BUSY_POLL_EVENTS = 16 };

bool goro__netpoll_poll(struct goro_worker *w)
{
	if (likely(!io_waiting || io_waiting[w->id] == 0))
		return false;
	struct epoll_event ev[BUSY_POLL_EVENTS];
	int n = epoll_wait(w->epfd, ev, BUSY_POLL_EVENTS, 0);
	int io = 0;
	for (int i = 0; i < n; i++) {
		if (ev[i].data.u64 == 0) {
			/* The wake-up eventfd (level-triggered): we are awake
			 * already, drop the stale count or every poll sees it. */
			uint64_t v;
			ssize_t r = read(w->evfd, &v, sizeof v);
			(void)r;
		} else {
			ev[io++] = ev[i];
		}
	}
	if (io == 0)
		return false;
	goro__netpoll_dispatch(w, ev, io);
	/* Waiters of w readied here went to its runnext or run queue
	 * (ready() on the home worker); others' went to their inboxes. */
	return goro__runq_any(w);
}

/* Adds fd to w's epoll set (pd locked).  0, or -1 with errno (EPERM: a
 * regular file or directory, which epoll refuses: always ready). */
static int register_locked(struct goro_pollfd *pd, int fd, struct goro_worker *w)
{
	uint64_t bit = 1ull << (w->id % 64);
	if (pd->reg[w->id / 64] & bit)
		return 0;
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET,
		.data.u64 = goro__pollfd_evdata(fd, pd->seq),
	};
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		/* Still there from an earlier life of the number (a dup kept
		 * the file open): take it over with the new seq. */
		if (errno != EEXIST || epoll_ctl(w->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
			return -1;
	}
	pd->reg[w->id / 64] |= bit;
	return 0;
}

/* --- waking sources other than the fd -------------------------------- */

static void on_deadline(struct goro_rtimer *t, int64_t now)
{
	(void)now;
	struct io_waiter *iw = t->arg;
	struct goro_g *g = iw->w.g;
	uint32_t expected = 0;
	if (!atomic_compare_exchange_strong(&g->select_done, &expected, 1))
		return;
	iw->why = GORO_TIMEDOUT;
	goro__ready(g);
}

/* --- the wait --------------------------------------------------------- */

/* A thread that is not a worker has nothing else to run: poll(2) it, in
 * slices, so that goro_fd_close and the context are noticed too. */
static int foreign_wait(struct goro_pollfd *pd, int fd, int dir, int64_t deadline,
                        goro_ctx *ctx)
{
	enum { SLICE_MS = 20 };
	for (;;) {
		goro__spin_lock(&pd->lock);
		bool closing = pd->closing;
		goro__spin_unlock(&pd->lock);
		if (closing)
			return POLL_CLOSED;
		int err = ctx ? goro_ctx_err(ctx) : 0;
		if (err)
			return err;
		int64_t left = deadline == INT64_MAX ? INT64_MAX : deadline - goro_now();
		if (left <= 0)
			return GORO_TIMEDOUT;
		int ms = SLICE_MS;
		if (left < SLICE_MS * GORO_MILLISECOND) /* rounded up: never spin at 0 */
			ms = (int)((left + GORO_MILLISECOND - 1) / GORO_MILLISECOND);
		struct pollfd p = { .fd = fd, .events = dir == POLL_READ ? POLLIN : POLLOUT };
		int r = poll(&p, 1, ms);
		if (r > 0 || (r < 0 && errno != EINTR))
			return POLL_RETRY; /* the call itself reports any error */
	}
}

/* Parks g on pd (pd locked on entry, unlocked on return); see goro__pollfd_wait. */
static int park_on(struct goro_pollfd *pd, struct io_waiter *iw, int dir,
                   struct goro_timerheap *h, int64_t deadline, goro_ctx *ctx)
{
	struct goro_g *g = iw->w.g;
	struct goro_worker *w = g->w;
	struct goro_claimwait cw;
	goro__claimwait_init(&cw, g, ctx ? goro_ctx_done(ctx) : NULL, deadline, on_deadline, iw);
	cw.heap = h;

	goro__waitq_push(&pd->q[dir], &iw->w, &pd->lock);
	g->param = NULL;
	g->waiting = NULL; /* not a leak candidate: nothing to judge it by */
	g->durable = false; /* the outside world may wake it (synctest) */
	goro__set_waiting(g, WR_IO);
	goro__spin_unlock(&pd->lock);
	/* Counted before parking: the deadlock check must see it first. */
	io_waiting[w->id]++;
	atomic_fetch_add(&goro__sched.nio, 1);

	bool canceled = goro__claimwait_park(&cw);
	goro__spin_lock(&pd->lock);
	goro__waitq_remove(&pd->q[dir], &iw->w);
	goro__spin_unlock(&pd->lock);
	atomic_fetch_sub(&goro__sched.nio, 1);
	io_waiting[w->id]--;

	if (canceled)
		return goro_ctx_err(ctx);
	return iw->why;
}

int goro__pollfd_wait(struct goro_pollfd *pd, int fd, int dir, int64_t deadline, goro_ctx *ctx)
{
	struct goro_g *g = goro__getg();
	if (g->foreign)
		return foreign_wait(pd, fd, dir, deadline, ctx);
	int err = ctx ? goro_ctx_err(ctx) : 0;
	if (err)
		return err;
	struct goro_timerheap *h = goro__timerheap_current();
	if (deadline != INT64_MAX && goro__timerheap_now(h) >= deadline)
		return GORO_TIMEDOUT;

	struct io_waiter iw = { .w = { .g = g, .obj = pd, .is_select = true }, .why = POLL_RETRY };
	atomic_store(&g->select_done, 0);
	goro__spin_lock(&pd->lock);
	if (pd->closing) {
		goro__spin_unlock(&pd->lock);
		return POLL_CLOSED;
	}
	if (pd->ready[dir]) { /* an edge came since the caller's EAGAIN */
		pd->ready[dir] = false;
		goro__spin_unlock(&pd->lock);
		return POLL_RETRY;
	}
	if (register_locked(pd, fd, g->w) != 0) {
		int e = errno;
		goro__spin_unlock(&pd->lock);
		errno = e;
		return POLL_ERROR;
	}
	return park_on(pd, &iw, dir, h, deadline, ctx);
}
