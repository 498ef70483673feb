/*
 * synctest.c — bubbles: goro_synctest_run, goro_synctest_wait, the fake
 * clock, and deadlock/leak reports that do not kill the process.
 *
 * Accounting is described in bubble.h.  The idle step (what happens when
 * every goroutine of a bubble is durably blocked) is decided under b->lock
 * and carried out after dropping it, because carrying it out readies
 * goroutines, whose ready hook takes b->lock again.  While a bubble is
 * idle nothing can change it from outside (only bubble goroutines may touch
 * bubbled channels and timers), so the decision stays valid.
 *
 * Releasing a deadlocked bubble: every blocked goroutine of the bubble is
 * unlinked from the queues it waits in, removed from the goroutine list
 * and its stack freed.  None of its code runs again — no cleanup of its
 * own, no deferred work: C has none, and we never resume it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan/chan.h"
#include "sched/gsnap.h"
#include "sched/sched_internal.h"
#include "synctest/bubble.h"
#include "trace/trace.h"

#define FAKE_EPOCH ((int64_t)946684800 * GORO_SECOND) /* 2000-01-01 UTC */

static atomic_uint next_bubble_id = 1;

GORO_HIDDEN void goro__bubble_release_g(struct goro_g *g);

uint32_t goro__bubble_id(struct goro_bubble *b)
{
	return b ? b->id : 0;
}

GORO_API int64_t goro_synctest_bubble(void)
{
	return goro__bubble_id(goro__getg()->bubble);
}

enum idle_action { IDLE_NONE, IDLE_FIRE_DUE, IDLE_WAKE_WAITER, IDLE_ADVANCE, IDLE_DEADLOCK };

/* b->lock held.  What an idle bubble must do now (Go's rules): timers due
 * at the current instant run first, all of them (a goroutine whose timer
 * is due is not durably blocked); then a pending Wait returns; then, while
 * the root runs, time jumps to the next timer; else it is a deadlock. */
static enum idle_action idle_decide(struct goro_bubble *b)
{
	if (b->finished || b->total == 0 || b->blocked < b->total || b->firing)
		return IDLE_NONE;
	int64_t next = goro__timerheap_next(&b->timers);
	if (next <= b->now)
		return IDLE_FIRE_DUE;
	if (b->waiter)
		return IDLE_WAKE_WAITER;
	if (!b->root_done && next != INT64_MAX)
		return IDLE_ADVANCE;
	return IDLE_DEADLOCK;
}

/* b->lock held: marks the bubble finished; returns the runner to wake
 * (only if it is parked: a waker must never ready a running goroutine). */
static struct goro_g *finish_locked(struct goro_bubble *b, int outcome)
{
	b->outcome = outcome;
	b->finished = true;
	struct goro_g *r = b->runner_parked ? b->runner : NULL;
	b->runner_parked = false;
	return r;
}

static void wake_runner(struct goro_g *r)
{
	if (r)
		goro__ready(r);
}

/* Runs idle steps until the bubble is busy again (b->lock held on entry,
 * released on return). */
static void idle_run(struct goro_bubble *b)
{
	for (;;) {
		enum idle_action a = idle_decide(b);
		if (a == IDLE_NONE) {
			goro__spin_unlock(&b->lock);
			return;
		}
		if (a == IDLE_WAKE_WAITER) {
			struct goro_g *w = b->waiter;
			b->waiter = NULL;
			goro__spin_unlock(&b->lock);
			goro__ready(w);
			return;
		}
		if (a == IDLE_DEADLOCK) {
			struct goro_g *r = finish_locked(b, b->root_done ? GORO_BUBBLE_LEAKED
			                                                 : GORO_BUBBLE_DEADLOCK);
			goro__spin_unlock(&b->lock);
			wake_runner(r);
			return;
		}
		/* Time jumps to the next timer (IDLE_ADVANCE); then every timer
		 * due at that instant fires, in random order (the fake heap breaks
		 * ties with a random sequence), before the bubble is judged again:
		 * `firing` keeps the goroutines they wake from finding it idle
		 * while some are still to fire (Go's bubble.active). */
		int64_t next = goro__timerheap_next(&b->timers);
		if (a == IDLE_ADVANCE && next > b->now)
			b->now = next;
		int64_t now = b->now;
		b->firing = true;
		goro__spin_unlock(&b->lock);
		goro__timerheap_run(&b->timers, now);
		goro__spin_lock(&b->lock);
		b->firing = false;
		if (b->total == 0 && !b->finished) { /* the last one left meanwhile */
			struct goro_g *r = finish_locked(b, GORO_BUBBLE_OK);
			goro__spin_unlock(&b->lock);
			wake_runner(r);
			return;
		}
	}
}

