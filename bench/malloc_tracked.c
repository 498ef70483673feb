/*
 * malloc_tracked.c — goro_malloc/goro_free against glibc's malloc/free.
 *
 * Workload (the same for both, from a fixed-seed PRNG): each thread keeps
 * a working set of SLOTS live blocks and, per operation, frees a random
 * one and allocates a replacement, writing its first and last byte.
 * Sizes: 80% 16..256 B, 18% 257 B..4 KiB, 2% 4 KiB..64 KiB.  One op = one
 * free + one malloc.  Rows:
 *   malloc_tracked_1t  one thread
 *   malloc_tracked_mt  two threads at once, each with its own working
 *                      set; ns/op = wall time / ops of all threads
 * Each side runs once to warm up, then REPS times (alternating with the
 * other side); the medians are printed:
 *   {"name": ROW, "goro": NS, "go": null, "glibc": NS, "unit": "ns/op"}
 *
 * Standalone, linked with the heap's sources (the tracked heap is not in
 * libgoro's public API beyond goro_malloc):
 *   gcc -std=gnu11 -O2 -Iinclude -Isrc bench/malloc_tracked.c \
 *       $(ls src/heap/[a-z]*.c | grep -v preload) -lpthread -o malloc_tracked
 *   ./malloc_tracked [--quick]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "goro.h"

#define SLOTS 8192
#define REPS 5
#define MAX_THREADS 2

static long ops_per_thread = 4000000;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static size_t random_size(uint32_t *rng)
{
	uint32_t r = xorshift(rng), pick = r % 100, v = r / 100;
	if (pick < 80)
		return 16 + v % (256 - 16 + 1);
	if (pick < 98)
		return 257 + v % (4096 - 257 + 1);
	return 4097 + v % (65536 - 4097 + 1);
}

/* One allocator's version of the workload; direct calls, no indirection. */
#define WORKLOAD(NAME, ALLOC, FREE)                                         \
	static void NAME(uint32_t seed, long ops)                           \
	{                                                                   \
		void **slot = ALLOC(SLOTS * sizeof *slot);                  \
		uint32_t rng = seed;                                        \
		for (int k = 0; k < SLOTS; k++)                             \
			slot[k] = ALLOC(random_size(&rng));                 \
		for (long i = 0; i < ops; i++) {                            \
			uint32_t k = xorshift(&rng) % SLOTS;                \
			FREE(slot[k]);                                      \
			size_t n = random_size(&rng);                       \
			char *p = ALLOC(n);                                 \
			p[0] = (char)i;                                     \
			p[n - 1] = (char)i;                                 \
			slot[k] = p;                                        \
		}                                                           \
		for (int k = 0; k < SLOTS; k++)                             \
			FREE(slot[k]);                                      \
		FREE(slot);                                                 \
	}

WORKLOAD(run_glibc, malloc, free)
WORKLOAD(run_goro, goro_malloc, goro_free)

struct job {
	void (*fn)(uint32_t, long);
	uint32_t seed;
	pthread_barrier_t *start;
};

static void *thread_main(void *arg)
{
	struct job *j = arg;
	pthread_barrier_wait(j->start);
	j->fn(j->seed, ops_per_thread);
	return NULL;
}

/* ns per op with nthreads threads running fn at once (the fill and the
 * final frees are timed too; they are 2 * SLOTS ops of the total). */
static double measure(void (*fn)(uint32_t, long), int nthreads)
{
	pthread_t th[MAX_THREADS];
	struct job jobs[MAX_THREADS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
	for (int t = 0; t < nthreads; t++) {
		jobs[t] = (struct job){ fn, 0x2545F491u * (uint32_t)(t + 1), &start };
		pthread_create(&th[t], NULL, thread_main, &jobs[t]);
	}
	pthread_barrier_wait(&start);
	int64_t t0 = now_ns();
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	int64_t dt = now_ns() - t0;
	pthread_barrier_destroy(&start);
	return (double)dt / ((double)ops_per_thread * nthreads);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, REPS, sizeof v[0], cmp_double);
	return v[REPS / 2];
}

/* The two sides alternate, so that a burst of load from other processes
 * skews both alike. */
static void row(const char *name, int nthreads)
{
	double glibc[REPS], goro[REPS];
	measure(run_glibc, nthreads); /* warm up: page faults, caches */
	measure(run_goro, nthreads);
	for (int r = 0; r < REPS; r++) {
		glibc[r] = measure(run_glibc, nthreads);
		goro[r] = measure(run_goro, nthreads);
	}
	printf("{\"name\": \"%s\", \"goro\": %.1f, \"go\": null, \"glibc\": %.1f, "
	       "\"unit\": \"ns/op\"}\n",
	       name, median(goro), median(glibc));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--quick") == 0)
		ops_per_thread = 20000;
	row("malloc_tracked_1t", 1);
	row("malloc_tracked_mt", 2);
	return 0;
}
