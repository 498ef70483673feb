/*
 * intern.c — forever-living strings for symbol, file and module names.
 *
 * Symbols are kept for the life of the process (a cached goro_sym hands its
 * pointers to callers that may keep them), so nothing here is ever freed.
 *
 * Invariants:
 *   - set is an open-addressing table of `cap` slots (a power of two, or 0),
 *     NULL = empty; `len` < cap / 2 keeps probe chains short.
 *   - every stored pointer is a NUL-terminated copy in an arena chunk;
 *     chunks are never freed or moved, so pointers stay valid.
 * Locking: none; the caller serialises (see intern.h).
 */
#include <stdlib.h>
#include <string.h>

#include "trace/intern.h"

#define ARENA_CHUNK 65536

static const char **set;
static size_t cap, len;
static char *arena;       /* free space of the current chunk */
static size_t arena_left; /* bytes left at arena */

/* FNV-1a: short strings, good enough spread for a power-of-two table. */
static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Whether the stored string t is exactly s[0..n). */
static bool same(const char *t, const char *s, size_t n)
{
	return strncmp(t, s, n) == 0 && t[n] == '\0';
}

/* A NUL-terminated copy of s[0..n) in the arena. */
static char *arena_copy(const char *s, size_t slen)
{
	size_t n = slen + 1;

	if (n > arena_left) {
		size_t sz = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		char *chunk = malloc(sz);
		if (chunk == NULL)
			return NULL;
		arena = chunk;
		arena_left = sz;
	}
	char *p = arena;
	memcpy(p, s, slen);
	p[slen] = '\0';
	arena += n;
	arena_left -= n;
	return p;
}

/* The slot holding s[0..n), or the empty slot where it belongs. */
static size_t find_slot(const char **tab, size_t tcap, const char *s, size_t n)
{
	size_t i = (size_t)hash_str(s, n) & (tcap - 1);

	while (tab[i] != NULL && !same(tab[i], s, n))
		i = (i + 1) & (tcap - 1);
	return i;
}

static bool grow(void)
{
	size_t ncap = cap ? cap * 2 : 256;
	const char **ntab = calloc(ncap, sizeof *ntab);

	if (ntab == NULL)
		return false;
	for (size_t i = 0; i < cap; i++)
		if (set[i] != NULL)
			ntab[find_slot(ntab, ncap, set[i], strlen(set[i]))] =
				set[i];
	free(set);
	set = ntab;
	cap = ncap;
	return true;
}

const char *goro__intern(const char *s)
{
	return goro__intern_n(s, strlen(s));
}

const char *goro__intern_n(const char *s, size_t n)
{
	if ((len + 1) * 2 > cap && !grow())
		return NULL;
	size_t i = find_slot(set, cap, s, n);
	if (set[i] == NULL) {
		char *copy = arena_copy(s, n);
		if (copy == NULL)
			return NULL;
		set[i] = copy;
		len++;
	}
	return set[i];
}
