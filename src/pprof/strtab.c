/*
 * strtab.c — string table with a hash index over the strings' content.
 */
#include <stdlib.h>
#include <string.h>

#include "pprof/strtab.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static size_t slot_of(const struct goro_strtab *t, const uint32_t *slots,
                      size_t cap, const char *s)
{
	size_t i = (size_t)hash_str(s) & (cap - 1);

	while (slots[i] != 0 && strcmp(t->strs[slots[i] - 1], s) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static bool grow_index(struct goro_strtab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 256;
	uint32_t *ns = calloc(ncap, sizeof *ns);

	if (ns == NULL)
		return false;
	for (size_t i = 0; i < t->n; i++)
		ns[slot_of(t, ns, ncap, t->strs[i])] = (uint32_t)(i + 1);
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return true;
}

static bool grow_strs(struct goro_strtab *t)
{
	size_t ncap = t->strs_cap ? t->strs_cap * 2 : 128;
	const char **ns = realloc(t->strs, ncap * sizeof *ns);

	if (ns == NULL)
		return false;
	t->strs = ns;
	t->strs_cap = ncap;
	return true;
}

/* Appends s (not yet present) and indexes it; false when out of memory. */
static bool add(struct goro_strtab *t, const char *s)
{
	if ((t->n + 1) * 2 > t->cap && !grow_index(t))
		return false;
	if (t->n == t->strs_cap && !grow_strs(t))
		return false;
	size_t slot = slot_of(t, t->slots, t->cap, s);
	t->strs[t->n++] = s;
	t->slots[slot] = (uint32_t)t->n;
	return true;
}

int64_t goro__strtab_index(struct goro_strtab *t, const char *s)
{
	if (t->n == 0 && !add(t, ""))
		return -1;
	uint32_t found = t->slots[slot_of(t, t->slots, t->cap, s)];
	if (found != 0)
		return (int64_t)found - 1;
	return add(t, s) ? (int64_t)t->n - 1 : -1;
}

void goro__strtab_free(struct goro_strtab *t)
{
	free(t->strs);
	free(t->slots);
	*t = (struct goro_strtab){ 0 };
}
