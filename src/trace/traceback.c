/*
 * traceback.c — GORO_TRACEBACK, Go's GOTRACEBACK=system analogue.
 *
 * By default the user's view (dumps, goleak's checks, profiles) hides
 * goro's own goroutines (the debug server's, signal work) and goro's
 * internal frames, as Go hides its system goroutines and runtime frames.
 * GORO_TRACEBACK=system shows both, for debugging goro itself.  Read once:
 * the environment is not expected to change under a running program.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

bool goro__traceback_system(void)
{
	static atomic_int cached; /* 0: not read yet, 1: no, 2: yes */
	int v = atomic_load_explicit(&cached, memory_order_relaxed);

	if (v == 0) {
		const char *e = getenv("GORO_TRACEBACK");
		v = e && (strcmp(e, "system") == 0 || strcmp(e, "crash") == 0) ? 2 : 1;
		atomic_store_explicit(&cached, v, memory_order_relaxed);
	}
	return v == 2;
}
