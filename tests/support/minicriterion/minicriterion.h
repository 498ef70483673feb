/*
 * minicriterion.h — what the runner's files share (not for tests: they
 * include <criterion/criterion.h>).
 *
 *   registry.c  the registered tests, and the plan: what this run runs
 *   result.c    inside a test's process: failures, skips, logs
 *   runner.c    one process per test, timeouts, verdicts
 *   main.c      command line, summary, exit status
 */
#ifndef MINICRITERION_H
#define MINICRITERION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <criterion/criterion.h>

/* One test to run: a plain test, or one parameter of a parameterized one. */
struct mc_case {
	const struct mc_test *test;
	void *param;  /* NULL for a plain test */
	size_t index; /* the parameter's index */
};

/*
 * The run's cases, sorted by suite then name (as Criterion runs them), with
 * the parameter arrays they point into.  Built before any test process is
 * forked, freed after the last one ended.
 */
struct mc_plan {
	struct mc_case *cases;
	size_t ncases;
	struct criterion_test_params *params; /* one per parameterized test */
	size_t nparams;
};

/* Builds the plan; filter: NULL or a glob on "suite/name" (Criterion's). */
void mc_plan_build(struct mc_plan *plan, const char *filter);
/* Runs the parameters' cleanups and frees the plan. */
void mc_plan_free(struct mc_plan *plan);

/*
 * What a test's process tells the runner besides its exit status.  It
 * lives in memory shared with the runner (MAP_SHARED, mapped before the
 * fork); the test's threads write it, the runner reads it only after
 * waitpid reaped the process, so waitpid orders the reads after every
 * write.  Inside the process, `claimed` elects the one thread whose
 * failure or skip fills `reason` (several goroutines may fail at once).
 */
struct mc_result {
	atomic_int failures;  /* failed assertions and expectations */
	atomic_bool claimed;  /* reason is taken */
	bool skipped;         /* cr_skip_test ended the test */
	char reason[512];     /* first failure ("file:line: ...") or skip reason */
};

/* In a test's process: where failures are recorded from now on. */
void mc_result_attach(struct mc_result *r);
/* In a test's process: nonzero if a failure was recorded. */
int mc_result_failures(void);

/* Verdict counts of a run. */
struct mc_tally {
	int passed, failed, skipped;
};

/* Runs the plan's cases, at most `jobs` at a time; default_timeout in
 * seconds applies to tests without .timeout (0: none). */
void mc_run(const struct mc_plan *plan, int jobs, double default_timeout,
            struct mc_tally *tally);

#endif /* MINICRITERION_H */