void goro__bubble_on_spawn(struct goro_g *g)
{
	struct goro_bubble *b = g->bubble;
	goro__spin_lock(&b->lock);
	b->total++;
	if (!b->root && !b->root_done)
		b->root = g; /* the first goroutine of a bubble is its root */
	goro__spin_unlock(&b->lock);
}

void goro__bubble_on_park(struct goro_g *g)
{
	if (!g->durable)
		return; /* blocked on something outside: the bubble is not idle */
	struct goro_bubble *b = g->bubble;
	goro__spin_lock(&b->lock);
	if (atomic_load(&g->state) != G_WAITING) { /* already readied */
		goro__spin_unlock(&b->lock);
		return;
	}
	g->bubble_blocked = true;
	b->blocked++;
	idle_run(b);
}

void goro__bubble_on_ready(struct goro_g *g)
{
	struct goro_bubble *b = g->bubble;
	goro__spin_lock(&b->lock);
	if (g->bubble_blocked) {
		g->bubble_blocked = false;
		b->blocked--;
	}
	goro__spin_unlock(&b->lock);
}

static void cleanup_main(void *p);

/* The bubble's context is still to cancel (the root did not return). */
static bool ctx_pending(struct goro_bubble *b)
{
	return b->ctx && goro_ctx_err(b->ctx) == 0;
}

void goro__bubble_on_exit(struct goro_g *g)
{
	struct goro_bubble *b = g->bubble;
	goro__spin_lock(&b->lock);
	bool orphaned_cleanups = g == b->root && b->cleanups != NULL;
	goro__spin_unlock(&b->lock);
	/* The bubble's context must be canceled inside the bubble too (its
	 * Done channel is the bubble's): cleanup_main does it. */
	if (g == b->root && ctx_pending(b))
		orphaned_cleanups = true;
	/* The root left with goro_exit (Go's Goexit, t.FailNow): its cleanups
	 * still run, in a goroutine of the bubble. */
	if (orphaned_cleanups)
		goro__spawn_in(cleanup_main, &b, sizeof b, b, NULL);
	goro__spin_lock(&b->lock);
	b->total--;
	if (g == b->root)
		b->root_done = true;
	/* While an idle step fires timers the bubble stays alive: that step
	 * finishes it (it still uses b, and a timer may start a goroutine). */
	if (b->total == 0 && !b->finished && !b->firing) {
		struct goro_g *r = finish_locked(b, GORO_BUBBLE_OK);
		goro__spin_unlock(&b->lock);
		wake_runner(r);
		return;
	}
	idle_run(b);
}

GORO_API void goro_synctest_wait(void)
{
	struct goro_g *g = goro__getg();
	struct goro_bubble *b = g->bubble;
	if (!b)
		goro_panic("goroutine is not in a bubble");
	goro__spin_lock(&b->lock);
	if (b->waiter) {
		goro__spin_unlock(&b->lock);
		goro_panic("wait already in progress");
	}
	b->waiter = g;
	goro__spin_unlock(&b->lock);
	g->durable = true;
	goro__set_waiting(g, WR_SYNCTEST_WAIT);
	goro__park();
}

GORO_API goro_ctx *goro_synctest_context(void)
{
	struct goro_bubble *b = goro__getg()->bubble;
	if (!b)
		goro_panic("goro_synctest_context: goroutine is not in a bubble");
	return b->ctx;
}

