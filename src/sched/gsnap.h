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
/* All live goroutines sorted by id (malloc'd array; goro__allg_free it). */
GORO_HIDDEN struct goro_g **goro__allg_collect(int *n);
/*
 * Frees an array of n goroutine pointers, zeroed first.  glibc keeps a
 * freed chunk's bytes, and the leak detector scans the whole glibc heap:
 * a record pointer (a record sits right above its stack) left there, its
 * low bytes overwritten later by text, points into a goroutine stack and
 * makes a leaked goroutine's channel look reachable.
 */
GORO_HIDDEN void goro__allg_free(struct goro_g **gs, int n);
/* free(p) with its first `bytes` bytes zeroed (why: goro__allg_free). */
GORO_HIDDEN void goro__free_scrubbed(void *p, size_t bytes);
/* Those for which keep(g, arg) holds; keep runs under the list's lock. */
GORO_HIDDEN struct goro_g **goro__allg_collect_if(bool (*keep)(struct goro_g *g, void *arg),
                                                  void *arg, int *n);
/* Snapshots of all live goroutines (malloc'd; free it). */
GORO_HIDDEN struct goro_gsnap *goro__gsnap_all(int *n);
GORO_HIDDEN void goro__dump_all(FILE *out);
GORO_HIDDEN void goro__print_current_stack(FILE *out);

#endif /* GORO_GSNAP_H */
