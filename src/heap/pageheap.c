/*
 * pageheap.c — runs of arena pages: spans, large blocks and free runs.
 *
 * Everything here runs under goro__pageheap_lock.  Pages are numbered
 * from the arena base.  Invariants (with the lock held):
 *   - every page below ph.top belongs to exactly one small span, large
 *     block or free run; pages at or above ph.top were never handed out;
 *   - no two free runs are adjacent (freeing coalesces);
 *   - pagemap[first] and pagemap[last] of every free run point to its
 *     descriptor (coalescing looks at them); for spans and large blocks
 *     every page's entry points to the descriptor;
 *   - a free run is clean iff all its pages read as zero (fresh from the
 *     kernel or given back with madvise); ph.dirty counts the pages of the
 *     runs that are not clean.
 *
 * Lock-free readers (heap_block_of) only trust a descriptor whose state is
 * SMALL or LARGE and whose range holds the address, so entries left stale
 * inside free runs do no harm.  A descriptor is published (state, base,
 * npages) before the page map entries that point to it.
 */
#include <string.h>

#include "heap/heap_internal.h"

/* bins[n]: free runs of exactly n pages (n < NBINS); bins[0]: longer runs. */
#define NBINS 128
/* The arena and the page map become writable in steps of this size. */
#define ARENA_CHUNK ((size_t)64 << 20)
/* Free memory kept resident: at least this, or a quarter of the pages in
 * use if more.  Past twice that, free runs go back to the OS. */
#define RETAIN_MIN_PAGES (((size_t)64 << 20) >> HEAP_PAGE_SHIFT)

pthread_mutex_t goro__pageheap_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	struct heap_span *bins[NBINS];
	uint64_t nonempty[NBINS / 64]; /* bit n: bins[n] is not empty */
	size_t top;   /* pages ever handed out */
	size_t inuse; /* pages in spans and large blocks */
	size_t free;  /* pages in free runs */
	size_t dirty; /* pages in free runs that are not clean */
	struct heap_span *dead[HEAP_NCLASS]; /* unused descriptors, per class */
} ph HEAP_RT_STATE;

static uintptr_t arena_base(void)
{
	return HEAP_LOAD(&goro__heap_arena.base);
}

static uintptr_t page_addr(size_t pg)
{
	return arena_base() + (pg << HEAP_PAGE_SHIFT);
}

static size_t span_page(const struct heap_span *s)
{
	return (HEAP_LOAD(&s->base) - arena_base()) >> HEAP_PAGE_SHIFT;
}

static size_t span_npages(const struct heap_span *s)
{
	return HEAP_LOAD(&s->npages);
}

static void pagemap_set(size_t pg, struct heap_span *s)
{
	HEAP_STORE_REL(&goro__heap_pagemap[pg], s);
}

static struct heap_span *pagemap_get(size_t pg)
{
	return HEAP_LOAD(&goro__heap_pagemap[pg]);
}

/* ------------------------------------------------------------------ */
/* Descriptors                                                         */
/* ------------------------------------------------------------------ */

static struct heap_span *desc_get(unsigned cls)
{
	struct heap_span *d = ph.dead[cls];
	if (d) {
		ph.dead[cls] = d->next;
		return d;
	}
	const struct heap_class *k = &goro__heap_classes[cls];
	d = goro__meta_alloc(k->desc_size);
	if (!d)
		goro__heap_fatal("out of memory for heap metadata");
	d->cls = (uint8_t)cls;
	d->elem_size = k->size;
	d->nelems = k->nelems;
	d->magic = k->magic;
	d->blk = (_Atomic uint8_t *)(d + 1);
	size_t marks = (sizeof *d + k->nelems + 7) & ~(size_t)7;
	d->marks = (_Atomic uint64_t *)((char *)d + marks);
	return d;
}

/* The descriptor's blocks are all free (their state bytes are zero). */
static void desc_put(struct heap_span *d)
{
	HEAP_STORE_REL(&d->state, SPAN_DEAD);
	d->next = ph.dead[d->cls];
	ph.dead[d->cls] = d;
}