GORO_API void goro_synctest_cleanup(goro_fn fn, void *arg)
{
	struct goro_bubble *b = goro__getg()->bubble;
	if (!b)
		goro_panic("goro_synctest_cleanup: goroutine is not in a bubble");
	struct goro_cleanup *c = malloc(sizeof *c);
	if (!c)
		goro_panic("goro_synctest_cleanup: out of memory");
	c->fn = fn;
	c->arg = arg;
	goro__spin_lock(&b->lock);
	c->next = b->cleanups;
	b->cleanups = c;
	goro__spin_unlock(&b->lock);
}

/* Runs the registered cleanups, last registered first (t.Cleanup order),
 * after canceling the bubble's context (Go cancels t.Context() first). */
static void run_cleanups(struct goro_bubble *b)
{
	if (b->ctx)
		goro_cancel(b->ctx);
	for (;;) {
		goro__spin_lock(&b->lock);
		struct goro_cleanup *c = b->cleanups;
		if (c)
			b->cleanups = c->next;
		goro__spin_unlock(&b->lock);
		if (!c)
			return;
		c->fn(c->arg);
		free(c);
	}
}

struct root_args {
	goro_fn fn;
	size_t argsize;
	_Alignas(16) char arg[];
};

static void root_main(void *p)
{
	struct root_args *a = p;
	/* Made here, so its Done channel belongs to the bubble. */
	goro__getg()->bubble->ctx = goro_with_cancel(goro_background());
	a->fn(a->argsize ? a->arg : NULL);
	run_cleanups(goro__getg()->bubble);
}



static void cleanup_main(void *p)
{
	run_cleanups(*(struct goro_bubble **)p);
}

/* --- reports ------------------------------------------------------- */

struct bubble_members {
	struct goro_g **g;
	int n;
};

/* Only the blocked ones: the goroutine whose exit made the bubble idle
 * may still be on its way out (it frees its own stack).  Judged under the
 * goroutine list's lock: other bubbles' goroutines come and go meanwhile. */
static bool blocked_in_bubble(struct goro_g *g, void *b)
{
	return g->bubble == b && atomic_load(&g->state) == G_WAITING;
}

static struct bubble_members members_of(struct goro_bubble *b)
{
	int n;
	struct goro_g **gs = goro__allg_collect_if(blocked_in_bubble, b, &n);
	return (struct bubble_members){ gs, n };
}

static void copy_sym(char *dst, size_t n, uintptr_t pc)
{
	struct goro_sym s;
	goro__symbolize(pc, &s);
	snprintf(dst, n, "%s", s.func);
}

static void describe(goro_bubble_goroutine *out, struct goro_g *g,
                     const struct goro_gsnap *snap)
{
	memset(out, 0, sizeof *out);
	out->id = g->id;
	out->create_pc = (uintptr_t)g->create_pc;
	snprintf(out->wait_reason, sizeof out->wait_reason, "%s",
	         goro__wait_reason_str(g->wait_reason));
	snprintf(out->function, sizeof out->function, "%s", goro__top_function(snap));
	copy_sym(out->start_function, sizeof out->start_function,
	         (uintptr_t)goro__start_fn(g));
	if (g->create_pc)
		copy_sym(out->created_by, sizeof out->created_by, (uintptr_t)g->create_pc - 1);
}

static const char *deadlock_text(int outcome)
{
	return outcome == GORO_BUBBLE_LEAKED
	               ? "deadlock: main bubble goroutine has exited but blocked goroutines remain"
	               : "deadlock: all goroutines in bubble are blocked";
}

/* Builds the report and the list of blocked goroutines.  The bubble is
 * idle: none of its goroutines can run while we read their stacks. */
static void report(struct goro_bubble *b, goro_bubble_result *res, struct bubble_members *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct goro_gsnap *snaps = calloc((size_t)(m->n ? m->n : 1), sizeof *snaps);
	if (f)
		fprintf(f, "panic: %s\n\n", deadlock_text(b->outcome));
	for (int i = 0; i < m->n && snaps; i++) {
		goro__gsnap_fill(&snaps[i], m->g[i], false);
		snaps[i].bubble_id = b->id;
	}
	if (f && snaps)
		goro__fmt_debug2(f, snaps, m->n);
	if (f)
		fclose(f);
	if (res) {
		res->report = text;
		res->nblocked = m->n;
		res->blocked = calloc((size_t)(m->n ? m->n : 1), sizeof *res->blocked);
		for (int i = 0; i < m->n && res->blocked && snaps; i++)
			describe(&res->blocked[i], m->g[i], &snaps[i]);
	} else {
		free(text);
	}
	free(snaps);
}

