/*
 * strtab.h — the profile's string table: each distinct string once.
 *
 * Profile fields refer to strings by index; index 0 is always "" (the
 * format requires it), so an index of 0 also means "no string".
 */
#ifndef GORO_PPROF_STRTAB_H
#define GORO_PPROF_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

/*
 * Invariants: strs[0..n) are distinct, strs[0] is "" once the first index
 * was asked; slots (cap a power of two, n < cap / 2) hold index + 1 or 0.
 * The table does not copy: every string must outlive it.
 */
struct goro_strtab {
	const char **strs;
	size_t n, strs_cap;
	uint32_t *slots;
	size_t cap;
};

/* Index of s, adding it if new; -1 when out of memory. */
GORO_HIDDEN int64_t goro__strtab_index(struct goro_strtab *t, const char *s);
GORO_HIDDEN void goro__strtab_free(struct goro_strtab *t);

#endif /* GORO_PPROF_STRTAB_H */
