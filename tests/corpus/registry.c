/*
 * registry.c — the table of registered corpus cases.
 *
 * CORPUS_CASE puts one `const struct corpus_case *` per case into the
 * "goro_corpus" section; GNU ld defines __start_/__stop_ symbols around a
 * section whose name is a C identifier, so the section is an array of case
 * pointers in link order.  The registry sorts a copy by id once, so that
 * an index means the same case in Criterion's runner process and in the
 * per-test process it spawns (both compute the same order).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"

extern const struct corpus_case *const __start_goro_corpus[];
extern const struct corpus_case *const __stop_goro_corpus[];

/* Written once under `sorted_once`, read-only afterwards. */
static const struct corpus_case **sorted;
static size_t nsorted;
static pthread_once_t sorted_once = PTHREAD_ONCE_INIT;

static int by_id(const void *a, const void *b)
{
	const struct corpus_case *const *x = a;
	const struct corpus_case *const *y = b;
	return strcmp((*x)->id, (*y)->id);
}

static void sort_cases(void)
{
	nsorted = (size_t)(__stop_goro_corpus - __start_goro_corpus);
	sorted = calloc(nsorted ? nsorted : 1, sizeof *sorted);
	if (!sorted)
		abort();
	for (size_t i = 0; i < nsorted; i++)
		sorted[i] = __start_goro_corpus[i];
	qsort(sorted, nsorted, sizeof *sorted, by_id);
}

size_t corpus_count(void)
{
	pthread_once(&sorted_once, sort_cases);
	return nsorted;
}

const struct corpus_case *corpus_at(size_t i)
{
	return i < corpus_count() ? sorted[i] : NULL;
}

const struct corpus_case *corpus_find(const char *id)
{
	for (size_t i = 0; i < corpus_count(); i++)
		if (strcmp(sorted[i]->id, id) == 0)
			return sorted[i];
	return NULL;
}

/* $GORO_CORPUS names one case exactly, or else is a substring of ids. */
static bool wanted(const char *id, const char *only, bool exact)
{
	if (!only || !*only)
		return true;
	return exact ? strcmp(id, only) == 0 : strstr(id, only) != NULL;
}

size_t corpus_select(int required, size_t *out)
{
	const char *only = getenv("GORO_CORPUS");
	bool exact = only && corpus_find(only);
	size_t n = 0;

	for (size_t i = 0; i < corpus_count(); i++) {
		const struct corpus_case *c = sorted[i];
		if ((c->flags & required) == required && wanted(c->id, only, exact))
			out[n++] = i;
	}
	return n;
}
