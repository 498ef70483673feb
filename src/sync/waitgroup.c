/*
 * waitgroup.c — sync.WaitGroup, and Go 1.25's wg.Go.
 *
 * state = counter << 32 | BUBBLED | waiters.  Add changes the counter
 * atomically; the waiter count and the queue (sema table, key = the
 * WaitGroup) change only under the bucket lock, so a Wait that saw
 * counter > 0 and queued is always found by the Add that brings the
 * counter to zero.
 *
 * Bubbles (Go 1.25): the first Add inside a synctest bubble associates the
 * WaitGroup with it (wg->bubble) and sets BUBBLED.  An Add from another
 * bubble, or from outside one while BUBBLED is set, or inside one while an
 * outside Add is still counted, is fatal with Go's message.  It leaves the
 * bubble when it is idle again: a Wait inside the bubble that finds
 * nothing counted, or the Add that releases the waiters.
 */
#include <string.h>

#include "chan/chan.h"
#include "sched/sched.h"
#include "sync/sema.h"

GORO_HIDDEN uint32_t goro__bubble_id(struct goro_bubble *b);

enum { WG_BUBBLED = 0x80000000u, WG_WAITERS = 0x7fffffffu };

static int32_t counter_of(uint64_t v)
{
	return (int32_t)(v >> 32);
}

/* Go's synctest.Associate: true if wg belongs to the caller's bubble
 * (associating it on first use), fatal if it belongs to another. */
static bool associate(goro_waitgroup *wg, struct goro_bubble *b)
{
	uint32_t id = goro__bubble_id(b), cur = 0;
	if (!__atomic_compare_exchange_n(&wg->bubble, &cur, id, false, __ATOMIC_ACQ_REL,
	                                  __ATOMIC_ACQUIRE) &&
	    cur != id)
		goro__throw("sync: WaitGroup.Add called from multiple synctest bubbles");
	uint64_t old = __atomic_fetch_or(&wg->state, (uint64_t)WG_BUBBLED, __ATOMIC_ACQ_REL);
	if (old != 0 && !(old & WG_BUBBLED))
		goro__throw("sync: WaitGroup.Add called from inside and outside synctest bubble");
	return true;
}

/* Counter and waiters are zero: a bubbled WaitGroup leaves its bubble
 * (Go's synctest.Disassociate), so another bubble or the outside may use
 * it again.  Adds racing with this are misuse, as in Go. */
static void disassociate(goro_waitgroup *wg)
{
	uint64_t want = WG_BUBBLED;
	if (__atomic_compare_exchange_n(&wg->state, &want, 0, false, __ATOMIC_ACQ_REL,
	                                __ATOMIC_RELAXED))
		__atomic_store_n(&wg->bubble, 0, __ATOMIC_RELEASE);
}

static bool associated_here(goro_waitgroup *wg, struct goro_g *g)
{
	return g->bubble &&
	       __atomic_load_n(&wg->bubble, __ATOMIC_ACQUIRE) == goro__bubble_id(g->bubble);
}

static void release_all(goro_waitgroup *wg, bool bubbled)
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
		if (bubbled)
			disassociate(wg);
	}
	goro__semroot_unlock(r);
	goro__waiters_wake(list);
}

GORO_API void goro_waitgroup_add(goro_waitgroup *wg, int delta)
{
	struct goro_g *g = goro__getg();
	bool bubbled = g->bubble && associate(wg, g->bubble);
	uint64_t v = __atomic_add_fetch(&wg->state, (uint64_t)(int64_t)delta << 32, __ATOMIC_ACQ_REL);
	if ((v & WG_BUBBLED) && !bubbled)
		goro__throw("sync: WaitGroup.Add called from inside and outside synctest bubble");
	int32_t c = counter_of(v);
	if (c < 0)
		goro_panic("sync: negative WaitGroup counter");
	if (c == 0 && (v & WG_WAITERS) != 0)
		release_all(wg, bubbled);
}

GORO_API void goro_waitgroup_done(goro_waitgroup *wg)
{
	goro_waitgroup_add(wg, -1);
}

static int wg_wait(goro_waitgroup *wg, int64_t deadline, goro_chan *done)
{
	uint64_t v = __atomic_load_n(&wg->state, __ATOMIC_ACQUIRE);
	if (counter_of(v) == 0) {
		if (unlikely(v == WG_BUBBLED) && associated_here(wg, goro__getg()))
			disassociate(wg); /* nothing counted, nobody waiting */
		return GORO_OK;
	}
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
	bool durable = associated_here(wg, g);
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

static void wg_done(void *wg)
{
	goro_waitgroup_done(wg);
}

/* Done runs however fn ends: returning or goro_exit (Go defers it). */
static void wg_go_main(void *p)
{
	struct wg_go_header *h = p;
	struct goro_g *g = goro__getg();
	struct goro_exit_hook hook = { .fn = wg_done, .arg = h->wg };
	goro__exit_hook_push(g, &hook);
	h->fn(h->argsize ? (char *)p + sizeof *h : NULL);
	goro__exit_hook_pop(g, &hook);
	goro_waitgroup_done(h->wg);
}

GORO_API int64_t goro_waitgroup_go_(goro_waitgroup *wg, goro_fn fn, const void *arg,
                                    size_t argsize)
{
	if (!arg)
		argsize = 0; /* goro_waitgroup_go(wg, fn, NULL): fn gets NULL */
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
