/*
 * clock.c — goro's clocks and the choice of timer heap.
 *
 * goro_now() is monotonic; inside a synctest bubble every time function
 * reads the bubble's fake clock instead, and timers go to the bubble's
 * heap, where time only moves when the whole bubble is blocked.
 */
#define _GNU_SOURCE
#include <time.h>

#include "sched/sched.h"
#include "time/rtimer.h"
#include "synctest/bubble.h"


static struct goro_bubble *cur_bubble(void)
{
	struct goro_g *g = goro__sched.started ? goro__getg() : NULL;
	return g ? g->bubble : NULL;
}

GORO_API int64_t goro_now(void)
{
	struct goro_bubble *b = cur_bubble();
	if (b)
		return b->now;
	return goro__nanotime();
}

/* The fake clock doubles as wall time from 2000-01-01 00:00:00 UTC. */
GORO_API int64_t goro_walltime(void)
{
	struct goro_bubble *b = cur_bubble();
	if (b)
		return b->now;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

GORO_API goro_duration goro_since(int64_t t)
{
	return goro_now() - t;
}

struct goro_timerheap *goro__timerheap_current(void)
{
	goro__ensure_init();
	struct goro_bubble *b = cur_bubble();
	if (b)
		return &b->timers;
	struct goro_worker *w = goro__curw();
	return w ? &w->timers : &goro__sched.workers[0].timers;
}

int64_t goro__timerheap_now(struct goro_timerheap *h)
{
	if (h->fake)
		return ((struct goro_bubble *)h->owner)->now;
	return goro__nanotime();
}
