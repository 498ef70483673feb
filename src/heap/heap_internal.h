/*
 * heap_internal.h — data structures shared by the files of src/heap/.
 *
 * Layers, from the top (each file owns one):
 *
 *   alloc.c     goro_malloc & co.: size -> class, sets/clears block state
 *   tcache.c    per-thread caches: a free list per size class, no locks
 *   central.c   per-class pools (one lock each) that hand blocks to the
 *               caches in batches and take them back
 *   pageheap.c  the page heap (one lock): runs of pages for spans and large
 *               blocks, coalescing, giving memory back to the OS
 *   meta.c      bump allocator for span descriptors and thread caches
 *   vm.c        reserve / commit / release address ranges (mmap only)
 *   inspect.c   the detector's view: find, marks, kinds, arenas
 *
 * Memory layout.  At start-up the heap reserves one large range (the
 * arena, PROT_NONE) and makes its low end writable as it grows.  The arena
 * is cut into 8 KiB pages.  A span is a run of pages holding blocks of one
 * size class; a large block is a run of pages of its own.  The page map
 * (one pointer per arena page, in a reserved range of its own) gives each
 * page's span descriptor, so an address maps to its block in O(1):
 *
 *   span  = pagemap[(addr - arena) >> 13]
 *   index = (addr - span->base) / span->elem_size   (by multiply, see magic)
 *
 * A block is allocated iff its state byte (span->blk[index]) is non-zero;
 * the byte holds 1 + the block's kind.  A plain byte store sets or clears
 * it, so malloc and free need no atomic read-modify-write.
 */
#ifndef GORO_HEAP_INTERNAL_H
#define GORO_HEAP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap/heap.h"

#define HEAP_LIKELY(x) __builtin_expect(!!(x), 1)
#define HEAP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HEAP_TLS __attribute__((tls_model("initial-exec")))
/* The heap's own globals point into the arena (its base is the first
 * block): the leak detector must not take them for user roots.  Same
 * section as the runtime's (runtime/owned.h). */
#define HEAP_RT_STATE __attribute__((section("goro_rt_state")))
#define HEAP_CACHELINE 64

/* Relaxed accesses are enough wherever a lock or an acquire load of the
 * page map already orders things; they keep TSan informed of the rest. */
#define HEAP_LOAD(p) atomic_load_explicit((p), memory_order_relaxed)
#define HEAP_LOAD_ACQ(p) atomic_load_explicit((p), memory_order_acquire)
#define HEAP_STORE(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define HEAP_STORE_REL(p, v) atomic_store_explicit((p), (v), memory_order_release)

#define HEAP_PAGE_SHIFT 13
#define HEAP_PAGE ((size_t)1 << HEAP_PAGE_SHIFT)
#define HEAP_ALIGN 16 /* every block is at least 16-byte aligned */

/* Size classes 1..HEAP_NCLASS-1 are small blocks; class 0 means "large". */
#define HEAP_NCLASS 41
#define HEAP_MAX_SMALL 32768
/* A small span has at most this many pages (keeps offsets below 2^17,
 * which the multiply-by-magic division relies on). */
#define HEAP_MAX_SPAN_PAGES 16

/* ------------------------------------------------------------------ */
/* Address ranges (vm.c)                                               */
/* ------------------------------------------------------------------ */

/*
 * A reserved range whose first `committed` bytes are readable and
 * writable.  committed only grows (under the page heap lock); lock-free
 * readers load it with acquire, which also publishes anything set up
 * before it grew.
 */
struct heap_region {
	_Atomic uintptr_t base; /* 0 until reserved */
	size_t reserved;
	uintptr_t map;          /* the whole mapping (base rounded up from */
	size_t map_len;         /* map), kept for munmap */
	_Atomic size_t committed;
};

GORO_HIDDEN bool goro__region_reserve(struct heap_region *r, size_t size,
                                      size_t align);
