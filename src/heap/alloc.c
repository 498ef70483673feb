/*
 * alloc.c — goro_malloc, goro_calloc, goro_realloc, goro_free and the
 * heap's internal allocation entry points.
 *
 * Small sizes (<= 32 KiB) come from the thread cache of their size class;
 * larger ones get a run of pages of their own from the page heap.  The
 * last step of an allocation sets the block's state byte (1 + kind), the
 * first step of a free clears it: the detector's lock-free goro__heap_find
 * sees exactly the blocks in between, and a second free of the same block
 * finds the byte already clear.
 */
#include <errno.h>
#include <string.h>

#include "goro.h"
#include "heap/heap_internal.h"

/* ------------------------------------------------------------------ */
/* Small blocks                                                        */
/* ------------------------------------------------------------------ */

/* Block p, just taken from a cache or pool, becomes live with kind. */
static inline void block_set_live(void *p, unsigned kind)
{
	struct heap_span *s = heap_span_of_owned((uintptr_t)p);
	uint32_t i = heap_index(s, (uintptr_t)p - HEAP_LOAD(&s->base));
	HEAP_STORE_REL(&s->blk[i], (uint8_t)(kind + 1));
}

/* Allocation without a cache (the thread is exiting). */
static void *small_alloc_uncached(unsigned cls)
{
	void *b;
	return goro__central_take(cls, 1, &b) ? b : NULL;
}

static void *small_alloc_slow(unsigned cls)
{
	struct heap_tcache *tc = goro__tcache_create();
	if (!tc)
		return small_alloc_uncached(cls);
	return goro__tcache_refill(tc, cls);
}

/* Needs the heap initialised (for the class tables). */
static inline void *small_alloc(unsigned cls, unsigned kind)
{
	struct heap_tcache *tc = goro__heap_tc;
	void *p;
	if (HEAP_LIKELY(tc != NULL)) {
		struct heap_tbin *b = &tc->bin[cls];
		p = b->head;
		if (HEAP_LIKELY(p != NULL)) {
			b->head = *(void **)p;
			b->count--;
		} else {
			p = goro__tcache_refill(tc, cls);
		}
	} else {
		p = small_alloc_slow(cls);
	}
	if (HEAP_UNLIKELY(!p))
		return NULL;
	/* The first word holds the free-list link, a pointer the program never
	 * wrote: left there, it would make the detector's conservative scan
	 * keep some other block alive.  The line is in cache: we just read it. */
	*(void **)p = NULL;
	block_set_live(p, kind);
	return p;
}

static void small_free_slow(unsigned cls, void *p)
{
	struct heap_tcache *tc = goro__tcache_create();
	if (tc) {
		*(void **)p = NULL;
		tc->bin[cls].head = p;
		tc->bin[cls].count = 1;
		return;
	}
	*(void **)p = NULL;
	goro__central_put(cls, p);
}

/* p is block i of span s, live; the caller checked it. */
static inline void small_free(struct heap_span *s, uint32_t i, void *p)
{
	HEAP_STORE(&s->blk[i], 0);
	struct heap_tcache *tc = goro__heap_tc;
	if (HEAP_UNLIKELY(tc == NULL)) {
		small_free_slow(s->cls, p);
		return;
	}
	struct heap_tbin *b = &tc->bin[s->cls];
	*(void **)p = b->head;
	b->head = p;
	if (HEAP_UNLIKELY(++b->count > b->max))
		goro__tcache_flush(tc, s->cls);
}

/* ------------------------------------------------------------------ */
/* Large blocks                                                        */
/* ------------------------------------------------------------------ */

