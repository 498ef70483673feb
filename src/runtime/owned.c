/*
 * owned.c — registry of goro-owned memory (see owned.h).
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "runtime/owned.h"
#if defined(GORO_ASAN)
#include <sanitizer/lsan_interface.h>
#endif
#include "sched/spinlock.h"

enum { MAX_OWNED = 1 << 20 };

static goro_spinlock owned_lock;
static struct goro_owned *owned;      /* MAX_OWNED entries, mmap'd lazily */
static atomic_size_t nowned;
static struct goro_owned **stack_index; /* sorted slab entries */
static size_t nstack_index;

static void ensure_table(void)
{
	if (owned)
		return;
	size_t bytes = MAX_OWNED * (sizeof(struct goro_owned) + sizeof(void *));
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		goro__throw("goro: cannot map the owned-memory table");
	owned = p;
	stack_index = (struct goro_owned **)(owned + MAX_OWNED);
	/* The table is ours too. */
	owned[0] = (struct goro_owned){ (uintptr_t)p, (uintptr_t)p + bytes, OWNED_OTHER, 0 };
	atomic_store_explicit(&nowned, 1, memory_order_release);
}

void goro__owned_add(void *lo, size_t len, int kind, size_t stack_size)
{
	goro__spin_lock(&owned_lock);
	ensure_table();
	size_t n = atomic_load_explicit(&nowned, memory_order_relaxed);
	if (n < MAX_OWNED) {
		owned[n] = (struct goro_owned){ (uintptr_t)lo, (uintptr_t)lo + len, kind, stack_size };
		atomic_store_explicit(&nowned, n + 1, memory_order_release);
	}
	goro__spin_unlock(&owned_lock);
}

const struct goro_owned *goro__owned_all(size_t *n)
{
	*n = atomic_load_explicit(&nowned, memory_order_acquire);
	return owned;
}

void *goro__owned_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	goro__owned_add(p, len, OWNED_OTHER, 0);
#if defined(GORO_ASAN)
	/* Worker records point at malloc'd arrays (timer heaps): LeakSanitizer
	 * must scan them, or it reports those arrays leaked at exit. */
	__lsan_register_root_region(p, len);
#endif
	return p;
}

/* Heapsort by lo: no allocation, safe while the world is stopped. */
static void sift(struct goro_owned **a, size_t i, size_t n)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && a[l]->lo > a[m]->lo)
			m = l;
		if (l + 1 < n && a[l + 1]->lo > a[m]->lo)
			m = l + 1;
		if (m == i)
			return;
		struct goro_owned *t = a[i];
		a[i] = a[m];
		a[m] = t;
		i = m;
	}
}

void goro__owned_index_stacks(void)
{
	size_t n = atomic_load_explicit(&nowned, memory_order_acquire), k = 0;
	for (size_t i = 0; i < n; i++)
		if (owned[i].kind == OWNED_STACK_SLAB)
			stack_index[k++] = &owned[i];
	for (size_t i = k / 2; i-- > 0;)
		sift(stack_index, i, k);
	for (size_t end = k; end > 1; end--) {
		struct goro_owned *t = stack_index[0];
		stack_index[0] = stack_index[end - 1];
		stack_index[end - 1] = t;
		sift(stack_index, 0, end - 1);
	}
	nstack_index = k;
}

const struct goro_owned *goro__owned_stack(uintptr_t addr)
{
	size_t lo = 0, hi = nstack_index;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct goro_owned *o = stack_index[mid];
		if (addr < o->lo)
			hi = mid;
		else if (addr >= o->hi)
			lo = mid + 1;
		else
			return o;
	}
	return NULL;
}