static void desc_clear_marks(struct heap_span *d)
{
	for (uint32_t w = 0; w < (d->nelems + 63) / 64; w++)
		HEAP_STORE(&d->marks[w], 0);
}

/* ------------------------------------------------------------------ */
/* Free runs                                                           */
/* ------------------------------------------------------------------ */

static unsigned bin_of(size_t npages)
{
	return npages < NBINS ? (unsigned)npages : 0;
}

static void run_link(struct heap_span *r)
{
	unsigned b = bin_of(span_npages(r));
	r->prev = NULL;
	r->next = ph.bins[b];
	if (r->next)
		r->next->prev = r;
	ph.bins[b] = r;
	ph.nonempty[b / 64] |= (uint64_t)1 << (b % 64);
}

static void run_unlink(struct heap_span *r)
{
	unsigned b = bin_of(span_npages(r));
	if (r->prev)
		r->prev->next = r->next;
	else
		ph.bins[b] = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (!ph.bins[b])
		ph.nonempty[b / 64] &= ~((uint64_t)1 << (b % 64));
}

/* Accounting for a run entering (sign +1) or leaving (-1) the free lists. */
static void run_count(size_t npages, bool clean, int sign)
{
	ph.free += sign * npages;
	if (!clean)
		ph.dirty += sign * npages;
}

/* The free run whose last page is pg, if any. */
static struct heap_span *run_ending_at(size_t pg)
{
	struct heap_span *r = pagemap_get(pg);
	if (!r || HEAP_LOAD(&r->state) != SPAN_FREE)
		return NULL;
	return span_page(r) + span_npages(r) == pg + 1 ? r : NULL;
}

/* The free run whose first page is pg, if any. */
static struct heap_span *run_starting_at(size_t pg)
{
	if (pg >= ph.top)
		return NULL;
	struct heap_span *r = pagemap_get(pg);
	if (!r || HEAP_LOAD(&r->state) != SPAN_FREE)
		return NULL;
	return span_page(r) == pg ? r : NULL;
}

/* Removes run r from the free lists; returns its descriptor to the pool. */
static void run_remove(struct heap_span *r)
{
	run_unlink(r);
	run_count(span_npages(r), r->clean, -1);
	desc_put(r);
}

/* Makes pages [pg, pg + n) a free run, merged with free neighbours. */
static struct heap_span *pages_put(size_t pg, size_t n, bool clean)
{
	struct heap_span *left = pg ? run_ending_at(pg - 1) : NULL;
	struct heap_span *right = run_starting_at(pg + n);
	if (left) {
		clean = clean && left->clean;
		n += span_npages(left);
		pg = span_page(left);
		run_remove(left);
	}
	if (right) {
		clean = clean && right->clean;
		n += span_npages(right);
		run_remove(right);
	}
	struct heap_span *r = desc_get(0);
	r->clean = clean;
	HEAP_STORE(&r->base, page_addr(pg));
	HEAP_STORE(&r->npages, n);
	HEAP_STORE_REL(&r->state, SPAN_FREE);
	pagemap_set(pg, r);
	pagemap_set(pg + n - 1, r);
	run_link(r);
	run_count(n, clean, +1);
	return r;
}

/* Extends the arena so that a free run of at least n pages ends at its top;
 * returns that run, or NULL if the reservation is exhausted. */
static struct heap_span *arena_grow(size_t n)
{
	struct heap_span *last = ph.top ? run_ending_at(ph.top - 1) : NULL;
	size_t have = last ? span_npages(last) : 0;
	if (have >= n)
		return last;
	if (n - have > (goro__heap_arena.reserved >> HEAP_PAGE_SHIFT) - ph.top)
		return NULL;
	size_t top = ph.top + (n - have);
	size_t bytes = top << HEAP_PAGE_SHIFT;
	bytes = (bytes + ARENA_CHUNK - 1) / ARENA_CHUNK * ARENA_CHUNK;
	if (bytes > goro__heap_arena.reserved) /* a small arena (ulimit -v): all of it */
		bytes = goro__heap_arena.reserved;
	/* Page map first: a reader that sees the arena grown (acquire) must
	 * find the page map entries for it readable. */
	size_t pm = (bytes >> HEAP_PAGE_SHIFT) * sizeof(struct heap_span *);
	if (!goro__region_commit(&goro__heap_pagemap_region, pm, ARENA_CHUNK >> 10) ||
	    !goro__region_commit(&goro__heap_arena, bytes, ARENA_CHUNK))
		return NULL;
	size_t old = ph.top;
	ph.top = top;
	return pages_put(old, top - old, true);
}

