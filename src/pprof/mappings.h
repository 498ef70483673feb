/*
 * mappings.h — the process's executable file mappings, for Profile.mapping.
 */
#ifndef GORO_PPROF_MAPPINGS_H
#define GORO_PPROF_MAPPINGS_H

#include <stdint.h>

#include "trace/trace.h"

struct goro_mapping {
	uint64_t start, limit, offset; /* [start, limit) maps file offset */
	char *file;                    /* absolute path, malloc'd */
	char build_id[129];            /* hex GNU build id, "" if none */
};

/* Invariant: m[0..n) sorted by start, non-overlapping (as in maps). */
struct goro_mappings {
	struct goro_mapping *m;
	int n;
};

/* Reads /proc/self/maps (executable, file-backed entries). 0 or -1. */
GORO_HIDDEN int goro__mappings_read(struct goro_mappings *out);
/* Index of the mapping containing addr, or -1. */
GORO_HIDDEN int goro__mappings_find(const struct goro_mappings *ms,
                                    uintptr_t addr);
GORO_HIDDEN void goro__mappings_free(struct goro_mappings *ms);

#endif /* GORO_PPROF_MAPPINGS_H */
