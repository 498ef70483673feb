/*
 * idmap.c — open-addressing table from (a, b) to a dense id.
 */
#include <stdlib.h>

#include "pprof/idmap.h"

static size_t slot_of(const struct goro_idmap_slot *s, size_t cap, uint64_t a,
                      uint64_t b)
{
	uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full);
	size_t i = (size_t)(h ^ (h >> 31)) & (cap - 1);

	while (s[i].id != 0 && (s[i].a != a || s[i].b != b))
		i = (i + 1) & (cap - 1);
	return i;
}

static bool grow(struct goro_idmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct goro_idmap_slot *ns = calloc(ncap, sizeof *ns);

	if (ns == NULL)
		return false;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].id != 0)
			ns[slot_of(ns, ncap, m->slots[i].a, m->slots[i].b)] =
				m->slots[i];
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return true;
}

uint64_t goro__idmap_get(struct goro_idmap *m, uint64_t a, uint64_t b,
                         bool *added)
{
	*added = false;
	if ((m->len + 1) * 2 > m->cap && !grow(m))
		return 0;
	struct goro_idmap_slot *s = &m->slots[slot_of(m->slots, m->cap, a, b)];
	if (s->id == 0) {
		*s = (struct goro_idmap_slot){ .a = a, .b = b, .id = ++m->len };
		*added = true;
	}
	return s->id;
}

void goro__idmap_free(struct goro_idmap *m)
{
	free(m->slots);
	*m = (struct goro_idmap){ 0 };
}
