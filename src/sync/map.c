/*
 * map.c — sync.Map: a concurrent map for read-mostly use.
 *
 * Go's design (sync/map.go before 1.24): a read-only table that loads and
 * updates of existing keys use without a lock, and a dirty table, under the
 * mutex, that holds every key (the read ones too) once a new key arrived.
 * Lookups that miss the read table count as misses; when the misses reach
 * the dirty table's size, the dirty table becomes the read table.  An entry
 * is shared by both tables: its value pointer p says
 *   a value (any pointer, NULL included),
 *   DELETED  (Go's nil: deleted, still in the dirty table if there is one),
 *   EXPUNGED (deleted and not in the dirty table: only in the read one).
 * Building a new dirty table turns DELETED entries into EXPUNGED ones and
 * leaves them out; storing to an EXPUNGED key first puts it back in the
 * dirty table (under the mutex).
 *
 * What Go's collector does here: a read table that was replaced may still
 * be in use by a lock-free reader, and an entry that left every table may
 * still be in use through it.  Readers announce the table they use in
 * their worker's hazard slot (set, then re-check that it is still the read
 * table); Range, whose callback may block, counts itself in the table's
 * `ranging` instead.  A replaced table is retired with the entries that die
 * with it (those EXPUNGED at that moment: no later table has them) and is
 * freed, under the mutex, once no hazard names it and nobody ranges over
 * it.  A goroutine never yields inside a lock-free section (they call only
 * the map's hash and equal, which must not block), so one hazard slot per
 * worker is enough.  Threads that are not workers take the mutex.
 *
 * `read` packs the table pointer and Go's `amended` (the dirty table has
 * keys the read one lacks) in one word, so both are read together.
 *
 * Memory: the map's record, its tables and its entries are tracked-heap
 * blocks of the USER kind: the goroutineleak profile scans them, so what
 * the map's keys and values point to stays reachable while the map holds it.
 *
 * Lock order: mu is the only lock; user hash/equal run with or without it.
 */
#include <string.h>

#include "heap/heap.h"
#include "sched/sched.h"

static char deleted_mark, expunged_mark;
#define DELETED ((void *)&deleted_mark)
#define EXPUNGED ((void *)&expunged_mark)
#define AMENDED ((uintptr_t)1)

struct map_entry {
	const void *key;
	_Atomic(void *) p;            /* value, DELETED or EXPUNGED (see above) */
	struct map_table *dies_with;  /* set when its last table was retired */
};

struct map_slot {
	uint64_t hash;
	struct map_entry *e;          /* NULL: empty */
};

struct map_table {
	uint32_t mask;                /* slots - 1; slots a power of two */
	uint32_t count;
	atomic_long ranging;          /* Range calls using it as their snapshot */
	atomic_bool retired;
	struct map_table *next_retired;
	struct map_slot slot[];
};

struct map_hazard {
	_Alignas(64) _Atomic(struct map_table *) t;
};

struct map_impl {
	_Atomic(uintptr_t) read;      /* struct map_table * | AMENDED */
	goro_mutex mu;                /* dirty, misses, retired, the tables' frees */
	struct map_table *dirty;      /* mutable; NULL when there is none */
	long misses;
	struct map_table *retired;
	int nhazards;
	struct map_hazard hazard[];   /* one per worker */
};

/* ---- hashing ------------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

GORO_API uint64_t goro_map_hash_string(const void *key)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then mixed */
	for (const unsigned char *s = key; *s; s++)
		h = (h ^ *s) * 0x100000001b3ULL;
	return mix64(h);
}

GORO_API bool goro_map_equal_string(const void *a, const void *b)
{
	return strcmp(a, b) == 0;
}

static uint64_t key_hash(const goro_map *m, const void *key)
{
	return m->hash ? m->hash(key) : mix64((uint64_t)(uintptr_t)key);
}

static bool key_equal(const goro_map *m, const void *a, const void *b)
{
	return a == b || (m->equal && m->equal(a, b));
}

/* ---- tables --------------------------------------------------------------- */

