/*
 * central.c — one pool per size class, between the thread caches and the
 * page heap.
 *
 * A pool owns the spans of its class that have free blocks.  Each span
 * keeps its own free list plus a "carved" mark: blocks past it were never
 * handed out, so a new span costs nothing until its blocks are used (no
 * need to thread a list through memory nobody touched yet).
 *
 * Invariants (under pool->lock):
 *   - pool->partial lists exactly the spans of the class with nfree > 0;
 *     spans with every block handed out are on no list (a free puts them
 *     back);
 *   - nfree = blocks on the span's freelist + (nelems - carved);
 *   - pool->nempty counts the spans on the list with nfree == nelems; at
 *     most KEEP_EMPTY are kept, the rest go back to the page heap.
 * Lock order: a pool's lock, then the page heap lock.
 */
#include "heap/heap_internal.h"

/* Fully free spans a pool keeps, so that a class whose use goes up and
 * down around a span boundary does not trade spans with the page heap on
 * every batch. */
#define KEEP_EMPTY 1

struct heap_pool {
	pthread_mutex_t lock;
	struct heap_span *partial;
	uint32_t nempty;
} __attribute__((aligned(HEAP_CACHELINE)));

static struct heap_pool pools[HEAP_NCLASS] HEAP_RT_STATE;

static void partial_push(struct heap_pool *pool, struct heap_span *s)
{
	s->prev = NULL;
	s->next = pool->partial;
	if (s->next)
		s->next->prev = s;
	pool->partial = s;
}

static void partial_remove(struct heap_pool *pool, struct heap_span *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		pool->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

/* Next block to hand out from span s (which has nfree > 0). */
static void *span_pop(struct heap_span *s)
{
	void *b = s->freelist;
	if (b) {
		s->freelist = *(void **)b;
	} else {
		b = (void *)(HEAP_LOAD(&s->base) + (uintptr_t)s->carved * s->elem_size);
		s->carved++;
	}
	s->nfree--;
	return b;
}

unsigned goro__central_take(unsigned cls, unsigned n, void **head)
{
	struct heap_pool *pool = &pools[cls];
	void *first = NULL, **link = &first;
	unsigned got = 0;
	pthread_mutex_lock(&pool->lock);
	while (got < n) {
		struct heap_span *s = pool->partial;
		if (!s) {
			s = goro__pageheap_alloc_span(cls);
			if (!s)
				break;
			partial_push(pool, s);
			pool->nempty++;
		}
		if (s->nfree == s->nelems)
			pool->nempty--;
		while (got < n && s->nfree) {
			void *b = span_pop(s);
			*link = b;
			link = (void **)b;
			got++;
		}
		if (!s->nfree)
			partial_remove(pool, s);
	}
	pthread_mutex_unlock(&pool->lock);
	*link = NULL;
	*head = first;
	return got;
}

/* Returns block b to its span s; the span may go back to the page heap. */
static void span_push(struct heap_pool *pool, struct heap_span *s, void *b)
{
	*(void **)b = s->freelist;
	s->freelist = b;
	if (s->nfree++ == 0)
		partial_push(pool, s);
	if (s->nfree < s->nelems)
		return;
	if (pool->nempty < KEEP_EMPTY) {
		pool->nempty++;
		return;
	}
	partial_remove(pool, s);
	goro__pageheap_free_span(s);
}

void goro__central_put(unsigned cls, void *head)
{
	struct heap_pool *pool = &pools[cls];
	pthread_mutex_lock(&pool->lock);
	while (head) {
		void *b = head;
		head = *(void **)b;
		span_push(pool, heap_span_of_owned((uintptr_t)b), b);
	}
	pthread_mutex_unlock(&pool->lock);
}

void goro__central_lock_all(void)
{
	for (unsigned c = 1; c < HEAP_NCLASS; c++)
		pthread_mutex_lock(&pools[c].lock);
}

void goro__central_unlock_all(void)
{
	for (unsigned c = 1; c < HEAP_NCLASS; c++)
		pthread_mutex_unlock(&pools[c].lock);
}

void goro__central_init_locks(void)
{
	for (unsigned c = 1; c < HEAP_NCLASS; c++)
		pthread_mutex_init(&pools[c].lock, NULL);
}
