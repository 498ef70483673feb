/*
 * probe.h — forcing the interleaving a GoKer bug needs.
 *
 * Many GoKer kernels deadlock only if goroutine A reaches a lock before B
 * does.  Where a channel handshake would change the bug, a case waits for
 * the state itself, observed through the public try-calls.  Each probe
 * spins (goro_yield) until the state holds, at most CORPUS_PROBE_LIMIT, and
 * returns false on timeout: the case then runs unforced and its MUST_LEAK
 * check fails loudly instead of hanging.
 *
 * A spinning goroutine is not durably blocked, so a synctest bubble would
 * never advance its clock or finish Wait: CORPUS_SYNCTEST cases do not use
 * probes.
 */
#ifndef GORO_TESTS_CORPUS_PROBE_H
#define GORO_TESTS_CORPUS_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include <goro.h>

/* Someone holds m (TryLock fails).  A successful TryLock is undone at once. */
bool corpus_wait_mutex_held(goro_mutex *m);

/* A reader or a writer holds rw (TryLock fails). */
bool corpus_wait_rwmutex_held(goro_rwmutex *rw);

/* A writer holds rw or waits for it (TryRLock fails): Go's RWMutex, and
 * goro's, then blocks every new RLock. */
bool corpus_wait_writer_pending(goro_rwmutex *rw);

/* c holds at least n buffered values. */
bool corpus_wait_chan_len(goro_chan *c, size_t n);

#endif /* GORO_TESTS_CORPUS_PROBE_H */
