/*
 * tabalign.h — column alignment of Go's text/tabwriter, for debug=1.
 *
 * Go prints count profiles through tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)
 * (minwidth 1, tabwidth 8, padding 1, pad with tabs), so the frame lines
 * "#\t0xPC\tfunc+0xOFF\tfile:line" of one stack have their columns aligned
 * with extra tabs.  Reproducing it byte for byte keeps diffs against Go's
 * output empty.
 */
#ifndef GORO_TRACE_TABALIGN_H
#define GORO_TRACE_TABALIGN_H

#include <stdio.h>

#include "trace/trace.h"

#define GORO_TAB_MAXCELLS 4

/* One output line: ncells tab-terminated cells, then tail and a newline. */
struct goro_tabline {
	int ncells;
	const char *cell[GORO_TAB_MAXCELLS];
	const char *tail;
};

/*
 * Writes lines[0..n) aligned as tabwriter would, given that the lines
 * around them have no tab (which ends every column block in tabwriter).
 */
GORO_HIDDEN void goro__tab_write(FILE *out, const struct goro_tabline *lines,
                                 int n);

#endif /* GORO_TRACE_TABALIGN_H */
