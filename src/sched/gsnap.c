/*
 * gsnap.c — goroutine records -> goro_gsnap, the formats' input.
 *
 * Reading a parked goroutine's stack is only safe while it cannot resume:
 * the callers arrange that (all workers idle for the deadlock report, the
 * world stopped for dumps and profiles, or the goroutine is the caller).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/context.h"
#include "runtime/stw.h"
#include "synctest/bubble.h"
#include "sched/gsnap.h"
#include "sched/sched_internal.h"
#include "trace/trace.h"

static void fill_state(struct goro_gsnap *s, const struct goro_g *g)
{
	int st = atomic_load(&g->state);
	const char *text = st == G_RUNNING ? "running" : st == G_RUNNABLE ? "runnable"
	                 : st == G_WAITING ? goro__wait_reason_str(g->wait_reason)
	                                   : "dead";
	snprintf(s->state, sizeof s->state, "%s", text);
	if (st == G_WAITING && g->wait_since) {
		int64_t mins = (goro__nanotime() - g->wait_since) / (60 * GORO_SECOND);
		s->wait_minutes = mins > 0 ? mins : 0;
	}
}

/* The worker stopped at a safe point while running g (world frozen). */
static struct goro_worker *stopped_running(const struct goro_g *g)
{
	if (!atomic_load(&goro__stw_requested))
		return NULL;
	for (int i = 0; i < goro__sched.nworkers; i++) {
		struct goro_worker *w = &goro__sched.workers[i];
		void *sp;
		struct goro_g *at;
		bool signaled;
		if (goro__stw_worker_pos(w, &sp, &at, &signaled) && at == g && w != goro__curw())
			return w;
	}
	return NULL;
}

static int unwind_parked(struct goro_g *g, struct goro_gsnap *s)
{
	struct goro_worker *w = stopped_running(g);
	struct goro_regs regs;
	if (w) {
		if (w->stw_signaled)
			return 0; /* stopped in user code: no saved context */
		regs = w->stw_regs;
	} else if (atomic_load(&g->state) == G_RUNNING) {
		return 0; /* running on another worker: stack unavailable */
	} else {
		if (!atomic_load(&goro__stw_requested))
			goro__wait_off_cpu(g);
		goro__ctx_regs(g->sp, &regs);
	}
	return goro__unwind_regs(&regs, s->pcs, GORO_MAX_FRAMES, &s->truncated);
}

void goro__gsnap_fill(struct goro_gsnap *s, struct goro_g *g, bool is_current)
{
	memset(s, 0, sizeof *s);
	s->id = g->id;
	s->parent_id = g->parent_id;
	s->create_pc = (uintptr_t)g->create_pc;
	s->start_pc = (uintptr_t)goro__start_fn(g);
	s->leaked = g->leaked;
	s->bubble_id = goro__bubble_id(g->bubble);
	s->durable = g->bubble && g->durable && atomic_load(&g->state) == G_WAITING;
	fill_state(s, g);
	if (is_current) {
		s->npcs = goro__unwind_here(s->pcs, GORO_MAX_FRAMES, 1, &s->truncated);
	} else if (!g->started || !g->sp) {
		/* Not yet started: Go shows the function it will run. */
		s->pcs[0] = (uintptr_t)g->fn;
		s->npcs = 1;
	} else {
		s->npcs = unwind_parked(g, s);
	}
}

/* An entry copied under the goroutine list's lock: once the lock is
 * dropped a record may die and be reused, so its id is read there. */
struct collected {
	struct goro_g *g;
	int64_t id;
};

struct collect {
	struct collected *a;
	int n, cap;
	bool (*keep)(struct goro_g *g, void *arg);
	void *arg;
};

static void collect_one(struct goro_g *g, void *arg)
{
	struct collect *c = arg;
	if (c->keep && !c->keep(g, c->arg))
		return;
	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 256;
		struct collected *a = malloc((size_t)cap * sizeof *a);
		if (!a)
			return;
		if (c->a) { /* not realloc: the old copy must not stay behind */
			memcpy(a, c->a, (size_t)c->n * sizeof *a);
			goro__free_scrubbed(c->a, (size_t)c->cap * sizeof *a);
		}
		c->a = a;
		c->cap = cap;
	}
	c->a[c->n++] = (struct collected){ g, g->id };
}

static int by_id(const void *a, const void *b)
{
	const struct collected *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

struct goro_g **goro__allg_collect_if(bool (*keep)(struct goro_g *g, void *arg), void *arg,
                                      int *n)
{
	struct collect c = { .keep = keep, .arg = arg };
	goro__for_each_g(collect_one, &c);
	if (c.n > 1)
		qsort(c.a, (size_t)c.n, sizeof *c.a, by_id);
	struct goro_g **gs = (struct goro_g **)c.a; /* compact in place */
	for (int i = 0; i < c.n; i++)
		gs[i] = c.a[i].g;
	*n = c.n;
	return gs;
}

struct goro_g **goro__allg_collect(int *n)
{
	return goro__allg_collect_if(NULL, NULL, n);
}

void goro__free_scrubbed(void *p, size_t bytes)
{
	if (!p)
		return;
	/* The barrier keeps the compiler from dropping the stores as dead
	 * (it knows free() reads nothing). */
	memset(p, 0, bytes);
	__asm__ volatile("" : : "r"(p) : "memory");
	free(p);
}

void goro__allg_free(struct goro_g **gs, int n)
{
	/* collect_if compacted a (g, id) array in place: scrub all of it */
	goro__free_scrubbed(gs, (size_t)n * sizeof(struct collected));
}

struct goro_gsnap *goro__gsnap_all(int *n)
{
	int ng;
	struct goro_g **gs = goro__allg_collect(&ng);
	struct goro_gsnap *snaps = calloc((size_t)(ng ? ng : 1), sizeof *snaps);
	if (!snaps) {
		goro__allg_free(gs, ng);
		*n = 0;
		return NULL;
	}
	struct goro_g *self = goro__getg();
	int k = 0;
	for (int i = 0; i < ng; i++)
		if (!gs[i]->system || goro__traceback_system())
			goro__gsnap_fill(&snaps[k++], gs[i], gs[i] == self);
	goro__allg_free(gs, ng);
	*n = k;
	return snaps;
}

void goro__dump_all(FILE *out)
{
	int n;
	struct goro_gsnap *s = goro__gsnap_all(&n);
	if (s)
		goro__fmt_debug2(out, s, n);
	free(s);
}

void goro__print_current_stack(FILE *out)
{
	struct goro_g *g = goro__sched.started ? goro__getg() : NULL;
	struct goro_gsnap *s = malloc(sizeof *s);
	if (!s)
		return;
	if (g) {
		goro__gsnap_fill(s, g, true);
	} else {
		/* Before the runtime started, the caller is what will be
		 * goroutine 1 (misuse in main, like Go's). */
		memset(s, 0, sizeof *s);
		s->id = 1;
		s->npcs = goro__unwind_here(s->pcs, GORO_MAX_FRAMES, 1, &s->truncated);
	}
	snprintf(s->state, sizeof s->state, "running");
	goro__fmt_goroutine(out, s);
	free(s);
}
