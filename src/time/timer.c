/*
 * timer.c — time.Timer, time.After, time.AfterFunc and time.Ticker.
 *
 * Channel timers follow Go 1.23: the channel has room for one value but
 * reports len and cap 0, a receive runs an expired timer first (so
 * NewTimer(0)'s value is there at once), and Stop and Reset discard a
 * value that fired but was not received, so no stale time is ever read
 * after them (and Stop reports true in that case, as Go's does).  The runtime timer fires on a worker's scheduler and only
 * does a non-blocking send; AfterFunc starts a goroutine.
 *
 * Timers are runtime-held references: their heap arrays live in plain
 * memory, which the leak detector scans as a root, so a goroutine waiting
 * on a timer's channel is never reported.
 */
#include <string.h>

#include "chan/chan.h"
#include "heap/heap.h"
#include "sched/sched.h"
#include "time/rtimer.h"

struct goro_timer {
	struct goro_rtimer rt;
	goro_chan *c;
	struct goro_bubble *bubble;
	goro_fn fn; /* AfterFunc */
	size_t argsize;
	_Alignas(16) char arg[];
};

struct goro_ticker {
	struct goro_timer t;
};


static void send_time(struct goro_rtimer *rt, int64_t now)
{
	struct goro_timer *t = rt->arg;
	goro__chan_trysend_runtime(t->c, &now); /* full: a tick is dropped, as in Go */
}

static void run_func(struct goro_rtimer *rt, int64_t now)
{
	(void)now;
	struct goro_timer *t = rt->arg;
	goro__spawn_in(t->fn, t->argsize ? t->arg : NULL, t->argsize, t->bubble, NULL);
}

static struct goro_timer *timer_alloc(size_t extra, goro_rtimer_fn fn, bool with_chan)
{
	goro__ensure_init();
	struct goro_timer *t = goro__heap_alloc_kind(sizeof *t + extra, GORO_HEAP_USER, true);
	if (!t)
		goro__throw_oom("a timer", sizeof *t + extra);
	goro__rtimer_init(&t->rt, fn, t);
	t->bubble = goro__getg()->bubble;
	if (with_chan) {
		t->c = goro_chan_make(sizeof(int64_t), 1);
		t->c->timer = &t->rt;
	}
	return t;
}

static void arm(struct goro_timer *t, goro_duration d)
{
	struct goro_timerheap *h = goro__timerheap_current();
	goro__rtimer_start(&t->rt, h, goro__when_after(goro__timerheap_now(h), d));
	/* In a bubble a timer due at the current fake instant runs now, in
	 * this goroutine (Go's timer.modify does): otherwise it would wait
	 * until the whole bubble blocks, and AfterFunc(0) would not run while
	 * the root keeps running.  Outside, the worker's heap runs it soon,
	 * and a receive from its channel runs it first. */
	if (h->fake && d <= 0)
		goro__rtimer_run_if_expired(&t->rt);
}

/* A timer used after goro_timer_free (or freed twice), told by the heap's
 * block table without reading the freed block (see chan.c's check_live). */
static void check_live(struct goro_timer *t, const char *what)
{
	/* NULL: the dereference below is Go's nil pointer panic. */
	if (unlikely(t && goro__heap_kind(t) == GORO_HEAP_KIND_NONE))
		goro_panic("goro_timer_%s: timer %p is not a live timer (used after "
		           "goro_timer_free, or freed twice)", what, (void *)t);
}

static void check_bubble(struct goro_timer *t, const char *what)
{
	check_live(t, what);
	if (t->bubble && t->bubble != goro__getg()->bubble)
		goro__throw("%s of synctest timer from outside bubble", what);
}

GORO_API goro_timer *goro_timer_new(goro_duration d)
{
	struct goro_timer *t = timer_alloc(0, send_time, true);
	arm(t, d);
	return t;
}

GORO_API goro_chan *goro_timer_chan(goro_timer *t)
{
	return t->c;
}

GORO_API bool goro_timer_stop(goro_timer *t)
{
	check_bubble(t, "stop");
	bool pending = goro__rtimer_stop(&t->rt);
	bool undelivered = t->c && goro__chan_drain_runtime(t->c);
	return pending || undelivered;
}

GORO_API bool goro_timer_reset(goro_timer *t, goro_duration d)
{
	check_bubble(t, "reset");
	bool was = goro_timer_stop(t);
	arm(t, d);
	return was;
}

GORO_API void goro_timer_free(goro_timer *t)
{
	if (!t)
		return;
	check_live(t, "free");
	goro__rtimer_stop(&t->rt);
	if (t->c)
		goro_chan_free(t->c);
	goro_free(t);
}

/* time.After.  The timer and its channel are never freed (the caller
 * may read the channel at any time): prefer goro_timer_new + free, or the
 * _until calls, in long-running loops. */
GORO_API goro_chan *goro_after(goro_duration d)
{
	struct goro_timer *t = timer_alloc(0, send_time, true);
	arm(t, d);
	return t->c;
}

GORO_API goro_timer *goro_after_func_(goro_duration d, goro_fn fn, const void *arg,
                                      size_t argsize)
{
	struct goro_timer *t = timer_alloc(argsize, run_func, false);
	t->fn = fn;
	t->argsize = argsize;
	if (argsize)
		memcpy(t->arg, arg, argsize);
	arm(t, d);
	return t;
}

GORO_API goro_ticker *goro_ticker_new(goro_duration d)
{
	if (d <= 0)
		goro_panic("non-positive interval for NewTicker");
	struct goro_timer *t = timer_alloc(0, send_time, true);
	t->rt.period = d;
	arm(t, d);
	return (goro_ticker *)t;
}

GORO_API goro_chan *goro_ticker_chan(goro_ticker *tk)
{
	return tk->t.c;
}

GORO_API void goro_ticker_stop(goro_ticker *tk)
{
	goro_timer_stop(&tk->t);
}

GORO_API void goro_ticker_reset(goro_ticker *tk, goro_duration d)
{
	if (d <= 0)
		goro_panic("non-positive interval for Ticker.Reset");
	goro_timer_stop(&tk->t);
	tk->t.rt.period = d;
	arm(&tk->t, d);
}

GORO_API void goro_ticker_free(goro_ticker *tk)
{
	goro_timer_free(&tk->t);
}
