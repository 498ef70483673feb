/*
 * goleak.c — goleak-style checks: the goroutines still alive besides the
 * caller and the ignored ones, in goleak's text.
 *
 * Better than goleak: no blind sleep-and-retry.  goro knows every
 * goroutine's state, so the check waits exactly until every other
 * goroutine has exited or is blocked (bounded by max_wait for goroutines
 * that keep running, sleeping or waiting on I/O), then reports.  A clean
 * check returns at once; a leaking one as soon as the leakers are parked
 * and no wake-up is scheduled before max_wait: a goroutine blocked on a
 * timer's or ticker's channel, or in an _until / deadline-context / I/O
 * deadline wait, is woken by a runtime timer, so while any runtime timer
 * is due before max_wait and goroutines are still blocked, the check
 * sleeps until that timer's instant and looks again (goleak would retry
 * blindly for ~0.43 s and see them gone).  Timers are not tied to their
 * goroutines, so an unrelated ticker can make a leaking check wait the
 * whole max_wait: late, never wrong.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/profiles.h"
#include "runtime/stw.h"
#include "sched/gsnap.h"
#include "sched/sched.h"

#define DEFAULT_MAX_WAIT GORO_SECOND

struct names {
	char **v;
	int n;
};

struct goro_leak_opts {
	struct names top, any, created_by;
	int64_t *ignore_ids;
	int nignore;
	goro_duration max_wait;
};

GORO_API goro_leak_opts *goro_leak_opts_new(void)
{
	goro_leak_opts *o = calloc(1, sizeof *o);
	if (o)
		o->max_wait = DEFAULT_MAX_WAIT;
	return o;
}

static void names_free(struct names *ns)
{
	for (int i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

GORO_API void goro_leak_opts_free(goro_leak_opts *o)
{
	if (!o)
		return;
	names_free(&o->top);
	names_free(&o->any);
	names_free(&o->created_by);
	free(o->ignore_ids);
	free(o);
}

static void names_add(struct names *ns, const char *fn)
{
	char **v = realloc(ns->v, (size_t)(ns->n + 1) * sizeof *v);
	if (!v || !fn)
		goro_panic("goro_leak: out of memory (or NULL function name)");
	ns->v = v;
	ns->v[ns->n++] = strdup(fn);
}

GORO_API void goro_leak_ignore_top_function(goro_leak_opts *o, const char *fn)
{
	names_add(&o->top, fn);
}

GORO_API void goro_leak_ignore_any_function(goro_leak_opts *o, const char *fn)
{
	names_add(&o->any, fn);
}

GORO_API void goro_leak_ignore_created_by(goro_leak_opts *o, const char *fn)
{
	names_add(&o->created_by, fn);
}

struct id_list {
	int64_t *v;
	int n, cap;
};

static void add_id(struct goro_g *g, void *arg)
{
	struct id_list *l = arg;
	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 64;
		int64_t *v = realloc(l->v, (size_t)cap * sizeof *v);
		if (!v)
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = g->id;
}

GORO_API void goro_leak_ignore_current(goro_leak_opts *o)
{
	struct id_list l = { o->ignore_ids, o->nignore, o->nignore };
	goro__for_each_g(add_id, &l);
	o->ignore_ids = l.v;
	o->nignore = l.n;
}

GORO_API void goro_leak_max_wait(goro_leak_opts *o, goro_duration d)
{
	o->max_wait = d;
}

static bool ignored_id(const goro_leak_opts *o, int64_t id)
{
	for (int i = 0; o && i < o->nignore; i++)
		if (o->ignore_ids[i] == id)
			return true;
	return false;
}

/* Goroutines the runtime started for itself (names goro_*) are ignored,
 * like goleak's defaults for the Go runtime's own goroutines. */
static bool runtime_goroutine(struct goro_g *g)
{
	struct goro_sym s;
	return goro__symbolize((uintptr_t)g->fn, &s) && strncmp(s.func, "goro_", 5) == 0;
}

struct filter {
	const goro_leak_opts *o;
	int64_t self;
};

static bool candidate(struct goro_g *g, void *arg)
{
	struct filter *f = arg;
	return g->id != f->self && (!g->system || goro__traceback_system()) &&
	       !ignored_id(f->o, g->id) &&
	       !runtime_goroutine(g);
}

/* Still doing something that may end by itself. */
static bool active(struct goro_g *g)
{
	int st = atomic_load_explicit(&g->state, memory_order_acquire);
	if (st != G_WAITING)
		return true;
	/* written before the state store that published G_WAITING (g.h);
	 * read as the atomic it is racing with a later park */
	int wr = __atomic_load_n(&g->wait_reason, __ATOMIC_RELAXED);
	return wr == WR_SLEEP || wr == WR_IO || wr == WR_SYSCALL;
}

struct settle {
	struct filter *f;
	int active, blocked;
};

static void count_active(struct goro_g *g, void *arg)
{
	struct settle *s = arg;
	if (!candidate(g, s->f))
		return;
	if (active(g))
		s->active++;
	else
		s->blocked++;
}

/* The earliest instant a runtime timer of a worker is due (INT64_MAX:
 * none): every scheduled wake-up of a blocked goroutine is one. */
