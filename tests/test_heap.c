/*
 * test_heap.c — the tracked heap: goro_malloc & co. and the detector's
 * view of it (src/heap/heap.h).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "goro.h"
#include "heap/heap.h"

/* Every size class boundary and its neighbours, plus large sizes. */
static const size_t sizes[] = {
	0,     1,     8,     15,    16,    17,    31,    32,     33,     48,
	64,    100,   112,   128,   129,   160,   200,   256,    300,    384,
	500,   512,   640,   768,   1000,  1024,  1025,  1500,   2048,   3000,
	4095,  4096,  4097,  5000,  7000,  8192,  9000,  12288,  16383,  16384,
	20000, 24576, 28672, 32767, 32768, 32769, 40000, 65536,  65537,  100000,
	262144, 1000000, 4194304, 4194305,
};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static unsigned char pattern(uintptr_t seed, size_t i)
{
	return (unsigned char)((seed * 2654435761u) >> 7 ^ i * 31);
}

static void fill(void *p, size_t n, uintptr_t seed)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)p)[i] = pattern(seed, i);
}

static bool check_byte(const void *p, size_t n, unsigned char c)
{
	for (size_t i = 0; i < n; i++)
		if (((const unsigned char *)p)[i] != c)
			return false;
	return true;
}

static bool check(const void *p, size_t n, uintptr_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (((const unsigned char *)p)[i] != pattern(seed, i))
			return false;
	return true;
}

/* find(p) must answer exactly (base, size). */
static void expect_block(const void *p, void *base, size_t size)
{
	void *b = NULL;
	size_t s = 0;
	cr_assert(goro__heap_find(p, &b, &s), "%p (in block %p) not found", p, base);
	cr_assert_eq(b, base, "find(%p): base %p, want %p", p, b, base);
	cr_assert_eq(s, size, "find(%p): size %zu, want %zu", p, s, size);
}

Test(heap, every_size_alloc_find_free)
{
	void *blocks[NSIZES];
	for (size_t k = 0; k < NSIZES; k++) {
		size_t n = sizes[k];
		void *p = goro_malloc(n);
		cr_assert_not_null(p, "malloc(%zu)", n);
		cr_assert_eq((uintptr_t)p % 16, 0, "malloc(%zu) = %p not 16-aligned", n, p);
		size_t usable = goro__heap_usable_size(p);
		cr_assert_geq(usable, n ? n : 1, "usable %zu < %zu", usable, n);
		fill(p, usable, k);
		expect_block(p, p, usable);
		expect_block((char *)p + usable / 2, p, usable);
		expect_block((char *)p + usable - 1, p, usable);
		blocks[k] = p;
	}
	for (size_t k = 0; k < NSIZES; k++) {
		size_t usable = goro__heap_usable_size(blocks[k]);
		cr_assert(check(blocks[k], usable, k), "block of size %zu corrupted", sizes[k]);
		goro_free(blocks[k]);
		cr_assert(!goro__heap_find(blocks[k], NULL, NULL),
		          "freed block %p (size %zu) still found", blocks[k], sizes[k]);
	}
}

Test(heap, every_interior_byte_maps_to_its_block)
{
	/* Every byte of several neighbouring blocks of each small class, and
	 * the bytes just past a block, map to the right block. */
	for (size_t n = 16; n <= 32768; n += n < 1024 ? 16 : 128) {
		void *p[3];
		for (int j = 0; j < 3; j++)
			p[j] = goro_malloc(n);
		for (int j = 0; j < 3; j++) {
			size_t usable = goro__heap_usable_size(p[j]);
			for (size_t off = 0; off < usable; off += off < 64 ? 1 : 7)
				expect_block((char *)p[j] + off, p[j], usable);
			expect_block((char *)p[j] + usable - 1, p[j], usable);
			void *b = NULL;
			if (goro__heap_find((char *)p[j] + usable, &b, NULL))
				cr_assert_neq(b, p[j], "one past the end of %p maps to it", p[j]);
		}
		for (int j = 0; j < 3; j++)
			goro_free(p[j]);
	}
}

Test(heap, addresses_outside_the_heap_are_not_found)
{
	int local = 0;
	static int global;
	void *libc = malloc(100);
	cr_assert(!goro__heap_find(&local, NULL, NULL));
	cr_assert(!goro__heap_find(&global, NULL, NULL));
	cr_assert(!goro__heap_find(libc, NULL, NULL));
	cr_assert(!goro__heap_find(NULL, NULL, NULL));
	cr_assert(!goro__heap_find((void *)UINTPTR_MAX, NULL, NULL));
	free(libc);
}

