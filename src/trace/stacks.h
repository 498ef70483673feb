/*
 * stacks.h — goroutine stacks as the aggregated profiles see them.
 *
 * debug=1 and debug=0 print one entry per distinct stack (the full pcs
 * sequence, hidden frames included, as Go keys its count profiles), the
 * most frequent first.
 */
#ifndef GORO_TRACE_STACKS_H
#define GORO_TRACE_STACKS_H

#include "trace/trace.h"

struct goro_stackgroup {
	const struct goro_gsnap *g; /* first goroutine with this stack */
	int64_t count;              /* goroutines sharing it */
	int first;                  /* index of g in the input: tie-break */
};

/*
 * Groups g[0..n) by identical pcs.  Sorted by count, highest first; equal
 * counts keep their order of first appearance.  Returns the number of
 * groups and a malloc'd array in *out (caller frees), or -1 when out of
 * memory.
 */
GORO_HIDDEN int goro__group_stacks(const struct goro_gsnap *g, int n,
                                   struct goro_stackgroup **out);

/*
 * Whether the formats should print every frame of g: true when none of its
 * frames is visible.  Go's printStackRecord does the same, so a stack made
 * only of runtime frames still says something.
 */
GORO_HIDDEN bool goro__show_all_frames(const struct goro_gsnap *g);

#endif /* GORO_TRACE_STACKS_H */