/* Makes [base, base + size) writable; false if beyond the reservation. */
GORO_HIDDEN bool goro__region_commit(struct heap_region *r, size_t size,
                                     size_t chunk);
/* Unmaps a range reserved by goro__region_reserve. */
GORO_HIDDEN void goro__region_drop(struct heap_region *r);
/* Gives the pages back to the OS; they read as zero afterwards. */
GORO_HIDDEN void goro__vm_release(uintptr_t addr, size_t len);

/* ------------------------------------------------------------------ */
/* Size classes (sizeclass.c)                                          */
/* ------------------------------------------------------------------ */

struct heap_class {
	uint32_t size;      /* block size */
	uint32_t npages;    /* pages per span */
	uint32_t nelems;    /* blocks per span */
	uint32_t batch;     /* blocks moved between a cache and the pool */
	uint64_t magic;     /* index = (offset * magic) >> 32, see heap_index */
	size_t desc_size;   /* bytes of one span descriptor of this class */
};

GORO_HIDDEN extern struct heap_class goro__heap_classes[HEAP_NCLASS];
GORO_HIDDEN extern uint8_t goro__heap_class_lo[1024 / 16 + 1];
GORO_HIDDEN extern uint8_t goro__heap_class_hi[(HEAP_MAX_SMALL - 1024) / 128 + 1];
GORO_HIDDEN void goro__heap_classes_init(void);

/* Size class of a small size (size <= HEAP_MAX_SMALL); tables set by init. */
static inline unsigned heap_size_class(size_t size)
{
	if (size <= 1024)
		return goro__heap_class_lo[(size + 15) >> 4];
	return goro__heap_class_hi[(size - 1024 + 127) >> 7];
}

/* ------------------------------------------------------------------ */
/* Span descriptors                                                    */
/* ------------------------------------------------------------------ */

enum heap_span_state {
	SPAN_DEAD = 0,  /* descriptor unused (on a free list) */
	SPAN_FREE = 1,  /* a free run of pages in the page heap */
	SPAN_SMALL = 2, /* a span of small blocks */
	SPAN_LARGE = 3, /* one large block */
};

/*
 * Descriptor of a span, a large block or a free run.  Descriptors live in
 * the metadata range and are never unmapped; a descriptor is only ever
 * reused for the same class (cls), so cls, elem_size, nelems, magic, blk
 * and marks never change after creation.  That makes a stale page map
 * entry harmless: a reader checks state and that the address lies in
 * [base, base + npages pages) before trusting the descriptor.
 *
 * Writers: state, base and npages change under the page heap lock; they
 * are published (release) before the page map entries that point here.
 * blk bytes are written by the owner of the block (malloc/free), marks by
 * the detector.  freelist/nfree/carved and next/prev belong to whichever
 * lock owns the descriptor's list: the class pool's lock for a small span,
 * the page heap lock for free runs and dead descriptors.
 */
struct heap_span {
	_Atomic uint8_t state; /* enum heap_span_state */
	uint8_t cls;           /* 0: large block / free run */
	bool clean;            /* free run: all pages read as zero */
	uint32_t elem_size;    /* small: block size; large: 0 */
	uint32_t nelems;       /* blocks (1 for cls 0) */
	uint64_t magic;
	_Atomic uintptr_t base;
	_Atomic size_t npages;
	_Atomic uint8_t *blk;    /* nelems bytes: 0 free, 1 + kind allocated */
	_Atomic uint64_t *marks; /* one bit per block */
	struct heap_span *next, *prev;
	void *freelist;  /* freed blocks of this span, linked by first word */
	uint32_t nfree;  /* blocks not handed out: freelist + not yet carved */
	uint32_t carved; /* blocks [0, carved) have been handed out once */
};

/* Block index of byte offset off (< HEAP_MAX_SPAN_PAGES pages) in span s.
 * magic = 2^32 / elem_size + 1 is exact while off * elem_size < 2^32. */