Test(heap, freed_blocks_are_not_found)
{
	enum { N = 2000 };
	void *p[N];
	for (int i = 0; i < N; i++)
		p[i] = goro_malloc((size_t)(i % 50) * 40 + 1);
	for (int i = 0; i < N; i += 2)
		goro_free(p[i]);
	for (int i = 0; i < N; i++) {
		bool found = goro__heap_find((char *)p[i] + 1, NULL, NULL);
		cr_assert_eq(found, i % 2 == 1, "block %d: found=%d", i, found);
	}
	for (int i = 1; i < N; i += 2)
		goro_free(p[i]);
}

Test(heap, realloc_keeps_contents)
{
	/* Walk up through small, small->large, large in place, then down. */
	size_t steps[] = { 1, 24, 200, 3000, 32768, 40000, 100000, 3000000,
	                   3000001, 50000, 5000, 17, 1 };
	void *p = goro_realloc(NULL, steps[0]);
	cr_assert_not_null(p);
	fill(p, steps[0], 7);
	for (size_t k = 1; k < sizeof steps / sizeof steps[0]; k++) {
		size_t keep = steps[k - 1] < steps[k] ? steps[k - 1] : steps[k];
		p = goro_realloc(p, steps[k]);
		cr_assert_not_null(p, "realloc to %zu", steps[k]);
		cr_assert(check(p, keep, 7), "contents lost growing/shrinking to %zu", steps[k]);
		cr_assert_geq(goro__heap_usable_size(p), steps[k]);
		expect_block((char *)p + steps[k] - 1, p, goro__heap_usable_size(p));
		fill(p, steps[k], 7);
	}
	cr_assert_null(goro_realloc(p, 0)); /* frees, like glibc */
	cr_assert(!goro__heap_find(p, NULL, NULL));
}

Test(heap, realloc_resizes_large_block_in_place)
{
	/* Each test runs in a fresh process: p and then guard come from the
	 * top of the arena, so freeing guard leaves free pages right after p. */
	void *p = goro_malloc(1 << 20);
	void *guard = goro_malloc(1 << 20);
	goro_free(guard);
	memset(p, 3, 1 << 20);
	void *q = goro_realloc(p, 2 << 20);
	cr_assert_eq(q, p, "did not grow into the free pages after it");
	cr_assert(check_byte(q, 1 << 20, 3));
	expect_block((char *)q + (2 << 20) - 1, q, 2 << 20);
	void *r = goro_realloc(q, 1 << 20);
	cr_assert_eq(r, q, "shrinking a large block moved it");
	cr_assert(!goro__heap_find((char *)q + (2 << 20) - 1, NULL, NULL),
	          "the released tail is still part of the block");
	goro_free(r);
}

Test(heap, calloc_zeroes_reused_memory)
{
	size_t n[] = { 16, 100, 4096, 30000, 100000, 5 << 20 };
	for (size_t k = 0; k < sizeof n / sizeof n[0]; k++) {
		for (int round = 0; round < 3; round++) {
			unsigned char *p = goro_malloc(n[k]);
			memset(p, 0xAB, n[k]);
			goro_free(p);
			unsigned char *z = goro_calloc(1, n[k]);
			cr_assert_not_null(z);
			for (size_t i = 0; i < n[k]; i++)
				cr_assert_eq(z[i], 0, "calloc(%zu)[%zu] = %#x", n[k], i, z[i]);
			goro_free(z);
		}
	}
}

Test(heap, calloc_overflow_fails_with_enomem)
{
	errno = 0;
	cr_assert_null(goro_calloc(SIZE_MAX / 2, 3));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(goro_malloc(SIZE_MAX - 100));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(goro_realloc(goro_malloc(10), SIZE_MAX / 2));
	cr_assert_eq(errno, ENOMEM);
}

Test(heap, aligned_allocations)
{
	for (size_t align = 16; align <= (4 << 20); align *= 2) {
		size_t n[] = { 1, align / 2 + 1, align, align * 3 + 5, 50000 };
		for (size_t k = 0; k < sizeof n / sizeof n[0]; k++) {
			void *p = goro__heap_alloc_aligned(align, n[k], GORO_HEAP_USER);
			cr_assert_not_null(p);
			cr_assert_eq((uintptr_t)p % align, 0, "align %zu size %zu: %p", align, n[k], p);
			cr_assert_geq(goro__heap_usable_size(p), n[k]);
			memset(p, 1, n[k]);
			expect_block((char *)p + n[k] - 1, p, goro__heap_usable_size(p));
			goro_free(p);
		}
	}
}

