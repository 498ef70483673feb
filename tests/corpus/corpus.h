/*
 * corpus.h — the goroutine-leak corpus (reference/leak-corpus.md) as data.
 *
 * A case is a program fragment, run(), that starts goroutines and returns,
 * plus what Go's detectors say about it: which goroutines leak, identified
 * by the function goro_go started and Go's wait reason, and how many.
 * The drivers (tests/test_corpus_leakprof.c, tests/test_corpus_synctest.c)
 * run every registered case and compare what goro reports with the case.
 *
 * Registering a case, next to its code:
 *
 *     CORPUS_CASE(cglp_early_return) {
 *         .id = "CGLP-4/early-return",
 *         .run = early_return_case,
 *         .mode = CORPUS_MUST_LEAK,
 *         .expect = { { "early_return_func1", "chan send", 1 } },
 *         .note = "parent returns on error before receiving",
 *         .flags = CORPUS_SYNCTEST,
 *     };
 *
 * The macro puts a pointer to the case in the "goro_corpus" ELF section;
 * the linker brackets that section with __start_/__stop_ symbols, which is
 * how registry.c finds every case without a central list.  Consequence: the
 * corpus objects must be linked into the driver directly (a static archive
 * would drop them, as nothing references them by name).
 */
#ifndef GORO_TESTS_CORPUS_H
#define GORO_TESTS_CORPUS_H

#include <stdbool.h>
#include <stddef.h>

#include <goro.h>

enum corpus_mode {
	/* Every listed leak appears with exactly its count (CORPUS_ANY: at
	 * least one) and nothing else is reported.  Go: makeTest. */
	CORPUS_MUST_LEAK,
	/* Listed leaks are allowed (at most count), not required; anything
	 * else fails.  Go: makeFlakyTest, for interleaving-dependent bugs. */
	CORPUS_MAY_LEAK,
	/* Nothing may be reported. */
	CORPUS_NO_LEAK,
	/* A real leak (listed in expect, so the driver can check the
	 * goroutines are still there) that reachability cannot see: nothing
	 * may be reported.  Documented in tests/corpus/README.md. */
	CORPUS_FALSE_NEGATIVE,
};

enum corpus_flags {
	/* Every goroutine the case leaves blocked is durably blocked in the
	 * synctest sense (channel, select, Cond, WaitGroup; no mutex wait, no
	 * timer made outside, no endless loop, no timer beyond the root's
	 * one-minute fake sleep), and the verdict under synctest equals the
	 * leakprof one: test_corpus_synctest.c runs it in a bubble. */
	CORPUS_SYNCTEST = 1 << 0,
	/* run() must run on goroutine 1 and never returns (it parks main);
	 * it starts at least one goroutine.  The driver checks from another
	 * goroutine and ends the test process with the verdict. */
	CORPUS_ON_MAIN = 1 << 1,
};

/* expect[].count: at least one such goroutine (any number for MAY_LEAK). */
#define CORPUS_ANY (-1)

/* Go's harness matches `sync.(RW)?Mutex.Lock` for a writer blocked behind
 * another writer on an RWMutex: that writer waits on the RWMutex's inner
 * Mutex.  In wait_reason, '|' separates accepted alternatives. */
#define CORPUS_RW_SECOND_WRITER "sync.RWMutex.Lock|sync.Mutex.Lock"

#define CORPUS_MAX_EXPECT 8

struct corpus_expect {
	const char *start_function; /* the C function goro_go started */
	const char *wait_reason;    /* Go's text, e.g. "chan send" */
	int count;                  /* exact number, or CORPUS_ANY */
};

struct corpus_case {
	const char *id;    /* the catalog's id, e.g. "GOKER-moby/28462" */
	void (*run)(void); /* starts the goroutines; returns (see ON_MAIN) */
	int mode;          /* enum corpus_mode */
	/* Ends at the first entry without start_function. */
	struct corpus_expect expect[CORPUS_MAX_EXPECT];
	const char *note;  /* the bug, the forcing, the Go expectation */
	int flags;         /* enum corpus_flags */
};

#define CORPUS_SECTION "goro_corpus"

#define CORPUS_CASE(name)                                                   \
	static const struct corpus_case name;                                  \
	static const struct corpus_case *const corpus__entry_##name            \
		__attribute__((used, section(CORPUS_SECTION),                      \
		               aligned(sizeof(void *)))) = &name;                  \
	static const struct corpus_case name =

/* ---- registry.c: every registered case, sorted by id ---------------- */

size_t corpus_count(void);
const struct corpus_case *corpus_at(size_t i);
const struct corpus_case *corpus_find(const char *id);

/*
 * Fills out[] (room for corpus_count() entries) with the indices of the
 * cases whose flags include all of `required`, in id order.  When
 * $GORO_CORPUS is set (to run cases by hand) only the case with that id is
 * kept, or, if no id equals it, the cases whose id contains it.  Returns
 * how many.
 */
size_t corpus_select(int required, size_t *out);

#endif /* GORO_TESTS_CORPUS_H */
