/*
 * stacks.c — grouping goroutines by identical stacks.
 *
 * A transient open-addressing table maps a stack to its group: slot values
 * are group index + 1 (0 = empty), cap is a power of two >= 2n so probing
 * always ends.  Hashing the pcs makes the grouping linear in the number of
 * goroutines (100,000 parked goroutines share a handful of stacks).
 */
#include <stdlib.h>
#include <string.h>

#include "trace/stacks.h"

static uint64_t hash_stack(const struct goro_gsnap *g)
{
	uint64_t h = 0x84222325cbf29ce4ull ^ (uint64_t)g->npcs;

	for (int i = 0; i < g->npcs; i++)
		h = (h ^ g->pcs[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static bool same_stack(const struct goro_gsnap *a, const struct goro_gsnap *b)
{
	return a->npcs == b->npcs &&
	       memcmp(a->pcs, b->pcs, (size_t)a->npcs * sizeof a->pcs[0]) == 0;
}

static int by_count(const void *pa, const void *pb)
{
	const struct goro_stackgroup *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return (a->first > b->first) - (a->first < b->first);
}

int goro__group_stacks(const struct goro_gsnap *g, int n,
                       struct goro_stackgroup **out)
{
	size_t cap = 16;
	while (cap < 2 * (size_t)n)
		cap *= 2;
	int *slots = calloc(cap, sizeof *slots);
	struct goro_stackgroup *groups = malloc(((size_t)n + 1) * sizeof *groups);
	if (slots == NULL || groups == NULL) {
		free(slots);
		free(groups);
		return -1;
	}

	int ngroups = 0;
	for (int i = 0; i < n; i++) {
		size_t s = (size_t)hash_stack(&g[i]) & (cap - 1);
		while (slots[s] != 0 && !same_stack(groups[slots[s] - 1].g, &g[i]))
			s = (s + 1) & (cap - 1);
		if (slots[s] == 0) {
			groups[ngroups] = (struct goro_stackgroup){
				.g = &g[i], .count = 0, .first = i };
			slots[s] = ++ngroups;
		}
		groups[slots[s] - 1].count++;
	}
	free(slots);
	qsort(groups, (size_t)ngroups, sizeof *groups, by_count);
	*out = groups;
	return ngroups;
}

bool goro__show_all_frames(const struct goro_gsnap *g)
{
	for (int i = 0; i < g->npcs; i++) {
		struct goro_sym s;
		goro__symbolize(goro__frame_pc(g->pcs, i), &s);
		if (!s.internal)
			return false;
	}
	return true;
}