static void *map_alloc(size_t size)
{
	void *p = goro__heap_alloc_kind(size, GORO_HEAP_USER, true);
	if (!p)
		goro_panic("goro_map: out of memory");
	return p;
}

static struct map_table *table_new(uint32_t min_count)
{
	uint32_t n = 8;
	while (n < 2 * min_count)
		n *= 2;
	struct map_table *t = map_alloc(sizeof *t + n * sizeof t->slot[0]);
	t->mask = n - 1;
	return t;
}

static struct map_entry *table_find(const goro_map *m, const struct map_table *t,
                                    const void *key, uint64_t h)
{
	if (!t)
		return NULL;
	for (uint32_t i = (uint32_t)h & t->mask;; i = (i + 1) & t->mask) {
		struct map_entry *e = t->slot[i].e;
		if (!e)
			return NULL;
		if (t->slot[i].hash == h && key_equal(m, e->key, key))
			return e;
	}
}

static void table_put(struct map_table *t, struct map_entry *e, uint64_t h)
{
	uint32_t i = (uint32_t)h & t->mask;
	while (t->slot[i].e)
		i = (i + 1) & t->mask;
	t->slot[i] = (struct map_slot){ h, e };
	t->count++;
}

/* Inserts into the dirty table, growing it (it is private to mu). */
static void dirty_put(struct map_impl *mi, struct map_entry *e, uint64_t h)
{
	struct map_table *t = mi->dirty;
	if (2 * (t->count + 1) > t->mask + 1) {
		struct map_table *g = table_new(t->count + 1);
		for (uint32_t i = 0; i <= t->mask; i++)
			if (t->slot[i].e)
				table_put(g, t->slot[i].e, t->slot[i].hash);
		goro_free(t);
		mi->dirty = t = g;
	}
	table_put(t, e, h);
}

/* Removes e from the dirty table (linear probing's backward shift). */
static void dirty_remove(struct map_table *t, struct map_entry *e, uint64_t h)
{
	uint32_t i = (uint32_t)h & t->mask;
	while (t->slot[i].e != e)
		i = (i + 1) & t->mask;
	for (uint32_t j = (i + 1) & t->mask; t->slot[j].e; j = (j + 1) & t->mask) {
		uint32_t k = (uint32_t)t->slot[j].hash & t->mask;
		/* Move j back to the hole at i unless its home k lies in (i, j]. */
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			t->slot[i] = t->slot[j];
			i = j;
		}
	}
	t->slot[i] = (struct map_slot){ 0, NULL };
	t->count--;
}

/* ---- the record, hazards, reclamation -------------------------------------- */

static struct map_impl *impl_of(goro_map *m)
{
	if (!m)
		goro_panic("runtime error: invalid memory address or nil pointer dereference "
		           "(goro_map call on a NULL map)");
	struct map_impl *mi = __atomic_load_n((struct map_impl **)&m->impl_, __ATOMIC_ACQUIRE);
	if (likely(mi != NULL))
		return mi;
	goro__ensure_init();
	int n = goro__sched.nworkers > 0 ? goro__sched.nworkers : 1;
	size_t size = sizeof *mi + (size_t)n * sizeof mi->hazard[0];
	mi = goro__heap_alloc_aligned(64, size, GORO_HEAP_USER); /* hazards' lines */
	if (!mi)
		goro_panic("goro_map: out of memory");
	memset(mi, 0, size);
	mi->nhazards = n;
	struct map_impl *expect = NULL;
	if (!__atomic_compare_exchange_n((struct map_impl **)&m->impl_, &expect, mi, false,
	                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		goro_free(mi);
		mi = expect;
	}
	return mi;
}

/* The caller's hazard slot, or NULL on a thread that is not a worker. */
static struct map_hazard *my_hazard(struct map_impl *mi)
{
	struct goro_worker *w = goro__curw();
	return w && w->id < mi->nhazards ? &mi->hazard[w->id] : NULL;
}

/* Announces and returns the current read table; *amended gets its flag. */
static struct map_table *read_protect(struct map_impl *mi, struct map_hazard *hz, bool *amended)
{
	uintptr_t r = atomic_load(&mi->read);
	for (;;) {
		struct map_table *t = (struct map_table *)(r & ~AMENDED);
		atomic_store(&hz->t, t);
		uintptr_t again = atomic_load(&mi->read);
		if ((again & ~AMENDED) == (uintptr_t)t) {
			*amended = again & AMENDED;
			return t;
		}
		r = again;
	}
}

static void read_unprotect(struct map_hazard *hz)
{
	atomic_store_explicit(&hz->t, NULL, memory_order_release);
}

/* Under mu: the read table (stable while mu is held). */
static struct map_table *read_locked(struct map_impl *mi, bool *amended)
{
	uintptr_t r = atomic_load_explicit(&mi->read, memory_order_relaxed);
	if (amended)
		*amended = r & AMENDED;
	return (struct map_table *)(r & ~AMENDED);
}

static bool table_in_use(struct map_impl *mi, struct map_table *t)
{
	/* Hazards first, then ranging: a Range moves from its hazard to the
	 * count, so seen in this order it is never missed in both. */
	for (int i = 0; i < mi->nhazards; i++)
		if (atomic_load(&mi->hazard[i].t) == t)
			return true;
	return atomic_load(&t->ranging) != 0;
}

static void table_free_with_entries(struct map_table *t)
{
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct map_entry *e = t->slot[i].e;
		if (e && e->dies_with == t)
			goro_free(e);
	}
	goro_free(t);
}

