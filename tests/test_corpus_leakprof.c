/*
 * test_corpus_leakprof.c — every case of the leak corpus (tests/corpus/)
 * against the goroutineleak profile (goro_leakprof_find).
 *
 * One parameterized test instance per case, each in its own process (so a
 * case's leaked goroutines cannot disturb the next).  A failure names the
 * case and lists every expected kind of goroutine with the count found,
 * then everything reported that the case does not allow.  To run one case:
 *
 *     GORO_CORPUS=GOKER-moby/28462 ./test_corpus_leakprof --verbose
 *
 * The corpus objects (every .c file of tests/corpus/) must be linked in
 * directly, not through a static archive: the registry finds cases by
 * linker section.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>

#include "corpus/check.h"
#include "corpus/corpus.h"
#include "corpus/settle.h"

/* Detections can take a while on the 10,000-goroutine cases under
 * valgrind; a hung detector must still end the test. */
#define CORPUS_TEST_TIMEOUT 120.0

enum { REPORT_SIZE = 8192 };

/*
 * Runs leak detection and compares it with c.  baseline is the number of
 * goroutines before the case started: a FALSE_NEGATIVE case must also
 * still have its blocked goroutines, or it proves nothing.
 */
static bool detect_and_check(const struct corpus_case *c, int baseline,
                             char *msg, size_t size)
{
	/* Static, like the report buffers below: a pointer into a frame makes
	 * the rest of that frame reachable, and the driver's frames reuse the
	 * stack the inline case ran on (its stale words would count). */
	static goro_leaked *leaks;
	leaks = NULL;
	int n = goro_leakprof_find(&leaks);
	struct corpus_seen *seen = calloc(n > 0 ? (size_t)n : 1, sizeof *seen);
	bool ok;

	if (!seen)
		abort();
	for (int i = 0; i < n; i++)
		seen[i] = (struct corpus_seen){ leaks[i].start_function,
		                                leaks[i].wait_reason };
	ok = corpus_check(c, c->mode, seen, n, msg, size);
	if (ok && c->mode == CORPUS_FALSE_NEGATIVE) {
		int remaining = goro_num_goroutine() - baseline;
		if (remaining < corpus_min_expected(c)) {
			snprintf(msg, size,
			         "%s: only %d goroutine(s) of the case remain, %d "
			         "expected blocked: the leak did not happen, so the "
			         "false negative is not shown\n  case: %s",
			         c->id, remaining, corpus_min_expected(c), c->note);
			ok = false;
		}
	}
	free(seen);
	/* The array holds the leaked goroutines' wait objects; freed malloc
	 * memory is still scanned, so stale copies would keep those objects
	 * reachable in the next detection (the MUST_LEAK retry). */
	if (leaks)
		explicit_bzero(leaks, (size_t)n * sizeof *leaks);
	goro_leakprof_free(leaks);
	return ok;
}

/*
 * Lets the case settle, then checks.  A report only grows while goroutines
 * finish blocking (a leaked goroutine stays leaked), so a MUST_LEAK case
 * that is still short of its leaks is checked again for a while.
 */
static bool settle_and_check(const struct corpus_case *c, int baseline,
                             char *msg, size_t size)
{
	corpus_settle();
	for (;;) {
		bool ok = detect_and_check(c, baseline, msg, size);
		if (ok || c->mode != CORPUS_MUST_LEAK || !corpus_settle_more())
			return ok;
	}
}

/* ---- cases that run on goroutine 1 (CORPUS_ON_MAIN) --------------- */

struct main_check {
	const struct corpus_case *c;
	int baseline;
};

/* Ends the test process: Criterion counts exit status 0 as a pass.
 * _exit, because main is parked and nothing may be torn down under it. */
static _Noreturn void end_test_process(bool ok, const char *msg)
{
	if (!ok)
		fprintf(stderr, "%s\n", msg);
	fflush(NULL);
	_exit(ok ? 0 : 1);
}

/* Checks from a goroutine of its own while main stays parked in run(). */
static void corpus_main_checker(void *arg)
{
	const struct main_check *m = arg;
	char msg[REPORT_SIZE];
	const int64_t deadline = goro_now() + 5 * GORO_SECOND;

	/* An ON_MAIN case starts at least one goroutine: wait for it (the
	 * checker is one goroutine over the baseline already). */
	while (goro_num_goroutine() < m->baseline + 2 && goro_now() < deadline)
		goro_sleep(GORO_MILLISECOND);
	end_test_process(settle_and_check(m->c, m->baseline, msg, sizeof msg), msg);
}

static _Noreturn void run_on_main(const struct corpus_case *c, int baseline)
{
	char msg[256];

	goro_go(corpus_main_checker, &(struct main_check){ c, baseline });
	c->run();
	snprintf(msg, sizeof msg, "%s: run() returned on the main goroutine", c->id);
	end_test_process(false, msg);
}

/* ---- one test per case -------------------------------------------- */

static void free_case_indices(struct criterion_test_params *params)
{
	cr_free(params->params);
}

/* Every case of the corpus, as the parameters of a test. */
static struct criterion_test_params every_case(void)
{
	size_t n = corpus_count();
	size_t *indices = cr_malloc((n ? n : 1) * sizeof *indices);

