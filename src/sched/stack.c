/*
 * stack.c — allocation, pooling and protection of goroutine stacks.
 * See stack.h for the layout and the guard-page budget.
 *
 * Pools: each worker caches up to CACHE_MAX free stacks of the default size
 * without locking; beyond that, and for other sizes, stacks go to a global
 * pool per size (pool_lock).  Mappings are carved from slabs of SLAB_STACKS
 * stacks so that a million stacks cost a few thousand mappings, not a
 * million.
 *
 * Returning memory: a pool keeps two lists, dirty stacks (their pages still
 * resident; reused first, they are warm) and clean ones (madvise'd: pages
 * returned to the OS, the address range and the record's top page kept).
 * Cleaning is a syscall plus a TLB shootdown per stack, so it is not done
 * when a goroutine exits but by idle workers (goro__stack_scavenge, Go's
 * background scavenger in spirit), down to KEEP_DIRTY warm stacks per pool,
 * and only once no stack has been freed for SCAVENGE_QUIET_NS: a burst of
 * exits is often followed by a burst of spawns that reuses the stacks, and
 * madvise (whose TLB shootdowns interrupt the busy workers) would only slow
 * both down.
 * Dirty stacks hold only what their goroutines held while alive, so the
 * resident size stays at most the program's peak.  So that a program that
 * never idles still returns memory, one in CLEAN_PACE stacks freed beyond
 * the reserve is cleaned at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/owned.h"
#include "sched/fiber.h"
#include "sched/guard.h"
#include "sched/spinlock.h"
#include "sched/stack.h"

enum {
	CACHE_MAX = 256,
	KEEP_DIRTY = 4096,
	CLEAN_PACE = 16,
	SLAB_STACKS = 256,
	SLAB_BYTES = 64 << 20,
	NSIZES = 8, /* distinct stack sizes with a pool */
};

#define DEFAULT_STACK_SIZE ((size_t)64 * 1024)
#define MIN_STACK_SIZE ((size_t)16 * 1024)

/* All fields under pool_lock. */
struct stack_pool {
	size_t size;
	struct goro_stack *dirty, *clean; /* free stacks, linked by next */
	long ndirty;
	unsigned long excess_puts;  /* dirty stacks freed beyond KEEP_DIRTY */
	char *slab_next, *slab_end; /* uncarved rest of the current slab */
	bool slab_guarded;          /* its stacks' guards are installed */
};

#define SCAVENGE_QUIET_NS (10 * 1000 * 1000)

static goro_spinlock pool_lock;
static _Atomic int64_t last_dirty_put; /* goro__nanotime() of the latest */
static struct stack_pool pools[NSIZES] GORO_RT_STATE;
static size_t page_size;
static size_t default_size;

static size_t round_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

/* GORO_STACK_SIZE accepts bytes with an optional K/M suffix, up to
 * GORO_MAX_STACK_SIZE; 0 for anything else. */
static size_t parse_size(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		return 0;
	unsigned shift = 0;
	if (*end == 'k' || *end == 'K')
		shift = 10, end++;
	else if (*end == 'm' || *end == 'M')
		shift = 20, end++;
	if (*end != '\0' || v > (GORO_MAX_STACK_SIZE >> shift))
		return 0;
	return (size_t)v << shift;
}

void goro__stack_init(void)
{
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	default_size = DEFAULT_STACK_SIZE;
	const char *env = getenv("GORO_STACK_SIZE");
	if (env && parse_size(env))
		default_size = parse_size(env);
	else if (env && *env)
		fprintf(stderr, "goro: GORO_STACK_SIZE=%s: not a size of at most 1G (bytes, or "
		                "with a K or M suffix); using the default %zuK\n",
		        env, default_size >> 10);
	if (default_size < MIN_STACK_SIZE)
		default_size = MIN_STACK_SIZE;
	default_size = round_up(default_size, page_size);
	goro__guard_init(page_size);
}

size_t goro__stack_default_size(void)
{
	return default_size;
}