static inline uint32_t heap_index(const struct heap_span *s, uintptr_t off)
{
	return (uint32_t)((off * s->magic) >> 32);
}

/* ------------------------------------------------------------------ */
/* Global state                                                        */
/* ------------------------------------------------------------------ */

GORO_HIDDEN extern struct heap_region goro__heap_arena;
GORO_HIDDEN extern struct heap_region goro__heap_pagemap_region;
GORO_HIDDEN extern struct heap_region goro__heap_meta_region;
/* pagemap[i]: descriptor of arena page i, NULL if never used.  Only the
 * first and last entries of a free run are kept exact; the others may be
 * stale (see struct heap_span). */
GORO_HIDDEN extern _Atomic(struct heap_span *) *goro__heap_pagemap;
GORO_HIDDEN extern _Atomic bool goro__heap_ready;

GORO_HIDDEN void goro__heap_init_slow(void);

static inline void heap_init(void)
{
	if (HEAP_UNLIKELY(!HEAP_LOAD_ACQ(&goro__heap_ready)))
		goro__heap_init_slow();
}

/* Descriptor of the page holding p, or NULL if the arena never used it. */
static inline struct heap_span *heap_span_of(uintptr_t p)
{
	uintptr_t off = p - HEAP_LOAD(&goro__heap_arena.base);
	if (off >= HEAP_LOAD_ACQ(&goro__heap_arena.committed))
		return NULL;
	return HEAP_LOAD_ACQ(&goro__heap_pagemap[off >> HEAP_PAGE_SHIFT]);
}

/* Descriptor of a block the heap just handed out or is taking back (so
 * known to be in the arena, with an exact page map entry). */
static inline struct heap_span *heap_span_of_owned(uintptr_t p)
{
	uintptr_t off = p - HEAP_LOAD(&goro__heap_arena.base);
	return HEAP_LOAD_ACQ(&goro__heap_pagemap[off >> HEAP_PAGE_SHIFT]);
}

/*
 * The live block containing p: returns its span and sets *idx, or returns
 * NULL.  Lock-free; exact for blocks the caller owns and while the world
 * is stopped.
 */
/* Bytes covered by the blocks of a span in state st (0: it has none). */
static inline uintptr_t heap_span_extent(const struct heap_span *s, unsigned st)
{
	if (st == SPAN_SMALL)
		return (uintptr_t)s->nelems * s->elem_size;
	if (st == SPAN_LARGE)
		return HEAP_LOAD(&s->npages) << HEAP_PAGE_SHIFT;
	return 0;
}

/* Whether the block at offset off (below the extent) of a span in state st
 * is live; sets *idx. */
static inline bool heap_block_live(const struct heap_span *s, unsigned st, uintptr_t off,
                                   uint32_t *idx)
{
	uint32_t i = st == SPAN_SMALL ? heap_index(s, off) : 0;
	if (HEAP_LOAD_ACQ(&s->blk[i]) == 0)
		return false;
	*idx = i;
	return true;
}

static inline struct heap_span *heap_block_of(uintptr_t p, uint32_t *idx)
{
	struct heap_span *s = heap_span_of(p);
	if (!s)
		return NULL;
	unsigned st = HEAP_LOAD_ACQ(&s->state);
	uintptr_t off = p - HEAP_LOAD(&s->base);
	if (off >= heap_span_extent(s, st) || !heap_block_live(s, st, off, idx))
		return NULL;
	return s;
}

/* Base address and usable size of block i of span s. */
static inline uintptr_t heap_block_base(const struct heap_span *s, uint32_t i)
{
	return HEAP_LOAD(&s->base) + (uintptr_t)i * s->elem_size;
}

static inline size_t heap_block_size(const struct heap_span *s)
{
	if (s->cls)
		return s->elem_size;
	return HEAP_LOAD(&s->npages) << HEAP_PAGE_SHIFT;
}

