/*
 * signals.c — the runtime's signal handling, installed at start-up:
 *   SIGSEGV   stack-overflow reports (sched/overflow.c)
 *   SIGPWR    stop-the-world (runtime/stw.c; GORO_STW_SIGNAL to change)
 *   SIGQUIT   Go's behaviour: every goroutine's stack to stderr, exit 2
 *   SIGUSR2   the goroutineleak profile to a file (leak/exitcheck.c)
 *
 * Handlers never do real work: they raise a flag and wake a worker, whose
 * scheduler starts a goroutine to do it (goro__signal_work_poll).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sched/gsnap.h"
#include "sched/sched.h"

GORO_HIDDEN void goro__signals_overflow_init(void);
GORO_HIDDEN void goro__stw_init(void);
GORO_HIDDEN void goro__exitcheck_init(void);
GORO_HIDDEN void goro__exitcheck_poll(void);

enum { QUIT_WAIT_MS = 1000 };

static volatile sig_atomic_t quit_requested, quit_started;

static void write_str(const char *s)
{
	ssize_t r = write(2, s, strlen(s));
	(void)r;
}

static void quit_main(void *arg)
{
	(void)arg;
	quit_started = 1;
	fflush(stdout);
	fputs("SIGQUIT: quit\n\n", stderr);
	goro_dump(stderr);
	fflush(stderr);
	_exit(2);
}

/*
 * A goroutine does the dump.  If none gets to run within a second (every
 * worker busy in a loop), dump from the handler as a last resort: not
 * async-signal-safe, but the process is ending and silence is worse.
 */
static void on_sigquit(int sig)
{
	(void)sig;
	quit_requested = 1;
	for (int i = 0; i < goro__sched.nworkers; i++)
		goro__worker_wake(&goro__sched.workers[i]);
	for (int ms = 0; ms < QUIT_WAIT_MS && !quit_started; ms++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	if (quit_started)
		return;
	write_str("SIGQUIT: quit\n\n");
	goro__dump_all(stderr);
	fflush(stderr);
	_exit(2);
}

void goro__signal_work_poll(void)
{
	if (unlikely(quit_requested) && !quit_started) {
		quit_requested = 0;
		goro__spawn_system(quit_main, NULL, 0);
	}
	goro__exitcheck_poll();
}

void goro__signals_init(void)
{
	goro__signals_overflow_init();
	goro__stw_init();
	goro__exitcheck_init();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigquit;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGQUIT, &sa, NULL);
}
