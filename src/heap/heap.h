/*
 * heap.h — the tracked heap, as the rest of goro sees it (internal).
 *
 * goro_malloc & co. (include/goro.h) hand out blocks from this heap.  The
 * goroutineleak detector marks memory reachable from running goroutines the
 * way a conservative GC does, so for any word that looks like a pointer it
 * must learn, quickly and without taking a lock, whether the word points
 * into a live block of this heap, and where that block starts and ends.
 *
 * Concurrency: goro__heap_find, the mark calls and the kind calls take no
 * lock and never block.  They are meant to run while the world is stopped,
 * when the stopped threads may sit anywhere, even inside the allocator
 * holding its locks; the heap publishes its metadata so that such a reader
 * sees every block either as fully allocated or as not allocated.  Outside
 * a stop-the-world they are exact for blocks the caller owns; for other
 * addresses the answer may be stale but the call is still safe.
 *
 * Never allocate (goro_malloc, malloc, anything that may call them) while
 * the world is stopped: a stopped thread may hold the heap's locks.
 */
#ifndef GORO_HEAP_H
#define GORO_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GORO_HIDDEN __attribute__((visibility("hidden")))

/*
 * Per-block 8-bit tag.  It tells the marker how to treat the block's
 * contents; a block's kind survives goro_realloc.
 */
enum goro_heap_kind {
	GORO_HEAP_USER = 0,     /* user data: every word scanned conservatively */
	GORO_HEAP_NOSCAN = 1,   /* holds no pointers: never scanned */
	GORO_HEAP_CHAN = 2,     /* a goro_chan */
	GORO_HEAP_INTERNAL = 3, /* other runtime objects */
	/* 4..GORO_HEAP_KIND_MAX: free for the runtime */
	GORO_HEAP_KIND_MAX = 254,
	GORO_HEAP_KIND_NONE = 255, /* goro__heap_kind of a non-block */
};

/*
 * Is p inside (anywhere in, not only at the start of) a live block?  If so
 * and base/size are not NULL, stores the block's start and usable size.
 * O(1), lock-free.
 */
GORO_HIDDEN bool goro__heap_find(const void *p, void **base, size_t *size);

/*
 * Mark bits, one per block, for the detector's mark phase.  The calls below
 * take the block's base or any address inside a live block; for any other
 * address mark/is_marked return false and do nothing.
 */
GORO_HIDDEN void goro__heap_mark_clear(void);       /* world stopped */
GORO_HIDDEN bool goro__heap_mark(const void *base);  /* true: was unmarked */
GORO_HIDDEN bool goro__heap_is_marked(const void *base);
/*
 * The detector's step for one scanned word: finds the live block containing
 * p and marks it.  Returns GORO_HEAP_NONE (not in a live block), or
 * GORO_HEAP_MARKED_BEFORE / GORO_HEAP_NEWLY_MARKED with base and size set.
 * One lookup instead of find + mark, and no atomic read-modify-write: only
 * for the single marker running while the world is stopped.
 */
enum { GORO_HEAP_NONE = 0, GORO_HEAP_MARKED_BEFORE, GORO_HEAP_NEWLY_MARKED };
/* The span of the last hit: pointers in a block tend to point near each
 * other, and a hit here skips the page map and the span's state checks.
 * Zero it before a mark phase. */
struct goro_heap_cursor {
	uintptr_t lo, hi; /* the span's blocks */
	void *span;
	unsigned state;   /* the span's (small or large) */
};
GORO_HIDDEN int goro__heap_find_mark(struct goro_heap_cursor *cur, const void *p,
                                     void **base, size_t *size);

/* Kind tag of a live block.  A kind above GORO_HEAP_KIND_MAX aborts (here
 * and in the allocation calls); goro__heap_kind returns
 * GORO_HEAP_KIND_NONE when base is not in a live block. */
GORO_HIDDEN void goro__heap_set_kind(void *base, unsigned kind);
GORO_HIDDEN unsigned goro__heap_kind(const void *base);

/*
 * Calls fn for every address range the heap has made writable (its arena
 * and its metadata), so the root scanner can exclude them.  Does not
 * allocate; safe while the world is stopped.
 */
GORO_HIDDEN void goro__heap_for_each_arena(void (*fn)(void *lo, void *hi,
                                                       void *arg),
                                           void *arg);

/* Allocates a block of the given kind, zeroed if zero; NULL (errno
 * ENOMEM) when out of memory.  Free it with goro_free. */
GORO_HIDDEN void *goro__heap_alloc_kind(size_t size, unsigned kind, bool zero);

/* Allocates a block whose address is a multiple of align (a power of two);
 * NULL (errno ENOMEM) when out of memory. */
GORO_HIDDEN void *goro__heap_alloc_aligned(size_t align, size_t size,
                                           unsigned kind);

/* Usable size of the live block at p (its base), 0 if p is not one. */
GORO_HIDDEN size_t goro__heap_usable_size(const void *p);

/* Counters, for tests and debugging.  Takes the page heap lock: never
 * while the world is stopped. */
struct goro_heap_stats {
	size_t arena_reserved;  /* virtual address space reserved */
	size_t arena_used;      /* part of the arena ever handed out */
	size_t pages_in_use;    /* bytes in spans and large blocks */
	size_t pages_free;      /* bytes in free page runs */
	size_t pages_dirty;     /* of which still backed by memory */
};
GORO_HIDDEN void goro__heap_stats(struct goro_heap_stats *st);

#endif /* GORO_HEAP_H */
