/*
 * gsnap.h — snapshots of goroutine records for the formats (trace.h).
 */
#ifndef GORO_GSNAP_H
#define GORO_GSNAP_H

#include <stdio.h>

#include "sched/g.h"
#include "trace/trace.h"

/* Fills s from g; is_current: g is the caller (unwind the live stack). */
GORO_HIDDEN void goro__gsnap_fill(struct goro_gsnap *s, struct goro_g *g, bool is_current);
/* All live goroutines sorted by id (malloc'd array; free it). */
GORO_HIDDEN struct goro_g **goro__allg_collect(int *n);
/* Those for which keep(g, arg) holds; keep runs under the list's lock. */
GORO_HIDDEN struct goro_g **goro__allg_collect_if(bool (*keep)(struct goro_g *g, void *arg),
                                                  void *arg, int *n);
/* Snapshots of all live goroutines (malloc'd; free it). */
GORO_HIDDEN struct goro_gsnap *goro__gsnap_all(int *n);
GORO_HIDDEN void goro__dump_all(FILE *out);
GORO_HIDDEN void goro__print_current_stack(FILE *out);

#endif /* GORO_GSNAP_H */