/* A free run of at least n pages (best fit among the long ones). */
static struct heap_span *run_find(size_t n)
{
	for (unsigned w = n < NBINS ? n / 64 : NBINS / 64; w < NBINS / 64; w++) {
		uint64_t bits = ph.nonempty[w];
		if (w == n / 64)
			bits &= ~(uint64_t)0 << (n % 64);
		if (bits)
			return ph.bins[w * 64 + __builtin_ctzll(bits)];
	}
	struct heap_span *best = NULL;
	for (struct heap_span *r = ph.bins[0]; r; r = r->next) {
		size_t rn = span_npages(r);
		if (rn >= n && (!best || rn < span_npages(best)))
			best = r;
	}
	return best;
}

/*
 * Takes n pages starting at a multiple of align pages (absolute address).
 * Sets *pg and *clean; false when the arena is exhausted.
 */
static bool pages_take(size_t n, size_t align, size_t *pg, bool *clean)
{
	size_t need = n + align - 1;
	if (need < n)
		return false;
	struct heap_span *r = run_find(need);
	if (!r)
		r = arena_grow(need);
	if (!r)
		return false;
	size_t rpg = span_page(r), rn = span_npages(r);
	*clean = r->clean;
	run_remove(r);
	size_t a = align << HEAP_PAGE_SHIFT;
	uintptr_t start = (page_addr(rpg) + a - 1) & ~(a - 1);
	*pg = (start - arena_base()) >> HEAP_PAGE_SHIFT;
	if (*pg > rpg)
		pages_put(rpg, *pg - rpg, *clean);
	if (*pg + n < rpg + rn)
		pages_put(*pg + n, rpg + rn - (*pg + n), *clean);
	return true;
}

/* ------------------------------------------------------------------ */
/* Giving memory back                                                  */
/* ------------------------------------------------------------------ */

static bool scavenge_run(struct heap_span *r, size_t target)
{
	if (!r->clean) {
		goro__vm_release(HEAP_LOAD(&r->base), span_npages(r) << HEAP_PAGE_SHIFT);
		r->clean = true;
		ph.dirty -= span_npages(r);
	}
	return ph.dirty <= target;
}

/*
 * When much more memory sits in free runs than the program is likely to
 * ask for again soon, madvise the longest runs away until half the
 * allowance is left.  The madvise runs under the lock; it is rare, and
 * a run must not be reused while its pages are being dropped.
 */
static void scavenge(void)
{
	size_t retain = ph.inuse / 4;
	if (retain < RETAIN_MIN_PAGES)
		retain = RETAIN_MIN_PAGES;
	if (ph.dirty <= 2 * retain)
		return;
	for (struct heap_span *r = ph.bins[0]; r; r = r->next)
		if (scavenge_run(r, retain))
			return;
	for (unsigned b = NBINS - 1; b > 0; b--)
		for (struct heap_span *r = ph.bins[b]; r; r = r->next)
			if (scavenge_run(r, retain))
				return;
}

/* ------------------------------------------------------------------ */
/* Spans and large blocks                                              */
/* ------------------------------------------------------------------ */

/* Makes descriptor d the owner of pages [pg, pg + n) and publishes it. */
static void span_publish(struct heap_span *d, size_t pg, size_t n, unsigned state)
{
	desc_clear_marks(d);
	HEAP_STORE(&d->base, page_addr(pg));
	HEAP_STORE(&d->npages, n);
	HEAP_STORE_REL(&d->state, state);
	for (size_t i = 0; i < n; i++)
		pagemap_set(pg + i, d);
	ph.inuse += n;
}

