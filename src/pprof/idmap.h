/*
 * idmap.h — dense ids (1, 2, 3, ...) for keys made of two words.
 *
 * The profile builder numbers Locations by address and Functions by their
 * (interned name, interned file) pointers; protobuf ids must be nonzero and
 * unique, and first use assigns the next one.
 */
#ifndef GORO_PPROF_IDMAP_H
#define GORO_PPROF_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

struct goro_idmap_slot {
	uint64_t a, b, id; /* id 0: empty slot */
};

/* Invariants: cap is 0 or a power of two; len < cap / 2; ids 1..len. */
struct goro_idmap {
	struct goro_idmap_slot *slots;
	size_t cap, len;
};

/* The id of (a, b); a new key gets len + 1 and *added = true.  Returns 0
 * when out of memory. */
GORO_HIDDEN uint64_t goro__idmap_get(struct goro_idmap *m, uint64_t a,
                                     uint64_t b, bool *added);
GORO_HIDDEN void goro__idmap_free(struct goro_idmap *m);

#endif /* GORO_PPROF_IDMAP_H */
