/*
 * waiting.h — waiting in tests without timing assumptions.
 *
 * Tests never assert how long something took.  They wait for a condition
 * (EVENTUALLY), bound every wait that could hang with a generous deadline
 * (SOON) so a broken runtime fails instead of hanging, and learn that a
 * goroutine has really parked on a sync object by looking at its record
 * (blocked_in), instead of sleeping and hoping it got there.
 *
 * Why the scheduler's records: "W is queued on the RWMutex" is not
 * observable through the public API, and tests such as writer preference
 * are only meaningful once it holds.  g->state is atomic and the wait
 * reason is written before the state store that publishes it (g.h), so
 * reading the reason after seeing G_WAITING is ordered.  The probes are
 * meant for goroutines that stay parked while we look.
 */
#ifndef GORO_TEST_WAITING_H
#define GORO_TEST_WAITING_H

#include <criterion/criterion.h>
#include <stdatomic.h>

#include <goro.h>

#include "sched/g.h"
#include "sched/sched.h"

/* The cap on every wait in a test: far beyond any sane latency, well
 * below Criterion's timeout. */
#define TEST_PATIENCE (20 * GORO_SECOND)

/*
 * ThreadSanitizer makes goroutine creation and switches one to two orders
 * of magnitude slower, so volume tests shrink there: under TSan the point
 * is finding races, which a smaller run does as well.
 */
#if defined(__SANITIZE_THREAD__)
#define TEST_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_UNDER_TSAN 1
#endif
#endif
#ifdef TEST_UNDER_TSAN
#define SCALED(n) ((n) / 20 > 0 ? (n) / 20 : 1)
#else
#define SCALED(n) (n)
#endif

/* A deadline for waits that must succeed (generous: never a timing assert). */
#define SOON (goro_now() + TEST_PATIENCE)

/* A deadline d from now, for waits that must time out. */
static inline int64_t after_now(goro_duration d)
{
	return goro_now() + d;
}

/* Polls cond, sleeping so other goroutines run, until it holds; fails the
 * test if it never does. */
#define EVENTUALLY(cond)                                                     \
	do {                                                                     \
		int64_t eventually_end_ = goro_now() + TEST_PATIENCE;                \
		while (!(cond) && goro_now() < eventually_end_)                      \
			goro_sleep(GORO_MILLISECOND);                                    \
		cr_assert((cond), "condition never became true: %s", #cond);         \
	} while (0)

struct blocked_probe {
	int64_t id; /* 0: any goroutine */
	int reason; /* enum goro_wait_reason */
	int count;
};

static inline void blocked_probe_visit(struct goro_g *g, void *arg)
{
	struct blocked_probe *p = arg;
	if (p->id && g->id != p->id)
		return;
	if (atomic_load_explicit(&g->state, memory_order_acquire) != G_WAITING)
		return;
	if (__atomic_load_n(&g->wait_reason, __ATOMIC_RELAXED) == p->reason)
		p->count++;
}

/* Goroutines parked right now with wait reason `reason` (WR_MUTEX, ...). */
static inline int blocked_count(int reason)
{
	struct blocked_probe p = { .id = 0, .reason = reason };
	goro__for_each_g(blocked_probe_visit, &p);
	return p.count;
}

/* Whether goroutine id is parked right now with wait reason `reason`. */
static inline bool blocked_in(int64_t id, int reason)
{
	struct blocked_probe p = { .id = id, .reason = reason };
	goro__for_each_g(blocked_probe_visit, &p);
	return p.count > 0;
}

/* Waits until every goroutine but `baseline` ones has exited. */
#define GOROUTINES_BACK_TO(baseline) EVENTUALLY(goro_num_goroutine() == (baseline))

#endif /* GORO_TEST_WAITING_H */
