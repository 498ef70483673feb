/*
 * livecache.c — see livecache.h.  Open addressing, linear probing, keys
 * never removed (code does not change under a pc; a module unloaded and
 * another loaded at the same address is the one case this misses, as
 * every pc-keyed cache of goro's does).
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "leak/livecache.h"
#include "runtime/owned.h"
#include "trace/ehframe.h"

enum { RULE_CAP = 1 << 15, LIVE_CAP = 1 << 14 };

/* An entry is published by storing its pc last (release): a writer that
 * dies half-way (a snapshot process killed on timeout) leaves pc 0, an
 * empty slot, never a torn entry. */
struct rule_entry {
	_Atomic uintptr_t pc; /* 0: empty */
	bool found;
	uintptr_t lo, hi;
	struct goro_cfi_rule rule;
};

struct live_entry {
	_Atomic uintptr_t pc; /* 0: empty (published last, as above) */
	int32_t rsp_off, rbp_off;
	bool fp;
	struct goro_frame_live live;
};

struct tables {
	uint64_t computed;
	uint32_t nrules, nlives;
	struct rule_entry rules[RULE_CAP];
	struct live_entry lives[LIVE_CAP];
};

static struct tables *tab;

bool goro__livecache_init(void)
{
	if (tab)
		return true;
	if (!goro__arch_liveness_init())
		return false;
	void *p = mmap(NULL, sizeof *tab, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	goro__owned_add(p, sizeof *tab, OWNED_OTHER, 0);
	tab = p;
	return true;
}

static size_t hash_pc(uintptr_t pc, size_t cap)
{
	return (size_t)((pc * 0x9e3779b97f4a7c15ull) >> 24) & (cap - 1);
}

bool goro__livecache_rule(uintptr_t lookup_pc, struct goro_cfi_rule *r, uintptr_t *lo,
                          uintptr_t *hi)
{
	if (!tab || lookup_pc == 0)
		return goro__ehframe_rule(lookup_pc, r, lo, hi);
	size_t i = hash_pc(lookup_pc, RULE_CAP);
	uintptr_t k;
	while ((k = atomic_load_explicit(&tab->rules[i].pc, memory_order_acquire)) != 0 &&
	       k != lookup_pc)
		i = (i + 1) & (RULE_CAP - 1);
	struct rule_entry *e = &tab->rules[i];
	if (k == 0) {
		struct goro_cfi_rule rule;
		uintptr_t flo, fhi;
		bool found = goro__ehframe_rule(lookup_pc, &rule, &flo, &fhi);
		tab->computed++;
		if (tab->nrules + 1 >= RULE_CAP / 2) {
			*r = rule;
			*lo = flo;
			*hi = fhi;
			return found;
		}
		e->found = found;
		e->rule = rule;
		e->lo = flo;
		e->hi = fhi;
		atomic_store_explicit(&e->pc, lookup_pc, memory_order_release);
		tab->nrules++;
	}
	*r = e->rule;
	*lo = e->lo;
	*hi = e->hi;
	return e->found;
}

static size_t hash_frame(uintptr_t pc, int32_t rsp_off)
{
	return hash_pc(pc ^ ((uintptr_t)(uint32_t)rsp_off << 40), LIVE_CAP);
}

const struct goro_frame_live *goro__livecache_live(uintptr_t pc, int32_t rsp_off, bool fp,
                                                   int32_t rbp_off, uintptr_t lo, uintptr_t hi)
{
	static struct goro_frame_live uncached;
	if (!tab) {
		goro__arch_frame_liveness(pc, rsp_off, fp, rbp_off, lo, hi, &uncached);
		return &uncached;
	}
	size_t i = hash_frame(pc, rsp_off);
	for (;; i = (i + 1) & (LIVE_CAP - 1)) {
		struct live_entry *e = &tab->lives[i];
		uintptr_t k = atomic_load_explicit(&e->pc, memory_order_acquire);
		if (k == 0)
			break;
		if (k == pc && e->rsp_off == rsp_off && e->fp == fp && (!fp || e->rbp_off == rbp_off))
			return &e->live;
	}
	tab->computed++;
	if (tab->nlives + 1 >= LIVE_CAP / 2) {
		goro__arch_frame_liveness(pc, rsp_off, fp, rbp_off, lo, hi, &uncached);
		return &uncached;
	}
	struct live_entry *e = &tab->lives[i];
	goro__arch_frame_liveness(pc, rsp_off, fp, rbp_off, lo, hi, &e->live);
	e->rsp_off = rsp_off;
	e->rbp_off = rbp_off;
	e->fp = fp;
	atomic_store_explicit(&e->pc, pc, memory_order_release);
	tab->nlives++;
	return &e->live;
}

uint64_t goro__livecache_misses(void)
{
	return tab ? tab->computed : 0;
}