/* Under mu: frees the retired tables nobody uses any more. */
static void reclaim_locked(struct map_impl *mi)
{
	for (struct map_table **pp = &mi->retired; *pp;) {
		struct map_table *t = *pp;
		if (table_in_use(mi, t)) {
			pp = &t->next_retired;
			continue;
		}
		*pp = t->next_retired;
		table_free_with_entries(t);
	}
}

/* Under mu: t stopped being the read table; `all` says every entry of it
 * dies with it (Clear), else those EXPUNGED now (no later table has them). */
static void retire_locked(struct map_impl *mi, struct map_table *t, bool all)
{
	if (!t)
		return;
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct map_entry *e = t->slot[i].e;
		if (e && (all || atomic_load(&e->p) == EXPUNGED))
			e->dies_with = t;
	}
	atomic_store(&t->retired, true);
	t->next_retired = mi->retired;
	mi->retired = t;
	reclaim_locked(mi);
}

/* Under mu: the dirty table becomes the read table (Go's promotion). */
static void promote_locked(struct map_impl *mi)
{
	struct map_table *old = read_locked(mi, NULL);
	atomic_store(&mi->read, (uintptr_t)mi->dirty);
	mi->dirty = NULL;
	mi->misses = 0;
	retire_locked(mi, old, false);
}

static void miss_locked(struct map_impl *mi)
{
	mi->misses++;
	if (mi->dirty && mi->misses >= (long)mi->dirty->count)
		promote_locked(mi);
}

/* Under mu: an entry that was DELETED becomes EXPUNGED (true), else false. */
static bool try_expunge(struct map_entry *e)
{
	void *p = atomic_load(&e->p);
	while (p == DELETED)
		if (atomic_compare_exchange_weak(&e->p, &p, EXPUNGED))
			return true;
	return p == EXPUNGED;
}

/* Under mu: makes sure a dirty table exists (copying the live read keys),
 * and marks the read table amended, before a new key goes in. */
static void dirty_for_new_key(struct map_impl *mi)
{
	bool amended;
	struct map_table *r = read_locked(mi, &amended);
	if (amended)
		return;
	if (!mi->dirty) {
		mi->dirty = table_new(r ? r->count + 1 : 1);
		if (r)
			for (uint32_t i = 0; i <= r->mask; i++) {
				struct map_entry *e = r->slot[i].e;
				if (e && !try_expunge(e))
					table_put(mi->dirty, e, r->slot[i].hash);
			}
	}
	atomic_store(&mi->read, (uintptr_t)r | AMENDED);
}

static struct map_entry *entry_new(const void *key, void *value)
{
	struct map_entry *e = map_alloc(sizeof *e);
	e->key = key;
	atomic_init(&e->p, value);
	return e;
}

