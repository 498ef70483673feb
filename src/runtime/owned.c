/*
 * owned.c — registry of goro-owned memory (see owned.h).
 *
 * Exact: every range is added when mapped and removed before it is
 * unmapped (goro__owned_remove), so a later user mapping at the same
 * address is never mistaken for goro's.  The table grows by doubling; when
 * it cannot grow the process ends with a message (a silent cap would
 * leave ranges unrecorded: goro stacks scanned as user roots).
 *
 * Lock: owned_lock (a spinlock, so a runtime critical section) guards
 * every change.  Readers run while the world is stopped, when no thread
 * is inside that critical section: they see the table whole.  Fatal paths
 * here never run with owned_lock held (they would re-enter it: printing a
 * stack maps memory), and print without stdio (runtime/sigsafe.h).
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/owned.h"
#include "runtime/sigsafe.h"
#if defined(GORO_ASAN)
#include <sanitizer/lsan_interface.h>
#endif
#include "sched/spinlock.h"

enum { FIRST_CAP = 1024 };

static goro_spinlock owned_lock;
static struct goro_owned *owned;        /* cap entries; owned[0] is this table */
static size_t cap;
static atomic_size_t nowned;
static struct goro_owned **stack_index; /* sorted slab entries, cap of them */
static size_t nstack_index;

/*
 * The detector asks "which stack slab holds this word?" for millions of
 * words; a binary search over thousands of slabs, each step a cache miss,
 * was most of its time.  So goro__owned_index_stacks also builds a hash
 * directory: address chunks of 2^chunk_shift bytes (at least one slab's
 * size, so a slab touches at most two chunks) map to the first slab, in
 * stack_index order, that overlaps the chunk.
 */
struct chunk_slot {
	uintptr_t key;  /* chunk number + 1; 0: empty */
	size_t first;   /* index in stack_index */
};
static struct chunk_slot *chunk_dir; /* 4 * cap slots, in the table's mapping */
static size_t chunk_cap;             /* slots in use: a power of two */
static unsigned chunk_shift;

static size_t table_bytes(size_t entries)
{
	return entries * (sizeof(struct goro_owned) + sizeof(void *) + 4 * sizeof(struct chunk_slot));
}

/* Called with owned_lock held: returns false (the caller unlocks and dies)
 * when the bigger table cannot be mapped. */
static bool grow(void)
{
	size_t ncap = cap ? 2 * cap : FIRST_CAP, bytes = table_bytes(ncap);
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	madvise(p, bytes, MADV_DONTDUMP); /* our bookkeeping, not the user's */
	struct goro_owned *old = owned;
	size_t n = atomic_load_explicit(&nowned, memory_order_relaxed);
	struct goro_owned *t = p;
	if (old)
		memcpy(t, old, n * sizeof *t);
	else
		n = 1;
	t[0] = (struct goro_owned){ (uintptr_t)p, (uintptr_t)p + bytes, OWNED_OTHER, 0 };
	owned = t;
	stack_index = (struct goro_owned **)(t + ncap);
	chunk_dir = (struct chunk_slot *)(stack_index + ncap);
	nstack_index = 0;
	if (old)
		munmap(old, table_bytes(cap)); /* no longer registered: t[0] replaced it */
	cap = ncap;
	atomic_store_explicit(&nowned, n, memory_order_release);
	return true;
}

void goro__owned_add(void *lo, size_t len, int kind, size_t stack_size)
{
	goro__spin_lock(&owned_lock);
	size_t n = atomic_load_explicit(&nowned, memory_order_relaxed);
	if ((n == cap || !owned) && !grow()) {
		goro__spin_unlock(&owned_lock);
		goro__fatal_raw("goro: out of memory for the owned-memory table "
		                "(address space limit, ulimit -v?)");
	}
	n = atomic_load_explicit(&nowned, memory_order_relaxed);
	owned[n] = (struct goro_owned){ (uintptr_t)lo, (uintptr_t)lo + len, kind, stack_size };
	atomic_store_explicit(&nowned, n + 1, memory_order_release);
	goro__spin_unlock(&owned_lock);
}

void goro__owned_remove(void *lo, size_t len)
{
	goro__spin_lock(&owned_lock);
	size_t n = atomic_load_explicit(&nowned, memory_order_relaxed);
	size_t i = 1;
	while (i < n && !(owned[i].lo == (uintptr_t)lo && owned[i].hi == (uintptr_t)lo + len))
		i++;
	bool found = i < n;
	if (found) {
		owned[i] = owned[n - 1]; /* order does not matter: the index sorts */
		atomic_store_explicit(&nowned, n - 1, memory_order_release);
	}
	goro__spin_unlock(&owned_lock);
	if (!found)
		goro__fatal_raw("goro: unmapping a range the owned-memory registry does not hold");
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

static size_t chunk_hash(uintptr_t chunk)
{
	return (size_t)((chunk * 0x9e3779b97f4a7c15ull) >> 17) & (chunk_cap - 1);
}

static void chunk_insert(uintptr_t chunk, size_t first)
{
	size_t i = chunk_hash(chunk);
	while (chunk_dir[i].key != 0 && chunk_dir[i].key != chunk + 1)
		i = (i + 1) & (chunk_cap - 1);
	if (chunk_dir[i].key == 0) /* else: an earlier slab already starts it */
		chunk_dir[i] = (struct chunk_slot){ chunk + 1, first };
}

static void build_chunk_dir(void)
{
	size_t biggest = 1;
	for (size_t i = 0; i < nstack_index; i++)
		if (stack_index[i]->hi - stack_index[i]->lo > biggest)
			biggest = stack_index[i]->hi - stack_index[i]->lo;
	chunk_shift = 24;
	while (((size_t)1 << chunk_shift) < biggest)
		chunk_shift++;
	chunk_cap = 64;
	while (chunk_cap < 4 * nstack_index)
		chunk_cap *= 2;
	memset(chunk_dir, 0, chunk_cap * sizeof *chunk_dir);
	for (size_t i = 0; i < nstack_index; i++) {
		const struct goro_owned *o = stack_index[i];
		for (uintptr_t c = o->lo >> chunk_shift; c <= (o->hi - 1) >> chunk_shift; c++)
			chunk_insert(c, i);
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
	build_chunk_dir();
}

const struct goro_owned *goro__owned_stack(uintptr_t addr)
{
	if (nstack_index == 0)
		return NULL;
	uintptr_t chunk = addr >> chunk_shift;
	size_t i = chunk_hash(chunk);
	while (chunk_dir[i].key != chunk + 1) {
		if (chunk_dir[i].key == 0)
			return NULL; /* no slab in this chunk */
		i = (i + 1) & (chunk_cap - 1);
	}
	/* Slabs overlapping the chunk are consecutive in stack_index. */
	for (size_t k = chunk_dir[i].first; k < nstack_index; k++) {
		const struct goro_owned *o = stack_index[k];
		if (addr < o->lo)
			return NULL;
		if (addr < o->hi)
			return o;
	}
	return NULL;
}
