/*
 * test_corpus_synctest.c — the corpus cases whose leaks are all durable
 * (flag CORPUS_SYNCTEST), each run as the root of a synctest bubble, as in
 * the article's Cancel/Timeout test:
 *
 *     synctest.Test(t, func(t *testing.T) {
 *         run()
 *         time.Sleep(time.Minute) // on the fake clock: lets timers fire
 *         synctest.Wait()
 *     })
 *
 * A leaking case must end in GORO_BUBBLE_LEAKED ("main bubble goroutine
 * has exited but blocked goroutines remain") with exactly the case's
 * goroutines in res.blocked; a no-leak case in GORO_BUBBLE_OK; a flaky
 * (MAY_LEAK) case in either, blocking only goroutines it allows.
 * GORO_CORPUS=<id substring> selects cases, as for test_corpus_leakprof.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>

#include "corpus/check.h"
#include "corpus/corpus.h"

#define CORPUS_TEST_TIMEOUT 120.0

enum { REPORT_SIZE = 8192, REASON_SIZE = 48 };

static const char durable_suffix[] = " (durable)";

/*
 * The bubble's clock only moves while its root runs (Go 1.26 stops it once
 * the root returns: a goroutine still waiting on a timer is then reported
 * as blocked).  The root therefore sleeps past every timer a case starts
 * (the longest is 5 s), which costs nothing on the fake clock.
 */
#define BUBBLE_ROOT_SLEEP GORO_MINUTE

struct bubble_root_arg {
	const struct corpus_case *c;
};

static void corpus_bubble_root(void *arg)
{
	const struct corpus_case *c = ((const struct bubble_root_arg *)arg)->c;
	c->run();
	goro_sleep(BUBBLE_ROOT_SLEEP);
	goro_synctest_wait();
}

static const char *bubble_status_name(int status)
{
	switch (status) {
	case GORO_BUBBLE_OK: return "GORO_BUBBLE_OK";
	case GORO_BUBBLE_LEAKED: return "GORO_BUBBLE_LEAKED";
	case GORO_BUBBLE_DEADLOCK: return "GORO_BUBBLE_DEADLOCK";
	}
	return "an unknown status";
}

/* The bubble's verdict a mode requires. */
static bool status_fits(int mode, int status)
{
	switch (mode) {
	case CORPUS_MUST_LEAK: return status == GORO_BUBBLE_LEAKED;
	case CORPUS_NO_LEAK: return status == GORO_BUBBLE_OK;
	case CORPUS_MAY_LEAK:
		return status == GORO_BUBBLE_OK || status == GORO_BUBBLE_LEAKED;
	}
	return false;
}

/* A wait reason as the leak profile names it: the bubble may add Go's
 * " (durable)" marker, which the corpus does not spell. */
static void plain_reason(const char *reason, char out[REASON_SIZE])
{
	size_t len = strnlen(reason, REASON_SIZE - 1);
	size_t suffix = sizeof durable_suffix - 1;

	if (len >= suffix && strncmp(reason + len - suffix, durable_suffix, suffix) == 0)
		len -= suffix;
	memcpy(out, reason, len);
	out[len] = '\0';
}

/* Compares the bubble's outcome with c; on a mismatch fills msg. */
static bool check_bubble(const struct corpus_case *c, int status,
                         const goro_bubble_result *res, char *msg, size_t size)
{
	int n = status == GORO_BUBBLE_OK ? 0 : res->nblocked;
	struct corpus_seen *seen = calloc(n > 0 ? (size_t)n : 1, sizeof *seen);
	char (*reasons)[REASON_SIZE] = calloc(n > 0 ? (size_t)n : 1, sizeof *reasons);
	bool ok;

	if (!seen || !reasons)
		abort();
	for (int i = 0; i < n; i++) {
		plain_reason(res->blocked[i].wait_reason, reasons[i]);
		seen[i] = (struct corpus_seen){ res->blocked[i].start_function,
		                                reasons[i] };
	}
	ok = corpus_check(c, c->mode, seen, n, msg, size);
	if (!status_fits(c->mode, status)) {
		size_t len = ok ? 0 : strlen(msg);
		snprintf(msg + len, size - len, "%s%s: the bubble ended with %s\n%s",
		         ok ? "" : "\n", c->id, bubble_status_name(status),
		         res->report ? res->report : "(no report)");
		ok = false;
	}
	free(reasons);
	free(seen);
	return ok;
}

static void free_case_indices(struct criterion_test_params *params)
{
	cr_free(params->params);
}

ParameterizedTestParameters(corpus_synctest, each_durable_case)
{
	size_t n = corpus_count();
	size_t *indices = cr_malloc((n ? n : 1) * sizeof *indices);

	n = corpus_select(CORPUS_SYNCTEST, indices);
	return cr_make_param_array(size_t, indices, n, free_case_indices);
}

ParameterizedTest(size_t *index, corpus_synctest, each_durable_case,
                  .timeout = CORPUS_TEST_TIMEOUT)
{
	const struct corpus_case *c = corpus_at(*index);
	goro_bubble_result res;
	char msg[REPORT_SIZE];

	memset(&res, 0, sizeof res);
	cr_assert_not_null(c);
	cr_log_info("%s (%s)", c->id, corpus_mode_name(c->mode));
	int status = goro_synctest_run(&res, corpus_bubble_root,
	                               &(struct bubble_root_arg){ c });
	bool ok = check_bubble(c, status, &res, msg, sizeof msg);
	goro_bubble_result_free(&res);
	cr_assert(ok, "%s", msg);
}