/* ---- entry operations (Go's entry methods) --------------------------------- */

static bool entry_load(struct map_entry *e, void **value)
{
	void *p = atomic_load(&e->p);
	if (p == DELETED || p == EXPUNGED)
		return false;
	if (value)
		*value = p;
	return true;
}

/* Swaps unless EXPUNGED; *prev gets the old value (DELETED if absent). */
static bool entry_try_swap(struct map_entry *e, void *v, void **prev)
{
	void *p = atomic_load(&e->p);
	for (;;) {
		if (p == EXPUNGED)
			return false;
		if (atomic_compare_exchange_weak(&e->p, &p, v)) {
			*prev = p;
			return true;
		}
	}
}

/* Go's tryLoadOrStore: 0 stored, 1 loaded (*actual), -1 expunged. */
static int entry_try_load_or_store(struct map_entry *e, void *v, void **actual)
{
	void *p = atomic_load(&e->p);
	for (;;) {
		if (p == EXPUNGED)
			return -1;
		if (p != DELETED) {
			*actual = p;
			return 1;
		}
		if (atomic_compare_exchange_weak(&e->p, &p, v)) {
			*actual = v;
			return 0;
		}
	}
}

static bool entry_try_cas(struct map_entry *e, void *old, void *nv)
{
	void *p = atomic_load(&e->p);
	for (;;) {
		if (p == DELETED || p == EXPUNGED || p != old)
			return false;
		if (atomic_compare_exchange_weak(&e->p, &p, nv))
			return true;
	}
}

static bool entry_delete(struct map_entry *e, void **value)
{
	void *p = atomic_load(&e->p);
	for (;;) {
		if (p == DELETED || p == EXPUNGED)
			return false;
		if (atomic_compare_exchange_weak(&e->p, &p, DELETED)) {
			if (value)
				*value = p;
			return true;
		}
	}
}

static bool entry_compare_and_delete(struct map_entry *e, void *old)
{
	return entry_try_cas(e, old, DELETED);
}

/* Under mu: an EXPUNGED read entry goes back into the dirty table. */
static void unexpunge_locked(struct map_impl *mi, struct map_entry *e, uint64_t h)
{
	void *expect = EXPUNGED;
	if (atomic_compare_exchange_strong(&e->p, &expect, DELETED))
		dirty_put(mi, e, h);
}

/* ---- the API ---------------------------------------------------------------- */

/*
 * Each call: the lock-free part on the read table (workers only), then, if
 * it could not decide, the locked part, which looks again.
 */
#define READ_FAST(mi, hz, t, amended)                                          \
	struct map_hazard *hz = my_hazard(mi);                                     \
	bool amended = true;                                                       \
	struct map_table *t = hz ? read_protect((mi), hz, &amended) : NULL

GORO_API bool goro_map_load(goro_map *m, const void *key, void **value)
{
	struct map_impl *mi = impl_of(m);
	uint64_t h = key_hash(m, key);
	READ_FAST(mi, hz, t, amended);
	if (hz) {
		struct map_entry *e = table_find(m, t, key, h);
		if (e || !amended) {
			bool ok = e && entry_load(e, value);
			read_unprotect(hz);
			return ok;
		}
		read_unprotect(hz);
	}
	goro_mutex_lock(&mi->mu);
	struct map_entry *e = table_find(m, read_locked(mi, &amended), key, h);
	if (!e && amended) {
		e = table_find(m, mi->dirty, key, h);
		miss_locked(mi);
	}
	bool ok = e && entry_load(e, value);
	goro_mutex_unlock(&mi->mu);
	return ok;
}

