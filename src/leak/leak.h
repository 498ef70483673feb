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

/* What a run decided about one goroutine: leaked, or no longer leaked. */
struct goro_leak_verdict {
	struct goro_g *g;
	int64_t id;   /* g->id when judged: a fork run checks the record still is it */
	bool leaked;
};

/*
 * One run.  Two engines (snapshot.h): the analysis in a forked snapshot of
 * the process (the world stops only for the fork), or, as a fallback, with
 * the world stopped throughout.
 */
struct goro_leak_run {
	int nleaked;
	struct goro_g **leaked;   /* malloc'd; valid until the next run */
	bool inconclusive;         /* no verdict: see why */
	const char *why;           /* static text when inconclusive, else NULL */
	int64_t pause_ns;          /* how long the world was stopped */
	int64_t stop_ns, fork_ns;  /* of which stopping it, and the fork */
	int64_t analysis_ns;       /* the analysis itself (in the child for fork) */
	int64_t total_ns;          /* the whole request */
	int engine;                /* enum goro_leak_engine that produced it */
	/* Why stop-the-world ran when the fork engine was wanted (static text,
	 * NULL: it was not wanted, or it ran), and the errno of the failure. */
	const char *fallback;
	int fallback_errno;
	int stale;                 /* fork verdicts dropped: the goroutine changed */
};

/* Runs detection; marks g->leaked on every goroutine it judged. */
GORO_HIDDEN int goro__leak_detect(struct goro_leak_run *run);
GORO_HIDDEN void goro__leak_run_free(struct goro_leak_run *run);
/* Pause of the last detection run, ns. */
GORO_HIDDEN int64_t goro__leak_last_pause(void);
/* "# engine: stop-the-world (fork failed: EAGAIN)\n" for the text formats
 * when the fork engine fell back; "" otherwise. */
GORO_HIDDEN const char *goro__leak_engine_note(const struct goro_leak_run *run, char *buf,
                                               size_t len);

#endif /* GORO_LEAK_H */
