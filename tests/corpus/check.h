/*
 * check.h — comparing a detector's report with a corpus case.
 *
 * Both detectors name a goroutine the same way (goro_leaked and
 * goro_bubble_goroutine both carry start_function and wait_reason), so the
 * drivers reduce their results to corpus_seen and share one comparison.
 */
#ifndef GORO_TESTS_CORPUS_CHECK_H
#define GORO_TESTS_CORPUS_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "corpus.h"

struct corpus_seen {
	const char *start_function;
	const char *wait_reason;
};

/*
 * Whether `seen` (what a detector reported) satisfies case c under `mode`
 * (normally c->mode).  On a mismatch, writes a readable report to msg:
 * every expectation with the count found, then everything reported that
 * no expectation allows.
 */
bool corpus_check(const struct corpus_case *c, int mode,
                  const struct corpus_seen *seen, int nseen,
                  char *msg, size_t size);

/* Whether c is well formed (ids, known wait reasons, counts, flags that
 * fit the mode); on failure writes why to msg. */
bool corpus_validate(const struct corpus_case *c, char *msg, size_t size);

/* Number of expect entries of c. */
int corpus_nexpect(const struct corpus_case *c);

/* Goroutines c's expectations account for at least (CORPUS_ANY counts 1). */
int corpus_min_expected(const struct corpus_case *c);

const char *corpus_mode_name(int mode);

#endif /* GORO_TESTS_CORPUS_CHECK_H */