GORO_API bool goro_map_swap(goro_map *m, const void *key, void *value, void **previous)
{
	struct map_impl *mi = impl_of(m);
	uint64_t h = key_hash(m, key);
	void *prev = DELETED;
	READ_FAST(mi, hz, t, amended);
	(void)amended;
	if (hz) {
		struct map_entry *e = table_find(m, t, key, h);
		bool done = e && entry_try_swap(e, value, &prev);
		read_unprotect(hz);
		if (done)
			goto out;
	}
	goro_mutex_lock(&mi->mu);
	struct map_entry *e = table_find(m, read_locked(mi, NULL), key, h);
	if (e) {
		unexpunge_locked(mi, e, h);
		prev = atomic_exchange(&e->p, value);
	} else if ((e = table_find(m, mi->dirty, key, h)) != NULL) {
		prev = atomic_exchange(&e->p, value);
	} else {
		dirty_for_new_key(mi);
		dirty_put(mi, entry_new(key, value), h);
	}
	goro_mutex_unlock(&mi->mu);
out:
	if (prev == DELETED)
		return false;
	if (previous)
		*previous = prev;
	return true;
}

GORO_API void goro_map_store(goro_map *m, const void *key, void *value)
{
	goro_map_swap(m, key, value, NULL);
}

GORO_API bool goro_map_load_or_store(goro_map *m, const void *key, void *value, void **actual)
{
	struct map_impl *mi = impl_of(m);
	uint64_t h = key_hash(m, key);
	void *act = value;
	int r = -1;
	READ_FAST(mi, hz, t, amended);
	(void)amended;
	if (hz) {
		struct map_entry *e = table_find(m, t, key, h);
		if (e)
			r = entry_try_load_or_store(e, value, &act);
		read_unprotect(hz);
	}
	if (r < 0) {
		goro_mutex_lock(&mi->mu);
		struct map_entry *e = table_find(m, read_locked(mi, NULL), key, h);
		if (e) {
			unexpunge_locked(mi, e, h);
			r = entry_try_load_or_store(e, value, &act);
		} else if ((e = table_find(m, mi->dirty, key, h)) != NULL) {
			r = entry_try_load_or_store(e, value, &act);
			miss_locked(mi);
		} else {
			dirty_for_new_key(mi);
			dirty_put(mi, entry_new(key, value), h);
			r = 0;
			act = value;
		}
		goro_mutex_unlock(&mi->mu);
	}
	if (actual)
		*actual = act;
	return r == 1;
}

GORO_API bool goro_map_load_and_delete(goro_map *m, const void *key, void **value)
{
	struct map_impl *mi = impl_of(m);
	uint64_t h = key_hash(m, key);
	READ_FAST(mi, hz, t, amended);
	if (hz) {
		struct map_entry *e = table_find(m, t, key, h);
		if (e || !amended) {
			bool ok = e && entry_delete(e, value);
			read_unprotect(hz);
			return ok;
		}
		read_unprotect(hz);
	}
	goro_mutex_lock(&mi->mu);
	bool ok = false;
	struct map_entry *e = table_find(m, read_locked(mi, &amended), key, h);
	if (e) {
		ok = entry_delete(e, value);
	} else if (amended && (e = table_find(m, mi->dirty, key, h)) != NULL) {
		/* Only the dirty table has it: it leaves every table, and no
		 * reader can reach it (they all go through mu for it). */
		dirty_remove(mi->dirty, e, h);
		ok = entry_delete(e, value);
		goro_free(e);
		miss_locked(mi);
	} else if (amended) {
		miss_locked(mi);
	}
	goro_mutex_unlock(&mi->mu);
	return ok;
}

GORO_API void goro_map_delete(goro_map *m, const void *key)
{
	goro_map_load_and_delete(m, key, NULL);
}

GORO_API bool goro_map_compare_and_swap(goro_map *m, const void *key, void *old, void *nv)
{
	struct map_impl *mi = impl_of(m);
	uint64_t h = key_hash(m, key);
	READ_FAST(mi, hz, t, amended);
	if (hz) {
		struct map_entry *e = table_find(m, t, key, h);
		if (e || !amended) {
			bool ok = e && entry_try_cas(e, old, nv);
			read_unprotect(hz);
			return ok;
		}
		read_unprotect(hz);
	}
	goro_mutex_lock(&mi->mu);
	bool ok = false;
	struct map_entry *e = table_find(m, read_locked(mi, NULL), key, h);
	if (e) {
		ok = entry_try_cas(e, old, nv);
	} else if ((e = table_find(m, mi->dirty, key, h)) != NULL) {
		ok = entry_try_cas(e, old, nv);
		miss_locked(mi);
	}
	goro_mutex_unlock(&mi->mu);
	return ok;
}

