/*
 * profiles.c — goro_profile_write and friends: the one writer behind the
 * goroutine and goroutineleak profiles, in Go's three formats.
 *
 * Snapshots are taken with the world frozen (cooperatively: parked stacks
 * stay put while they are unwound); the goroutineleak profile first runs
 * the detector, which stops the world completely.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"
#include "leak/leak.h"
#include "runtime/profiles.h"
#include "runtime/stw.h"
#include "sched/gsnap.h"
#include "sched/sched.h"
#include "synctest/bubble.h"
#include "trace/trace.h"

enum { FREEZE_WAIT_NS = 50000000 };

static atomic_int last_leak_count;

struct goro_gsnap *goro__snapshot(bool (*keep)(struct goro_g *g, void *arg), void *arg,
                                  int *n)
{
	goro__ensure_init();
	goro__stw_lock();
	struct goro_stw_report rep;
	goro__world_freeze(FREEZE_WAIT_NS, &rep);
	int ng;
	struct goro_g **gs = goro__allg_collect(&ng);
	struct goro_gsnap *snaps = calloc((size_t)(ng ? ng : 1), sizeof *snaps);
	struct goro_g *self = goro__getg();
	int k = 0;
	/* Frozen: a listed goroutine cannot finish exiting (its last switch
	 * waits at a safe point), so its record stays valid here. */
	for (int i = 0; i < ng && snaps; i++) {
		if ((gs[i]->system && !goro__traceback_system()) || (keep && !keep(gs[i], arg)))
			continue; /* the runtime's own goroutines stay out of sight */
		goro__gsnap_fill(&snaps[k++], gs[i], gs[i] == self);
	}
	goro__world_start();
	goro__stw_unlock();
	goro__allg_free(gs, ng);
	*n = k;
	return snaps;
}

/* note: the "inconclusive: why" line of a detection without verdict. */
static int write_snaps(const char *name, FILE *out, int debug, struct goro_gsnap *s, int n,
                       const char *note)
{
	if (!s)
		return -1;
	if (debug >= 2) {
		if (note)
			fprintf(out, "%s\n\n", note);
		goro__fmt_debug2(out, s, n);
	} else if (debug == 1) {
		goro__fmt_debug1_note(out, name, s, n, note);
	} else if (goro__fmt_proto_note(out, name, s, n, note) != 0) {
		return -1;
	}
	return 0;
}

/* The reason of the last run without a verdict (static text), or NULL. */
static _Atomic(const char *) last_inconclusive;

/*
 * A thread that cannot be stopped is usually busy for a moment only (a
 * test runner's helper, a library's worker between two sleeps): a few
 * tries, spaced out, before detection gives up and says so.
 */
enum { INCONCLUSIVE_TRIES = 4 };
static const goro_duration retry_pause[INCONCLUSIVE_TRIES - 1] = {
	2 * GORO_MILLISECOND, 10 * GORO_MILLISECOND, 40 * GORO_MILLISECOND
};

int goro__leak_detect_counted(struct goro_leak_run *run)
{
	int n = goro__leak_detect(run);
	for (int i = 0; n >= 0 && run->inconclusive && i < INCONCLUSIVE_TRIES - 1; i++) {
		goro__leak_run_free(run);
		goro_sleep(retry_pause[i]);
		n = goro__leak_detect(run);
	}
	if (n < 0)
		return n;
	atomic_store(&last_inconclusive, run->inconclusive ? run->why : NULL);
	atomic_store(&last_leak_count, n);
	return run->inconclusive ? GORO_LEAK_INCONCLUSIVE : n;
}

const char *goro__leak_inconclusive_line(const struct goro_leak_run *run, char *buf,
                                         size_t cap)
{
	if (!run->inconclusive)
		return NULL;
	snprintf(buf, cap, "inconclusive: %s", run->why ? run->why : "no verdict");
	return buf;
}

static int write_goroutine(FILE *out, int debug)
{
	int n;
	struct goro_gsnap *s = goro__snapshot(NULL, NULL, &n);
	for (int i = 0; i < n && s; i++)
		s[i].leaked = false; /* only the goroutineleak profile says so */
	int rc = write_snaps("goroutine", out, debug, s, n, NULL);
	free(s);
	/* A trailing comment, as Go's heap profile ends with its MemStats. */
	if (rc == 0 && debug == 1)
		fprintf(out, "\n# worker stalls: %lld (a goroutine held its worker past "
		        "GORO_STALL_MS while others waited; see README)\n",
		        goro__stall_count());
	return rc;
}

/*
 * The leaked goroutines' snapshots with nothing stopped: a leaked goroutine
 * never runs again, so its stack holds still while it is unwound (and
 * unwinding and symbolizing 50,000 stacks inside a freeze was most of the
 * program's stall).  Same order as goro__snapshot's (the goroutine list's,
 * which the detector walked).  A goroutine yields now and then: this is
 * long CPU work, and the goroutines of its worker must not wait for it.
 */
enum { SNAP_YIELD_EVERY = 256 };

