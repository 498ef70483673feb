/*
 * frames.h — the frames of a goroutine that user-facing output shows.
 *
 * Every format (dumps, goleak's text, the debug=1 and protobuf profiles)
 * shows the user's frames only: goro's internal frames (switch_to,
 * goro__park, lock_slow, g_entry, ...) are hidden, as Go hides its
 * runtime.  Two frames are added where the stack alone would mislead:
 *
 *   - the blocking operation (profiles only, with_op): the public goro
 *     call the goroutine is parked in (goro_chan_send, goro_select,
 *     goro_mutex_lock, ...) as the leaf frame, as Go's profiles show
 *     chansend and gopark, so flame graphs say what goroutines wait on.
 *     It is the outermost public frame of the hidden prefix, or, when the
 *     call was a tail call into an internal helper, the public function
 *     named by the wait reason;
 *   - the start function, when no user frame is left: at -O2 a goroutine
 *     whose last statement is the blocking call tail-calls it, and its own
 *     frame is gone.  The goroutine is then shown in the function it was
 *     started with, at the function's first line.
 *
 * A stack with neither a user frame nor a user start function (goro's own
 * goroutines) shows every frame, as Go's printStackRecord falls back to.
 */
#ifndef GORO_TRACE_FRAMES_H
#define GORO_TRACE_FRAMES_H

#include "trace/trace.h"

struct goro_vframe {
	uintptr_t pc;        /* the pc to show: a call pc, or a function entry */
	uintptr_t stored;    /* as stored (offsets are computed from it) */
	struct goro_sym sym;
	bool known;          /* the symbolizer knew pc */
};

/* Fills out[0..max) leaf first; returns the count (>= 1 unless npcs and
 * start_pc are 0). */
GORO_HIDDEN int goro__visible_frames(const struct goro_gsnap *g, bool with_op,
                                     struct goro_vframe *out, int max);

#endif /* GORO_TRACE_FRAMES_H */
