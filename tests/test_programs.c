/*
 * test_programs.c — leak-detector checks that need a plain main (see
 * tests/programs/): each program runs in its own process and its output
 * is checked here.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* Runs prog with env (assignments, "" for none) in front; its status. */
static int run_env(const char *env, const char *prog, char *out, size_t cap)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s %s/%s 2>&1", env, GORO_TEST_PROGRAMS_DIR, prog);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p, "popen %s", cmd);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	return pclose(p);
}

static int run(const char *prog, char *out, size_t cap)
{
	return run_env("", prog, out, cap);
}

Test(programs, guard2_main_in_select_not_reported_child_is, .timeout = 60)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/* The sanitizer runtime keeps pointers into main's stack in its own
	 * memory: conservative roots that hide the child (a known false
	 * negative class). */
	cr_skip_test("not meaningful under a sanitizer runtime");
#endif
	char out[8192];
	int st = run("guard2_select_no_cases_main", out, sizeof out);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d, output:\n%s", st, out);
	cr_assert_not_null(strstr(out, "leaked select_no_cases_main_func1 [chan receive]"),
	                   "the child must be reported:\n%s", out);
	cr_assert_null(strstr(out, "goroutine 1\n"), "main must not be reported:\n%s", out);
	cr_assert_not_null(strstr(out, "total 1\n"), "exactly one leak:\n%s", out);
}

Test(programs, preloaded_malloc_stops_hiding_leaks, .timeout = 60)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("the preload library is not built with sanitizers");
#else
	char out[8192];
	int st = run("malloc_hidden_leak", out, sizeof out);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d:\n%s", st, out);
	cr_assert_not_null(strstr(out, "leaked 0"), "plain malloc memory is a root:\n%s", out);

	char cmd[1024];
	snprintf(cmd, sizeof cmd, "LD_PRELOAD=%s/libgoro_malloc.so %s/malloc_hidden_leak 2>&1",
	         GORO_BUILD_DIR, GORO_TEST_PROGRAMS_DIR);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = 0;
	st = pclose(p);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d:\n%s", st, out);
	cr_assert_not_null(strstr(out, "leaked 1"), "with the preload, exactly the dropped "
	                   "block's waiter leaks:\n%s", out);
#endif
}

Test(programs, leakcheck_at_exit_says_inconclusive_with_status_24, .timeout = 60)
{
	char out[8192];
	int st = run_env("GORO_LEAKCHECK=1", "leakcheck_inconclusive", out, sizeof out);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 24, "status %d:\n%s", st, out);
	cr_assert_not_null(strstr(out, "goro: leak check at exit (GORO_LEAKCHECK): inconclusive: "
	                               "a thread could not be stopped"), "%s", out);
	cr_assert_null(strstr(out, "leaked goroutine"), "%s", out);
}

/* The at-exit check waits for an in-flight pipeline to settle, then finds
 * the producer it leaves blocked. */
Test(programs, leakcheck_at_exit_waits_for_an_in_flight_pipeline, .timeout = 60)
{
#if defined(__SANITIZE_THREAD__)
	cr_skip_test("under TSan the leak verdicts are not meaningful");
#endif
	char out[16384];
	for (int i = 0; i < 5; i++) {
		int st = run_env("GORO_LEAKCHECK=1", "exit_pipeline", out, sizeof out);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 23, "run %d: status %d:\n%s", i, st,
		          out);
		cr_assert_not_null(strstr(out, "goro: 1 leaked goroutine at exit"), "%s", out);
		cr_assert_not_null(strstr(out, "producer"), "%s", out);
	}
}

/* After the check no goroutine runs: exit handlers registered before it
 * (run after it) may free what goroutines use. */
static void expect_clean_teardown(const char *env, const char *arg)
{
	char out[16384], prog[128];
	snprintf(prog, sizeof prog, "exit_teardown %s", arg);
	for (int i = 0; i < 5; i++) {
		int st = run_env(env, prog, out, sizeof out);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "run %d: status %d:\n%s", i, st, out);
		cr_assert_not_null(strstr(out, "library torn down"), "%s", out);
		cr_assert_null(strstr(out, "panic"), "%s", out);
	}
}

Test(programs, leakcheck_at_exit_keeps_goroutines_stopped_through_exit, .timeout = 60)
{
#if defined(__SANITIZE_THREAD__)
	cr_skip_test("under TSan each detection takes seconds (the goleak variant runs)");
#endif
	expect_clean_teardown("GORO_LEAKCHECK=1 GORO_LEAKCHECK_WAIT_MS=100", "leakcheck");
}

Test(programs, goleak_at_exit_keeps_goroutines_stopped_through_exit, .timeout = 60)
{
	expect_clean_teardown("", "goleak");
}