static int64_t next_wake_up(void)
{
	int64_t next = INT64_MAX;
	for (int i = 0; i < goro__sched.nworkers; i++) {
		int64_t w = atomic_load(&goro__sched.workers[i].timers.next_when);
		if (w < next)
			next = w;
	}
	return next;
}

/* Waits until no other goroutine is running, runnable or sleeping, and,
 * while some are blocked, no wake-up is due before the deadline. */
static void settle(struct filter *f, goro_duration max_wait)
{
	int64_t deadline = goro__nanotime() + max_wait;
	goro_duration pause = GORO_MICROSECOND;
	for (int round = 0;; round++) {
		struct settle s = { f, 0, 0 };
		goro__for_each_g(count_active, &s);
		int64_t now = goro__nanotime();
		if (now >= deadline)
			return;
		if (s.active == 0) {
			int64_t wake = s.blocked ? next_wake_up() : INT64_MAX;
			if (wake >= deadline)
				return; /* settled: nothing will wake them in time */
			/* the timer, then its goroutine's turn to run */
			goro_sleep(wake > now ? wake - now + 100 * GORO_MICROSECOND
			                      : 100 * GORO_MICROSECOND);
			continue;
		}
		if (round < 16) {
			goro_yield(); /* let them run on this worker first */
			continue;
		}
		goro_sleep(pause);
		if (pause < GORO_MILLISECOND)
			pause *= 2;
	}
}

void goro__leak_settle(goro_duration max_wait)
{
	struct filter f = { NULL, goro_id() };
	settle(&f, max_wait);
}

/*
 * The world stays frozen from here until the process is gone: exit
 * handlers that run after the check (registered before it) may tear down
 * state goroutines use, and no goroutine may run to touch it.  A
 * cooperative freeze, not a signal stop: foreign threads keep going (an
 * exit handler may join them), and a goroutine looping without goro calls
 * cannot be held (the freeze gives up on it after max_wait).
 */
void goro__world_hold_for_exit(void)
{
	static bool held;
	if (held)
		return;
	held = true;
	goro__stw_lock();
	struct goro_stw_report rep;
	goro__world_freeze(GORO_SECOND, &rep);
}

static bool names_has(const struct names *ns, const char *fn)
{
	for (int i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], fn) == 0)
			return true;
	return false;
}

static bool any_frame_in(const struct goro_gsnap *s, const struct names *ns)
{
	for (int i = 0; i < s->npcs; i++) {
		struct goro_sym sym;
		goro__symbolize(goro__frame_pc(s->pcs, i), &sym);
		if (!sym.internal && names_has(ns, sym.func))
			return true;
	}
	return false;
}

static bool option_ignores(const goro_leak_opts *o, const struct goro_gsnap *s)
{
	if (!o)
		return false;
	if (o->top.n && names_has(&o->top, goro__top_function(s)))
		return true;
	if (o->any.n && any_frame_in(s, &o->any))
		return true;
	if (o->created_by.n && s->create_pc) {
		struct goro_sym sym;
		goro__symbolize(s->create_pc - 1, &sym);
		if (names_has(&o->created_by, sym.func))
			return true;
	}
	return false;
}

GORO_API int goro_leak_find(const goro_leak_opts *opts, char **report)
{
	goro__ensure_init();
	if (report)
		*report = NULL;
	struct filter f = { opts, goro_id() };
	settle(&f, opts ? opts->max_wait : DEFAULT_MAX_WAIT);
	int n;
	struct goro_gsnap *s = goro__snapshot(candidate, &f, &n);
	if (!s)
		return -1;
	int k = 0;
	for (int i = 0; i < n; i++) {
		s[i].leaked = false;
		s[i].durable = false;
		if (!option_ignores(opts, &s[i]))
			s[k++] = s[i];
	}
	if (k && report) {
		size_t len;
		FILE *m = open_memstream(report, &len);
		if (m) {
			goro__fmt_goleak(m, s, k);
			fclose(m);
		}
	}
	free(s);
	return k;
}

GORO_API bool goro_leak_verify_none(const goro_leak_opts *opts)
{
	char *rep;
	int n = goro_leak_find(opts, &rep);
	if (n > 0 && rep)
		fputs(rep, stderr);
	free(rep);
	return n == 0;
}

/* VerifyTestMain: on_exit knows the exit status; only a passing run
 * (status 0) is turned into a failure. */
static void verify_on_exit(int status, void *arg)
{
	goro_leak_opts *o = arg;
	if (status != 0)
		return;
	char *rep;
	int n = goro_leak_find(o, &rep);
	goro__world_hold_for_exit(); /* no goroutine runs again */
	if (n > 0) {
		fflush(stdout);
		fprintf(stderr, "goleak: Errors on successful test run: %s", rep ? rep : "");
		fflush(stderr);
		_exit(1);
	}
	free(rep);
}

GORO_API void goro_leak_verify_at_exit(goro_leak_opts *opts)
{
	goro__ensure_init();
	if (!opts)
		opts = goro_leak_opts_new();
	on_exit(verify_on_exit, opts);
}