Test(heap, a_new_block_holds_no_free_list_link)
{
	/* The detector scans blocks conservatively: a stale link to another
	 * block would keep that block alive. */
	for (size_t n = 16; n <= 32768; n *= 2) {
		void *a = goro_malloc(n), *b = goro_malloc(n);
		goro_free(a);
		goro_free(b);
		void *c = goro_malloc(n), *d = goro_malloc(n);
		cr_assert(!goro__heap_find(*(void **)c, NULL, NULL), "size %zu", n);
		cr_assert(!goro__heap_find(*(void **)d, NULL, NULL), "size %zu", n);
		goro_free(c);
		goro_free(d);
	}
}

Test(heap, usable_size_of_non_blocks_is_zero)
{
	int local = 0;
	char *p = goro_malloc(100);
	cr_assert_eq(goro__heap_usable_size(&local), 0);
	cr_assert_eq(goro__heap_usable_size(p + 16), 0);
	goro_free(p);
	cr_assert_eq(goro__heap_usable_size(p), 0);
}

/* ------------------------------------------------------------------ */
/* Marks and kinds                                                     */
/* ------------------------------------------------------------------ */

Test(heap, marks_set_and_clear)
{
	enum { N = 500 };
	void *p[N];
	for (int i = 0; i < N; i++)
		p[i] = goro_malloc(i < N - 5 ? (size_t)(i % 40 + 1) * 24 : 100000);
	goro__heap_mark_clear();
	for (int i = 0; i < N; i++)
		cr_assert(!goro__heap_is_marked(p[i]));
	for (int i = 0; i < N; i += 3) {
		/* any address inside the block marks the block */
		cr_assert(goro__heap_mark((char *)p[i] + 5), "first mark of %d", i);
		cr_assert(!goro__heap_mark(p[i]), "second mark of %d", i);
	}
	for (int i = 0; i < N; i++)
		cr_assert_eq(goro__heap_is_marked(p[i]), i % 3 == 0, "block %d", i);
	goro__heap_mark_clear();
	for (int i = 0; i < N; i++)
		cr_assert(!goro__heap_is_marked(p[i]), "block %d still marked", i);
	int local = 0;
	cr_assert(!goro__heap_mark(&local));
	cr_assert(!goro__heap_is_marked(&local));
	for (int i = 0; i < N; i++)
		goro_free(p[i]);
}

Test(heap, a_reused_block_starts_unmarked)
{
	/* mark_clear skips free memory, so a block must not inherit the mark
	 * of an earlier block on the same pages */
	void *p = goro_malloc(5000000);
	cr_assert(goro__heap_mark(p));
	goro_free(p);
	goro__heap_mark_clear();
	void *q = goro_malloc(5000000);
	cr_assert(!goro__heap_is_marked(q));
	goro_free(q);
}

Test(heap, kind_tags)
{
	void *u = goro_malloc(64);
	void *c = goro__heap_alloc_kind(200, GORO_HEAP_CHAN, true);
	void *big = goro__heap_alloc_kind(70000, GORO_HEAP_NOSCAN, false);
	cr_assert_eq(goro__heap_kind(u), GORO_HEAP_USER);
	cr_assert_eq(goro__heap_kind(c), GORO_HEAP_CHAN);
	cr_assert_eq(goro__heap_kind((char *)big + 69999), GORO_HEAP_NOSCAN);
	for (int i = 0; i < 200; i++)
		cr_assert_eq(((unsigned char *)c)[i], 0);
	goro__heap_set_kind(u, GORO_HEAP_INTERNAL);
	cr_assert_eq(goro__heap_kind(u), GORO_HEAP_INTERNAL);
	goro__heap_set_kind(u, GORO_HEAP_KIND_MAX);
	cr_assert_eq(goro__heap_kind(u), GORO_HEAP_KIND_MAX);
	goro__heap_set_kind(u, GORO_HEAP_NOSCAN);
	/* a kind survives realloc, across classes and to a large block */
	u = goro_realloc(u, 5000);
	cr_assert_eq(goro__heap_kind(u), GORO_HEAP_NOSCAN);
	u = goro_realloc(u, 500000);
	cr_assert_eq(goro__heap_kind(u), GORO_HEAP_NOSCAN);
	int local = 0;
	cr_assert_eq(goro__heap_kind(&local), GORO_HEAP_KIND_NONE);
	goro_free(u);
	cr_assert_eq(goro__heap_kind(u), GORO_HEAP_KIND_NONE);
	/* a recycled block is user data again */
	void *again = goro_malloc(200);
	cr_assert_eq(goro__heap_kind(again), GORO_HEAP_USER);
	goro_free(again);
	goro_free(c);
	goro_free(big);
}

