/*
 * settle.h — running a case and letting it come to rest.  All the corpus's
 * timing assumptions live in settle.c.
 */
#ifndef GORO_TESTS_CORPUS_SETTLE_H
#define GORO_TESTS_CORPUS_SETTLE_H

#include <stdbool.h>

#include "corpus.h"

/* Runs c->run() in a goroutine of its own and waits for it to return;
 * false if it has not returned after CORPUS_RUN_LIMIT. */
bool corpus_run(const struct corpus_case *c);

/* Waits until the number of goroutines stops changing, at most
 * CORPUS_SETTLE_LIMIT: the case's goroutines have then exited or blocked. */
void corpus_settle(void);

/*
 * For a MUST_LEAK case whose expected leaks are not all reported yet:
 * waits one more tick and returns true, or returns false once
 * CORPUS_RETRY_LIMIT has passed since corpus_settle began.  A goroutine
 * that is created but has not run yet leaves the goroutine count
 * unchanged, so on a loaded machine settling can end early.
 */
bool corpus_settle_more(void);

#endif /* GORO_TESTS_CORPUS_SETTLE_H */