GORO_API bool goro_map_compare_and_delete(goro_map *m, const void *key, void *old)
{
	struct map_impl *mi = impl_of(m);
	uint64_t h = key_hash(m, key);
	READ_FAST(mi, hz, t, amended);
	if (hz) {
		struct map_entry *e = table_find(m, t, key, h);
		if (e || !amended) {
			bool ok = e && entry_compare_and_delete(e, old);
			read_unprotect(hz);
			return ok;
		}
		read_unprotect(hz);
	}
	goro_mutex_lock(&mi->mu);
	bool ok = false;
	struct map_entry *e = table_find(m, read_locked(mi, &amended), key, h);
	if (!e && amended) {
		e = table_find(m, mi->dirty, key, h);
		miss_locked(mi);
	}
	if (e)
		ok = entry_compare_and_delete(e, old);
	goro_mutex_unlock(&mi->mu);
	return ok;
}

/* Pins the read table for a Range (after promoting the dirty one). */
static struct map_table *range_pin(struct map_impl *mi)
{
	struct map_hazard *hz = my_hazard(mi);
	bool amended = true;
	if (hz) {
		struct map_table *t = read_protect(mi, hz, &amended);
		if (!amended) {
			if (t)
				atomic_fetch_add(&t->ranging, 1);
			read_unprotect(hz);
			return t;
		}
		read_unprotect(hz);
	}
	goro_mutex_lock(&mi->mu);
	struct map_table *t = read_locked(mi, &amended);
	if (amended) {
		promote_locked(mi);
		t = read_locked(mi, NULL);
	}
	if (t)
		atomic_fetch_add(&t->ranging, 1);
	goro_mutex_unlock(&mi->mu);
	return t;
}

static void range_unpin(struct map_impl *mi, struct map_table *t)
{
	if (!t)
		return;
	if (atomic_fetch_sub(&t->ranging, 1) == 1 && atomic_load(&t->retired)) {
		goro_mutex_lock(&mi->mu);
		reclaim_locked(mi);
		goro_mutex_unlock(&mi->mu);
	}
}

GORO_API void goro_map_range(goro_map *m, bool (*fn)(const void *key, void *value, void *arg),
                             void *arg)
{
	struct map_impl *mi = impl_of(m);
	struct map_table *t = range_pin(mi);
	for (uint32_t i = 0; t && i <= t->mask; i++) {
		struct map_entry *e = t->slot[i].e;
		void *v;
		if (e && entry_load(e, &v) && !fn(e->key, v, arg))
			break;
	}
	range_unpin(mi, t);
}

GORO_API void goro_map_clear(goro_map *m)
{
	struct map_impl *mi = impl_of(m);
	goro_mutex_lock(&mi->mu);
	bool amended;
	struct map_table *r = read_locked(mi, &amended);
	if (r || amended) {
		atomic_store(&mi->read, (uintptr_t)0);
		if (mi->dirty) {
			/* Entries only the dirty table has die now; the others die
			 * with the read table they are in. */
			struct map_table *d = mi->dirty;
			for (uint32_t i = 0; i <= d->mask; i++) {
				struct map_entry *e = d->slot[i].e;
				if (e && !table_find(m, r, e->key, d->slot[i].hash))
					goro_free(e);
			}
			goro_free(d);
			mi->dirty = NULL;
		}
		retire_locked(mi, r, true);
	}
	mi->misses = 0;
	goro_mutex_unlock(&mi->mu);
}

GORO_API void goro_map_destroy(goro_map *m)
{
	if (!m || !m->impl_)
		return;
	goro_map_clear(m);
	struct map_impl *mi = m->impl_;
	goro_mutex_lock(&mi->mu);
	while (mi->retired) {
		struct map_table *t = mi->retired;
		mi->retired = t->next_retired;
		table_free_with_entries(t);
	}
	goro_mutex_unlock(&mi->mu);
	m->impl_ = NULL;
	goro_free(mi);
}