/* ------------------------------------------------------------------ */
/* Arenas                                                              */
/* ------------------------------------------------------------------ */

struct ranges {
	int n;
	uintptr_t lo[16], hi[16];
};

static void collect(void *lo, void *hi, void *arg)
{
	struct ranges *r = arg;
	cr_assert_lt(r->n, 16);
	cr_assert_lt((uintptr_t)lo, (uintptr_t)hi);
	r->lo[r->n] = (uintptr_t)lo;
	r->hi[r->n] = (uintptr_t)hi;
	r->n++;
}

static bool in_ranges(const struct ranges *r, const void *p, size_t n)
{
	for (int i = 0; i < r->n; i++)
		if ((uintptr_t)p >= r->lo[i] && (uintptr_t)p + n <= r->hi[i])
			return true;
	return false;
}

Test(heap, arenas_cover_every_block_and_nothing_else)
{
	void *p[NSIZES];
	for (size_t k = 0; k < NSIZES; k++)
		p[k] = goro_malloc(sizes[k]);
	struct ranges r = { 0 };
	goro__heap_for_each_arena(collect, &r);
	cr_assert_geq(r.n, 1);
	for (size_t k = 0; k < NSIZES; k++)
		cr_assert(in_ranges(&r, p[k], goro__heap_usable_size(p[k])),
		          "block %p of size %zu outside the arenas", p[k], sizes[k]);
	int local = 0;
	static int global;
	void *libc = malloc(64);
	cr_assert(!in_ranges(&r, &local, 1));
	cr_assert(!in_ranges(&r, &global, 1));
	cr_assert(!in_ranges(&r, libc, 1));
	free(libc);
	for (size_t k = 0; k < NSIZES; k++)
		goro_free(p[k]);
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

struct worker {
	unsigned id;
	int iters;
	bool ok;
};

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static size_t random_size(uint32_t *rng)
{
	uint32_t r = xorshift(rng);
	if (r % 100 < 80)
		return 1 + r / 100 % 256;
	if (r % 100 < 98)
		return 1 + r / 100 % 4096;
	return 1 + r / 100 % 70000;
}

/* Keeps 128 blocks live, replacing random ones; every block's contents
 * are checked before it is freed. */
static void *churn(void *arg)
{
	struct worker *w = arg;
	enum { SLOTS = 128 };
	void *slot[SLOTS] = { 0 };
	size_t len[SLOTS] = { 0 };
	uintptr_t seed[SLOTS] = { 0 };
	uint32_t rng = 0x9E3779B9u * (w->id + 1);
	w->ok = true;
	for (int i = 0; i < w->iters; i++) {
		unsigned k = xorshift(&rng) % SLOTS;
		if (slot[k]) {
			if (!check(slot[k], len[k], seed[k]))
				w->ok = false;
			goro_free(slot[k]);
		}
		len[k] = random_size(&rng);
		seed[k] = (uintptr_t)w->id << 32 | (uintptr_t)i;
		slot[k] = goro_malloc(len[k]);
		if (!slot[k]) {
			w->ok = false;
			break;
		}
		fill(slot[k], len[k], seed[k]);
	}
	for (unsigned k = 0; k < SLOTS; k++) {
		if (slot[k] && !check(slot[k], len[k], seed[k]))
			w->ok = false;
		goro_free(slot[k]);
	}
	return NULL;
}

Test(heap, many_threads_allocate_and_free_concurrently)
{
	enum { T = 8 };
	pthread_t th[T];
	struct worker w[T];
	for (unsigned t = 0; t < T; t++) {
		w[t] = (struct worker){ .id = t, .iters = 20000 };
		pthread_create(&th[t], NULL, churn, &w[t]);
	}
	for (unsigned t = 0; t < T; t++) {
		pthread_join(th[t], NULL);
		cr_assert(w[t].ok, "thread %u saw corrupted blocks", t);
	}
}

/* A bounded queue of blocks handed from producers to consumers. */
struct queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	void *item[64];
	size_t len[64];
	int head, count, done;
	bool ok;
};

