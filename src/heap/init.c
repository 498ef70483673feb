/*
 * init.c — the heap's global state and its one-time set-up.
 *
 * Set-up runs on the first allocation of the process, which for the
 * malloc preload may come from the dynamic linker or libc before main:
 * it uses nothing that allocates (mmap, pthread mutexes and keys).  Only
 * pthread_atfork may allocate, so it is called after the heap is ready
 * and with no lock held; the allocation it makes then is an ordinary one.
 */
#include "heap/heap_internal.h"

/* Address space reserved for the arena: the first size that the kernel
 * grants (an RLIMIT_AS or a sanitizer may refuse the largest). */
#define ARENA_MAX ((size_t)64 << 30)
#define ARENA_MIN ((size_t)256 << 20)
#define ARENA_ALIGN ((size_t)2 << 20)

struct heap_region goro__heap_arena;
struct heap_region goro__heap_pagemap_region;
struct heap_region goro__heap_meta_region;
_Atomic(struct heap_span *) *goro__heap_pagemap;
_Atomic bool goro__heap_ready;

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic bool atfork_registered;

/* Reserves the arena, its page map (a pointer per page) and the metadata
 * range (descriptors take at most ~9% of the arena, for 16-byte blocks). */
static bool reserve(size_t size)
{
	size_t pagemap = (size >> HEAP_PAGE_SHIFT) * sizeof(struct heap_span *);
	if (goro__region_reserve(&goro__heap_arena, size, ARENA_ALIGN) &&
	    goro__region_reserve(&goro__heap_pagemap_region, pagemap, HEAP_PAGE) &&
	    goro__region_reserve(&goro__heap_meta_region, size / 8, HEAP_PAGE)) {
		goro__heap_pagemap = (void *)HEAP_LOAD(&goro__heap_pagemap_region.base);
		return true;
	}
	goro__region_drop(&goro__heap_arena);
	goro__region_drop(&goro__heap_pagemap_region);
	goro__region_drop(&goro__heap_meta_region);
	return false;
}

/* A fork while another thread holds a heap lock would leave the child's
 * copy locked forever: hold them all across fork. */
static void fork_prepare(void)
{
	goro__central_lock_all();
	pthread_mutex_lock(&goro__pageheap_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&goro__pageheap_lock);
	goro__central_unlock_all();
}

static void fork_child(void)
{
	pthread_mutex_init(&goro__pageheap_lock, NULL);
	goro__central_init_locks();
}

void goro__heap_init_slow(void)
{
	pthread_mutex_lock(&init_lock);
	if (!HEAP_LOAD(&goro__heap_ready)) {
		goro__heap_classes_init();
		goro__central_init_locks();
		goro__tcache_init();
		/* On failure every allocation fails with ENOMEM. */
		for (size_t size = ARENA_MAX; size >= ARENA_MIN; size /= 4)
			if (reserve(size))
				break;
		HEAP_STORE_REL(&goro__heap_ready, true);
	}
	pthread_mutex_unlock(&init_lock);
	if (!atomic_exchange(&atfork_registered, true))
		pthread_atfork(fork_prepare, fork_parent, fork_child);
}
