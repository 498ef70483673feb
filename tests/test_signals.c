/*
 * test_signals.c — process signals are worked on by the signal thread,
 * never in a handler and never needing a free worker (issue 15):
 * SIGQUIT dumps every goroutine and exits 2 even when every worker is
 * busy in a loop; the leak-profile signal writes its file; a bad
 * GORO_STW_SIGNAL is refused at start-up instead of killing the process
 * at the first leak check.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <goro.h>

#include "death.h"
#include "waiting.h" /* TEST_UNDER_TSAN */

static volatile int spin_forever = 1;

static void spin(void *arg)
{
	(void)arg;
	while (spin_forever)
		;
}

/* GORO_MAXPROCS=1: goroutine 1 never gives its worker up, so no goroutine
 * could do the dump; the signal thread does. */
static void sc_quit_busy(void)
{
	goro_go0(spin);
	kill(getpid(), SIGQUIT);
	while (spin_forever)
		;
}

/* GORO_MAXPROCS=2: goroutine 1 and the spinner take both workers. */
static void sc_quit_two_busy(void)
{
	goro_go0(spin);
	for (volatile long i = 0; i < 100000000; i++) /* the spinner gets worker 2 */
		;
	kill(getpid(), SIGQUIT);
	while (spin_forever)
		;
}

static void parked(void *arg)
{
	goro_chan_recv(goro_chan_new(int, 0), NULL); /* leaks */
}

static void sc_leakprof_signal(void)
{
	goro_go0(parked);
	goro_sleep(20 * GORO_MILLISECOND);
	const char *path = getenv("GORO_LEAKPROF_PATH");
	unlink(path);
	kill(getpid(), SIGUSR2);
	for (int i = 0; i < 2000; i++) {
		char buf[4096] = "";
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = 0;
		if (strstr(buf, "\n")) { /* the profile's first line is complete */
			goro_sleep(50 * GORO_MILLISECOND);
			f = fopen(path, "r");
			n = fread(buf, 1, sizeof buf - 1, f);
			fclose(f);
			buf[n] = 0;
			fputs(buf, stderr);
			unlink(path);
			return;
		}
		goro_sleep(5 * GORO_MILLISECOND);
	}
	fputs("no profile written\n", stderr);
}

/* A leak check with the stop signal given, then SIGUSR2 (not routed
 * without GORO_LEAKPROF_PATH: its default action ends the process). */
static void sc_check_then_usr2(void)
{
	goro_go0(parked);
	goro_sleep(20 * GORO_MILLISECOND);
	goro_leaked *l;
	int n = goro_leakprof_find(&l);
	fprintf(stderr, "leaked: %d\n", n);
	kill(getpid(), SIGUSR2);
	goro_sleep(GORO_SECOND);
}

static void sc_nothing(void)
{
	goro_yield();
	fputs("started\n", stderr);
}

DEATH_SCENARIOS({ "quit_busy", sc_quit_busy }, { "quit_two_busy", sc_quit_two_busy },
                { "leakprof_signal", sc_leakprof_signal }, { "nothing", sc_nothing },
                { "check_then_usr2", sc_check_then_usr2 })

/* TSan: the dump reads the records of goroutines that are running (their
 * workers never reach a safe point), which it rightly calls a race; Go's
 * SIGQUIT dump does the same. */
#ifdef TEST_UNDER_TSAN
#define SKIP_BUSY_DUMP_UNDER_TSAN() cr_skip_test("racy by design: reads running goroutines")
#else
#define SKIP_BUSY_DUMP_UNDER_TSAN() (void)0
#endif

Test(sigquit, dumps_with_the_only_worker_busy)
{
	SKIP_BUSY_DUMP_UNDER_TSAN();
	struct death d;
	death_run_env("quit_busy", "GORO_MAXPROCS=1", &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(&d, "SIGQUIT: quit\n\ngoroutine 1 [running]:\n");
	death_assert_stderr_has(&d, "\ngoroutine 2 [");
}

Test(sigquit, dumps_with_every_worker_busy)
{
	SKIP_BUSY_DUMP_UNDER_TSAN();
	struct death d;
	death_run_env("quit_two_busy", "GORO_MAXPROCS=2", &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(&d, "SIGQUIT: quit\n\ngoroutine 1 [");
	death_assert_stderr_has(&d, "\ngoroutine 2 [");
}

Test(leakprof_signal, writes_the_profile_with_the_only_worker_parked)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/goro-test-leakprof-%d.txt", (int)getpid());
	setenv("GORO_LEAKPROF_PATH", path, 1);
	setenv("GORO_LEAKPROF_DEBUG", "1", 1);
	struct death d;
	death_run_env("leakprof_signal", "GORO_MAXPROCS=1", &d);
	unsetenv("GORO_LEAKPROF_PATH");
	unsetenv("GORO_LEAKPROF_DEBUG");
	death_assert_exit(&d, 0);
#ifdef TEST_UNDER_TSAN /* no leak verdicts under TSan (see the Makefile) */
	death_assert_stderr_has(&d, "goroutineleak profile: total ");
#else
	death_assert_stderr_has(&d, "goroutineleak profile: total 1\n");
	death_assert_stderr_has(&d, "parked+0x");
#endif
}

static void check_bad_stw_signal(const char *env)
{
	struct death d;
	death_run_env("nothing", env, &d);
	death_assert_exit(&d, 2);
	char want[128];
	snprintf(want, sizeof want, "fatal error: goro: %s: not a usable signal (use ", env);
	death_assert_stderr_has(&d, want);
	death_assert_stderr_lacks(&d, "started");
}

Test(stw_signal, unusable_signals_are_refused_at_start)
{
	check_bad_stw_signal("GORO_STW_SIGNAL=9");
	check_bad_stw_signal("GORO_STW_SIGNAL=19");
	check_bad_stw_signal("GORO_STW_SIGNAL=11");
	check_bad_stw_signal("GORO_STW_SIGNAL=0");
	check_bad_stw_signal("GORO_STW_SIGNAL=99");
	check_bad_stw_signal("GORO_STW_SIGNAL=usr1");
}

Test(stw_signal, a_real_time_signal_works)
{
	char env[64];
	snprintf(env, sizeof env, "GORO_STW_SIGNAL=%d", SIGRTMIN + 3);
	struct death d;
	death_run_env("check_then_usr2", env, &d);
	death_assert_signal(&d, SIGUSR2);
#ifndef TEST_UNDER_TSAN /* no leak verdicts under TSan (see the Makefile) */
	death_assert_stderr_has(&d, "leaked: 1\n");
#endif
}
