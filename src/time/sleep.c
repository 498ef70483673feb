/*
 * sleep.c — goro_sleep: park with wait reason "sleep" until a runtime
 * timer readies the goroutine.  A sleeping goroutine is a root for the
 * leak profile (it will run again) and durably blocked in a bubble.
 */
#include "sched/sched.h"
#include "time/rtimer.h"

static void wake_sleeper(struct goro_rtimer *t, int64_t now)
{
	(void)now;
	goro__ready(t->arg);
}

GORO_API void goro_sleep(goro_duration d)
{
	goro__ensure_init();
	struct goro_g *g = goro__getg();
	if (d <= 0) {
		goro_yield();
		return;
	}
	struct goro_timerheap *h = goro__timerheap_current();
	struct goro_rtimer t;
	goro__rtimer_init(&t, wake_sleeper, g);
	g->durable = g->bubble != NULL;
	/* Waiting state first: the timer may fire before we park. */
	goro__set_waiting(g, WR_SLEEP);
	goro__rtimer_start(&t, h, goro__when_after(goro__timerheap_now(h), d));
	goro__park();
	/* The timer lives in this frame: wait until the thread that fired it
	 * is done with it (it may be another thread: a bubble's clock, a
	 * foreign caller's timers on worker 0). */
	goro__rtimer_stop(&t);
}
