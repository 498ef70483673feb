/*
 * inspect.c — the leak detector's view of the heap: which blocks exist,
 * their mark bits and kind tags, and which ranges the heap owns.
 *
 * Nothing here takes a lock or allocates: the detector calls these with
 * the world stopped, possibly while a stopped thread holds a heap lock in
 * the middle of an update.  Every answer rests on heap_block_of, which
 * trusts a descriptor only when its state and range say the address is a
 * live block (see struct heap_span for the publication order).
 */
#include "heap/heap_internal.h"

bool goro__heap_find(const void *p, void **base, size_t *size)
{
	uint32_t i;
	struct heap_span *s = heap_block_of((uintptr_t)p, &i);
	if (!s)
		return false;
	if (base)
		*base = (void *)heap_block_base(s, i);
	if (size)
		*size = heap_block_size(s);
	return true;
}

static void clear_marks(struct heap_span *s)
{
	for (uint32_t w = 0; w < (s->nelems + 63) / 64; w++)
		HEAP_STORE(&s->marks[w], 0);
}

/*
 * Walks the page map rather than a list of spans: a list could be caught
 * half-updated by the stop, the page map cannot mislead (a span is
 * recognised at its first page, whose entry is exact).  Only used spans
 * have their bitmaps touched; free runs are skipped whole.
 */
void goro__heap_mark_clear(void)
{
	uintptr_t arena = HEAP_LOAD(&goro__heap_arena.base);
	size_t npages = HEAP_LOAD_ACQ(&goro__heap_arena.committed) >> HEAP_PAGE_SHIFT;
	for (size_t pg = 0; pg < npages;) {
		struct heap_span *s = HEAP_LOAD_ACQ(&goro__heap_pagemap[pg]);
		if (!s || HEAP_LOAD(&s->base) != arena + (pg << HEAP_PAGE_SHIFT)) {
			pg++;
			continue;
		}
		unsigned st = HEAP_LOAD_ACQ(&s->state);
		size_t n = HEAP_LOAD(&s->npages);
		if (st == SPAN_SMALL || st == SPAN_LARGE)
			clear_marks(s);
		else if (st != SPAN_FREE)
			n = 1;
		pg += n ? n : 1;
	}
}

bool goro__heap_mark(const void *base)
{
	uint32_t i;
	struct heap_span *s = heap_block_of((uintptr_t)base, &i);
	if (!s)
		return false;
	uint64_t bit = (uint64_t)1 << (i % 64);
	uint64_t old = atomic_fetch_or_explicit(&s->marks[i / 64], bit,
	                                        memory_order_relaxed);
	return !(old & bit);
}

int goro__heap_find_mark(struct goro_heap_cursor *cur, const void *p, void **base,
                         size_t *size)
{
	uintptr_t a = (uintptr_t)p;
	struct heap_span *s;
	uint32_t i;
	if (a - cur->lo < cur->hi - cur->lo) {
		s = cur->span;
		if (!heap_block_live(s, cur->state, a - cur->lo, &i))
			return GORO_HEAP_NONE;
	} else {
		s = heap_block_of(a, &i);
		if (!s)
			return GORO_HEAP_NONE;
		cur->span = s;
		cur->state = HEAP_LOAD_ACQ(&s->state);
		cur->lo = HEAP_LOAD(&s->base);
		cur->hi = cur->lo + heap_span_extent(s, cur->state);
	}
	*base = (void *)heap_block_base(s, i);
	*size = heap_block_size(s);
	uint64_t bit = (uint64_t)1 << (i % 64);
	uint64_t old = atomic_load_explicit(&s->marks[i / 64], memory_order_relaxed);
	if (old & bit)
		return GORO_HEAP_MARKED_BEFORE;
	atomic_store_explicit(&s->marks[i / 64], old | bit, memory_order_relaxed);
	return GORO_HEAP_NEWLY_MARKED;
}

bool goro__heap_is_marked(const void *base)
{
	uint32_t i;
	struct heap_span *s = heap_block_of((uintptr_t)base, &i);
	if (!s)
		return false;
	return HEAP_LOAD(&s->marks[i / 64]) >> (i % 64) & 1;
}

void goro__heap_set_kind(void *base, unsigned kind)
{
	uint32_t i;
	if (kind > GORO_HEAP_KIND_MAX)
		goro__heap_fatal("heap block kind out of range");
	struct heap_span *s = heap_block_of((uintptr_t)base, &i);
	if (s)
		HEAP_STORE_REL(&s->blk[i], (uint8_t)(kind + 1));
}

unsigned goro__heap_kind(const void *base)
{
	uint32_t i;
	struct heap_span *s = heap_block_of((uintptr_t)base, &i);
	if (!s)
		return GORO_HEAP_KIND_NONE;
	return HEAP_LOAD_ACQ(&s->blk[i]) - 1u;
}

static void visit(struct heap_region *r, void (*fn)(void *, void *, void *),
                  void *arg)
{
	uintptr_t base = HEAP_LOAD(&r->base);
	size_t len = HEAP_LOAD_ACQ(&r->committed);
	if (base && len)
		fn((void *)base, (void *)(base + len), arg);
}

void goro__heap_for_each_arena(void (*fn)(void *lo, void *hi, void *arg),
                               void *arg)
{
	visit(&goro__heap_arena, fn, arg);
	visit(&goro__heap_pagemap_region, fn, arg);
	visit(&goro__heap_meta_region, fn, arg);
}

void goro__heap_stats(struct goro_heap_stats *st)
{
	heap_init();
	goro__pageheap_stats(st);
}