static void *large_alloc(size_t size, size_t align_pages, unsigned kind,
                         bool zero)
{
	heap_init();
	if (size > goro__heap_arena.reserved)
		return NULL;
	size_t npages = (size + HEAP_PAGE - 1) >> HEAP_PAGE_SHIFT;
	bool clean;
	struct heap_span *s = goro__pageheap_alloc_large(npages, align_pages, &clean);
	if (!s)
		return NULL;
	void *p = (void *)HEAP_LOAD(&s->base);
	if (zero && !clean)
		memset(p, 0, size);
	HEAP_STORE_REL(&s->blk[0], (uint8_t)(kind + 1));
	return p;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

static inline void *heap_alloc(size_t size, unsigned kind)
{
	void *p;
	if (HEAP_LIKELY(size <= HEAP_MAX_SMALL)) {
		if (HEAP_UNLIKELY(goro__heap_tc == NULL))
			heap_init(); /* the class tables */
		p = small_alloc(heap_size_class(size), kind);
	} else {
		p = large_alloc(size, 1, kind, false);
	}
	if (HEAP_UNLIKELY(!p))
		errno = ENOMEM;
	return p;
}

/* A kind above the maximum would wrap the state byte to 0 ("free"). */
static void check_kind(unsigned kind)
{
	if (HEAP_UNLIKELY(kind > GORO_HEAP_KIND_MAX))
		goro__heap_fatal("heap block kind out of range");
}

void *goro__heap_alloc_kind(size_t size, unsigned kind, bool zero)
{
	check_kind(kind);
	if (!zero)
		return heap_alloc(size, kind);
	if (size > HEAP_MAX_SMALL) {
		void *p = large_alloc(size, 1, kind, true);
		if (!p)
			errno = ENOMEM;
		return p;
	}
	void *p = heap_alloc(size, kind);
	if (p)
		memset(p, 0, size);
	return p;
}

void *goro__heap_alloc_aligned(size_t align, size_t size, unsigned kind)
{
	check_kind(kind);
	if (align <= HEAP_ALIGN)
		return heap_alloc(size, kind);
	heap_init();
	/* A class that is a multiple of align has aligned blocks (spans start
	 * on page boundaries); the powers of two guarantee one exists. */
	if (align <= HEAP_PAGE && size <= HEAP_MAX_SMALL) {
		unsigned c = heap_size_class(size < align ? align : size);
		while (goro__heap_classes[c].size % align)
			c++;
		void *p = small_alloc(c, kind);
		if (!p)
			errno = ENOMEM;
		return p;
	}
	void *p = NULL;
	if (align <= goro__heap_arena.reserved)
		p = large_alloc(size, align > HEAP_PAGE ? align >> HEAP_PAGE_SHIFT : 1,
		                kind, false);
	if (!p)
		errno = ENOMEM;
	return p;
}

void *goro_malloc(size_t size)
{
	return heap_alloc(size, GORO_HEAP_USER);
}

void *goro_calloc(size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return goro__heap_alloc_kind(total, GORO_HEAP_USER, true);
}

/* The span of the live block that starts at p, or NULL. */
static struct heap_span *live_block_at(void *p, uint32_t *idx)
{
	struct heap_span *s = heap_block_of((uintptr_t)p, idx);
	if (s && heap_block_base(s, *idx) != (uintptr_t)p)
		return NULL;
	return s;
}

void goro_free(void *p)
{
	if (!p)
		return;
	/* The fast path of heap_block_of, kept inline: no size checks beyond
	 * those that catch invalid and double frees. */
	struct heap_span *s = heap_span_of((uintptr_t)p);
	if (HEAP_UNLIKELY(!s))
		goro__heap_invalid("free", p);
	uintptr_t off = (uintptr_t)p - HEAP_LOAD(&s->base);
	unsigned st = HEAP_LOAD_ACQ(&s->state);
	if (HEAP_LIKELY(st == SPAN_SMALL)) {
		uint32_t i = heap_index(s, off);
		if (HEAP_UNLIKELY(i >= s->nelems || (uintptr_t)i * s->elem_size != off ||
		                  HEAP_LOAD(&s->blk[i]) == 0))
			goro__heap_invalid("free", p);
		small_free(s, i, p);
		return;
	}
	if (st != SPAN_LARGE || off != 0 || HEAP_LOAD(&s->blk[0]) == 0)
		goro__heap_invalid("free", p);
	HEAP_STORE(&s->blk[0], 0);
	goro__pageheap_free_span(s);
}

/* Tries to resize in place: a small block whose class still fits well, or
 * a large block whose neighbouring pages are free. */
static bool resize_in_place(struct heap_span *s, size_t size)
{
	size_t have = heap_block_size(s);
	if (s->cls)
		return size <= have && size > have / 2;
	if (size <= HEAP_MAX_SMALL || size > goro__heap_arena.reserved)
		return false;
	size_t npages = (size + HEAP_PAGE - 1) >> HEAP_PAGE_SHIFT;
	return goro__pageheap_resize_large(s, npages);
}

void *goro_realloc(void *p, size_t size)
{
	if (!p)
		return goro_malloc(size);
	/* glibc's choice, which programs under the malloc preload expect. */
	if (size == 0) {
		goro_free(p);
		return NULL;
	}
	uint32_t i;
	struct heap_span *s = live_block_at(p, &i);
	if (!s)
		goro__heap_invalid("realloc", p);
	if (resize_in_place(s, size))
		return p;
	size_t have = heap_block_size(s);
	void *q = heap_alloc(size, HEAP_LOAD(&s->blk[i]) - 1u);
	if (!q)
		return NULL;
	memcpy(q, p, have < size ? have : size);
	goro_free(p);
	return q;
}

size_t goro__heap_usable_size(const void *p)
{
	uint32_t i;
	struct heap_span *s = live_block_at((void *)p, &i);
	return s ? heap_block_size(s) : 0;
}
