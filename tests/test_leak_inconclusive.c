/*
 * test_leak_inconclusive.c — detection that cannot stop every thread says
 * so: goro_leakprof_find returns GORO_LEAK_INCONCLUSIVE with the reason,
 * every goroutineleak format carries an "inconclusive: <why>" line, and
 * the verdict comes back as soon as the thread can be stopped again.
 * (The endpoint's 503 is in test_debug_server.c, the at-exit status in
 * test_programs.c.)
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <goro.h>

#include "leakers.h"
#include "unstoppable.h"
#include "waiting.h"

#define WHY "a thread could not be stopped"

#ifdef TEST_UNDER_TSAN
#define SKIP_UNDER_TSAN() \
	cr_skip_test("under TSan the leak verdicts are not meaningful (TSan's memory is a root)")
#else
#define SKIP_UNDER_TSAN() ((void)0)
#endif

Test(leak_inconclusive, find_says_inconclusive_then_finds_the_leaks)
{
	SKIP_UNDER_TSAN();
	leak_some(3);
	struct unstoppable u;
	unstoppable_start(&u);
	goro_leaked *out = (goro_leaked *)1;
	cr_assert_eq(goro_leakprof_find(&out), GORO_LEAK_INCONCLUSIVE);
	cr_assert_null(out, "no array without a verdict");
	const char *why = goro_leakprof_inconclusive();
	cr_assert_not_null(why);
	cr_assert_not_null(strstr(why, WHY), "%s", why);
	cr_assert_eq(goro_leakprof_count(), 0);
	unstoppable_stop(&u);

	cr_assert_eq(goro_leakprof_find(&out), 3);
	cr_assert_null(goro_leakprof_inconclusive(), "a verdict clears the reason");
	for (int i = 0; i < 3; i++)
		cr_assert_str_eq(out[i].function, "leakers_recv");
	goro_leakprof_free(out);
}

/* The whole output of goro_profile_write("goroutineleak", debug), and its
 * return value. */
static char *profile_text(int debug, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	*rc = goro_profile_write("goroutineleak", f, debug);
	fclose(f);
	return buf;
}

/* The protobuf profile, gunzipped (the string table holds the comment). */
static size_t profile_proto(unsigned char *raw, size_t cap, int *rc)
{
	char path[] = "/tmp/goro-inconclusive-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	*rc = goro_profile_write("goroutineleak", f, 0);
	fclose(f);
	gzFile z = gzopen(path, "rb");
	cr_assert_not_null(z);
	int n = gzread(z, raw, (unsigned)cap);
	gzclose(z);
	unlink(path);
	cr_assert_gt(n, 0);
	return (size_t)n;
}

Test(leak_inconclusive, every_format_has_the_inconclusive_line)
{
	SKIP_UNDER_TSAN();
	leak_some(2);
	struct unstoppable u;
	unstoppable_start(&u);
	int rc;
	char *t = profile_text(1, &rc);
	cr_assert_eq(rc, GORO_LEAK_INCONCLUSIVE);
	cr_assert_eq(strncmp(t, "goroutineleak profile: total 0\n# inconclusive: " WHY,
	                     strlen("goroutineleak profile: total 0\n# inconclusive: " WHY)),
	             0, "%s", t);
	free(t);

	t = profile_text(2, &rc);
	cr_assert_eq(rc, GORO_LEAK_INCONCLUSIVE);
	cr_assert_eq(strncmp(t, "inconclusive: " WHY, strlen("inconclusive: " WHY)), 0, "%s", t);
	cr_assert_null(strstr(t, "(leaked)"), "nothing is called leaked:\n%s", t);
	free(t);

	static unsigned char raw[1 << 20];
	size_t n = profile_proto(raw, sizeof raw, &rc);
	cr_assert_eq(rc, GORO_LEAK_INCONCLUSIVE);
	cr_assert_not_null(memmem(raw, n, "inconclusive: " WHY, strlen("inconclusive: " WHY)),
	                   "the profile's comment");
	unstoppable_stop(&u);

	t = profile_text(1, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(strncmp(t, "goroutineleak profile: total 2\n", 31), 0, "%s", t);
	cr_assert_null(strstr(t, "inconclusive: "), "%s", t);
	free(t);
	n = profile_proto(raw, sizeof raw, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_null(memmem(raw, n, "inconclusive: ", 14));
}

/* The goroutine profile runs no detection: a thread that cannot be
 * stopped changes nothing there. */
Test(leak_inconclusive, the_goroutine_profile_is_unaffected)
{
	struct unstoppable u;
	unstoppable_start(&u);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_eq(goro_profile_write("goroutine", f, 1), 0);
	fclose(f);
	cr_assert_null(strstr(buf, "inconclusive: "), "%s", buf);
	free(buf);
	unstoppable_stop(&u);
}
