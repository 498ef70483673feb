/*
 * main.c — minicriterion's command line and summary.
 *
 *   test_x [--jobs N | -jN] [--timeout SECONDS] [--filter GLOB] [--list]
 *
 * Criterion's meaning: --jobs runs N tests at once (default 1 here),
 * --timeout is the limit of tests without .timeout (default 120 s, 0:
 * none), --filter selects "suite/name" by glob.  Criterion's other flags
 * (--verbose, --tap=..., -O tap:file, ...) are accepted and ignored, so
 * the CTest command lines of both harnesses are the same.
 *
 * Output, on stderr like Criterion's: each test's own output, then its
 *     [PASS] suite::name
 *     [FAIL] suite::name: reason
 *     [SKIP] suite::name: reason
 * and finally the line "N passed, N failed" (", N skipped" if any).
 * Exit status: 1 if a test failed, 2 if the runner itself failed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minicriterion.h"

enum { DEFAULT_TIMEOUT_SECONDS = 120 };

struct options {
	int jobs;
	double timeout;
	const char *filter;
	bool list;
};

static _Noreturn void usage(const char *prog)
{
	fprintf(stderr,
	        "usage: %s [--jobs N] [--timeout SECONDS] [--filter SUITE/NAME-GLOB] [--list]\n",
	        prog);
	exit(2);
}

/* If argv[*i] is option `name` ("--name=V", "--name V", or for a short
 * name also "-nV"), sets *value and moves *i past it. */
static bool take_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);
	const char *arg = argv[*i];

	if (strncmp(arg, name, n) != 0)
		return false;
	if (arg[n] == '=' || (arg[n] != '\0' && name[1] != '-')) {
		*value = arg + n + (arg[n] == '=');
		return true;
	}
	if (arg[n] != '\0')
		return false; /* a longer option's prefix */
	if (*i + 1 >= argc)
		usage(argv[0]);
	*value = argv[++*i];
	return true;
}

static struct options parse(int argc, char **argv)
{
	struct options o = { .jobs = 1, .timeout = DEFAULT_TIMEOUT_SECONDS };
	const char *v;

	for (int i = 1; i < argc; i++) {
		if (take_value(argc, argv, &i, "--jobs", &v) || take_value(argc, argv, &i, "-j", &v))
			o.jobs = atoi(v);
		else if (take_value(argc, argv, &i, "--timeout", &v))
			o.timeout = atof(v);
		else if (take_value(argc, argv, &i, "--filter", &v))
			o.filter = v;
		else if (strcmp(argv[i], "--list") == 0 || strcmp(argv[i], "-l") == 0)
			o.list = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			usage(argv[0]);
		else if (take_value(argc, argv, &i, "-O", &v) ||
		         take_value(argc, argv, &i, "--output", &v))
			continue; /* Criterion's report outputs: ignored, value too */
		/* anything else: one of Criterion's flags, ignored */
	}
	if (o.jobs < 1)
		o.jobs = 1;
	return o;
}

static void list(const struct mc_plan *plan)
{
	for (size_t i = 0; i < plan->ncases; i++) {
		const struct mc_case *c = &plan->cases[i];
		printf("%s::%s", c->test->suite, c->test->name);
		if (c->param)
			printf("[%zu]", c->index);
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	struct options o = parse(argc, argv);
	struct mc_plan plan;
	struct mc_tally tally = { 0 };

	mc_plan_build(&plan, o.filter);
	if (o.list) {
		list(&plan);
		mc_plan_free(&plan);
		return 0;
	}
	mc_run(&plan, o.jobs, o.timeout, &tally);
	mc_plan_free(&plan);

	fprintf(stderr, "%d passed, %d failed", tally.passed, tally.failed);
	if (tally.skipped)
		fprintf(stderr, ", %d skipped", tally.skipped);
	fputc('\n', stderr);
	return tally.failed ? 1 : 0;
}
