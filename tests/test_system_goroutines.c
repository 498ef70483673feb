/*
 * The debug server's goroutines are system goroutines: hidden from the
 * user's dumps, goleak-style checks, counts and profiles, as Go hides its
 * own; GORO_TRACEBACK=system shows them (Go's GOTRACEBACK=system).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goro.h"

static char *profile(const char *name, int debug)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(goro_profile_write(name, f, debug), 0);
	fclose(f);
	return buf;
}

static int leak_count(char **report)
{
	goro_leak_opts *o = goro_leak_opts_new();
	goro_leak_max_wait(o, 100 * GORO_MILLISECOND);
	int n = goro_leak_find(o, report);
	goro_leak_opts_free(o);
	return n;
}

Test(system_goroutines, hidden_by_default)
{
	int before = goro_num_goroutine();
	cr_assert_gt(goro_debug_serve("127.0.0.1:0"), 0);
	goro_sleep(20 * GORO_MILLISECOND); /* the accept loop parks in accept */
	cr_assert_eq(goro_num_goroutine(), before, "the server's goroutines are not counted");

	char *rep = NULL;
	cr_assert_eq(leak_count(&rep), 0, "goleak blamed the server:\n%s", rep ? rep : "");
	free(rep);
	char *dump = profile("goroutine", 2);
	cr_assert_null(strstr(dump, "accept_loop"), "%s", dump);
	cr_assert_null(strstr(dump, "profiler_main"), "%s", dump);
	free(dump);
	char *counts = profile("goroutine", 1);
	cr_assert_null(strstr(counts, "accept_loop"), "%s", counts);
	free(counts);
	goro_debug_stop();
}

Test(system_goroutines, shown_with_goro_traceback_system)
{
	setenv("GORO_TRACEBACK", "system", 1); /* read once, at first use: now */
	cr_assert_gt(goro_debug_serve("127.0.0.1:0"), 0);
	goro_sleep(20 * GORO_MILLISECOND);

	char *dump = profile("goroutine", 2);
	cr_assert_not_null(strstr(dump, "accept_loop"), "%s", dump);
	cr_assert_not_null(strstr(dump, "profiler_main"), "%s", dump);
	cr_assert_not_null(strstr(dump, "goro__park"), "internal frames shown too:\n%s", dump);
	free(dump);
	char *rep = NULL;
	cr_assert_geq(leak_count(&rep), 1);
	cr_assert_not_null(strstr(rep, "accept_loop"), "%s", rep);
	free(rep);
	goro_debug_stop();
}