/* --- releasing a deadlocked bubble ---------------------------------- */

static void release_members(struct goro_bubble *b, struct bubble_members *m)
{
	for (int i = 0; i < m->n; i++) {
		struct goro_g *g = m->g[i];
		if (b->waiter == g)
			b->waiter = NULL;
		goro__bubble_release_g(g);
	}
	goro__spin_lock(&b->lock);
	b->total = 0;
	b->blocked = 0;
	goro__spin_unlock(&b->lock);
}

/* --- run ------------------------------------------------------------ */

static void wait_finished(struct goro_bubble *b)
{
	struct goro_g *g = goro__getg();
	goro__spin_lock(&b->lock);
	if (b->finished) {
		goro__spin_unlock(&b->lock);
		return;
	}
	b->runner_parked = true;
	goro__set_waiting(g, WR_SYNCTEST_RUN);
	goro__spin_unlock(&b->lock);
	goro__park();
}

static void start_in(struct goro_bubble *b, goro_fn fn, const void *arg, size_t argsize,
                     goro_fn user_fn, void *pc)
{
	goro__spin_lock(&b->lock);
	b->finished = false;
	goro__spin_unlock(&b->lock);
	goro__spawn_with(&(struct goro_spawn){ .fn = fn, .arg = arg, .argsize = argsize,
	                                        .bubble = b, .user_fn = user_fn,
	                                        .create_pc = pc });
}

GORO_API int goro_synctest_run_(goro_fn fn, const void *arg, size_t argsize,
                                goro_bubble_result *res)
{
	struct goro_g *g = goro__getg();
	if (g->bubble)
		goro_panic("synctest.Run called from within a synctest bubble");
	if (g->foreign)
		goro_panic("goro_synctest_run: must be called from a goroutine");
	if (res)
		memset(res, 0, sizeof *res);
	struct goro_bubble *b = calloc(1, sizeof *b);
	size_t total = sizeof(struct root_args) + argsize;
	struct root_args *ra = calloc(1, total);
	if (!b || !ra)
		goro_panic("goro_synctest_run: out of memory");
	b->id = atomic_fetch_add(&next_bubble_id, 1);
	b->now = FAKE_EPOCH;
	b->runner = g;
	goro__timerheap_init(&b->timers, b, NULL);
	b->timers.fake = true;
	ra->fn = fn;
	ra->argsize = argsize;
	if (argsize)
		memcpy(ra->arg, arg, argsize);

	start_in(b, root_main, ra, total, fn, __builtin_return_address(0));
	free(ra);
	wait_finished(b);
	int outcome = b->outcome;
	if (res) {
		res->status = outcome;
		res->bubble_id = b->id;
	}
	while (b->outcome != GORO_BUBBLE_OK) {
		struct bubble_members m = members_of(b);
		if (outcome == b->outcome)
			report(b, res, &m);
		/* Timers first: some live on the stacks about to be freed. */
		goro__timerheap_drop_all(&b->timers);
		release_members(b, &m);
		free(m.g);
		/* Cleanups run inside the bubble even after a deadlock. */
		bool more = b->cleanups != NULL || ctx_pending(b);
		b->outcome = GORO_BUBBLE_OK;
		if (more) {
			b->root_done = true;
			start_in(b, cleanup_main, &b, sizeof b, NULL, __builtin_return_address(0));
			wait_finished(b);
		}
	}
	goro__timerheap_drop_all(&b->timers);
	goro_ctx_release(b->ctx);
	free(b->timers.a);
	free(b);
	return outcome;
}

GORO_API void goro_bubble_result_free(goro_bubble_result *res)
{
	if (!res)
		return;
	free(res->report);
	free(res->blocked);
	res->report = NULL;
	res->blocked = NULL;
	res->nblocked = 0;
}

