/*
 * leak.h — the goroutineleak detector (Go 1.26's algorithm, for C).
 *
 * Roots: every writable mapping of the process that goro does not own
 * (module data, plain malloc memory, foreign threads' stacks — all scanned
 * conservatively, which keeps the result sound), the stacks of goroutines
 * that are not leak candidates (running, runnable, sleeping, in I/O...),
 * and through those, runtime-held references (timer heaps live in plain
 * memory).  Candidates: goroutines blocked on a channel, select, Mutex,
 * RWMutex, WaitGroup or Cond.  Mark; a candidate whose wait object (any,
 * for select) is marked, or lives outside the tracked heap and outside
 * goroutine stacks (a global, malloc memory), becomes a root; mark again;
 * repeat until nothing changes.  The candidates left are leaked.
 *
 * Hidden from the mark, as Go hides them: channel wait queues (a channel
 * block is scanned for its buffered values only), the semaphore table, the
 * goroutine list and worker records (runtime state, registered as owned).
 * A goroutine stack is an object: a pointer into it from marked memory
 * makes the stack's contents reachable, without reviving its goroutine.
 */
#ifndef GORO_LEAK_H
#define GORO_LEAK_H

#include "sched/g.h"

struct goro_leak_run {
	int nleaked;
	struct goro_g **leaked;   /* malloc'd; valid until the next run */
	bool inconclusive;         /* no verdict: see why */
	const char *why;           /* static text when inconclusive, else NULL */
	int64_t pause_ns;          /* how long the world was stopped */
};

/* Runs detection (stops the world); marks g->leaked on every goroutine. */
GORO_HIDDEN int goro__leak_detect(struct goro_leak_run *run);
GORO_HIDDEN void goro__leak_run_free(struct goro_leak_run *run);
/* Pause of the last detection run, ns. */
GORO_HIDDEN int64_t goro__leak_last_pause(void);

#endif /* GORO_LEAK_H */
