/*
 * meta.c — memory for the heap's own bookkeeping.
 *
 * Span descriptors and thread caches come from a reserved range of their
 * own, bump-allocated and never given back: descriptors must stay
 * readable forever because a lock-free reader may follow a stale page map
 * entry to one (struct heap_span).  Their users keep free lists to reuse
 * them.  Callers hold the page heap lock.
 */
#include "heap/heap_internal.h"

#define META_CHUNK ((size_t)1 << 20)

static size_t meta_used; /* bytes handed out; page heap lock */

void *goro__meta_alloc(size_t size)
{
	size = (size + HEAP_CACHELINE - 1) & ~(size_t)(HEAP_CACHELINE - 1);
	if (!goro__region_commit(&goro__heap_meta_region, meta_used + size,
	                         META_CHUNK))
		return NULL;
	/* Fresh pages read as zero: descriptors start with every block free
	 * and every mark clear. */
	void *p = (void *)(HEAP_LOAD(&goro__heap_meta_region.base) + meta_used);
	meta_used += size;
	return p;
}
