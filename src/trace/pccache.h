/*
 * pccache.h — a table keyed by code address, for answers that are costly
 * to compute and never change for a pc (symbols, unwind rules).
 *
 * Open addressing with linear probing.  Each entry is entry_size bytes and
 * begins with its uintptr_t pc; pc == 0 marks an empty slot (0 is never
 * looked up).  Invariants: cap is 0 or a power of two, len < cap / 2.
 * Not thread-safe: its users call it under the Dwfl session lock.
 */
#ifndef GORO_TRACE_PCCACHE_H
#define GORO_TRACE_PCCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

struct goro_pccache {
	size_t entry_size;
	char *tab;
	size_t cap, len;
};

#define GORO_PCCACHE_INIT(type) { .entry_size = sizeof(type) }

/*
 * The entry for pc.  *fresh says whether it was just made (pc set, the
 * rest zero: the caller fills it in).  NULL if the table cannot grow; the
 * caller then computes its answer without caching it.
 */
GORO_HIDDEN void *goro__pccache_get(struct goro_pccache *c, uintptr_t pc, bool *fresh);

#endif /* GORO_TRACE_PCCACHE_H */
