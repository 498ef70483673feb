/*
 * fiber.h — telling ASan, TSan and Valgrind about stack switches.
 *
 * Without these annotations ASan reports false stack-buffer overflows after
 * a switch (it thinks the old stack is still current), TSan attributes a
 * goroutine's accesses to whatever thread-stack it last saw, and Valgrind
 * takes a switch for a huge stack-pointer jump.  Each call compiles to
 * nothing in a plain build.
 */
#ifndef GORO_FIBER_H
#define GORO_FIBER_H

#include "sched/g.h"

#if defined(GORO_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(GORO_TSAN)
#include <sanitizer/tsan_interface.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define GORO_HAVE_VALGRIND 1
#endif
#endif

/* A new goroutine record gets its sanitizer identities. */
static inline void goro__fiber_create(struct goro_g *g)
{
#if defined(GORO_TSAN)
	g->tsan_fiber = __tsan_create_fiber(0);
#else
	(void)g;
#endif
}

/* The current thread's own context (goroutine 1, a worker's g0). */
static inline void goro__fiber_adopt_thread(struct goro_g *g)
{
#if defined(GORO_TSAN)
	g->tsan_fiber = __tsan_get_current_fiber();
#else
	(void)g;
#endif
}

/* A finished goroutine's identities, released from another context. */
static inline void goro__fiber_destroy(struct goro_g *g)
{
#if defined(GORO_TSAN)
	if (g->tsan_fiber)
		__tsan_destroy_fiber(g->tsan_fiber);
	g->tsan_fiber = NULL;
#else
	(void)g;
#endif
}

/* Right before switching from `from` to `to`; dying: from never resumes. */
static inline void goro__fiber_before(struct goro_g *from, struct goro_g *to, bool dying)
{
#if defined(GORO_ASAN)
	__sanitizer_start_switch_fiber(dying ? NULL : &from->asan_fake_stack,
	                               to->stack_lo, (size_t)(to->stack_hi - to->stack_lo));
#endif
#if defined(GORO_TSAN)
	__tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
	(void)from;
	(void)to;
	(void)dying;
}

/* Right after `self` resumed (or started: first = true). */
static inline void goro__fiber_after(struct goro_g *self, bool first)
{
#if defined(GORO_ASAN)
	__sanitizer_finish_switch_fiber(first ? NULL : self->asan_fake_stack, NULL, NULL);
#endif
	(void)self;
	(void)first;
}

/* A stack goes back to the pool: forget the redzones its frames left, or
 * the next goroutine on it trips over them. */
static inline void goro__fiber_stack_reset(void *lo, void *hi)
{
#if defined(GORO_ASAN)
	__asan_unpoison_memory_region(lo, (size_t)((char *)hi - (char *)lo));
#else
	(void)lo;
	(void)hi;
#endif
}

static inline unsigned goro__valgrind_register(void *lo, void *hi)
{
#if defined(GORO_HAVE_VALGRIND)
	return VALGRIND_STACK_REGISTER(lo, hi);
#else
	(void)lo;
	(void)hi;
	return 0;
#endif
}

#endif /* GORO_FIBER_H */
