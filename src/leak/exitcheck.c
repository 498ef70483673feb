/*
 * exitcheck.c — the production side of the goroutineleak profile:
 *
 *   GORO_LEAKCHECK=1   like LeakSanitizer: at exit (return from main or
 *                      exit()), run detection, print the leaked goroutines
 *                      debug=2 style to stderr and exit with status 23 if
 *                      any leaked, 24 if detection gave no verdict
 *                      (a thread could not be stopped).  It first waits
 *                      (GORO_LEAKCHECK_WAIT_MS, default 1000) until no
 *                      goroutine runs or has a wake-up due, and after it
 *                      no goroutine runs again.
 *   SIGUSR2 (or GORO_LEAKPROF_SIGNAL=N)
 *                      writes the goroutineleak profile to
 *                      GORO_LEAKPROF_PATH (debug GORO_LEAKPROF_DEBUG,
 *                      default 0: gzip'd pprof) while the program runs.
 *
 * The signal is routed to the signal thread (runtime/signals.h), which
 * writes the profile: a signal handler may not allocate, unwind or stop the
 * world, and a thread of its own needs no free worker.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/profiles.h"
#include "runtime/signals.h"
#include "runtime/stw.h"
#include "sched/gsnap.h"
#include "sched/sched.h"

/* Inconclusive: neither "clean" (0) nor "leaked" (23), so that CI does not
 * pass a run it could not check. */
enum { EXIT_LEAKED = 23, EXIT_INCONCLUSIVE = 24 };

/* How long the check waits for the program to settle (ms). */
static goro_duration settle_window(void)
{
	const char *env = getenv("GORO_LEAKCHECK_WAIT_MS");
	long ms = env && *env ? strtol(env, NULL, 10) : 1000;
	return (ms < 0 ? 0 : ms) * GORO_MILLISECOND;
}

/*
 * First the program settles (an in-flight pipeline finishes or blocks for
 * good: judged at once, its running goroutines would keep everything
 * reachable), then detection, then the world stays frozen through the
 * report and the rest of exit (goro__world_hold_for_exit says why).
 */
static void exit_check(int status, void *arg)
{
	(void)arg;
	(void)status;
	struct goro_leak_run run;
	goro__leak_settle(settle_window());
	GORO_REQUEST_BEGIN();
	int n = goro__leak_detect_counted(&run);
	GORO_REQUEST_END();
	goro__world_hold_for_exit();
	if (n == GORO_LEAK_INCONCLUSIVE) {
		char line[160];
		fflush(stdout);
		fprintf(stderr, "goro: leak check at exit (GORO_LEAKCHECK): %s\n",
		        goro__leak_inconclusive_line(&run, line, sizeof line));
		fflush(stderr);
		_exit(EXIT_INCONCLUSIVE);
	}
	if (n > 0) {
		fflush(stdout);
		fprintf(stderr, "goro: %d leaked goroutine%s at exit (GORO_LEAKCHECK):\n\n", n,
		        n == 1 ? "" : "s");
		for (int i = 0; i < n; i++) {
			struct goro_gsnap s;
			goro__gsnap_fill(&s, run.leaked[i], false);
			goro__fmt_goroutine(stderr, &s);
			fputc('\n', stderr);
		}
		fflush(stderr);
		_exit(EXIT_LEAKED);
	}
	goro__leak_run_free(&run);
}

/* On the signal thread. */
static void write_profile(int sig)
{
	(void)sig;
	const char *path = getenv("GORO_LEAKPROF_PATH");
	const char *dbg = getenv("GORO_LEAKPROF_DEBUG");
	FILE *f = fopen(path ? path : "goroutineleak.pb.gz", "w");
	if (!f) {
		perror("goro: GORO_LEAKPROF_PATH");
		return;
	}
	goro_profile_write("goroutineleak", f, dbg ? atoi(dbg) : 0);
	fclose(f);
}

void goro__exitcheck_init(void)
{
	const char *check = getenv("GORO_LEAKCHECK");
	if (check && *check && strcmp(check, "0") != 0)
		on_exit(exit_check, NULL);
	const char *sig = getenv("GORO_LEAKPROF_SIGNAL");
	int signo = sig ? atoi(sig) : SIGUSR2;
	if (signo > 0 && (sig || getenv("GORO_LEAKPROF_PATH")) &&
	    goro__signal_route(signo, write_profile) != 0)
		fprintf(stderr, "goro: GORO_LEAKPROF_SIGNAL=%s: cannot handle signal %d\n",
		        sig ? sig : "", signo);
}
