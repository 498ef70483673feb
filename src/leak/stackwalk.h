/*
 * stackwalk.h — the live words of a goroutine's stack, frame by frame.
 *
 * The walk unwinds with the cached call-frame rules and asks each frame's
 * liveness descriptor (liveness.h) which of its words some path still
 * reads.  Callee-saved registers are followed through the frames: the
 * slot where a callee (or the context switch) saved a register holds its
 * caller's value, so the slot is live when a frame that owns that value
 * reads it before writing it.  A frame the rules or the analysis cannot
 * describe makes the walk conservative from there up (every word), which
 * keeps the detector sound.
 *
 * No allocation, no lock (world stopped, or the snapshot process).
 */
#ifndef GORO_LEAK_STACKWALK_H
#define GORO_LEAK_STACKWALK_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include "trace/cfi.h"

/* One frame's region: [sp, cfa); from: the lowest address of it the
 * detector has made reachable so far (cfa: none). */
struct goro_frame_span {
	uintptr_t sp, cfa, from;
	uintptr_t pc;   /* the frame's resume pc */
	uint8_t status; /* its liveness (GORO_LIVE_*; 0: not analysed) */
};

struct goro_stack_walk {
	uintptr_t lo, hi;       /* the stack's bounds */
	/* Frames whose CFA is at or below this are the requesting goroutine's
	 * goro-internal frames (the detector's own): none of their words are
	 * roots, but the callee-saved values they hold belong to the frames
	 * above and are judged there.  0: none. */
	uintptr_t internal_top;
	bool spans_only;        /* only record frames (no liveness) */
	void (*live)(void *arg, uintptr_t lo, uintptr_t hi);
	void *arg;
	struct goro_frame_span *spans; /* optional: the frames found */
	int maxspans, nspans;
	/* Results. */
	bool conservative;      /* some frame could not be described */
	uintptr_t conservative_pc; /* the first such frame's pc */
	uint8_t conservative_why;  /* its enum goro_live_why (NONE: no call-frame rule) */
	uintptr_t conservative_where;
};

/* The stack of a goroutine parked by goro__ctx_switch at sp. */
GORO_HIDDEN void goro__stack_walk_parked(struct goro_stack_walk *w, uintptr_t sp);

/*
 * From a captured position: frame 0 resumes at pc (a return address when
 * ret_addr) with stack pointer sp; the callee-saved registers' values and
 * the address of a word holding each (pushed as a root word when a frame
 * that owns the value reads it).
 */
GORO_HIDDEN void goro__stack_walk_from(struct goro_stack_walk *w, uintptr_t pc, bool ret_addr,
                                       uintptr_t sp, const uintptr_t regval[GORO_CFI_NSAVED],
                                       const uintptr_t regloc[GORO_CFI_NSAVED]);

#endif /* GORO_LEAK_STACKWALK_H */
