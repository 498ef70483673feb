/*
 * sched.c — choosing what runs next, switching to it, park and ready.
 * The queues and their rules are described in sched.h.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>

#include "arch/context.h"
#include "sched/fiber.h"
#include "sched/runq.h"
#include "sched/sched_internal.h"
#include "synctest/bubble.h"

/* Every FAIRNESS_TICK schedules, look at the inbox, newq, timers and the
 * run queue before runnext, so two goroutines ping-ponging through runnext
 * cannot starve them (the slice they share ends; sched.h). */
enum { FAIRNESS_TICK = 61 };


static int64_t coarse_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Releases what the previous context could not release while on it. */
static void after_switch(struct goro_worker *w)
{
	goro__critical_exit(); /* entered by switch_to, in the previous context */
	/* The previous goroutine's registers are saved now: others may read
	 * its stack or free it (goro__wait_off_cpu). */
	atomic_store_explicit(&w->prev->on_cpu, false, memory_order_release);
	struct goro_g *dead = w->dead;
	if (dead) {
		w->dead = NULL;
		goro__fiber_destroy(dead);
		goro__stack_put(&w->stacks, dead->stack);
	}
}

GORO_HIDDEN void goro__report_overflow(struct goro_g *g, const char *how);
/* src/net/netpoll.c: this worker's ready fds, while it has I/O waiters. */
GORO_HIDDEN bool goro__netpoll_poll(struct goro_worker *w);

static GORO_NORETURN void stack_overflow(struct goro_g *g)
{
	goro__report_overflow(g, "canary at the stack's end overwritten");
	abort();
}

static void switch_to(struct goro_worker *w, struct goro_g *cur, struct goro_g *next,
                      bool dying)
{
	goro__maybe_safepoint(w, cur);
	/* A switch is one critical section, ended in the next context's
	 * after_switch: a stop signal never sees half a switch. */
	goro__critical_enter();
	if (cur->stack && !goro__stack_canary_ok(cur))
		stack_overflow(cur);
	/* Published for the monitor (monitor.c), which reads them alone. */
	__atomic_store_n(&w->curg, next, __ATOMIC_RELEASE);
	atomic_store_explicit(&w->nswitch,
	                      atomic_load_explicit(&w->nswitch, memory_order_relaxed) + 1,
	                      memory_order_release);
	if (!next->started) {
		next->started = true;
		next->w = w;
	}
	atomic_store_explicit(&next->state, G_RUNNING, memory_order_relaxed);
	atomic_store_explicit(&next->on_cpu, true, memory_order_relaxed);
	w->prev = cur;
	goro__fiber_before(cur, next, dying);
	goro__ctx_switch(&cur->sp, next->sp);
	goro__fiber_after(cur, false);
	after_switch(w);
}

void goro__switch_first(struct goro_worker *w, struct goro_g *self)
{
	goro__fiber_after(self, true);
	after_switch(w);
}

/* w's newest not-yet-started goroutine, or its oldest (fairness). */
static struct goro_g *newq_pop(struct goro_worker *w, bool oldest)
{
	if (atomic_load_explicit(&w->newq_len, memory_order_relaxed) == 0)
		return NULL;
	goro__spin_lock(&w->newq_lock);
	struct goro_g *g = oldest ? goro__newq_pop_oldest_locked(w) : goro__newq_pop_locked(w);
	goro__spin_unlock(&w->newq_lock);
	return g;
}

void goro__newq_put(struct goro_worker *w, struct goro_g *g)
{
	goro__spin_lock(&w->newq_lock);
	goro__newq_push_locked(w, g);
	goro__spin_unlock(&w->newq_lock);
}

/* Puts g in w's runnext (w: the calling worker); the goroutine it
 * displaces goes to the back of its queue. */
void goro__runnext_put(struct goro_worker *w, struct goro_g *g)
{
	struct goro_g *old = goro__runnext_swap(w, g);
	if (!old)
		return;
	if (old->started)
		goro__runq_put(w, old);
	else
		goro__newq_put(w, old);
}

/* The next goroutine of this worker, or NULL: then the caller goes to g0. */
static struct goro_g *find_runnable(struct goro_worker *w)
{
	struct goro_g *g;
	if (unlikely(++w->tick % FAIRNESS_TICK == 0)) {
		goro__run_timers(w);
		/* A worker that never idles must still hear its fds. */
		goro__netpoll_poll(w);
		goro__inbox_drain(w);
		if ((g = newq_pop(w, true)) || (g = goro__runq_get(w)))
			return g;
	}
	if ((g = goro__runnext_take(w)) || (g = goro__runq_get(w)))
		return g;
	if (goro__inbox_drain(w))
		return goro__runq_get(w);
	return newq_pop(w, false);
}

