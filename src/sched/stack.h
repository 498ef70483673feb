/*
 * stack.h — goroutine stacks: mmap'd, pooled, guarded while the kernel's
 * mapping budget allows, canary-checked always.
 *
 * Layout of one stack mapping (addresses grow to the right):
 *
 *   base                                                               base+size
 *   | guard page? | canary | ...usable stack... | goro_stack_top record | color |
 *                 ^stack_lo                     ^stack_hi
 *
 * The record at the top holds the goroutine record (struct goro_g) and the
 * pool bookkeeping, so starting a goroutine is one pool pop.  Returning a
 * stack to the OS (madvise) never touches the top page, so a pooled stack
 * keeps its record.
 *
 * Why the color (0 to 15 cache lines of unused bytes, by the stack's place
 * in its slab): without it every record and every goroutine's first frames
 * sit at the same offset in their page, so they all compete for the same
 * few sets of the CPU caches (a thousand fresh goroutines would share eight
 * L1 lines).  The color spreads them over the page while the record and
 * the first frames still share one page.
 *
 * Why not an mprotect'ed guard page per stack: every one splits a mapping,
 * and Linux caps a process at vm.max_map_count (65530 by default) mappings;
 * one guard per stack is what stops libdill at 32,753 coroutines.  On
 * Linux 6.13 and later goro guards every stack with a guard region
 * (MADV_GUARD_INSTALL: a page-table marker, no split).  On older kernels it
 * guards stacks while a budget derived from max_map_count lasts, then
 * relies on the canary word at stack_lo, checked at every switch away
 * from the goroutine.
 */
#ifndef GORO_STACK_H
#define GORO_STACK_H

#include <stdbool.h>
#include <stddef.h>

#include "sched/g.h"

struct goro_stack {
	char *base;               /* start of the mapping */
	size_t size;              /* whole mapping */
	bool guarded;             /* first page is a guard (guard.h) */
	bool clean;               /* pages below the top were madvised away */
	struct goro_stack *next;  /* pool link while free */
};

struct goro_stack_top {
	struct goro_g g;
	struct goro_stack st;
};

/* Per-worker cache of free default-size stacks (owner thread only). */
struct goro_stack_cache {
	struct goro_stack *head;
	int count;
};

GORO_HIDDEN void goro__stack_init(void);
GORO_HIDDEN size_t goro__stack_default_size(void);
/* A stack of at least size bytes (0 = default), or NULL when out of memory. */
GORO_HIDDEN struct goro_stack *goro__stack_get(struct goro_stack_cache *c, size_t size);
GORO_HIDDEN void goro__stack_put(struct goro_stack_cache *c, struct goro_stack *s);
/* Returns the pages of up to max pooled stacks to the OS, beyond a warm
 * reserve; the number cleaned (0: nothing to do).  For idle workers. */
GORO_HIDDEN int goro__stack_scavenge(int max);
/* When goro__stack_scavenge should run (goro__nanotime clock): some time
 * after the last stack was freed; INT64_MAX if there is nothing to do. */
GORO_HIDDEN int64_t goro__stack_scavenge_due(void);

enum { GORO_STACK_COLORS = 16 };

/* The record of the stack mapping [base, base+size). */
static inline struct goro_stack_top *goro__stack_top_at(char *base, size_t size)
{
	size_t color = (size_t)((uintptr_t)base / size % GORO_STACK_COLORS) * 64;
	return (struct goro_stack_top *)(base + size - color) - 1;
}

static inline struct goro_stack_top *goro__stack_top(struct goro_stack *s)
{
	return (struct goro_stack_top *)((char *)s - offsetof(struct goro_stack_top, st));
}

/* Usable range of a stack. */
GORO_HIDDEN char *goro__stack_lo(struct goro_stack *s);
/* 64-byte aligned: copied arguments below it keep any alignment up to
 * a cache line (the record's own size is arbitrary). */
static inline char *goro__stack_hi(struct goro_stack *s)
{
	return (char *)((uintptr_t)goro__stack_top(s) & ~(uintptr_t)63);
}

/* The canary word: written at stack_lo, checked at every switch. */
GORO_HIDDEN void goro__stack_set_canary(struct goro_g *g);
GORO_HIDDEN bool goro__stack_canary_ok(const struct goro_g *g);
/* The guard page containing addr, if addr is in a guarded stack's guard. */
GORO_HIDDEN bool goro__stack_is_guard_addr(const struct goro_g *g, const void *addr);

/* Counts for the README's promises and the tests. */

/* The largest stack goro_go_opts and GORO_STACK_SIZE accept (Go's
 * maximum goroutine stack on 64-bit). */
#define GORO_MAX_STACK_SIZE ((size_t)1 << 30)

#endif /* GORO_STACK_H */
