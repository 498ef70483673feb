/*
 * test_sched.c — what the scheduler promises about order and starvation:
 * runnext (the goroutine just spawned or woken runs next), the shared
 * time slice (two goroutines handing a value back and forth cannot starve
 * the rest of their worker), trees unfolding depth-first, and the monitor
 * (a goroutine holding its worker is reported and the goroutines that
 * never ran are handed to other workers).
 *
 * Order depends on the number of workers, so each test runs its program
 * in a fresh process with the settings it needs (death.h scenarios set
 * their environment before the first goro call starts the runtime).
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <goro.h>

#include "death.h"
#include "waiting.h"

static void start_with(const char *maxprocs, const char *stall_ms, const char *warn)
{
	setenv("GORO_MAXPROCS", maxprocs, 1);
	if (stall_ms)
		setenv("GORO_STALL_MS", stall_ms, 1);
	if (warn)
		setenv("GORO_STALL_WARN", warn, 1);
	(void)goro_maxprocs(); /* starts the runtime with them */
}

/* ---- runnext -------------------------------------------------------- */

static char order[64];
static atomic_int norder;

static void note(void *p)
{
	order[atomic_fetch_add(&norder, 1)] = *(char *)p;
}

struct noted {
	char name;
	goro_chan *in;      /* NULL: note at once; else after a receive */
	goro_waitgroup *wg;
};

static void noted_fn(void *p)
{
	struct noted *n = p;
	int v;
	if (n->in)
		goro_chan_recv(n->in, &v);
	note(&n->name);
	goro_waitgroup_done(n->wg);
}

/* One worker: a parent that spawns a, b, c and then blocks runs c first
 * (it took runnext last), then the older ones. */
static void sc_spawned_runs_next(void)
{
	start_with("1", NULL, NULL);
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, 3);
	for (char c = 'a'; c <= 'c'; c++)
		goro_go(noted_fn, &(struct noted){ .name = c, .wg = &wg });
	goro_waitgroup_wait(&wg);
	fprintf(stderr, "order=%.3s\n", order);
	exit(0);
}

Test(sched, the_goroutine_spawned_last_runs_first_when_the_parent_blocks)
{
	struct death d;
	death_run("spawned_runs_next", &d);
	death_assert_exit(&d, 0);
	const char *o = death_stderr_from(&d, "order=");
	cr_assert_not_null(o, "%s", d.err);
	cr_assert_eq(o[6], 'c', "%s", o);
}

/* One worker: r is parked on a channel and x is spawned (runnable, never
 * ran); the parent then wakes r by sending: r runs before x. */
static void sc_woken_runs_next(void)
{
	start_with("1", NULL, NULL);
	goro_waitgroup wg = { 0 };
	goro_chan *ch = goro_chan_new(int, 1);
	goro_waitgroup_add(&wg, 2);
	int64_t r = goro_go(noted_fn, &(struct noted){ .name = 'r', .in = ch, .wg = &wg });
	while (!blocked_in(r, WR_CHAN_RECV))
		goro_yield();
	goro_go(noted_fn, &(struct noted){ .name = 'x', .wg = &wg });
	goro_send(ch, 1);
	goro_waitgroup_wait(&wg);
	fprintf(stderr, "order=%.2s\n", order);
	exit(0);
}

Test(sched, the_goroutine_just_woken_runs_before_older_runnable_ones)
{
	struct death d;
	death_run("woken_runs_next", &d);
	death_assert_exit(&d, 0);
	death_assert_stderr_has(&d, "order=rx");
}

/* ---- the time slice --------------------------------------------------- */

static atomic_bool pair_stop;

struct pair {
	goro_chan *a, *b;
	goro_waitgroup *wg;
};

static void ping(void *p)
{
	struct pair *pr = p;
	int v = 0;
	while (!atomic_load(&pair_stop)) {
		goro_chan_send(pr->a, &v);
		goro_chan_recv(pr->b, &v);
	}
	goro_chan_close(pr->a);
	goro_waitgroup_done(pr->wg);
}

static void pong(void *p)
{
	struct pair *pr = p;
	int v;
	while (goro_chan_recv(pr->a, &v))
		goro_chan_send(pr->b, &v);
	goro_waitgroup_done(pr->wg);
}

/* One worker: a pair hands a value back and forth through runnext
 * forever; main, which only yields (so it waits in the run queue), still
 * gets its turns and stops them.  Without the shared slice this hangs. */