static void *producer(void *arg)
{
	struct queue *q = arg;
	uint32_t rng = 12345;
	for (int i = 0; i < 20000; i++) {
		size_t n = random_size(&rng);
		void *p = goro_malloc(n);
		fill(p, n, (uintptr_t)n);
		pthread_mutex_lock(&q->mu);
		while (q->count == 64)
			pthread_cond_wait(&q->cv, &q->mu);
		q->item[(q->head + q->count) % 64] = p;
		q->len[(q->head + q->count) % 64] = n;
		q->count++;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
	}
	pthread_mutex_lock(&q->mu);
	q->done = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Frees what the producer allocated, while allocating blocks of its own. */
static void *consumer(void *arg)
{
	struct queue *q = arg;
	void *mine[16] = { 0 };
	for (unsigned i = 0;; i++) {
		pthread_mutex_lock(&q->mu);
		while (q->count == 0 && !q->done)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->count == 0) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		void *p = q->item[q->head];
		size_t n = q->len[q->head];
		q->head = (q->head + 1) % 64;
		q->count--;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		if (!check(p, n, (uintptr_t)n) || !goro__heap_find(p, NULL, NULL))
			q->ok = false;
		goro_free(p);
		goro_free(mine[i % 16]);
		mine[i % 16] = goro_malloc(i % 3000 + 1);
	}
	for (int i = 0; i < 16; i++)
		goro_free(mine[i]);
	return NULL;
}

Test(heap, blocks_freed_by_another_thread)
{
	struct queue q = { .mu = PTHREAD_MUTEX_INITIALIZER,
	                   .cv = PTHREAD_COND_INITIALIZER,
	                   .ok = true };
	pthread_t prod, cons;
	pthread_create(&prod, NULL, producer, &q);
	pthread_create(&cons, NULL, consumer, &q);
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	cr_assert(q.ok, "a block crossed threads corrupted or untracked");
	/* the producer's exit and the consumer's frees left the heap usable */
	struct worker w = { .id = 99, .iters = 5000 };
	churn(&w);
	cr_assert(w.ok);
}

/*
 * find and mark run lock-free while other threads allocate and free: the
 * caller's own blocks are always answered exactly, and any other address
 * is either not found or found inside the block reported.
 */
Test(heap, find_and_mark_while_other_threads_allocate)
{
	enum { T = 3, MINE = 64 };
	pthread_t th[T];
	struct worker w[T];
	for (unsigned t = 0; t < T; t++) {
		w[t] = (struct worker){ .id = t, .iters = 30000 };
		pthread_create(&th[t], NULL, churn, &w[t]);
	}
	void *mine[MINE];
	for (int i = 0; i < MINE; i++)
		mine[i] = goro_malloc((size_t)(i + 1) * 97);
	struct ranges r = { 0 };
	goro__heap_for_each_arena(collect, &r);
	uint32_t rng = 4242;
	for (int round = 0; round < 20000; round++) {
		int i = round % MINE;
		size_t usable = goro__heap_usable_size(mine[i]);
		expect_block((char *)mine[i] + round % usable, mine[i], usable);
		goro__heap_mark(mine[i]);
		cr_assert(goro__heap_is_marked(mine[i]));
		/* a random address in the arena (it may have grown since) */
		uintptr_t p = r.lo[0] + xorshift(&rng) % (r.hi[0] - r.lo[0]);
		void *base;
		size_t size;
		if (goro__heap_find((void *)p, &base, &size))
			cr_assert((uintptr_t)base <= p && p < (uintptr_t)base + size,
			          "%#lx reported in block %p of %zu bytes", (unsigned long)p,
			          base, size);
		goro__heap_mark((void *)p);
	}
	for (unsigned t = 0; t < T; t++) {
		pthread_join(th[t], NULL);
		cr_assert(w[t].ok);
	}
	for (int i = 0; i < MINE; i++)
		goro_free(mine[i]);
}

static void *short_lived(void *arg)
{
	void *p[300];
	for (int i = 0; i < 300; i++)
		p[i] = goro_malloc((size_t)(i % 30 + 1) * 16);
	for (int i = 0; i < 300; i++)
		goro_free(p[i]);
	*(void **)arg = goro_malloc(48); /* outlives the thread */
	return NULL;
}