static struct goro_gsnap *snap_leaked(const struct goro_leak_run *run, int *n)
{
	struct goro_gsnap *s = calloc((size_t)(run->nleaked ? run->nleaked : 1), sizeof *s);
	*n = 0;
	if (!s)
		return NULL;
	bool on_worker = goro__curw() != NULL;
	int k = 0;
	for (int i = 0; i < run->nleaked; i++) {
		struct goro_g *g = run->leaked[i];
		/* Only a synctest bubble ending meanwhile releases one. */
		if (atomic_load(&g->state) != G_WAITING || !g->leaked)
			continue;
		goro__gsnap_fill(&s[k++], g, false);
		if (on_worker && i % SNAP_YIELD_EVERY == SNAP_YIELD_EVERY - 1)
			goro_yield();
	}
	*n = k;
	return s;
}

static int write_goroutineleak(FILE *out, int debug)
{
	struct goro_leak_run run;
	int found = goro__leak_detect_counted(&run);
	if (found < 0 && found != GORO_LEAK_INCONCLUSIVE)
		return -1;
	char line[160];
	const char *note = goro__leak_inconclusive_line(&run, line, sizeof line);
	int n;
	/* debug=2 shows every goroutine, the leaked ones marked (Go does):
	 * that needs the world frozen, the others only the leaked ones. */
	struct goro_gsnap *s = debug >= 2 ? goro__snapshot(NULL, NULL, &n) : snap_leaked(&run, &n);
	int rc = write_snaps("goroutineleak", out, debug, s, n, note);
	free(s);
	/* The text formats say when the fork engine had to fall back (a
	 * comment line to pprof, after everything Go would print). */
	char engine[128];
	if (rc == 0 && debug >= 1)
		fputs(goro__leak_engine_note(&run, engine, sizeof engine), out);
	goro__leak_run_free(&run);
	return rc == 0 && note ? GORO_LEAK_INCONCLUSIVE : rc;
}

GORO_API int goro_profile_write(const char *name, FILE *out, int debug)
{
	if (!name || !out || debug < 0) {
		errno = EINVAL;
		return -1;
	}
	int rc = -1;
	GORO_REQUEST_BEGIN();
	if (strcmp(name, "goroutine") == 0)
		rc = write_goroutine(out, debug);
	else if (strcmp(name, "goroutineleak") == 0)
		rc = write_goroutineleak(out, debug);
	else
		errno = EINVAL;
	GORO_REQUEST_END();
	return rc;
}

GORO_API int goro_profile_count(const char *name)
{
	if (!name)
		return -1;
	if (strcmp(name, "goroutine") == 0)
		return goro_num_goroutine();
	if (strcmp(name, "goroutineleak") == 0)
		return atomic_load(&last_leak_count);
	return -1;
}

GORO_API void goro_dump(FILE *out)
{
	write_goroutine(out, 2);
}

GORO_API void goro_leakprof_free(goro_leaked *arr)
{
	goro_free(arr);
}

GORO_API const char *goro_leakprof_inconclusive(void)
{
	return atomic_load(&last_inconclusive);
}

GORO_API int64_t goro_leakprof_pause_ns(void)
{
	return goro__leak_last_pause();
}

GORO_API int goro_leakprof_count(void)
{
	return atomic_load(&last_leak_count);
}

static void describe(goro_leaked *out, struct goro_g *g)
{
	struct goro_gsnap *s = malloc(sizeof *s);
	memset(out, 0, sizeof *out);
	out->id = g->id;
	out->parent_id = g->parent_id;
	out->create_pc = (uintptr_t)g->create_pc;
	snprintf(out->wait_reason, sizeof out->wait_reason, "%s",
	         goro__wait_reason_str(g->wait_reason));
	for (struct goro_waiter *w = g->waiting; w && out->nwait_objects < 4; w = w->waitlink)
		out->wait_objects[out->nwait_objects++] = w->obj;
	struct goro_sym sym;
	goro__symbolize((uintptr_t)goro__start_fn(g), &sym);
	snprintf(out->start_function, sizeof out->start_function, "%s", sym.func);
	if (g->create_pc) {
		goro__symbolize((uintptr_t)g->create_pc - 1, &sym);
		snprintf(out->created_by, sizeof out->created_by, "%s", sym.func);
	}
	if (s) {
		goro__gsnap_fill(s, g, false);
		snprintf(out->function, sizeof out->function, "%s", goro__top_function(s));
		free(s);
	}
}

GORO_API int goro_leakprof_find(goro_leaked **out)
{
	struct goro_leak_run run;
	if (out)
		*out = NULL;
	GORO_REQUEST_BEGIN();
	int n = goro__leak_detect_counted(&run);
	GORO_REQUEST_END();
	if (n <= 0) {
		goro__leak_run_free(&run);
		return n == GORO_LEAK_INCONCLUSIVE ? n : n < 0 ? -1 : 0;
	}
	if (out) {
		/* Tracked and never scanned: a stale copy of the wait-object
		 * pointers must not keep them "reachable" in later runs. */
		*out = goro__heap_alloc_kind((size_t)n * sizeof **out, GORO_HEAP_NOSCAN, true);
		for (int i = 0; i < n && *out; i++)
			describe(&(*out)[i], run.leaked[i]);
	}
	goro__leak_run_free(&run);
	return n;
}
