/*
 * goroutine.c — starting and ending goroutines;
 * the public goroutine calls (goro_go, goro_id, goro_exit, ...).
 *
 * goro_go copies the caller's argument object onto the new goroutine's
 * stack, just below its record: the goroutine owns its arguments, and no
 * heap block keeps alive what the parent dropped (the leak detector judges
 * reachability, so a hidden heap copy would hide leaks).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/context.h"
#include "sched/fiber.h"
#include "sched/runq.h"
#include "sched/sched_internal.h"
#include "chan/chan.h"
#include "runtime/owned.h"
#include "synctest/bubble.h"

static struct goro_g main_g GORO_RT_STATE;

struct goro_g *goro__main_g(void)
{
	return &main_g;
}

/*
 * The kernel's "startstack" (/proc/self/stat, field 28): the stack pointer
 * the process started with.  Every frame is below it; above it lie argv,
 * the environment and the aux vector.  Goroutine 1's stack ends there, so
 * that libc's pointers to environment strings do not count as pointers
 * into its frames (the leak detector treats a stack as one object).
 */
static char *initial_stack_pointer(char *fallback)
{
	FILE *f = fopen("/proc/self/stat", "r");
	char buf[1024];
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* the command name may contain anything */
	if (!p)
		return fallback;
	p++;
	for (int field = 3; field < 28 && p; field++) /* skip state .. kstkesp */
		p = strchr(p + 1, ' ');
	unsigned long long v = p ? strtoull(p + 1, NULL, 10) : 0;
	char *sp = (char *)(uintptr_t)v;
	return v && sp < fallback ? sp : fallback;
}

void goro__main_g_init(struct goro_worker *w0)
{
	struct goro_g *g = &main_g;
	g->id = atomic_fetch_add(&goro__sched.next_id, 1); /* 1 */
	g->started = true;
	g->w = w0;
	g->stack_lo = w0->thread_stack_lo;
	g->stack_hi = initial_stack_pointer(w0->thread_stack_hi);
	atomic_store(&g->state, G_RUNNING);
	atomic_store(&g->on_cpu, true);
	goro__fiber_adopt_thread(g);
	w0->curg = g;
	atomic_fetch_add(&goro__sched.ngoroutines, 1);
	goro__allg_add(g);
}

static GORO_NORETURN void g_entry(void *arg)
{
	struct goro_g *g = arg;
	goro__switch_first(g->w, g);
	g->fn(g->arg);
	goro__g_exit();
}

/* Wakes one sleeping worker other than self, if there is one. */
static void wake_idle_worker(struct goro_worker *self)
{
	int n = goro__sched.nworkers;
	int start = self ? self->id + 1 : 0;
	for (int i = 0; i < n; i++) {
		struct goro_worker *w = &goro__sched.workers[(start + i) % n];
		if (w != self && atomic_load_explicit(&w->sleeping, memory_order_relaxed)) {
			goro__worker_wake(w);
			return;
		}
	}
}

/*
 * A new goroutine goes to its creator's runnext (Go's runqput with
 * next=true), displacing the previous one to the back of newq: once the
 * creator blocks, its newest child runs, in the creator's time slice.
 * Trees of goroutines unfold depth-first (skynet's million leaves never
 * wait all at once), programs keep Go's ordering (the parent reaches its
 * select before the child's send) and hand-offs stay on one thread.  A
 * sleeping worker is woken to share the load; it steals only after
 * spinning a few microseconds for work of its own, newq first, runnext
 * last.
 */
void goro__place_new(struct goro_g *g)
{
	struct goro_worker *self = goro__curw();
	if (!self) { /* a foreign thread: hand it to some worker */
		int n = goro__sched.nworkers;
		struct goro_worker *w =
			&goro__sched.workers[atomic_fetch_add(&goro__sched.spawn_rr, 1) % (unsigned)n];
		goro__newq_put(w, g);
		atomic_thread_fence(memory_order_seq_cst); /* as below */
		goro__worker_wake(w);
		return;
	}
	goro__runnext_put(self, g);
	if (goro__sched.nworkers > 1) {
		/* Publish the push before reading `sleeping`; a worker going
		 * to sleep sets `sleeping` before looking at the queues. */
		atomic_thread_fence(memory_order_seq_cst);
		wake_idle_worker(self);
	}
}

