/*
 * allg.c — the all-goroutines set (Go's allgs): every goroutine from its
 * spawn to its exit, for the dumps, the profiles and the leak detector.
 *
 * Shards of slots.  A goroutine joins the shard of the worker that spawns
 * it and takes a free slot there; it leaves by storing into its own slot,
 * so an exit touches the slot's line and the shard's lock, never another
 * goroutine's record (a doubly linked list would write both neighbours:
 * random records, a cache miss each).  Free slots form a LIFO list through
 * the slots themselves (odd values: (next free + 1) << 1 | 1, 0 ending the
 * list; records are aligned, so a record pointer is even), which reuses the
 * most recently freed, still cached, slot first.
 *
 * Slots live in chunks from goro__owned_map (runtime memory: the leak
 * detector must not count these pointers as roots), allocated on demand and
 * never freed; a walk visits every slot up to the shard's high-water mark.
 *
 * Lock: each shard's lock guards its slots, `used` and `free1`; a walk
 * holds it while it visits that shard, so a listed goroutine cannot leave
 * (and its record cannot be reused) under the visitor.  A shard lock is a
 * leaf: nothing else is taken while holding it.
 */
#include <stdint.h>

#include "runtime/owned.h"
#include "sched/sched_internal.h"

enum {
	ALLG_SHARDS = 64,
	CHUNK_SLOTS = 4096,          /* 32 KiB of slots (tools/gdb/goro-gdb.py too) */
	SHARD_CHUNKS = 1024,         /* 4M goroutines per shard, 256M in all */
};

static struct allg_shard {
	goro_spinlock lock;
	uint32_t free1;              /* first free slot + 1; 0: none */
	uint32_t used;               /* high-water mark */
	uintptr_t *chunk[SHARD_CHUNKS];
} allg[ALLG_SHARDS] GORO_RT_STATE;

static uintptr_t *slot_at(struct allg_shard *s, uint32_t i)
{
	return &s->chunk[i / CHUNK_SLOTS][i % CHUNK_SLOTS];
}

/* A free slot of s (lock held). */
static uint32_t take_slot(struct allg_shard *s)
{
	if (s->free1) {
		uint32_t i = s->free1 - 1;
		s->free1 = (uint32_t)(*slot_at(s, i) >> 1);
		return i;
	}
	uint32_t i = s->used;
	if (i / CHUNK_SLOTS >= SHARD_CHUNKS)
		goro__throw("goro: too many goroutines");
	if (!s->chunk[i / CHUNK_SLOTS]) {
		s->chunk[i / CHUNK_SLOTS] = goro__owned_map(CHUNK_SLOTS * sizeof(uintptr_t));
		if (!s->chunk[i / CHUNK_SLOTS])
			goro__throw("goro: out of memory for the goroutine list");
	}
	s->used = i + 1;
	return i;
}

void goro__allg_add(struct goro_g *g)
{
	struct goro_worker *w = goro__curw();
	/* The spawner's shard: its lock and slots stay in its cache. */
	int si = (int)((w ? (uint64_t)w->id : (uint64_t)g->id) % ALLG_SHARDS);
	struct allg_shard *s = &allg[si];
	goro__spin_lock(&s->lock);
	uint32_t i = take_slot(s);
	*slot_at(s, i) = (uintptr_t)g;
	g->allg_shard = (uint16_t)si;
	g->allg_slot = i;
	goro__spin_unlock(&s->lock);
}

void goro__allg_remove(struct goro_g *g)
{
	struct allg_shard *s = &allg[g->allg_shard];
	goro__spin_lock(&s->lock);
	*slot_at(s, g->allg_slot) = ((uintptr_t)s->free1 << 1) | 1;
	s->free1 = g->allg_slot + 1;
	goro__spin_unlock(&s->lock);
}

void goro__for_each_g(void (*fn)(struct goro_g *g, void *arg), void *arg)
{
	for (int k = 0; k < ALLG_SHARDS; k++) {
		struct allg_shard *s = &allg[k];
		goro__spin_lock(&s->lock);
		for (uint32_t i = 0; i < s->used; i++) {
			uintptr_t v = *slot_at(s, i);
			if (!(v & 1))
				fn((struct goro_g *)v, arg);
		}
		goro__spin_unlock(&s->lock);
	}
}
