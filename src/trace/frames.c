/*
 * frames.c — the frames user-facing output shows (see frames.h).
 */
#include <string.h>

#include "goro.h"

#include "trace/frames.h"

/* The public call behind each wait reason, for a blocking call whose own
 * frame a tail call removed (goro_mutex_lock -> lock_slow). */
static const struct {
	const char *state;
	const void *fn;
} ops[] = {
	{ "chan send", (const void *)goro_chan_send },
	{ "chan receive", (const void *)goro_chan_recv },
	{ "chan send (nil chan)", (const void *)goro_chan_send },
	{ "chan receive (nil chan)", (const void *)goro_chan_recv },
	{ "select", (const void *)goro_select },
	{ "select (no cases)", (const void *)goro_select },
	{ "sync.Mutex.Lock", (const void *)goro_mutex_lock },
	{ "sync.RWMutex.Lock", (const void *)goro_rwmutex_lock },
	{ "sync.RWMutex.RLock", (const void *)goro_rwmutex_rlock },
	{ "sync.WaitGroup.Wait", (const void *)goro_waitgroup_wait },
	{ "sync.Cond.Wait", (const void *)goro_cond_wait },
	{ "sleep", (const void *)goro_sleep },
	{ "synctest.Wait", (const void *)goro_synctest_wait },
};

/* A public, user-callable goro function: "goro_x", not "goro__x" nor the
 * macros' "goro_x_" entry points. */
static bool is_public_op(const char *func)
{
	size_t n = strlen(func);

	return strncmp(func, "goro_", 5) == 0 && func[5] != '_' && func[n - 1] != '_';
}

static void frame_at(struct goro_vframe *f, uintptr_t pc, uintptr_t stored)
{
	f->pc = pc;
	f->stored = stored;
	f->known = goro__symbolize(pc, &f->sym);
}

/* The op frame from the wait reason, at the function's entry; false when
 * the state names no blocking call (running, runnable, IO wait, ...). */
static bool op_from_state(const struct goro_gsnap *g, struct goro_vframe *f)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(g->state, ops[i].state) == 0) {
			uintptr_t entry = (uintptr_t)ops[i].fn;
			frame_at(f, entry, entry);
			return f->known;
		}
	return false;
}

int goro__visible_frames(const struct goro_gsnap *g, bool with_op,
                         struct goro_vframe *out, int max)
{
	struct goro_vframe op = { 0 };
	bool have_op = false, seen_user = false;
	int n = 0;

	if (max <= 0)
		return 0;
	if (goro__traceback_system()) { /* every frame, as stored */
		for (int i = 0; i < g->npcs && n < max; i++)
			frame_at(&out[n++], goro__frame_pc(g->pcs, i), g->pcs[i]);
		return n;
	}
	for (int i = 0; i < g->npcs; i++) {
		struct goro_vframe f;
		frame_at(&f, goro__frame_pc(g->pcs, i), g->pcs[i]);
		if (!f.sym.internal) {
			seen_user = true;
			if (n < max)
				out[n++] = f;
		} else if (!seen_user && is_public_op(f.sym.func)) {
			op = f; /* the outermost public frame wins */
			have_op = true;
		}
	}
	if (n == 0 && g->start_pc != 0) { /* tail call: the start function */
		struct goro_vframe f;
		frame_at(&f, g->start_pc, g->start_pc);
		if (f.known && !f.sym.internal)
			out[n++] = f;
	}
	if (n == 0) { /* nothing of the user's: every frame */
		for (int i = 0; i < g->npcs && n < max; i++)
			frame_at(&out[n++], goro__frame_pc(g->pcs, i), g->pcs[i]);
		return n;
	}
	if (with_op && (have_op || op_from_state(g, &op))) {
		if (n == max)
			n--;
		memmove(out + 1, out, (size_t)n * sizeof *out);
		out[0] = op;
		out[0].sym.internal = false;
		n++;
	}
	return n;
}
