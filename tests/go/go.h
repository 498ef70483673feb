/*
 * go.h — what the ports of Go's own tests share (tests/go/README.md).
 *
 * Each Go test becomes one Criterion test named after it:
 *   Test(<go package>_<go file>, <Go test name>)   e.g. Test(runtime_chan, TestChan)
 * so `go_conformance --filter 'sync_*'` runs one Go package's ports.
 *
 * A Go test that must end the process (a panic, a fatal error) runs its
 * body as a scenario in a fresh copy of the binary (death.h explains why).
 * Scenarios of every file register in one linker section, so the
 * dispatcher (go_main.c) finds any of them: GO_SCENARIO(name) { body }.
 *
 * Sizes: Go's -short iteration counts (testing.Short() is true in CI);
 * GO_N(n) shrinks them further only under ThreadSanitizer (waiting.h).
 */
#ifndef GORO_TEST_GO_H
#define GORO_TEST_GO_H

#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <goro.h>

#include "death.h"
#include "waiting.h"

#define GO_N(n) SCALED(n)

/* Go's t.Fatalf inside a goroutine other than the test's: Criterion's
 * assertions work from any thread of the test's process. */
#define go_fatalf(...) cr_assert_fail(__VA_ARGS__)

struct go_scenario_reg {
	const char *name;
	void (*fn)(void);
};

#define GO_SCENARIO(id)                                                          \
	static void go_sc_##id(void);                                                \
	__attribute__((used, section("go_scenarios"), aligned(sizeof(void *))))     \
	static struct go_scenario_reg go_sc_reg_##id = { #id, go_sc_##id };    \
	static void go_sc_##id(void)

/* Runs scenario `id` in a new process; d receives its status and stderr. */
#define go_run_scenario(id, d) death_run(#id, (d))
#define go_run_scenario_env(id, env, d) death_run_env(#id, (env), (d))

/* Go's `<-time.After(d)`-free helpers: a received value from a channel
 * within the test's patience, or a test failure. */
static inline void go_recv_soon(goro_chan *c, void *elem)
{
	int rc = goro_chan_recv_until(c, elem, SOON);
	cr_assert(rc == GORO_OK || rc == GORO_CLOSED, "receive timed out");
}

/* Is the channel ready to receive right now (Go's select with default)? */
static inline bool go_ready(goro_chan *c, void *elem)
{
	return goro_chan_tryrecv(c, elem) != GORO_WOULDBLOCK;
}

#endif /* GORO_TEST_GO_H */