	n = corpus_select(0, indices);
	return cr_make_param_array(size_t, indices, n, free_case_indices);
}

ParameterizedTestParameters(corpus_leakprof, each_case)
{
	return every_case();
}

ParameterizedTest(size_t *index, corpus_leakprof, each_case,
                  .timeout = CORPUS_TEST_TIMEOUT)
{
	const struct corpus_case *c = corpus_at(*index);
	static char msg[REPORT_SIZE];

	cr_assert_not_null(c);
	cr_log_info("%s (%s)", c->id, corpus_mode_name(c->mode));
	int baseline = goro_num_goroutine();
	if (c->flags & CORPUS_ON_MAIN)
		run_on_main(c, baseline);
	cr_assert(corpus_run(c), "%s: run() did not return", c->id);
	cr_assert(settle_and_check(c, baseline, msg, sizeof msg), "%s", msg);
}

/*
 * The same cases called straight from the driver's goroutine, the way
 * programs call code: the case's locals stay behind in dead slots of this
 * live frame and in callee-saved registers' save slots, and the detector
 * must see through them (liveness-aware stack scanning).
 */
ParameterizedTestParameters(corpus_leakprof, each_case_called_inline)
{
	return every_case();
}

ParameterizedTest(size_t *index, corpus_leakprof, each_case_called_inline,
                  .timeout = CORPUS_TEST_TIMEOUT)
{
	const struct corpus_case *c = corpus_at(*index);
	static char msg[REPORT_SIZE];

	cr_assert_not_null(c);
#if defined(__SANITIZE_ADDRESS__)
	/* ASan poisons and unpoisons the redzones of every frame with
	 * address-taken locals through computed frame addresses, which the
	 * liveness analysis must take as reads of the whole frame. */
	cr_skip_test("ASan's frame instrumentation hides dead slots");
#endif
	cr_log_info("%s (%s), called inline", c->id, corpus_mode_name(c->mode));
	int baseline = goro_num_goroutine();
	if (c->flags & CORPUS_ON_MAIN)
		run_on_main(c, baseline); /* already on the driver's goroutine */
	c->run();
	cr_assert(settle_and_check(c, baseline, msg, sizeof msg), "%s", msg);
}

/* ---- the corpus itself -------------------------------------------- */

Test(corpus_registry, every_case_is_well_formed)
{
	char msg[1024];

	cr_assert_gt(corpus_count(), 0, "no case registered: are the corpus "
	             "objects linked into this test?");
	for (size_t i = 0; i < corpus_count(); i++) {
		const struct corpus_case *c = corpus_at(i);
		cr_expect(corpus_validate(c, msg, sizeof msg), "%s", msg);
		if (i > 0)
			cr_expect_str_neq(corpus_at(i - 1)->id, c->id,
			                  "duplicate case id %s", c->id);
	}
}

/* Every case leak-corpus.md describes (sections 1-4) is ported; the ones
 * that are not are listed in tests/corpus/README.md with the reason. */
Test(corpus_registry, covers_the_catalog)
{
	static const char *const catalog[] = {
		"CGLP-1/", "CGLP-2/", "CGLP-3/", "CGLP-4/", "CGLP-5/", "CGLP-6/",
		"GOKER-cockroach/1462", "GOKER-cockroach/2448",
		"GOKER-cockroach/3710", "GOKER-cockroach/9935",
		"GOKER-cockroach/10214", "GOKER-cockroach/10790",
		"GOKER-cockroach/13197", "GOKER-cockroach/13755",
		"GOKER-cockroach/18101", "GOKER-cockroach/24808",
		"GOKER-cockroach/35073", "GOKER-cockroach/35931",
		"GOKER-etcd/6857", "GOKER-etcd/6873", "GOKER-etcd/7902",
		"GOKER-etcd/10492", "GOKER-grpc/3017", "GOKER-hugo/3251",
		"GOKER-istio/16224", "GOKER-kubernetes/1321",
		"GOKER-kubernetes/5316", "GOKER-kubernetes/11298",
		"GOKER-kubernetes/13135", "GOKER-kubernetes/38669",
		"GOKER-kubernetes/58107", "GOKER-moby/17176", "GOKER-moby/25384",
		"GOKER-moby/28462", "GOKER-moby/29733", "GOKER-moby/33293",
		"GOKER-moby/36114", "GOKER-serving/2137", "GOKER-syncthing/4829",
		"MICRO-1/", "MICRO-3/", "MICRO-6/", "MICRO-8/", "MICRO-11/",
		"MICRO-12/", "GUARD-2/", "STRESS-1/", "STRESS-2/",
		"GOLF-L1/", "GOLF-L3/", "GOLF-L4/", "GOLF-L8/", "GOLF-C2/",
		"GOLF-C5/", "GOLF-C7/", "GOLF-C8/", "GOLF-C9/", "GOLF-C12/",
		"FN-1/", "FN-2/", "FN-4/",
	};

	for (size_t k = 0; k < sizeof catalog / sizeof *catalog; k++) {
		size_t len = strlen(catalog[k]);
		bool found = false;
		for (size_t i = 0; i < corpus_count() && !found; i++)
			found = strncmp(corpus_at(i)->id, catalog[k], len) == 0;
		cr_expect(found, "no case for %s", catalog[k]);
	}
}
