/*
 * init.c — the heap's global state and its one-time set-up.
 *
 * Set-up runs on the first allocation of the process, which for the
 * malloc preload may come from the dynamic linker or libc before main, so
 * it uses nothing that allocates (mmap, pthread mutexes and keys).  It
 * runs under pthread_once, which glibc restarts in a child forked while
 * another thread was half-way through it (a plain mutex would stay locked
 * there forever).
 *
 * The fork handlers are registered from a constructor: pthread_atfork may
 * allocate (so not from inside the set-up), and a constructor runs before
 * the program can start threads, so no fork can slip in between the heap
 * becoming usable and its locks being protected.
 */
#include <sys/resource.h>

#include "heap/heap_internal.h"

/* Address space reserved for the arena: the first size that the kernel
 * grants (an RLIMIT_AS or a sanitizer may refuse the largest). */
#define ARENA_MAX ((size_t)64 << 30)
#define ARENA_MIN ((size_t)16 << 20) /* a small heap beats none under a tight ulimit -v */
#define ARENA_ALIGN ((size_t)2 << 20)

struct heap_region goro__heap_arena HEAP_RT_STATE;
struct heap_region goro__heap_pagemap_region HEAP_RT_STATE;
struct heap_region goro__heap_meta_region HEAP_RT_STATE;
_Atomic(struct heap_span *) *goro__heap_pagemap;
_Atomic bool goro__heap_ready;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

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
 * copy locked forever: hold them all across fork.  The child unlocks them
 * too (rather than re-initialising): its only thread is the one that
 * locked them, which keeps TSan's view of the locks consistent. */
static void fork_prepare(void)
{
	goro__central_lock_all();
	pthread_mutex_lock(&goro__pageheap_lock);
}

static void fork_release(void)
{
	pthread_mutex_unlock(&goro__pageheap_lock);
	goro__central_unlock_all();
}

/* The first size to try: under an address-space limit (ulimit -v), at most
 * a quarter of it, so that stacks and libraries still fit beside. */
static size_t first_size(void)
{
	struct rlimit rl;
	size_t size = ARENA_MAX;
	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		while (size > ARENA_MIN && size > rl.rlim_cur / 4)
			size /= 4;
	return size;
}

static void init(void)
{
	goro__heap_classes_init();
	goro__central_init_locks();
	goro__tcache_init();
	/* On failure every allocation fails with ENOMEM. */
	for (size_t size = first_size(); size >= ARENA_MIN; size /= 4)
		if (reserve(size))
			break;
	HEAP_STORE_REL(&goro__heap_ready, true);
}

void goro__heap_init_slow(void)
{
	pthread_once(&init_once, init);
}

__attribute__((constructor)) static void register_fork_handlers(void)
{
	heap_init();
	pthread_atfork(fork_prepare, fork_release, fork_release);
}
