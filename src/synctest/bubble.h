/*
 * bubble.h — a synctest bubble (Go's synctestBubble).
 *
 * Accounting (under b->lock): `total` goroutines belong to the bubble,
 * `blocked` of them are durably blocked.  When blocked == total the bubble
 * is idle, and exactly one of these happens (Go's synctest.go):
 *   0. timers due at the current fake instant fire, all of them;
 *   1. else a pending goro_synctest_wait returns;
 *   2. else, if the root is still running, the fake clock jumps to the
 *      next timer and every timer due then fires;
 *   3. else it is a deadlock: the bubble's runner is woken to report it.
 * While timers fire (`firing`), the bubble is not judged idle, so one
 * instant's timers all run before anyone can find it blocked again.
 * The transition is detected by whoever makes the last goroutine block
 * (its park) or exit.  A timer armed inside the bubble at the current
 * instant runs at once, in the goroutine arming it (time/timer.c).
 */
#ifndef GORO_BUBBLE_H
#define GORO_BUBBLE_H

#include "sched/g.h"
#include "sched/spinlock.h"
#include "time/rtimer.h"

struct goro_cleanup {
	struct goro_cleanup *next;
	goro_fn fn;
	void *arg;
};

struct goro_bubble {
	uint32_t id;
	goro_spinlock lock;
	int total;              /* live goroutines of the bubble */
	int blocked;            /* durably blocked among them */
	int64_t now;            /* fake clock, ns since the Unix epoch */
	struct goro_timerheap timers;
	struct goro_g *root;    /* the bubble's main goroutine */
	bool root_done;         /* root returned */
	struct goro_g *waiter;  /* in goro_synctest_wait */
	struct goro_g *runner;  /* the goroutine in goro_synctest_run */
	bool runner_parked;     /* runner waits for `finished` */
	int outcome;            /* enum goro_bubble_status */
	struct goro_cleanup *cleanups;
	goro_ctx *ctx;          /* goro_synctest_context: made by the root
	                         * before fn, canceled before the cleanups,
	                         * released when run returns */
	bool finished;
	bool firing;            /* idle step firing due timers: not idle */
};

GORO_HIDDEN uint32_t goro__bubble_id(struct goro_bubble *b);


/* Scheduler events of a bubbled goroutine (g->bubble != NULL). */
GORO_HIDDEN void goro__bubble_on_spawn(struct goro_g *g);
GORO_HIDDEN void goro__bubble_on_park(struct goro_g *g);  /* g->durable says how */
GORO_HIDDEN void goro__bubble_on_ready(struct goro_g *g);
GORO_HIDDEN void goro__bubble_on_exit(struct goro_g *g);

#endif /* GORO_BUBBLE_H */