Test(heap, blocks_outlive_the_thread_that_made_them)
{
	void *kept[50];
	for (int t = 0; t < 50; t++) {
		pthread_t th;
		pthread_create(&th, NULL, short_lived, &kept[t]);
		pthread_join(th, NULL);
	}
	for (int t = 0; t < 50; t++) {
		expect_block(kept[t], kept[t], 48);
		goro_free(kept[t]);
	}
}

static void *allocate_forever(void *arg)
{
	uint32_t rng = 777;
	void *slot[32] = { 0 };
	while (!__atomic_load_n((int *)arg, __ATOMIC_RELAXED)) {
		unsigned k = xorshift(&rng) % 32;
		goro_free(slot[k]);
		slot[k] = goro_malloc(random_size(&rng));
	}
	for (int k = 0; k < 32; k++)
		goro_free(slot[k]);
	return NULL;
}

Test(heap, fork_while_another_thread_allocates)
{
	int stop = 0;
	pthread_t th;
	pthread_create(&th, NULL, allocate_forever, &stop);
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct worker w = { .id = 5, .iters = 2000 };
			churn(&w);
			_exit(w.ok ? 0 : 1);
		}
		int status;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		          "child %d failed: status %#x", i, status);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
}

/* ------------------------------------------------------------------ */
/* A big heap                                                          */
/* ------------------------------------------------------------------ */

Test(heap, one_gigabyte_of_blocks_found_marked_and_returned, .timeout = 600)
{
	const size_t total = (size_t)1 << 30;
	size_t cap = 1 << 17, n = 0, bytes = 0;
	void **p = goro_malloc(cap * sizeof *p);
	size_t *len = goro_malloc(cap * sizeof *len);
	while (bytes < total) {
		cr_assert_lt(n, cap);
		len[n] = (size_t)64 << (n % 12); /* 64 B .. 128 KiB */
		p[n] = goro_malloc(len[n]);
		cr_assert_not_null(p[n], "out of memory after %zu bytes", bytes);
		bytes += len[n++];
	}
	for (size_t i = 0; i < n; i++) {
		size_t usable = goro__heap_usable_size(p[i]);
		cr_assert_geq(usable, len[i]);
		expect_block((char *)p[i] + len[i] - 1, p[i], usable);
		cr_assert(goro__heap_mark((char *)p[i] + len[i] / 2));
	}
	goro__heap_mark_clear();
	for (size_t i = 0; i < n; i++)
		cr_assert(!goro__heap_is_marked(p[i]), "block %zu still marked", i);
	for (size_t i = 0; i < n; i++)
		goro_free(p[i]);
	for (size_t i = 0; i < n; i++)
		cr_assert(!goro__heap_find((char *)p[i] + len[i] - 1, NULL, NULL),
		          "freed block %zu still found", i);
	struct goro_heap_stats st;
	goro__heap_stats(&st);
	/* Most of the gigabyte went back to the OS. */
	cr_assert_lt(st.pages_dirty, (size_t)256 << 20, "%zu bytes of free memory still resident",
	             st.pages_dirty);
	goro_free(p);
	goro_free(len);
}

/* ------------------------------------------------------------------ */
/* Misuse                                                              */
/* ------------------------------------------------------------------ */

Test(heap, double_free_aborts, .signal = SIGABRT)
{
	void *p = goro_malloc(40);
	goro_free(p);
	goro_free(p);
}

Test(heap, double_free_of_large_block_aborts, .signal = SIGABRT)
{
	void *p = goro_malloc(1 << 20);
	goro_free(p);
	goro_free(p);
}

Test(heap, free_of_interior_pointer_aborts, .signal = SIGABRT)
{
	char *p = goro_malloc(100);
	goro_free(p + 16);
}

Test(heap, free_of_foreign_pointer_aborts, .signal = SIGABRT)
{
	int local = 0;
	goro_free(&local);
}

Test(heap, free_of_libc_block_aborts, .signal = SIGABRT)
{
	goro_free(malloc(32));
}

Test(heap, realloc_of_freed_block_aborts, .signal = SIGABRT)
{
	void *p = goro_malloc(3000);
	goro_free(p);
	goro_realloc(p, 6000);
}

Test(heap, kind_out_of_range_aborts, .signal = SIGABRT)
{
	/* it would wrap the block's state byte to "free" */
	void *p = goro_malloc(10);
	goro__heap_set_kind(p, GORO_HEAP_KIND_MAX + 1);
}