static void sc_pair_does_not_starve_the_queue(void)
{
	start_with("1", NULL, NULL);
	goro_waitgroup wg = { 0 };
	struct pair pr = { goro_chan_new(int, 0), goro_chan_new(int, 0), &wg };
	goro_waitgroup_add(&wg, 2);
	goro_go(ping, &pr);
	goro_go(pong, &pr);
	for (int i = 0; i < 1000; i++)
		goro_yield();
	atomic_store(&pair_stop, true);
	goro_waitgroup_wait(&wg);
	fprintf(stderr, "main ran\n");
	exit(0);
}

Test(sched, a_pair_handing_over_through_runnext_cannot_starve_the_run_queue)
{
	struct death d;
	death_run("pair_does_not_starve", &d);
	death_assert_exit(&d, 0);
	death_assert_stderr_has(&d, "main ran");
}

/* ---- depth-first trees ------------------------------------------------ */

static atomic_int tree_peak;

struct tree {
	goro_chan *out;
	int depth;
};

static void tree_node(void *p)
{
	struct tree *t = p;
	long sum = 0, v;
	int live = goro_num_goroutine();
	for (int peak = atomic_load(&tree_peak); live > peak;)
		if (atomic_compare_exchange_weak(&tree_peak, &peak, live))
			break;
	if (t->depth > 0) {
		goro_chan *rc = goro_chan_new(long, 0);
		for (int i = 0; i < 10; i++)
			goro_go(tree_node, &(struct tree){ .out = rc, .depth = t->depth - 1 });
		for (int i = 0; i < 10; i++) {
			goro_chan_recv(rc, &v);
			sum += v;
		}
		goro_chan_free(rc);
	} else {
		sum = 1;
	}
	goro_chan_send(t->out, &sum);
}

/* One worker, a 10-ary tree of 10,000 leaves (as skynet): it unfolds
 * depth-first, the fairness tick starting an old waiting goroutine now and
 * then: about 800 goroutines exist at once.  A FIFO of new goroutines
 * (breadth-first) would hold 8,300, Go's run queues about 2,800.  Under
 * TSan (spawns 100x slower) 1,000 leaves: about 120, against 920. */
#ifdef TEST_UNDER_TSAN
enum { TREE_DEPTH = 3, TREE_LEAVES = 1000, TREE_MAX_PEAK = 300 };
#else
enum { TREE_DEPTH = 4, TREE_LEAVES = 10000, TREE_MAX_PEAK = 1500 };
#endif

static void sc_tree_depth_first(void)
{
	start_with("1", "0", NULL); /* no monitor: under a sanitizer spawning
	                             * ten children may take 10 ms */
	goro_chan *out = goro_chan_new(long, 1);
	long leaves = 0;
	goro_go(tree_node, &(struct tree){ .out = out, .depth = TREE_DEPTH });
	goro_chan_recv(out, &leaves);
	fprintf(stderr, "leaves=%ld peak=%d\n", leaves, atomic_load(&tree_peak));
	exit(leaves == TREE_LEAVES && atomic_load(&tree_peak) <= TREE_MAX_PEAK ? 0 : 1);
}

Test(sched, a_tree_of_goroutines_unfolds_depth_first)
{
	struct death d;
	death_run("tree_depth_first", &d);
	death_assert_exit(&d, 0);
}

/* ---- the monitor -------------------------------------------------------- */

static void busy_ms(int ms)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

static void parked_then_done(void *p)
{
	goro_chan *ch = *(goro_chan **)p;
	int v;
	goro_chan_recv(ch, &v);
}

/* Holds its worker for 800 ms while a goroutine it woke waits there. */
static void hog(void *p)
{
	goro_chan *ch = *(goro_chan **)p;
	goro_send(ch, 1);      /* readies the parked goroutine: it waits for us */
	busy_ms(800);
}

static void print_stalls_from_profile(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	goro_profile_write("goroutine", f, 1);
	fclose(f);
	const char *s = strstr(buf, "# worker stalls: ");
	fprintf(stderr, "profile:%s\n", s ? s : "(no stall line)");
	free(buf);
}

static __attribute__((noinline)) void run_hog_scenario(void)
{
	goro_chan *ch = goro_chan_new(int, 1);
	goro_waitgroup wg = { 0 };
	int64_t waiter = goro_go(parked_then_done, &ch);
	while (!blocked_in(waiter, WR_CHAN_RECV))
		goro_yield();
	int64_t id = goro_go(hog, &ch);
	fprintf(stderr, "hog=%lld\n", (long long)id);
	(void)wg;
	GOROUTINES_BACK_TO(1);
	print_stalls_from_profile();
	exit(0);
}

