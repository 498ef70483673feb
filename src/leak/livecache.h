/*
 * livecache.h — the stack walk's per-pc answers, kept across detections.
 *
 * Two tables keyed by code address: call-frame rules (from ehframe.c) and
 * frame liveness descriptors (liveness.h).  Both live in one shared
 * anonymous mapping (MAP_SHARED), so that what a detection computes in
 * its snapshot process (leak/snapshot) is there for the next one, and
 * both are goro's own memory (never scanned as roots).
 *
 * Single writer: only the detection running under the stop-the-world
 * lock reads or writes them, in this process or in its snapshot child
 * (which the parent waits for).  No allocation, no lock: safe with the
 * world stopped.  A full table answers without caching.
 */
#ifndef GORO_LEAK_LIVECACHE_H
#define GORO_LEAK_LIVECACHE_H

#include "leak/liveness.h"

/* Maps the tables and prepares the decoder (allocates: before a stop). */
GORO_HIDDEN bool goro__livecache_init(void);

/* The call-frame rule at lookup_pc (ehframe.h's contract), cached. */
GORO_HIDDEN bool goro__livecache_rule(uintptr_t lookup_pc, struct goro_cfi_rule *r,
                                      uintptr_t *fde_lo, uintptr_t *fde_hi);

/* The liveness of the frame resuming at pc (liveness.h's arguments). */
GORO_HIDDEN const struct goro_frame_live *
goro__livecache_live(uintptr_t pc, int32_t rsp_off, bool rbp_fp, int32_t rbp_off,
                     uintptr_t fde_lo, uintptr_t fde_hi);

/* Entries computed (not found) since start-up: the cost tests watch. */
GORO_HIDDEN uint64_t goro__livecache_misses(void);

#endif /* GORO_LEAK_LIVECACHE_H */