static void *copy_args(struct goro_g *g, const void *arg, size_t argsize)
{
	if (!argsize || !arg) /* goro_go(fn, NULL): fn gets NULL, as goro_go0 */
		return NULL;
	size_t room = (size_t)(g->stack_hi - g->stack_lo);
	size_t need = (argsize + 15) & ~(size_t)15;
	if (need > room / 4)
		goro_panic("goro_go: argument object of %zu bytes is too large for a "
		           "%zu-byte stack", argsize, room);
	char *dst = g->stack_hi - need;
	memcpy(dst, arg, argsize);
	return dst;
}

/*
 * Ids come from the shared counter in batches per worker, as Go's per-P
 * goidcache does: one shared atomic per batch instead of per spawn.  Ids
 * stay unique and increase on each worker, but not across workers.
 */
enum { ID_BATCH = 16 };

static int64_t new_id(struct goro_worker *w)
{
	if (!w)
		return atomic_fetch_add_explicit(&goro__sched.next_id, 1, memory_order_relaxed);
	if (w->id_next == w->id_end) {
		w->id_next = atomic_fetch_add_explicit(&goro__sched.next_id, ID_BATCH,
		                                       memory_order_relaxed);
		w->id_end = w->id_next + ID_BATCH;
	}
	return w->id_next++;
}

int64_t goro__spawn_with(const struct goro_spawn *sp)
{
	goro_fn fn = sp->fn;
	const void *arg = sp->arg;
	size_t argsize = sp->argsize;
	goro__ensure_init();
	if (!fn)
		goro_panic("goro_go: nil function");
	/* Critical: a stop must never see a goroutine that has its arguments
	 * but is not yet in the goroutine list. */
	goro__critical_enter();
	struct goro_worker *w = goro__curw();
	struct goro_stack *st = goro__stack_get(w ? &w->stacks : NULL, sp->stack_size);
	if (!st)
		goro__throw_oom("a goroutine stack",
		                sp->stack_size ? sp->stack_size : goro__stack_default_size());
	struct goro_g *g = &goro__stack_top(st)->g;
	memset(g, 0, GORO_G_IDENT); /* the identity: atomic stores below (g.h) */
	g->stack = st;
	g->stack_lo = goro__stack_lo(st);
	g->stack_hi = goro__stack_hi(st);
	goro__stack_set_canary(g);
	__atomic_store_n(&g->fn, fn, __ATOMIC_RELAXED);
	g->arg = copy_args(g, arg, argsize);
	char *top = g->arg ? (char *)g->arg : g->stack_hi;
	g->sp = goro__ctx_init(top, g_entry, g);
	__atomic_store_n(&g->id, new_id(w), __ATOMIC_RELAXED);
	struct goro_g *parent = goro__getg();
	__atomic_store_n(&g->parent_id, parent && !parent->is_g0 ? parent->id : 0,
	                 __ATOMIC_RELAXED);
	__atomic_store_n(&g->create_pc, sp->create_pc, __ATOMIC_RELAXED);
	g->bubble = sp->bubble;
	__atomic_store_n(&g->user_fn, sp->user_fn, __ATOMIC_RELAXED);
	__atomic_store_n(&g->system, sp->system, __ATOMIC_RELAXED);
	__atomic_store_n(&g->is_g0, false, __ATOMIC_RELAXED);
	goro__fiber_create(g);
	atomic_store_explicit(&g->state, G_RUNNABLE, memory_order_relaxed);
	if (!g->system) /* NumGoroutine counts the program's goroutines */
		atomic_fetch_add_explicit(&goro__sched.ngoroutines, 1, memory_order_relaxed);
	goro__allg_add(g);
	int64_t id = g->id; /* g may run and finish before we return */
	if (g->bubble)
		goro__bubble_on_spawn(g);
	goro__place_new(g);
	goro__critical_exit();
	return id;
}

