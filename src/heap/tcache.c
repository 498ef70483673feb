/*
 * tcache.c — per-thread caches of free blocks.
 *
 * A thread allocates from and frees to its own cache without any lock; a
 * bin that runs dry takes a batch from the class pool, a bin that holds
 * more than `max` blocks gives a batch back.  A block may be freed by any
 * thread: it simply lands in that thread's cache.
 *
 * The cache pointer is initial-exec TLS: reading it never calls into the
 * dynamic linker (general-dynamic TLS may call malloc on first use, which
 * would recurse when this heap is malloc).  When the thread exits, a
 * pthread key destructor returns the cache's blocks to the pools; any
 * allocation after that (later destructors) bypasses caching.
 */
#include "heap/heap_internal.h"

__thread struct heap_tcache *goro__heap_tc HEAP_TLS;
static __thread bool tc_exited HEAP_TLS;

static pthread_key_t tc_key;
/* Caches of exited threads, for reuse; page heap lock. */
static struct heap_tcache *tc_reuse HEAP_RT_STATE;

static void tcache_flush_all(struct heap_tcache *tc)
{
	for (unsigned c = 1; c < HEAP_NCLASS; c++) {
		struct heap_tbin *b = &tc->bin[c];
		if (b->head)
			goro__central_put(c, b->head);
		b->head = NULL;
		b->count = 0;
	}
}

static void tcache_destroy(void *arg)
{
	struct heap_tcache *tc = arg;
	tcache_flush_all(tc);
	goro__heap_tc = NULL;
	tc_exited = true;
	pthread_mutex_lock(&goro__pageheap_lock);
	tc->next_free = tc_reuse;
	tc_reuse = tc;
	pthread_mutex_unlock(&goro__pageheap_lock);
}

void goro__tcache_init(void)
{
	pthread_key_create(&tc_key, tcache_destroy);
}

static struct heap_tcache *tcache_new(void)
{
	pthread_mutex_lock(&goro__pageheap_lock);
	struct heap_tcache *tc = tc_reuse;
	if (tc)
		tc_reuse = tc->next_free;
	else
		tc = goro__meta_alloc(sizeof *tc);
	pthread_mutex_unlock(&goro__pageheap_lock);
	return tc;
}

struct heap_tcache *goro__tcache_create(void)
{
	if (tc_exited)
		return NULL;
	heap_init();
	struct heap_tcache *tc = tcache_new();
	if (!tc)
		return NULL;
	for (unsigned c = 1; c < HEAP_NCLASS; c++) {
		tc->bin[c].head = NULL;
		tc->bin[c].count = 0;
		tc->bin[c].max = 2 * goro__heap_classes[c].batch;
	}
	/* Set the TLS pointer first: pthread_setspecific may itself call
	 * calloc, which must then find this cache rather than recurse. */
	goro__heap_tc = tc;
	pthread_setspecific(tc_key, tc);
	return tc;
}

void *goro__tcache_refill(struct heap_tcache *tc, unsigned cls)
{
	void *head;
	unsigned n = goro__central_take(cls, goro__heap_classes[cls].batch, &head);
	if (!n)
		return NULL;
	tc->bin[cls].head = *(void **)head;
	tc->bin[cls].count = n - 1;
	return head;
}

void goro__tcache_flush(struct heap_tcache *tc, unsigned cls)
{
	struct heap_tbin *b = &tc->bin[cls];
	unsigned n = goro__heap_classes[cls].batch;
	void *head = b->head, *last = head;
	for (unsigned i = 1; i < n; i++)
		last = *(void **)last;
	b->head = *(void **)last;
	b->count -= n;
	*(void **)last = NULL;
	goro__central_put(cls, head);
}
