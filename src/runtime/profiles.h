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
/* goro__leak_detect, retried a few times while inconclusive, that also
 * records the count (goro_leakprof_count) and the verdict
 * (goro_leakprof_inconclusive): the leaked count, GORO_LEAK_INCONCLUSIVE,
 * or -1 (buffers).  run is filled in every case but -1. */
GORO_HIDDEN int goro__leak_detect_counted(struct goro_leak_run *run);
/* Waits (at most max_wait) until no goroutine but the caller and the
 * runtime's is running, runnable, sleeping or in I/O, and no runtime timer
 * is due before then while some are blocked (goleak.c). */
GORO_HIDDEN void goro__leak_settle(goro_duration max_wait);
/* Freezes the world for good (exit checks: nothing runs after them). */
GORO_HIDDEN void goro__world_hold_for_exit(void);
/* "inconclusive: <why>" in buf for a run without verdict, else NULL. */
GORO_HIDDEN const char *goro__leak_inconclusive_line(const struct goro_leak_run *run,
                                                     char *buf, size_t cap);

#endif /* GORO_PROFILES_H */