int64_t goro__spawn(goro_fn fn, const void *arg, size_t argsize, size_t stack_size,
                    void *create_pc)
{
	struct goro_g *parent = goro__getg();
	return goro__spawn_with(&(struct goro_spawn){
		.fn = fn, .arg = arg, .argsize = argsize, .stack_size = stack_size,
		.bubble = parent ? parent->bubble : NULL, .create_pc = create_pc });
}

/* A goroutine of bubble b started by the runtime (timers, AfterFunc). */
int64_t goro__spawn_in(goro_fn fn, const void *arg, size_t argsize, struct goro_bubble *b,
                       void *create_pc)
{
	return goro__spawn_with(&(struct goro_spawn){
		.fn = fn, .arg = arg, .argsize = argsize, .bubble = b, .create_pc = create_pc });
}

/* A goroutine the runtime runs for itself (signal work, the debug
 * server): not counted, not listed in dumps or checks, like Go's system
 * goroutines. */
int64_t goro__spawn_system(goro_fn fn, const void *arg, size_t argsize)
{
	return goro__spawn_with(&(struct goro_spawn){
		.fn = fn, .arg = arg, .argsize = argsize, .system = true });
}

goro_fn goro__start_fn(const struct goro_g *g)
{
	return g->user_fn ? g->user_fn : g->fn;
}

void goro__g_exit(void)
{
	struct goro_g *g = goro__getg();
	if (g->foreign)
		goro_panic("goro_exit: called from a thread that is not a goroutine");
	while (g->exit_hooks) { /* Go's deferred calls run on Goexit */
		struct goro_exit_hook *h = g->exit_hooks;
		g->exit_hooks = h->next;
		h->fn(h->arg);
	}
	atomic_store_explicit(&g->state, G_DEAD, memory_order_release);
	goro__allg_remove(g);
	if (!g->system)
		atomic_fetch_sub(&goro__sched.ngoroutines, 1);
	/* Last: this may finish the bubble and let its runner return, which
	 * must then see this goroutine gone. */
	if (g->bubble)
		goro__bubble_on_exit(g);
	/* Goroutine 1 (Go: other goroutines go on; when none is left, a
	 * deadlock is reported). Its native stack is never freed. */
	if (g == &main_g)
		atomic_store(&goro__sched.main_exited, true);
	goro__switch_dead(goro__curw(), g);
}

/*
 * Ends a parked goroutine from outside (a deadlocked synctest bubble):
 * unlinks it from every queue it waits in, forgets it and frees its stack.
 * Its code never runs again.  The caller guarantees it cannot be readied
 * concurrently (everything that could wake it is gone with its bubble).
 */
void goro__bubble_release_g(struct goro_g *g)
{
	goro__wait_off_cpu(g);
	for (struct goro_waiter *w = g->waiting; w; w = w->waitlink)
		goro__waiter_unlink(w);
	g->waiting = NULL;
	atomic_store(&g->state, G_DEAD);
	goro__allg_remove(g);
	if (!g->system)
		atomic_fetch_sub(&goro__sched.ngoroutines, 1);
	goro__fiber_destroy(g);
	goro__stack_put(NULL, g->stack);
}

GORO_API int64_t goro_go_(goro_fn fn, const void *arg, size_t argsize)
{
	return goro__spawn(fn, arg, argsize, 0, __builtin_return_address(0));
}

GORO_API int64_t goro_go_opts(goro_fn fn, const void *arg, size_t argsize,
                              const goro_go_options *opts)
{
	size_t size = opts ? opts->stack_size : 0;
	if (size > GORO_MAX_STACK_SIZE)
		goro_panic("goro_go_opts: stack_size %zu is larger than the maximum of %zu bytes "
		           "(1 GiB, Go's limit)", size, (size_t)GORO_MAX_STACK_SIZE);
	return goro__spawn(fn, arg, argsize, size, __builtin_return_address(0));
}

GORO_API int64_t goro_id(void)
{
	goro__ensure_init();
	struct goro_g *g = goro__getg();
	return g ? g->id : 0;
}

GORO_API int goro_num_goroutine(void)
{
	goro__ensure_init();
	return (int)atomic_load(&goro__sched.ngoroutines);
}

GORO_API void goro_exit(void)
{
	goro__g_exit();
}