struct heap_span *goro__pageheap_alloc_span(unsigned cls)
{
	const struct heap_class *k = &goro__heap_classes[cls];
	size_t pg;
	bool clean;
	struct heap_span *d = NULL;
	pthread_mutex_lock(&goro__pageheap_lock);
	if (pages_take(k->npages, 1, &pg, &clean)) {
		d = desc_get(cls);
		d->freelist = NULL;
		d->nfree = d->nelems;
		d->carved = 0;
		d->next = d->prev = NULL;
		span_publish(d, pg, k->npages, SPAN_SMALL);
	}
	pthread_mutex_unlock(&goro__pageheap_lock);
	return d;
}

struct heap_span *goro__pageheap_alloc_large(size_t npages, size_t align_pages,
                                             bool *clean)
{
	size_t pg;
	struct heap_span *d = NULL;
	pthread_mutex_lock(&goro__pageheap_lock);
	if (pages_take(npages, align_pages, &pg, clean)) {
		d = desc_get(0);
		span_publish(d, pg, npages, SPAN_LARGE);
	}
	pthread_mutex_unlock(&goro__pageheap_lock);
	return d;
}

void goro__pageheap_free_span(struct heap_span *s)
{
	pthread_mutex_lock(&goro__pageheap_lock);
	size_t pg = span_page(s), n = span_npages(s);
	desc_put(s); /* first: readers stop trusting s before it goes */
	ph.inuse -= n;
	pages_put(pg, n, false);
	scavenge();
	pthread_mutex_unlock(&goro__pageheap_lock);
}

/* Shrinks large block s to n pages; the tail becomes a free run. */
static void large_shrink(struct heap_span *s, size_t n)
{
	size_t pg = span_page(s), old = span_npages(s);
	HEAP_STORE(&s->npages, n); /* before the tail can be reused */
	ph.inuse -= old - n;
	pages_put(pg + n, old - n, false);
	scavenge();
}

/* Grows large block s to n pages if the pages after it are free or
 * beyond the arena's top. */
static bool large_grow(struct heap_span *s, size_t n)
{
	size_t end = span_page(s) + span_npages(s), need = n - span_npages(s);
	struct heap_span *r = run_starting_at(end);
	bool at_top = end == ph.top || (r && end + span_npages(r) == ph.top);
	if ((!r || span_npages(r) < need) && at_top)
		r = arena_grow(need);
	if (!r || span_page(r) != end || span_npages(r) < need)
		return false;
	size_t rn = span_npages(r);
	bool clean = r->clean;
	run_remove(r);
	if (rn > need)
		pages_put(end + need, rn - need, clean);
	HEAP_STORE(&s->npages, n);
	for (size_t i = 0; i < need; i++)
		pagemap_set(end + i, s);
	ph.inuse += need;
	return true;
}

bool goro__pageheap_resize_large(struct heap_span *s, size_t npages)
{
	bool ok = true;
	pthread_mutex_lock(&goro__pageheap_lock);
	size_t old = span_npages(s);
	if (npages < old)
		large_shrink(s, npages);
	else if (npages > old)
		ok = large_grow(s, npages);
	pthread_mutex_unlock(&goro__pageheap_lock);
	return ok;
}

void *goro__pageheap_meta(size_t size)
{
	pthread_mutex_lock(&goro__pageheap_lock);
	void *p = goro__meta_alloc(size);
	pthread_mutex_unlock(&goro__pageheap_lock);
	return p;
}

void goro__pageheap_stats(struct goro_heap_stats *st)
{
	pthread_mutex_lock(&goro__pageheap_lock);
	st->arena_reserved = goro__heap_arena.reserved;
	st->arena_used = ph.top << HEAP_PAGE_SHIFT;
	st->pages_in_use = ph.inuse << HEAP_PAGE_SHIFT;
	st->pages_free = ph.free << HEAP_PAGE_SHIFT;
	st->pages_dirty = ph.dirty << HEAP_PAGE_SHIFT;
	pthread_mutex_unlock(&goro__pageheap_lock);
}
