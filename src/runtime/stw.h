/*
 * stw.h — stopping the world.
 *
 * Two strengths:
 *
 *   goro__world_freeze(max_wait)  Cooperative.  Every worker stops at its
 *       next safe point (the start of a context switch, or the top of its
 *       scheduler loop); idle workers count as stopped.  While frozen no
 *       goroutine starts, resumes or finishes switching away, so parked
 *       stacks are stable and may be unwound (malloc is fine: nobody is
 *       stopped inside it).  A worker running a goroutine that never
 *       reaches a safe point within max_wait is left running (reported).
 *
 *   goro__world_stop()  Everything: the freeze, then a signal (GORO_STW_SIGNAL)
 *       to every thread still running — workers stuck in user code and
 *       threads goro does not know — as the Boehm collector does.  The
 *       handler parks the thread until the world restarts.  A thread inside
 *       a runtime critical section (holding a spinlock, spawning, switching)
 *       stops when it leaves it instead, so runtime structures are never
 *       seen half-updated.  Nothing may allocate while stopped.
 *
 * Only one stop or freeze at a time (a goroutine mutex serialises them).
 */
#ifndef GORO_STW_H
#define GORO_STW_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

struct goro_worker;
struct goro_g;

/* Set while a freeze or stop is requested; workers poll it. */
GORO_HIDDEN extern atomic_int goro__stw_requested;

/*
 * Per-thread runtime critical sections (see spinlock.h).  Both are read
 * by the stop signal's handler on the same thread, so what matters is the
 * compiler's order, not the CPU's: the signal fences keep the increment
 * before whatever the section does (taking a lock) and the decrement
 * after it, which the lock's acquire alone would not (an earlier plain
 * store may sink below an acquire).  goro__stw_pending is set by the
 * handler: volatile, so the exit path reads it afresh.
 */
GORO_HIDDEN extern GORO_TLS int goro__critical;
GORO_HIDDEN extern GORO_TLS volatile sig_atomic_t goro__stw_pending;
/* A thread that is no worker but whose stack the detector scans from its
 * stop position (goro_offload's helpers) points this at where to record
 * its stack pointer each time it stops. */
GORO_HIDDEN extern GORO_TLS void **goro__stw_sp_slot;
GORO_HIDDEN void goro__stw_pending_stop(void);

static inline void goro__critical_enter(void)
{
	goro__critical++;
	atomic_signal_fence(memory_order_seq_cst);
}

static inline void goro__critical_exit(void)
{
	atomic_signal_fence(memory_order_seq_cst);
	if (--goro__critical == 0 && unlikely(goro__stw_pending))
		goro__stw_pending_stop();
}

/* The stop signal (GORO_STW_SIGNAL, validated at start-up). */
GORO_HIDDEN int goro__stw_signo(void);

/* Called by a worker that saw goro__stw_requested: acknowledges and waits
 * until the world restarts.  cur: the context it is running. */
GORO_HIDDEN void goro__safepoint(struct goro_worker *w, struct goro_g *cur);

static inline void goro__maybe_safepoint(struct goro_worker *w, struct goro_g *cur)
{
	if (unlikely(atomic_load_explicit(&goro__stw_requested, memory_order_acquire)))
		goro__safepoint(w, cur);
}

struct goro_stw_report {
	int unstopped_workers; /* freeze: workers still running goroutines */
	int unstopped_threads; /* stop: threads that never acknowledged */
};

GORO_HIDDEN void goro__world_freeze(int64_t max_wait, struct goro_stw_report *rep);
GORO_HIDDEN void goro__world_stop(struct goro_stw_report *rep);
GORO_HIDDEN void goro__world_start(void);
/* After a stop: the threads that could not be signalled but slept did
 * not run meanwhile (call before goro__world_start). */
GORO_HIDDEN bool goro__stw_quiet_verified(void);
/* Serialises freezes/stops between goroutines (and foreign threads). */
GORO_HIDDEN void goro__stw_lock(void);
GORO_HIDDEN void goro__stw_unlock(void);

/*
 * The requesting goroutine's stack is scanned from here, its public API
 * entry frame, rather than from where the stop happens: the runtime frames
 * below hold nothing of the user's, and the stale slots they overwrite
 * (dead locals of functions that already returned) would keep leaked
 * objects "reachable".  Set by GORO_REQUEST_BEGIN, cleared by _END.
 */
/* Per goroutine, not per thread: the request may park (waiting for the
 * stop lock) and another goroutine of the same worker make its own. */
#define GORO_REQUEST_BEGIN() (goro__getg()->request_sp = __builtin_frame_address(0))
#define GORO_REQUEST_END() (goro__getg()->request_sp = NULL)

/* Where each stopped worker was: its physical stack pointer and the
 * goroutine whose stack that is (NULL: a scheduler stack). */
GORO_HIDDEN bool goro__stw_worker_pos(struct goro_worker *w, void **sp, struct goro_g **g,
                                      bool *signaled);

#endif /* GORO_STW_H */
