/*
 * pccache.c — see pccache.h.
 */
#include <stdlib.h>
#include <string.h>

#include "trace/pccache.h"

static uintptr_t *key_at(char *tab, size_t entry_size, size_t i)
{
	return (uintptr_t *)(tab + i * entry_size);
}

static size_t slot_of(char *tab, size_t cap, size_t entry_size, uintptr_t pc)
{
	/* Fibonacci hashing: pcs of one function share their high bits. */
	size_t i = (size_t)((pc * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);

	while (*key_at(tab, entry_size, i) != 0 && *key_at(tab, entry_size, i) != pc)
		i = (i + 1) & (cap - 1);
	return i;
}

static bool grow(struct goro_pccache *c)
{
	size_t ncap = c->cap ? c->cap * 2 : 1024;
	char *ntab = calloc(ncap, c->entry_size);

	if (ntab == NULL)
		return false;
	for (size_t i = 0; i < c->cap; i++) {
		uintptr_t pc = *key_at(c->tab, c->entry_size, i);
		if (pc != 0)
			memcpy(ntab + slot_of(ntab, ncap, c->entry_size, pc) * c->entry_size,
			       c->tab + i * c->entry_size, c->entry_size);
	}
	free(c->tab);
	c->tab = ntab;
	c->cap = ncap;
	return true;
}

void *goro__pccache_get(struct goro_pccache *c, uintptr_t pc, bool *fresh)
{
	if ((c->len + 1) * 2 > c->cap && !grow(c))
		return NULL;
	size_t i = slot_of(c->tab, c->cap, c->entry_size, pc);
	uintptr_t *key = key_at(c->tab, c->entry_size, i);
	*fresh = *key == 0;
	if (*fresh) {
		*key = pc;
		c->len++;
	}
	return key;
}
