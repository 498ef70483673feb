/*
 * testfail.c — the test-failure hook behind GORO_LEAK_ASSERT_NONE and
 * GORO_SYNCTEST_ASSERT (goro.h, "Failing the current test").
 *
 * The hook and its argument are set together and read together under a
 * mutex: a test framework installs its hook once, before its tests run,
 * but nothing stops a program from swapping it while another thread fails.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* Lock order: a leaf (the hook runs after it is released). */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static goro_test_fail_fn hook_fn;
static void *hook_ctx;

GORO_API void goro_set_test_fail(goro_test_fail_fn fn, void *ctx)
{
	pthread_mutex_lock(&hook_lock);
	hook_fn = fn;
	hook_ctx = ctx;
	pthread_mutex_unlock(&hook_lock);
}

/* The hook, or the default with what failed in its first line. */
static void fail(const char *what, const char *report, const char *file, int line)
{
	pthread_mutex_lock(&hook_lock);
	goro_test_fail_fn fn = hook_fn;
	void *ctx = hook_ctx;
	pthread_mutex_unlock(&hook_lock);

	if (report == NULL)
		report = "(no report)";
	if (fn != NULL) {
		fn(report, file, line, ctx);
		return;
	}
	/* The default: a plain C test program fails as a whole. */
	fflush(stdout);
	fprintf(stderr, "%s:%d: %s:\n%s\n", file, line, what, report);
	fflush(stderr);
	exit(1);
}

GORO_API void goro_test_fail_(const char *report, const char *file, int line)
{
	fail("test failed", report, file, line);
}

GORO_API void goro_synctest_fail_(goro_bubble_result *res, const char *file, int line)
{
	fail("synctest bubble failed", res->report, file, line);
}

GORO_API void goro_leak_report_free(char *report)
{
	free(report);
}
