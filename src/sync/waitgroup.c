/*
 * waitgroup.c — sync.WaitGroup, and Go 1.25's wg.Go.
 *
 * state = counter << 32 | waiters.  Add changes the counter atomically;
 * the waiter count and the queue (sema table, key = the WaitGroup) change
 * only under the bucket lock, so a Wait that saw counter > 0 and queued
 * is always found by the Add that brings the counter to zero.
 */
#include <string.h>

#include "chan/chan.h"
#include "sched/sched.h"
#include "sync/sema.h"

GORO_HIDDEN uint32_t goro__bubble_id(struct goro_bubble *b);

static int32_t counter_of(uint64_t v)
{
	return (int32_t)(v >> 32);
}

static void release_all(goro_waitgroup *wg)
{
	struct goro_semroot *r = goro__semroot(wg);
	struct goro_waiter *list = NULL, *w;
	goro__semroot_lock(r);
	uint64_t n = 0;
	if (counter_of(__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE)) == 0) {
		while ((w = goro__sema_dequeue(r, wg)) != NULL) {
			goro__sema_claimed(w);
			w->next = list;
			list = w;
			n++;
		}
		__atomic_sub_fetch(&wg->state, n, __ATOMIC_ACQ_REL);
	}
	goro__semroot_unlock(r);
	goro__waiters_wake(list);
}

GORO_API void goro_waitgroup_add(goro_waitgroup *wg, int delta)
{
	struct goro_g *g = goro__getg();
	if (g->bubble && !wg->bubble)
		wg->bubble = goro__bubble_id(g->bubble); /* joins the bubble on first Add */
	uint64_t v = __atomic_add_fetch(&wg->state, (uint64_t)(int64_t)delta << 32, __ATOMIC_ACQ_REL);
	int32_t c = counter_of(v);
	if (c < 0)
		goro_panic("sync: negative WaitGroup counter");
	if (c == 0 && (uint32_t)v != 0)
		release_all(wg);
}

GORO_API void goro_waitgroup_done(goro_waitgroup *wg)
{
	goro_waitgroup_add(wg, -1);
}

static int wg_wait(goro_waitgroup *wg, int64_t deadline, goro_chan *done)
{
	if (counter_of(__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE)) == 0)
		return GORO_OK;
	struct goro_g *g = goro__getg();
	struct goro_semroot *r = goro__semroot(wg);
	goro__semroot_lock(r);
	if (counter_of(__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE)) == 0) {
		goro__semroot_unlock(r);
		return GORO_OK;
	}
	__atomic_add_fetch(&wg->state, 1, __ATOMIC_ACQ_REL);
	struct goro_waiter w;
	goro__sema_waiter_init(&w, g, wg, deadline, done);
	goro__sema_enqueue(r, &w, false);
	bool durable = g->bubble && wg->bubble == goro__bubble_id(g->bubble);
	int rc = goro__sema_wait(r, &w, WR_WAITGROUP, deadline, done, durable);
	if (rc != GORO_OK)
		__atomic_sub_fetch(&wg->state, 1, __ATOMIC_ACQ_REL); /* we left uncounted */
	else if (counter_of(__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE)) != 0)
		/* Released at zero, and already counting again before this Wait
		 * returned (Go's check after its semacquire; the counter only:
		 * a timed-out waiter may not have uncounted itself yet). */
		goro_panic("sync: WaitGroup is reused before previous Wait has returned");
	return rc;
}

GORO_API void goro_waitgroup_wait(goro_waitgroup *wg)
{
	wg_wait(wg, INT64_MAX, NULL);
}

GORO_API int goro_waitgroup_wait_until(goro_waitgroup *wg, int64_t deadline)
{
	return wg_wait(wg, deadline, NULL);
}

GORO_API int goro_waitgroup_wait_ctx(goro_waitgroup *wg, goro_ctx *ctx)
{
	int rc = wg_wait(wg, INT64_MAX, goro_ctx_done(ctx));
	return rc == GORO_CANCELED ? goro_ctx_err(ctx) : rc;
}

/* wg.Go: the user's arguments ride behind a small header. */
struct wg_go_header {
	goro_waitgroup *wg;
	goro_fn fn;
	size_t argsize;
};

enum { WG_GO_MAX_ARGS = 4096 };

static void wg_go_main(void *p)
{
	struct wg_go_header *h = p;
	h->fn(h->argsize ? (char *)p + sizeof *h : NULL);
	goro_waitgroup_done(h->wg);
}

GORO_API int64_t goro_waitgroup_go_(goro_waitgroup *wg, goro_fn fn, const void *arg,
                                    size_t argsize)
{
	if (argsize > WG_GO_MAX_ARGS)
		goro_panic("goro_waitgroup_go: argument object of %zu bytes is too large", argsize);
	_Alignas(16) char buf[sizeof(struct wg_go_header) + WG_GO_MAX_ARGS];
	struct wg_go_header h = { wg, fn, argsize };
	memcpy(buf, &h, sizeof h);
	if (argsize)
		memcpy(buf + sizeof h, arg, argsize);
	goro_waitgroup_add(wg, 1);
	struct goro_g *g = goro__getg();
	return goro__spawn_with(&(struct goro_spawn){
		.fn = wg_go_main, .arg = buf, .argsize = sizeof h + argsize, .user_fn = fn,
		.bubble = g ? g->bubble : NULL, .create_pc = __builtin_return_address(0) });
}
