/*
 * cond.c — sync.Cond.  Waiters queue in the sema table under the Cond's
 * address.  Wait enqueues *before* unlocking L, so a Signal that follows
 * the Unlock always finds the waiter (no lost wake-up), while a Signal with
 * nobody queued is lost, as in Go.  Signal wakes the longest waiter.
 */
#include "chan/chan.h"
#include "sched/sched.h"
#include "sync/sema.h"

GORO_API void goro_cond_init(goro_cond *c, goro_locker L)
{
	c->L = L;
}

static void unlock_locker(void *arg)
{
	goro_cond *c = arg;
	c->L.unlock(c->L.obj);
}

static int cond_wait(goro_cond *c, int64_t deadline, goro_chan *done)
{
	if (!c->L.lock || !c->L.unlock)
		goro_panic("sync: Cond used without a Locker (set L or call goro_cond_init)");
	struct goro_g *g = goro__getg();
	struct goro_semroot *r = goro__semroot(c);
	struct goro_waiter w;
	goro__sema_waiter_init(&w, g, c, deadline, done);
	goro__semroot_lock(r);
	goro__sema_enqueue(r, &w, false);
	int rc = goro__sema_wait_then(r, &w, WR_COND, deadline, done, g->bubble != NULL,
	                              unlock_locker, c);
	c->L.lock(c->L.obj);
	return rc;
}

GORO_API void goro_cond_wait(goro_cond *c)
{
	cond_wait(c, INT64_MAX, NULL);
}

GORO_API int goro_cond_wait_until(goro_cond *c, int64_t deadline)
{
	return cond_wait(c, deadline, NULL);
}

GORO_API int goro_cond_wait_ctx(goro_cond *c, goro_ctx *ctx)
{
	int rc = cond_wait(c, INT64_MAX, goro_ctx_done(ctx));
	return rc == GORO_CANCELED ? goro_ctx_err(ctx) : rc;
}

static int wake(goro_cond *c, bool all)
{
	struct goro_semroot *r = goro__semroot(c);
	struct goro_waiter *list = NULL, *w;
	int n = 0;
	goro__semroot_lock(r);
	while ((all || n == 0) && (w = goro__sema_dequeue(r, c)) != NULL) {
		goro__sema_claimed(w);
		w->next = list;
		list = w;
		n++;
	}
	goro__semroot_unlock(r);
	goro__waiters_wake(list);
	return n;
}

GORO_API void goro_cond_signal(goro_cond *c)
{
	wake(c, false);
}

GORO_API void goro_cond_broadcast(goro_cond *c)
{
	wake(c, true);
}
