/*
 * profiles.h — snapshots and detection shared by the profile writer, the
 * goleak-style check and the exit check.
 */
#ifndef GORO_PROFILES_H
#define GORO_PROFILES_H

#include "leak/leak.h"
#include "trace/trace.h"

/* Snapshots of the goroutines keep() accepts (all if NULL), taken with the
 * world frozen; malloc'd, *n entries. */
GORO_HIDDEN struct goro_gsnap *goro__snapshot(bool (*keep)(struct goro_g *g, void *arg),
                                              void *arg, int *n);
/* goro__leak_detect that also records the count for goro_leakprof_count. */
GORO_HIDDEN int goro__leak_detect_counted(struct goro_leak_run *run);

#endif /* GORO_PROFILES_H */