/* 100 ms: a sanitizer build may hold a worker 10 ms in ordinary code. */
static void sc_stall_warns(void)
{
	start_with("1", "100", NULL);
	run_hog_scenario();
}

static void sc_stall_quiet(void)
{
	start_with("1", "100", "0");
	run_hog_scenario();
}

/* Not under TSan: its 10-100x slowdown on a loaded 2-core host makes the
 * monitor's view of a worker's CPU time and switches too coarse to say
 * which stall it sees first; the plain and ASan builds run these. */
#ifdef TEST_UNDER_TSAN
#define SKIP_UNDER_TSAN() cr_skip_test("stall timing is not meaningful under TSan")
#else
#define SKIP_UNDER_TSAN() ((void)0)
#endif

Test(sched, a_goroutine_holding_its_worker_is_reported_with_the_fix)
{
	SKIP_UNDER_TSAN();
	struct death d;
	death_run("stall_warns", &d);
	death_assert_exit(&d, 0);
	const char *h = death_stderr_from(&d, "hog=");
	cr_assert_not_null(h, "%s", d.err);
	char want[64];
	snprintf(want, sizeof want, "goroutine %d [hog] has held worker 0 for ", atoi(h + 4));
	death_assert_stderr_has(&d, want);
	death_assert_stderr_has(&d, "1 goroutine waits behind it");
	death_assert_stderr_has(&d, "created by run_hog_scenario in goroutine 1 at ");
	death_assert_stderr_has(&d, "test_sched.c:");
	death_assert_stderr_has(&d, "goro_yield()");
	death_assert_stderr_has(&d, "goro_offload()");
	const char *p = death_stderr_from(&d, "profile:# worker stalls: ");
	cr_assert(p && atoi(p + 25) >= 1, "%s", d.err);
}

Test(sched, stall_warn_0_silences_the_warning_but_stalls_are_counted)
{
	SKIP_UNDER_TSAN();
	struct death d;
	death_run("stall_quiet", &d);
	death_assert_exit(&d, 0);
	death_assert_stderr_lacks(&d, "has held worker");
	const char *p = death_stderr_from(&d, "profile:# worker stalls: ");
	cr_assert(p && atoi(p + 25) >= 1, "%s", d.err);
}

/* Two workers: a goroutine spawns a ping-pong pair and computes at once,
 * before the pair ever ran: the pair goes to the other worker (a thief
 * or the monitor takes it) and makes round trips meanwhile. */
static atomic_long trips;

static void counting_ping(void *p)
{
	struct pair *pr = p;
	int v = 0;
	while (!atomic_load(&pair_stop)) {
		goro_chan_send(pr->a, &v);
		goro_chan_recv(pr->b, &v);
		atomic_fetch_add(&trips, 1);
	}
	goro_chan_close(pr->a);
	goro_waitgroup_done(pr->wg);
}

static void spawner_that_computes(void *p)
{
	struct pair *pr = p;
	goro_go(counting_ping, pr);
	goro_go(pong, pr);
	busy_ms(300);
	fprintf(stderr, "trips=%ld\n", atomic_load(&trips));
	atomic_store(&pair_stop, true);
	goro_waitgroup_done(pr->wg);
}

static void sc_new_goroutines_escape_a_busy_worker(void)
{
	start_with("2", "10", "0");
	goro_waitgroup wg = { 0 };
	struct pair pr = { goro_chan_new(int, 0), goro_chan_new(int, 0), &wg };
	goro_waitgroup_add(&wg, 3);
	goro_go(spawner_that_computes, &pr);
	goro_waitgroup_wait(&wg);
	exit(0);
}

Test(sched, goroutines_that_never_ran_escape_a_worker_held_by_a_computation)
{
	struct death d;
	death_run("escape_busy_worker", &d);
	death_assert_exit(&d, 0);
	const char *t = death_stderr_from(&d, "trips=");
	cr_assert_not_null(t, "%s", d.err);
	cr_assert_gt(atol(t + 6), 0, "the pair made no round trip: %s", t);
}

DEATH_SCENARIOS({ "spawned_runs_next", sc_spawned_runs_next },
                { "woken_runs_next", sc_woken_runs_next },
                { "pair_does_not_starve", sc_pair_does_not_starve_the_queue },
                { "tree_depth_first", sc_tree_depth_first },
                { "stall_warns", sc_stall_warns },
                { "stall_quiet", sc_stall_quiet },
                { "escape_busy_worker", sc_new_goroutines_escape_a_busy_worker })