/* ------------------------------------------------------------------ */
/* Metadata (meta.c); callers hold the page heap lock                  */
/* ------------------------------------------------------------------ */

GORO_HIDDEN void *goro__meta_alloc(size_t size);

/* ------------------------------------------------------------------ */
/* Page heap (pageheap.c)                                              */
/* ------------------------------------------------------------------ */

GORO_HIDDEN extern pthread_mutex_t goro__pageheap_lock;

/* A new span of class cls with every block free (takes the lock). */
GORO_HIDDEN struct heap_span *goro__pageheap_alloc_span(unsigned cls);
/* Gives back a span none of whose blocks is allocated or cached, or a
 * large block (takes the lock). */
GORO_HIDDEN void goro__pageheap_free_span(struct heap_span *s);
/* A large block of npages pages whose base is a multiple of align_pages
 * pages; *clean tells whether its memory reads as zero. */
GORO_HIDDEN struct heap_span *goro__pageheap_alloc_large(size_t npages,
                                                         size_t align_pages,
                                                         bool *clean);
/* Grows or shrinks large block s in place; false if it cannot grow. */
GORO_HIDDEN bool goro__pageheap_resize_large(struct heap_span *s,
                                             size_t npages);
/* Memory for a thread cache (takes the lock); never freed, reused. */
GORO_HIDDEN void *goro__pageheap_meta(size_t size);
GORO_HIDDEN void goro__pageheap_stats(struct goro_heap_stats *st);

/* ------------------------------------------------------------------ */
/* Class pools (central.c)                                             */
/* ------------------------------------------------------------------ */

/* Takes up to n free blocks of class cls, linked through their first word
 * (NULL-terminated); returns how many (0: out of memory). */
GORO_HIDDEN unsigned goro__central_take(unsigned cls, unsigned n, void **head);
/* Gives back a NULL-terminated chain of free blocks of class cls. */
GORO_HIDDEN void goro__central_put(unsigned cls, void *head);
GORO_HIDDEN void goro__central_lock_all(void);
GORO_HIDDEN void goro__central_unlock_all(void);
GORO_HIDDEN void goro__central_init_locks(void);

/* ------------------------------------------------------------------ */
/* Thread caches (tcache.c)                                            */
/* ------------------------------------------------------------------ */

struct heap_tbin {
	void *head;     /* free blocks, linked by their first word */
	uint32_t count;
	uint32_t max;   /* above this, a batch goes back to the pool */
};

/* Owned by one thread; nobody else touches it (no lock). */
struct heap_tcache {
	struct heap_tbin bin[HEAP_NCLASS];
	struct heap_tcache *next_free; /* reuse list, page heap lock */
};

/* The calling thread's cache; NULL until its first allocation and after
 * its exit destructor ran (then the thread bypasses caching). */
GORO_HIDDEN extern __thread struct heap_tcache *goro__heap_tc HEAP_TLS;

/* Creates the calling thread's cache; NULL if the thread is exiting. */
GORO_HIDDEN struct heap_tcache *goro__tcache_create(void);
/* Refills an empty bin; returns one block (NULL: out of memory). */
GORO_HIDDEN void *goro__tcache_refill(struct heap_tcache *tc, unsigned cls);
/* Sends a batch of an overfull bin back to the pool. */
GORO_HIDDEN void goro__tcache_flush(struct heap_tcache *tc, unsigned cls);
GORO_HIDDEN void goro__tcache_init(void);

/* ------------------------------------------------------------------ */
/* Misuse (fatal.c)                                                    */
/* ------------------------------------------------------------------ */

/* Prints "goro: <op> of invalid pointer 0x..." and aborts. */
GORO_HIDDEN _Noreturn void goro__heap_invalid(const char *op, const void *p);
/* Prints "goro: <msg>" and aborts (heap metadata exhausted...). */
GORO_HIDDEN _Noreturn void goro__heap_fatal(const char *msg);

#endif /* GORO_HEAP_INTERNAL_H */