void goro__set_waiting(struct goro_g *g, int reason)
{
	/* Relaxed atomics: checks and tests read it without a lock. */
	__atomic_store_n(&g->wait_reason, (uint8_t)reason, __ATOMIC_RELAXED);
	g->wait_since = coarse_now();
	atomic_store_explicit(&g->state, G_WAITING, memory_order_release);
}

/* Switch away from the current goroutine to whatever runs next here. */
static void schedule_away(struct goro_worker *w, struct goro_g *g)
{
	struct goro_g *next = find_runnable(w);
	if (next == g) { /* readied before we left: keep running */
		atomic_store_explicit(&g->state, G_RUNNING, memory_order_relaxed);
		return;
	}
	switch_to(w, g, next ? next : &w->g0, false);
}

GORO_HIDDEN void goro__foreign_park(struct goro_g *g);
GORO_HIDDEN void goro__foreign_wake(struct goro_g *g);

void goro__park(void)
{
	struct goro_g *g = goro__getg();
	if (unlikely(g->foreign)) {
		goro__foreign_park(g);
		return;
	}
	if (g->bubble)
		goro__bubble_on_park(g);
	schedule_away(goro__curw(), g);
	__atomic_store_n(&g->wait_reason, (uint8_t)WR_NONE, __ATOMIC_RELAXED);
	g->durable = false;
}

void goro__ready(struct goro_g *g)
{
	atomic_store_explicit(&g->state, G_RUNNABLE, memory_order_release);
	if (g->bubble)
		goro__bubble_on_ready(g);
	if (unlikely(g->foreign)) {
		goro__foreign_wake(g);
		return;
	}
	struct goro_worker *home = g->w;
	if (home == goro__curw()) {
		/* Woken by the running goroutine: it runs next (Go's ready());
		 * woken by the scheduler itself (timers, I/O on g0): in turn. */
		if (likely(!home->curg->is_g0))
			goro__runnext_put(home, g);
		else
			goro__runq_put(home, g);
		return;
	}
	goro__inbox_push(home, g);
	goro__worker_wake(home);
}

static void readychain_push(struct goro_readychain *c)
{
	goro__inbox_push_chain(c->home, c->first, c->last, c->n);
	goro__worker_wake(c->home);
}

void goro__readybatch_flush(struct goro_readybatch *b)
{
	for (uint32_t used = b->used; used; used &= used - 1)
		readychain_push(&b->slot[__builtin_ctz(used)]);
	b->used = 0;
}

void goro__readybatch_add(struct goro_readybatch *b, struct goro_g *g)
{
	struct goro_worker *home = g->w;
	if (g->bubble || unlikely(g->foreign) || home == goro__curw()) {
		goro__ready(g); /* bookkeeping of its own, or no atomics to save */
		return;
	}
	atomic_store_explicit(&g->state, G_RUNNABLE, memory_order_release);
	int i = home->id % READYBATCH_SLOTS;
	struct goro_readychain *c = &b->slot[i];
	bool started = b->used & (1u << i);
	if (started && c->home != home) { /* more workers than slots: another one's */
		readychain_push(c);
		started = false;
	}
	if (!started) {
		*c = (struct goro_readychain){ .home = home, .last = g };
		b->used |= 1u << i;
	}
	g->schedlink = c->first;
	c->first = g;
	if (++c->n == READYBATCH_CHAIN) {
		readychain_push(c);
		b->used &= ~(1u << i);
	}
}

void goro_yield(void)
{
	struct goro_g *g = goro__getg();
	if (g->foreign) {
		sched_yield();
		return;
	}
	struct goro_worker *w = goro__curw();
	struct goro_g *next = find_runnable(w);
	if (!next)
		return;
	atomic_store_explicit(&g->state, G_RUNNABLE, memory_order_relaxed);
	goro__runq_put(w, g);
	switch_to(w, g, next, false);
}

/* The current goroutine has finished: switch away for good.  Its stack
 * is released by the next context (never goroutine 1's native stack). */
void goro__switch_dead(struct goro_worker *w, struct goro_g *g)
{
	if (g->stack)
		w->dead = g;
	struct goro_g *next = find_runnable(w);
	switch_to(w, g, next ? next : &w->g0, true);
	__builtin_unreachable();
}

/* Runs `next` from the scheduler context g0. */
void goro__run_from_g0(struct goro_worker *w, struct goro_g *next)
{
	switch_to(w, &w->g0, next, false);
}

struct goro_g *goro__find_runnable(struct goro_worker *w)
{
	return find_runnable(w);
}

void goro__wait_off_cpu(struct goro_g *g)
{
	while (atomic_load_explicit(&g->on_cpu, memory_order_acquire))
		sched_yield();
}
