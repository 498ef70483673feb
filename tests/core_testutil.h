/*
 * core_testutil.h — small helpers shared by the runtime-core tests
 * (test_goroutine, test_chan, test_select, test_stress, test_deadlock).
 *
 * Waiting in tests: never "sleep and hope".  A test that needs another
 * goroutine to be blocked first waits until goro's own goroutine dump says
 * so (blocked_count), and every wait gives up after a generous limit so
 * that a broken runtime fails the test instead of hanging it.
 */
#ifndef GORO_TEST_CORE_TESTUTIL_H
#define GORO_TEST_CORE_TESTUTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <goro.h>

/* How long a test waits for something that should happen promptly. */
#define TEST_PATIENCE (20 * GORO_SECOND)

/* Waits (sleeping, so that other goroutines run) until cond holds. */
#define EVENTUALLY(cond)                                                     \
	do {                                                                     \
		int64_t eventually_end_ = goro_now() + TEST_PATIENCE;                \
		while (!(cond) && goro_now() < eventually_end_)                      \
			goro_sleep(GORO_MILLISECOND);                                    \
		cr_assert((cond), "condition never became true: %s", #cond);         \
	} while (0)

static inline int recv_int(goro_chan *c)
{
	int v = 0;
	cr_assert(goro_chan_recv(c, &v), "channel closed unexpectedly");
	return v;
}

/*
 * Number of goroutines whose dump header says they wait for exactly
 * `reason` ("chan send", "select", ...): "goroutine N [reason]:" or
 * "goroutine N [reason, ...]:".
 */
static inline int blocked_count(const char *reason)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	goro_dump(f);
	fclose(f);
	char want[96];
	int wl = snprintf(want, sizeof want, " [%s", reason);
	int n = 0;
	for (const char *p = text; (p = strstr(p, want)) != NULL; p += wl)
		if (p[wl] == ']' || p[wl] == ',')
			n++;
	free(text);
	return n;
}

/* Waits until exactly n goroutines are blocked for `reason`. */
#define EVENTUALLY_BLOCKED(reason, n) EVENTUALLY(blocked_count(reason) == (n))

#endif /* GORO_TEST_CORE_TESTUTIL_H */
