/*
 * registry.c — the registered tests and the plan of a run.
 *
 * Test() registers through a constructor, so the table fills before main,
 * in link order; the plan sorts it (suite, then name), filters it and
 * expands parameterized tests into one case per parameter.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minicriterion.h"

/* A binary has a few hundred tests at most; a fixed table keeps
 * registration allocation-free (it runs in constructors). */
enum { MC_MAX_TESTS = 4096 };

/* Written only by constructors (single-threaded, before main). */
static const struct mc_test *tests[MC_MAX_TESTS];
static size_t ntests;

void mc_register(const struct mc_test *t)
{
	if (ntests == MC_MAX_TESTS) {
		fprintf(stderr, "minicriterion: more than %d tests\n", MC_MAX_TESTS);
		abort();
	}
	tests[ntests++] = t;
}

static int by_suite_then_name(const void *a, const void *b)
{
	const struct mc_test *x = *(const struct mc_test *const *)a;
	const struct mc_test *y = *(const struct mc_test *const *)b;
	int c = strcmp(x->suite, y->suite);
	return c ? c : strcmp(x->name, y->name);
}

/* Criterion's --filter matches "suite/name". */
static bool selected(const struct mc_test *t, const char *filter)
{
	if (!filter)
		return true;
	char id[512];
	snprintf(id, sizeof id, "%s/%s", t->suite, t->name);
	return fnmatch(filter, id, 0) == 0;
}

static void *xrealloc(void *p, size_t n, size_t size)
{
	p = realloc(p, (n ? n : 1) * size);
	if (!p) {
		perror("minicriterion");
		exit(2);
	}
	return p;
}

static void add_case(struct mc_plan *plan, const struct mc_test *t, void *param, size_t index)
{
	plan->cases = xrealloc(plan->cases, plan->ncases + 1, sizeof *plan->cases);
	plan->cases[plan->ncases++] = (struct mc_case){ t, param, index };
}

/* A disabled parameterized test is one skipped case: its parameters are
 * not even computed, as with Criterion. */
static void add_parameterized(struct mc_plan *plan, const struct mc_test *t)
{
	if (t->disabled) {
		add_case(plan, t, NULL, 0);
		return;
	}
	plan->params = xrealloc(plan->params, plan->nparams + 1, sizeof *plan->params);
	struct criterion_test_params *p = &plan->params[plan->nparams++];
	*p = t->params();
	for (size_t i = 0; i < p->length; i++)
		add_case(plan, t, (char *)p->params + i * p->size, i);
}

void mc_plan_build(struct mc_plan *plan, const char *filter)
{
	*plan = (struct mc_plan){ 0 };
	qsort(tests, ntests, sizeof tests[0], by_suite_then_name);
	for (size_t i = 0; i < ntests; i++) {
		if (!selected(tests[i], filter))
			continue;
		if (tests[i]->params)
			add_parameterized(plan, tests[i]);
		else
			add_case(plan, tests[i], NULL, 0);
	}
}

void mc_plan_free(struct mc_plan *plan)
{
	for (size_t i = 0; i < plan->nparams; i++)
		if (plan->params[i].cleanup)
			plan->params[i].cleanup(&plan->params[i]);
	free(plan->params);
	free(plan->cases);
	*plan = (struct mc_plan){ 0 };
}