char *goro__stack_lo(struct goro_stack *s)
{
	return s->base + (s->guarded ? page_size : 0);
}

/* Caller holds pool_lock. */
static struct stack_pool *pool_for(size_t size)
{
	for (int i = 0; i < NSIZES; i++) {
		if (pools[i].size == size)
			return &pools[i];
		if (pools[i].size == 0) {
			pools[i].size = size;
			return &pools[i];
		}
	}
	return NULL; /* too many distinct sizes: map each one directly */
}

/* guarded: its first page is a guard already (its slab's were installed
 * at once). */
static struct goro_stack *init_mapping(char *base, size_t size, bool guarded)
{
	struct goro_stack_top *top = goro__stack_top_at(base, size);
	struct goro_stack *s = &top->st;
	s->base = base;
	s->size = size;
	s->guarded = guarded || goro__guard_page(base);
	s->clean = true;
	s->next = NULL;
	goro__valgrind_register(goro__stack_lo(s), goro__stack_hi(s));
	return s;
}

static char *map_region(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Stacks per slab: SLAB_STACKS, fewer for big stacks so that a slab stays
 * near SLAB_BYTES of address space (a 1 GiB stack is a slab of one, not a
 * 256 GiB reservation). */
static size_t slab_stacks(size_t size)
{
	size_t n = SLAB_BYTES / size;
	return n < 1 ? 1 : n > SLAB_STACKS ? SLAB_STACKS : n;
}

/* Caller holds pool_lock. */
static struct goro_stack *carve(struct stack_pool *p)
{
	if (p->slab_next == p->slab_end) {
		size_t n = slab_stacks(p->size);
		char *slab = map_region(p->size * n);
		if (!slab)
			return NULL;
		goro__owned_add(slab, p->size * n, OWNED_STACK_SLAB, p->size);
		p->slab_next = slab;
		p->slab_end = slab + p->size * n;
		p->slab_guarded = goro__guard_slab(slab, p->size, (int)n);
	}
	char *base = p->slab_next;
	p->slab_next += p->size;
	return init_mapping(base, p->size, p->slab_guarded);
}

static struct goro_stack *pop_free(struct stack_pool *p)
{
	struct goro_stack *s = p->dirty;
	if (s) {
		p->dirty = s->next;
		p->ndirty--;
		return s;
	}
	s = p->clean;
	if (s)
		p->clean = s->next;
	return s;
}

static void push_free(struct stack_pool *p, struct goro_stack *s)
{
	struct goro_stack **list = s->clean ? &p->clean : &p->dirty;
	if (!s->clean)
		p->ndirty++;
	s->next = *list;
	*list = s;
}

static struct goro_stack *pool_get(size_t size)
{
	goro__spin_lock(&pool_lock);
	struct stack_pool *p = pool_for(size);
	struct goro_stack *s = NULL;
	if (p) {
		s = pop_free(p);
		if (!s)
			s = carve(p);
	}
	goro__spin_unlock(&pool_lock);
	if (!p) {
		char *base = map_region(size);
		if (base)
			goro__owned_add(base, size, OWNED_STACK_SLAB, size);
		s = base ? init_mapping(base, size, false) : NULL;
	}
	return s;
}

/* Returns the pages below the record's page to the OS. */
static void clean(struct goro_stack *s)
{
	char *lo = goro__stack_lo(s);
	char *top_page = (char *)((uintptr_t)goro__stack_top(s) & ~(page_size - 1));
	if (top_page > lo)
		madvise(lo, (size_t)(top_page - lo), MADV_DONTNEED);
	s->clean = true;
}

static void pool_put(struct goro_stack *s)
{
	bool dirty = !s->clean; /* read before publishing s */
	goro__spin_lock(&pool_lock);
	struct stack_pool *p = pool_for(s->size);
	bool too_many = p && dirty && p->ndirty >= KEEP_DIRTY &&
	                p->excess_puts++ % CLEAN_PACE == 0;
	if (p && !too_many)
		push_free(p, s);
	goro__spin_unlock(&pool_lock);
	if (p && dirty && !too_many)
		atomic_store_explicit(&last_dirty_put, goro__nanotime(), memory_order_relaxed);
	if (!p) {
		goro__owned_remove(s->base, s->size);
		munmap(s->base, s->size);
		return;
	}
	if (too_many) {
		/* Clean before publishing: once in the pool another thread may
		 * take it. */
		clean(s);
		goro__spin_lock(&pool_lock);
		push_free(p, s);
		goro__spin_unlock(&pool_lock);
	}
}

/* Caller holds pool_lock: a pool holding dirty stacks beyond the warm
 * reserve, or NULL. */
static struct stack_pool *pool_with_excess(void)
{
	for (int i = 0; i < NSIZES; i++)
		if (pools[i].ndirty > KEEP_DIRTY)
			return &pools[i];
	return NULL;
}

/* A dirty stack beyond the pools' warm reserve, taken out to be cleaned. */
static struct goro_stack *take_excess_dirty(void)
{
	goro__spin_lock(&pool_lock);
	struct stack_pool *p = pool_with_excess();
	struct goro_stack *s = p ? pop_free(p) : NULL; /* dirty ones come first */
	goro__spin_unlock(&pool_lock);
	return s;
}

int64_t goro__stack_scavenge_due(void)
{
	goro__spin_lock(&pool_lock);
	bool pending = pool_with_excess() != NULL;
	goro__spin_unlock(&pool_lock);
	if (!pending)
		return INT64_MAX;
	return atomic_load_explicit(&last_dirty_put, memory_order_relaxed) + SCAVENGE_QUIET_NS;
}

int goro__stack_scavenge(int max)
{
	int n = 0;
	struct goro_stack *s;
	while (n < max && (s = take_excess_dirty()) != NULL) {
		clean(s);
		goro__spin_lock(&pool_lock);
		push_free(pool_for(s->size), s);
		goro__spin_unlock(&pool_lock);
		n++;
	}
	return n;
}

struct goro_stack *goro__stack_get(struct goro_stack_cache *c, size_t size)
{
	size = size ? round_up(size, page_size) : default_size;
	if (size < MIN_STACK_SIZE)
		size = MIN_STACK_SIZE;
	if (c && size == default_size && c->head) {
		struct goro_stack *s = c->head;
		c->head = s->next;
		c->count--;
		return s;
	}
	struct goro_stack *s = pool_get(size);
	if (s)
		s->clean = false;
	return s;
}

void goro__stack_put(struct goro_stack_cache *c, struct goro_stack *s)
{
	goro__fiber_stack_reset(goro__stack_lo(s), goro__stack_hi(s));
	if (c && s->size == default_size && c->count < CACHE_MAX) {
		s->next = c->head;
		c->head = s;
		c->count++;
		return;
	}
	pool_put(s);
}

/*
 * The canary is the lowest word of the stack, and its value is zero: a
 * fresh or madvise'd page reads as zeros without being allocated, so a
 * million parked goroutines keep one touched page each instead of two.
 * An overflow that reaches the bottom writes return addresses, frame
 * pointers and locals there; a stack used to its very last word is an
 * overflow anyway.  A guarded stack needs no canary (its overflow faults
 * on the guard page): not touching its bottom page saves a TLB miss at
 * every spawn and switch.
 */
void goro__stack_set_canary(struct goro_g *g)
{
	uint64_t v;
	if (g->stack->guarded)
		return;
	memcpy(&v, g->stack_lo, sizeof v);
	if (v != 0) /* a reused stack that held something there: reset it */
		memset(g->stack_lo, 0, sizeof v);
}

bool goro__stack_canary_ok(const struct goro_g *g)
{
	uint64_t v;
	if (g->stack->guarded)
		return true;
	memcpy(&v, g->stack_lo, sizeof v);
	return v == 0;
}

bool goro__stack_is_guard_addr(const struct goro_g *g, const void *addr)
{
	if (!g->stack || !g->stack->guarded)
		return false;
	const char *a = addr;
	return a >= g->stack->base && a < g->stack->base + page_size;
}
