/*
 * deadlock.c — Go's global deadlock report.
 *
 * Runs when the last worker goes idle (sched.lock held, every worker idle):
 * if no goroutine is queued anywhere and nothing outside the goroutines can
 * make one runnable — no pending timer, no I/O or offloaded call in flight,
 * no foreign thread outside goro — every goroutine is blocked forever.
 * Go prints "fatal error: all goroutines are asleep - deadlock!" and the
 * goroutines' stacks, and exits with status 2; so does goro.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sched/sched_internal.h"

GORO_HIDDEN void goro__dump_all(FILE *out);

static bool anything_queued(void)
{
	for (int i = 0; i < goro__sched.nworkers; i++) {
		struct goro_worker *w = &goro__sched.workers[i];
		if (w->runq.head || atomic_load(&w->runnext) || atomic_load(&w->inbox) ||
		    atomic_load(&w->newq_len))
			return true;
	}
	return false;
}

void goro__check_deadlock_locked(void)
{
	if (atomic_load(&goro__sched.nforeign) > 0 || goro__rtimers_pending() > 0 ||
	    atomic_load(&goro__sched.nio) > 0 || anything_queued())
		return;
	if (atomic_load(&goro__sched.ngoroutines) == 0) {
		if (atomic_load(&goro__sched.main_exited))
			goro__deadlock("no goroutines (main called runtime.Goexit) - deadlock!");
		return;
	}
	goro__deadlock("all goroutines are asleep - deadlock!");
}

void goro__deadlock(const char *why)
{
	fflush(stdout); /* every other thread is idle: safe, and Go prints unbuffered */
	fprintf(stderr, "fatal error: %s\n\n", why);
	goro__dump_all(stderr);
	fflush(stderr);
	_Exit(2);
}
