/*
 * test_goroutine.c — starting and ending goroutines: argument copies, ids,
 * counts, yield, goro_exit, calls from foreign pthreads, stack sizes, many
 * goroutines at once, stack-overflow reports.
 *
 * Each Criterion test runs in its own process (Criterion re-executes this
 * binary per test), so every test starts with goro's runtime fresh and the
 * test body running as goroutine 1 on the main thread.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <goro.h>

#include "death.h"
#include "resident.h"
#include "waiting.h"
#include "sched/sched.h" /* goro__getg, G_WAITING: overflow scenarios */

/* Receives an int that must be there (main only: goroutines never call
 * cr_assert, whose failure unwinds to the test's own stack). */
static int recv_int(goro_chan *c)
{
	int v = 0;
	cr_assert(goro_chan_recv(c, &v), "channel closed unexpectedly");
	return v;
}

/* ------------------------------------------------------------------ */
/* goro_go copies its argument object                                  */
/* ------------------------------------------------------------------ */

struct copy_args {
	goro_chan *start; /* the goroutine reads its args only after this */
	goro_chan *out;
	int a, b;
	char name[16];
	const struct copy_args *caller_obj;
};

static void copy_child(void *p)
{
	struct copy_args *args = p;
	int go;
	goro_chan_recv(args->start, &go);
	int same_object = args == args->caller_obj;
	int sum = args->a * 1000 + args->b + (strcmp(args->name, "first") == 0 ? 0 : 1000000);
	goro_chan_send(args->out, &sum);
	goro_chan_send(args->out, &same_object);
}

Test(goroutine, go_copies_the_argument_object)
{
	struct copy_args args = { .start = goro_chan_new(int, 0), .out = goro_chan_new(int, 0),
	                          .a = 7, .b = 3, .name = "first" };
	args.caller_obj = &args;
	goro_go(copy_child, &args);
	/* Mutate (and reuse) the caller's object before the goroutine reads it. */
	args.a = -1;
	args.b = -1;
	strcpy(args.name, "changed");
	goro_send(args.start, 1);
	cr_assert_eq(recv_int(args.out), 7003, "the goroutine saw the caller's later writes");
	cr_assert_eq(recv_int(args.out), 0, "fn received the caller's object, not a copy");
}

static void literal_child(void *p)
{
	struct copy_args *args = p;
	goro_chan_send(args->out, &(int){ args->a + args->b });
}

Test(goroutine, go_with_compound_literal)
{
	goro_chan *out = goro_chan_new(int, 0);
	for (int i = 0; i < 10; i++)
		goro_go(literal_child, &(struct copy_args){ .out = out, .a = i, .b = 100 });
	int sum = 0;
	for (int i = 0; i < 10; i++)
		sum += recv_int(out);
	cr_assert_eq(sum, 45 + 1000);
}

enum { BIG_WORDS = 1536 }; /* 12 KiB of argument on the default 64 KiB stack */

struct big_args {
	goro_chan *out;
	uint64_t words[BIG_WORDS];
};

static uint64_t pattern(int i)
{
	return (uint64_t)i * 0x9e3779b97f4a7c15ULL ^ 0xdeadbeef;
}

static void big_child(void *p)
{
	struct big_args *args = p;
	int bad = 0;
	for (int i = 0; i < BIG_WORDS; i++)
		bad += args->words[i] != pattern(i);
	goro_chan_send(args->out, &bad);
}

Test(goroutine, go_copies_large_argument_objects)
{
	struct big_args *args = calloc(1, sizeof *args);
	args->out = goro_chan_new(int, 0);
	for (int i = 0; i < BIG_WORDS; i++)
		args->words[i] = pattern(i);
	goro_go(big_child, args);
	memset(args->words, 0xff, sizeof args->words);
	cr_assert_eq(recv_int(args->out), 0, "words of the copied argument differ");
	free(args);
}

struct huge_args {
	goro_chan *out;
	uint64_t words[32 * 1024]; /* 256 KiB */
};

static void huge_child(void *p)
{
	struct huge_args *args = p;
	int bad = 0;
	for (size_t i = 0; i < GORO_ARRAY_LEN(args->words); i++)
		bad += args->words[i] != pattern((int)i);
	goro_chan_send(args->out, &bad);
}

Test(goroutine, go_opts_copies_an_argument_larger_than_a_default_stack)
{
	struct huge_args *args = calloc(1, sizeof *args);
	args->out = goro_chan_new(int, 0);
	for (size_t i = 0; i < GORO_ARRAY_LEN(args->words); i++)
		args->words[i] = pattern((int)i);
	goro_go_opts(huge_child, args, sizeof *args, &(goro_go_options){ .stack_size = 4 << 20 });
	memset(args->words, 0, sizeof args->words);
	cr_assert_eq(recv_int(args->out), 0);
	free(args);
}

static goro_chan *go0_out;

static void go0_child(void *p)
{
	goro_send(go0_out, p == NULL);
}

Test(goroutine, go0_passes_null)
{
	go0_out = goro_chan_new(int, 0);
	goro_go0(go0_child);
	cr_assert_eq(recv_int(go0_out), 1);
}

/* ------------------------------------------------------------------ */
/* ids                                                                 */
/* ------------------------------------------------------------------ */

Test(goroutine, main_is_goroutine_1)
{
	cr_assert_eq(goro_id(), 1);
}

struct id_args {
	goro_chan *out;
};

static void send_own_id(void *p)
{
	struct id_args *a = p;
	int64_t id = goro_id();
	goro_chan_send(a->out, &id);
}

Test(goroutine, go_returns_the_new_goroutines_id)
{
	goro_chan *out = goro_chan_new(int64_t, 0);
	int64_t prev = goro_id();
	for (int i = 0; i < 100; i++) {
		int64_t id = goro_go(send_own_id, &(struct id_args){ out });
		cr_assert_gt(id, prev, "ids must increase: %lld after %lld", (long long)id,
		             (long long)prev);
		int64_t seen;
		goro_chan_recv(out, &seen);
		cr_assert_eq(seen, id, "goro_id() in the goroutine is %lld, goro_go said %lld",
		             (long long)seen, (long long)id);
		prev = id;
	}
}

enum { SPAWNERS = 8, PER_SPAWNER = SCALED(2000) };

struct spawner_args {
	goro_chan *ids;  /* every child sends its goro_id() */
	goro_chan *done; /* the spawner sends its own id when finished */
	int64_t *returned; /* PER_SPAWNER ids goro_go returned, in order */
};

static void spawner(void *p)
{
	struct spawner_args *a = p;
	for (int i = 0; i < PER_SPAWNER; i++)
		a->returned[i] = goro_go(send_own_id, &(struct id_args){ a->ids });
	int64_t me = goro_id();
	goro_chan_send(a->done, &me);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

Test(goroutine, ids_unique_and_monotonic_across_concurrent_spawns)
{
	enum { N = SPAWNERS * PER_SPAWNER };
	goro_chan *ids = goro_chan_new(int64_t, N);
	goro_chan *done = goro_chan_new(int64_t, SPAWNERS);
	int64_t *returned = calloc(N, sizeof *returned);
	for (int s = 0; s < SPAWNERS; s++)
		goro_go(spawner, &(struct spawner_args){ ids, done, returned + s * PER_SPAWNER });
	int64_t all[N + SPAWNERS + 1];
	int n = 0;
	for (int s = 0; s < SPAWNERS; s++)
		goro_chan_recv(done, &all[n++]);
	int64_t *seen = calloc(N, sizeof *seen);
	for (int i = 0; i < N; i++)
		goro_chan_recv(ids, &seen[i]);

	/* Each spawner saw increasing ids (the counter is monotonic). */
	for (int s = 0; s < SPAWNERS; s++)
		for (int i = 1; i < PER_SPAWNER; i++)
			cr_assert_gt(returned[s * PER_SPAWNER + i], returned[s * PER_SPAWNER + i - 1]);
	/* No id is handed out twice, and none equals a spawner's or main's. */
	memcpy(all + n, returned, N * sizeof *returned);
	all[N + SPAWNERS] = goro_id();
	qsort(all, N + SPAWNERS + 1, sizeof *all, cmp_i64);
	for (int i = 1; i < N + SPAWNERS + 1; i++)
		cr_assert_neq(all[i], all[i - 1], "id %lld handed out twice", (long long)all[i]);
	/* The ids the children saw are exactly the ids goro_go returned. */
	qsort(returned, N, sizeof *returned, cmp_i64);
	qsort(seen, N, sizeof *seen, cmp_i64);
	cr_assert_arr_eq(returned, seen, N * sizeof *seen);
	free(returned);
	free(seen);
}

/* ------------------------------------------------------------------ */
/* goro_num_goroutine                                                  */
/* ------------------------------------------------------------------ */

struct block_args {
	goro_chan *release;
	goro_chan *done;
};

static void block_then_done(void *p)
{
	struct block_args *a = p;
	int v;
	goro_chan_recv(a->release, &v);
	goro_chan_send(a->done, &v);
}

Test(goroutine, num_goroutine_counts_live_goroutines)
{
	cr_assert_eq(goro_num_goroutine(), 1, "a fresh program has only goroutine 1");
	goro_chan *release = goro_chan_new(int, 0);
	goro_chan *done = goro_chan_new(int, 0);
	for (int i = 0; i < 10; i++)
		goro_go(block_then_done, &(struct block_args){ release, done });
	/* Started goroutines count at once, running or not. */
	cr_assert_eq(goro_num_goroutine(), 11);
	for (int i = 0; i < 4; i++) {
		goro_send(release, i);
		recv_int(done);
	}
	EVENTUALLY(goro_num_goroutine() == 7);
	goro_chan_close(release);
	for (int i = 0; i < 6; i++)
		recv_int(done);
	EVENTUALLY(goro_num_goroutine() == 1);
}

/* ------------------------------------------------------------------ */
/* goro_yield                                                          */
/* ------------------------------------------------------------------ */

struct spin_args {
	atomic_int *arrived;
	int total;
	goro_chan *done;
};

/*
 * Busy-waits, yielding, until every spinner has arrived.  There are more
 * spinners than workers, so some worker holds two of them: without a
 * working goro_yield the first would spin forever and the second never
 * start.  (The deadline only turns a hang into a failure.)
 */
static void spinner(void *p)
{
	struct spin_args *a = p;
	atomic_fetch_add(a->arrived, 1);
	int64_t end = goro_now() + TEST_PATIENCE;
	int ok = 1;
	while (atomic_load(a->arrived) < a->total) {
		if (goro_now() > end) {
			ok = 0;
			break;
		}
		goro_yield();
	}
	goro_chan_send(a->done, &ok);
}

Test(goroutine, yield_lets_other_goroutines_of_the_worker_run)
{
	static atomic_int arrived;
	int n = goro_maxprocs() * 2 + 1;
	goro_chan *done = goro_chan_new(int, 0);
	for (int i = 0; i < n; i++)
		goro_go(spinner, &(struct spin_args){ &arrived, n, done });
	for (int i = 0; i < n; i++)
		cr_assert_eq(recv_int(done), 1, "a spinner never saw the others arrive");
}

Test(goroutine, yield_in_main_with_nothing_else_returns)
{
	for (int i = 0; i < 1000; i++)
		goro_yield();
	cr_assert_eq(goro_id(), 1);
}

/* ------------------------------------------------------------------ */
/* goro_exit                                                           */
/* ------------------------------------------------------------------ */

static atomic_int after_exit_ran;

static volatile bool exit_at_bottom = true; /* opaque to the compiler */

static GORO_NOINLINE void exit_from_depth(int depth)
{
	if (depth > 0)
		exit_from_depth(depth - 1);
	else if (exit_at_bottom)
		goro_exit();
	atomic_store(&after_exit_ran, 1); /* never reached */
}

static void exits_early(void *p)
{
	goro_chan *c = *(goro_chan **)p;
	goro_send(c, 1);
	exit_from_depth(5);
	atomic_store(&after_exit_ran, 1);
	goro_send(c, 2);
}

Test(goroutine, exit_ends_the_goroutine_early)
{
	goro_chan *c = goro_chan_new(int, 1);
	goro_go(exits_early, &c);
	cr_assert_eq(recv_int(c), 1);
	EVENTUALLY(goro_num_goroutine() == 1);
	cr_assert_eq(atomic_load(&after_exit_ran), 0, "code after goro_exit ran");
	cr_assert_eq(goro_chan_tryrecv(c, &(int){ 0 }), GORO_WOULDBLOCK,
	             "the goroutine sent after goro_exit");
	/* Its stack went back to the pool in a usable state. */
	for (int i = 0; i < 100; i++)
		goro_go(exits_early, &c);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(recv_int(c), 1);
	EVENTUALLY(goro_num_goroutine() == 1);
	cr_assert_eq(atomic_load(&after_exit_ran), 0);
}

/* ------------------------------------------------------------------ */
/* Foreign pthreads                                                    */
/* ------------------------------------------------------------------ */

struct foreign_child_args {
	goro_chan *out;
	pthread_t foreign;
};

static void foreign_child(void *p)
{
	struct foreign_child_args *a = p;
	goro_sleep(5 * GORO_MILLISECOND); /* let the foreign thread block first */
	int on_foreign_thread = pthread_equal(pthread_self(), a->foreign);
	goro_send(a->out, on_foreign_thread ? -1 : 41);
}

struct foreign_report {
	int64_t id;
	int64_t child_id;
	int value;
	int select_result;
	bool slept;
};

/*
 * goro learns about a foreign thread at its first goro call.  Until then
 * main must not block (every worker idle and no known thread left to wake
 * anyone is a deadlock, see test_deadlock.c), so main waits for this flag
 * by sleeping: a pending timer is never a deadlock.
 */
static atomic_bool foreign_registered;

static void wait_foreign_registered(void)
{
	EVENTUALLY(atomic_load(&foreign_registered));
}

/* Receives with a pending deadline timer, so that main never looks
 * deadlocked while it waits (see the disabled test further down). */
static void recv_polling(goro_chan *c, void *elem)
{
	int64_t end = goro_now() + TEST_PATIENCE;
	int r;
	while ((r = goro_chan_recv_until(c, elem, goro_now() + 10 * GORO_MILLISECOND)) ==
	       GORO_TIMEDOUT)
		cr_assert_lt(goro_now(), end, "nothing received in time");
	cr_assert_eq(r, GORO_OK);
}

static void *foreign_thread(void *p)
{
	goro_chan *report = p;
	struct foreign_report r = { .id = goro_id() };
	atomic_store(&foreign_registered, true);
	goro_chan *c = goro_chan_new(int, 0);
	r.child_id = goro_go(foreign_child, &(struct foreign_child_args){ c, pthread_self() });
	/* Blocks this whole thread until the goroutine (on a worker) sends. */
	goro_chan_recv(c, &r.value);
	int64_t t0 = goro_now();
	goro_sleep(2 * GORO_MILLISECOND);
	r.slept = goro_now() - t0 >= 2 * GORO_MILLISECOND;
	goro_case never[] = { GORO_RECV(NULL, NULL) };
	r.select_result = goro_select_until(never, 1, goro_now() + GORO_MILLISECOND);
	goro_chan_send(report, &r);
	return NULL;
}

Test(goroutine, foreign_pthread_spawns_and_uses_channels)
{
	goro_chan *report = goro_chan_new(struct foreign_report, 0);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, foreign_thread, report), 0);
	wait_foreign_registered();
	/* Receive through goro rather than pthread_join: joining would block
	 * worker 0, where the foreign thread's goroutine may have been put. */
	struct foreign_report r;
	recv_polling(report, &r);
	pthread_join(t, NULL);
	cr_assert_neq(r.id, 1);
	cr_assert_gt(r.id, 0, "a foreign thread gets an id of its own");
	cr_assert_gt(r.child_id, r.id);
	cr_assert_eq(r.value, 41, "the goroutine ran on the foreign thread or sent nothing");
	cr_assert(r.slept, "goro_sleep returned early on a foreign thread");
	cr_assert_eq(r.select_result, GORO_SELECT_TIMEDOUT);
}

struct pingpong_args {
	goro_chan *ping, *pong;
	int rounds;
};

static void ponger(void *p)
{
	struct pingpong_args *a = p;
	int v;
	while (goro_chan_recv(a->ping, &v))
		goro_chan_send(a->pong, &(int){ v + 1 });
}

struct pinger_args {
	struct pingpong_args pp;
	goro_chan *result;
};

static void *foreign_pinger(void *p)
{
	struct pinger_args *a = p;
	goro_id();
	atomic_store(&foreign_registered, true);
	int bad = 0;
	for (int i = 0; i < a->pp.rounds; i++) {
		goro_chan_send(a->pp.ping, &i);
		int v;
		goro_chan_recv(a->pp.pong, &v);
		bad += v != i + 1;
	}
	goro_chan_close(a->pp.ping);
	goro_chan_send(a->result, &bad);
	return NULL;
}

/* Many blocking round trips: each wait parks the foreign thread itself and
 * each wake-up crosses between a worker and the foreign thread. */
Test(goroutine, foreign_thread_round_trips_with_a_goroutine)
{
	struct pinger_args a = { { goro_chan_new(int, 0), goro_chan_new(int, 0), 5000 },
	                         goro_chan_new(int, 0) };
	goro_go(ponger, &a.pp);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, foreign_pinger, &a), 0);
	wait_foreign_registered();
	int bad;
	recv_polling(a.result, &bad);
	cr_assert_eq(bad, 0, "wrong replies");
	pthread_join(t, NULL);
}

/*
 * The same with main simply blocked: a wake-up of the parked foreign
 * thread must not look like a deadlock.
 * BUG (src/sched/foreign.c): goro__foreign_park decrements sched.nforeign
 * before sleeping and increments it only once the thread has woken up; in
 * between (after goro__foreign_wake) nothing counts the thread, so if the
 * goroutines then block and every worker goes idle the deadlock check
 * fires — "all goroutines are asleep" while the foreign thread is about
 * to send.  Fails in nearly every run.  Fix: count the thread again on the
 * waker's side (in goro__foreign_wake, before publishing the wake-up).
 */
Test(goroutine, foreign_thread_wakeup_is_not_a_deadlock)
{
	struct pinger_args a = { { goro_chan_new(int, 0), goro_chan_new(int, 0), 5000 },
	                         goro_chan_new(int, 0) };
	goro_go(ponger, &a.pp);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, foreign_pinger, &a), 0);
	wait_foreign_registered();
	cr_assert_eq(recv_int(a.result), 0, "wrong replies");
	pthread_join(t, NULL);
}

/* ------------------------------------------------------------------ */
/* Stacks                                                              */
/* ------------------------------------------------------------------ */

static GORO_NOINLINE uint64_t use_stack(size_t bytes)
{
	volatile unsigned char buf[4096];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i + bytes);
	uint64_t sum = buf[bytes % sizeof buf];
	if (bytes > sizeof buf)
		sum += use_stack(bytes - sizeof buf);
	return sum + buf[7];
}

struct stack_args {
	goro_chan *out;
	size_t depth_bytes;
};

static void stack_user(void *p)
{
	struct stack_args *a = p;
	uint64_t s = use_stack(a->depth_bytes);
	goro_chan_send(a->out, &s);
}

Test(goroutine, go_opts_stack_size_allows_deep_recursion)
{
	goro_chan *out = goro_chan_new(uint64_t, 0);
	size_t need = 768 * 1024; /* far beyond the default 64 KiB */
	uint64_t expect = use_stack(need); /* main's native stack is 8 MiB */
	goro_go_opts(stack_user, &(struct stack_args){ out, need }, sizeof(struct stack_args),
	             &(goro_go_options){ .stack_size = 1 << 20 });
	uint64_t got;
	goro_chan_recv(out, &got);
	cr_assert_eq(got, expect);
	/* A stack_size that is not a page multiple is rounded up, not refused. */
	goro_go_opts(stack_user, &(struct stack_args){ out, 20 * 1024 }, sizeof(struct stack_args),
	             &(goro_go_options){ .stack_size = 100 * 1000 + 1 });
	goro_chan_recv(out, &got);
	cr_assert_eq(got, use_stack(20 * 1024));
	/* NULL options: the default stack. */
	goro_go_opts(stack_user, &(struct stack_args){ out, 8 * 1024 }, sizeof(struct stack_args),
	             NULL);
	goro_chan_recv(out, &got);
	cr_assert_eq(got, use_stack(8 * 1024));
}

/* ------------------------------------------------------------------ */
/* 100,000 goroutines blocked at once                                  */
/* ------------------------------------------------------------------ */

/* (Fewer under ThreadSanitizer, which allows about 8000 fibers at once.) */
enum { MANY = SCALED(100000) };

struct many_args {
	goro_chan *release;
	goro_chan *done;
	atomic_int *blocked, *finished;
};

static void many_child(void *p)
{
	struct many_args *a = p;
	atomic_fetch_add(a->blocked, 1);
	int v;
	bool ok = goro_chan_recv(a->release, &v); /* false: released by close */
	if (atomic_fetch_add(a->finished, 1) + 1 == MANY)
		goro_chan_send(a->done, &(int){ ok ? -1 : 1 });
}

Test(goroutine, hundred_thousand_blocked_goroutines_then_released)
{
	static atomic_int blocked, finished;
	goro_chan *release = goro_chan_new(int, 0);
	goro_chan *done = goro_chan_new(int, 1);
	for (int i = 0; i < MANY; i++)
		goro_go(many_child, &(struct many_args){ release, done, &blocked, &finished });
	EVENTUALLY(atomic_load(&blocked) == MANY);
	cr_assert_eq(goro_num_goroutine(), MANY + 1);
	cr_assert_eq(atomic_load(&finished), 0);
	goro_chan_close(release);
	cr_assert_eq(recv_int(done), 1);
	cr_assert_eq(atomic_load(&finished), MANY);
	EVENTUALLY(goro_num_goroutine() == 1);
}

/*
 * Memory comes back: goroutines that used deep stacks finish, and once the
 * program idles the runtime returns those stacks' pages to the OS (it keeps
 * a warm reserve).  Not under the sanitizers, whose shadow memory swamps
 * the numbers.
 */
enum { DEEP_GOROUTINES = 20000, DEEP_BYTES = 24 * 1024 };

static GORO_NOINLINE void use_stack_deeply(void)
{
	volatile char frame[DEEP_BYTES];
	for (size_t i = 0; i < sizeof frame; i += 512) /* every page */
		frame[i] = 1;
}

static atomic_int went_deep;

static void deep_child(void *p)
{
	struct block_args *a = p;
	use_stack_deeply();
	atomic_fetch_add(&went_deep, 1);
	int v;
	goro_chan_recv(a->release, &v);
	goro_chan_send(a->done, &v);
}

Test(goroutine, stacks_of_finished_goroutines_are_returned_when_idle)
{
#if defined(TEST_UNDER_TSAN) || defined(__SANITIZE_ADDRESS__)
	cr_skip_test("the sanitizer's shadow memory dominates the resident size");
#endif
	goro_chan *release = goro_chan_new(int, 0);
	goro_chan *done = goro_chan_new(int, DEEP_GOROUTINES);
	long before = resident_bytes();
	for (int i = 0; i < DEEP_GOROUTINES; i++)
		goro_go(deep_child, &(struct block_args){ release, done });
	EVENTUALLY(atomic_load(&went_deep) == DEEP_GOROUTINES);
	long peak = resident_bytes();
	cr_assert_gt(peak - before, (long)DEEP_GOROUTINES * DEEP_BYTES / 2,
	             "the goroutines' stacks did not grow the resident size");
	goro_chan_close(release);
	for (int i = 0; i < DEEP_GOROUTINES; i++)
		recv_int(done);
	GOROUTINES_BACK_TO(1);
	long growth = peak - before;
	EVENTUALLY(resident_bytes() - before < growth / 2);
}

/* ------------------------------------------------------------------ */
/* Stack overflow                                                      */
/* ------------------------------------------------------------------ */

static volatile bool keep_recursing = true; /* opaque to the compiler */

static GORO_NOINLINE int recurse_forever(int n)
{
	volatile char frame[256];
	frame[0] = (char)n;
	if (!keep_recursing)
		return 0;
	return recurse_forever(n + 1) + frame[0];
}

/* Says who it is first: the process dies before main could print it. */
static void announce_self(void)
{
	fprintf(stderr, "scenario: started goroutine %lld\n", (long long)goro_id());
}

static void overflow_child(void *p)
{
	announce_self();
	recurse_forever(0);
}

static void sc_overflow_guarded(void)
{
	goro_go0(overflow_child);
	goro_chan_recv(goro_chan_new(int, 0), NULL); /* main waits forever */
}

/* More goroutines than an mprotect guard budget allows (17,765 on a stock
 * kernel), then an overflow in the next one. */
enum { BEYOND_GUARD_BUDGET = 20000 };

static goro_waitgroup many_started;

static void start_then_block(void *p)
{
	goro_waitgroup_done(&many_started);
	block_then_done(p);
}

static void sc_overflow_after_many(void)
{
	goro_chan *never = goro_chan_new(int, 0);
	goro_waitgroup_add(&many_started, BEYOND_GUARD_BUDGET);
	for (int i = 0; i < BEYOND_GUARD_BUDGET; i++)
		goro_go(start_then_block, &(struct block_args){ never, never });
	/* All started first: the wild overflow below tramples the stacks (and
	 * records) under its own, which must not belong to goroutines a worker
	 * is still starting (runnext would run the child spawned last first). */
	goro_waitgroup_wait(&many_started);
	goro_go0(overflow_child);
	goro_chan_recv(goro_chan_new(int, 0), NULL); /* main waits forever */
}

/* Linux 6.13's guard regions (MADV_GUARD_INSTALL): guards without
 * splitting mappings, so goro can give every stack one. */
static bool kernel_has_guard_regions(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(p, MAP_FAILED);
	bool ok = madvise(p, (size_t)page, 102 /* MADV_GUARD_INSTALL */) == 0;
	munmap(p, (size_t)page);
	return ok;
}

static void check_overflow_report(const struct death *d);

Test(goroutine, every_stack_is_guarded_where_the_kernel_has_guard_regions)
{
#if defined(TEST_UNDER_TSAN)
	cr_skip_test("20,000 goroutines: too slow under TSan");
#endif
	const char *regions = getenv("GORO_STACK_GUARD_REGIONS");
	if (!kernel_has_guard_regions() || (regions && atoi(regions) == 0))
		cr_skip_test("no MADV_GUARD_INSTALL (Linux < 6.13): guards are budgeted");
	struct death d;
	death_run("overflow_after_many", &d);
	check_overflow_report(&d);
	death_assert_stderr_has(&d, "guard page hit");
}

/*
 * Without guard pages (GORO_STACK_GUARDS=0) an overflow is caught by the
 * canary at the stack's low end when the goroutine next switches away.
 * The frame below ends just 512 bytes past the end on purpose: its writes
 * land in the stack mapped below, which belongs to the parked `victim`
 * goroutine (whose record sits at its top), never in unmapped memory.
 */
static GORO_NOINLINE int big_frame_past(const char *limit)
{
	size_t n = (size_t)((char *)__builtin_frame_address(0) - limit);
	volatile char buf[n];
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)i;
	return buf[0];
}

static void overflow_a_little(void *p)
{
	announce_self();
	big_frame_past(goro__getg()->stack_lo - 512);
	goro_yield();
	goro_sleep(GORO_MILLISECOND);
}

/* Parks for good; its record must not be in use by the scheduler when the
 * overflow overwrites it, hence the handshake below. */
static void victim(void *p)
{
	struct goro_g *self = goro__getg();
	goro_chan_send(*(goro_chan **)p, &self);
	goro_chan_recv(goro_chan_new(int, 0), NULL);
}

static void sc_overflow_unguarded(void)
{
	goro_chan *ready = goro_chan_new(struct goro_g *, 1);
	goro_go(victim, &ready);
	struct goro_g *v;
	goro_chan_recv(ready, &v);
	while (atomic_load(&v->state) != G_WAITING)
		goro_sleep(GORO_MILLISECOND);
	goro_go0(overflow_a_little);
	goro_sleep(10 * GORO_SECOND);
}

static void check_overflow_report(const struct death *d)
{
	death_assert_signal(d, SIGABRT);
	const char *started = death_stderr_from(d, "scenario: started goroutine ");
	cr_assert_not_null(started, "scenario did not run; stderr:\n%s", d->err);
	long long id = atoll(started + strlen("scenario: started goroutine "));
	death_assert_stderr_has(d, "stack overflow");
	char who[64];
	snprintf(who, sizeof who, "goroutine %lld", id);
	cr_assert_not_null(strstr(started + 1, who),
	                   "the report does not name %s; stderr:\n%s", who, d->err);
}

Test(goroutine, stack_overflow_on_guard_page_reports_and_aborts)
{
	struct death d;
	death_run("overflow_guarded", &d);
	check_overflow_report(&d);
}

/*
 * Without guard regions (older kernels) the 20,001st stack has no guard
 * page on a stock kernel: its overflow runs down through the stacks below
 * until something faults, which must still be reported as its overflow,
 * never a bare SIGSEGV.  (With a larger vm.max_map_count it is guarded:
 * reported as well.)
 */
Test(goroutine, overflow_beyond_the_guard_budget_is_reported)
{
#if defined(TEST_UNDER_TSAN) || defined(__SANITIZE_ADDRESS__)
	cr_skip_test("20,000 goroutines, then a deliberate wild overflow");
#endif
	struct death d;
	death_run_env("overflow_after_many", "GORO_STACK_GUARD_REGIONS=0", &d);
	check_overflow_report(&d);
}

/* The mprotect guards of kernels without guard regions. */
Test(goroutine, stack_overflow_on_an_mprotect_guard_reports_and_aborts)
{
	struct death d;
	death_run_env("overflow_guarded", "GORO_STACK_GUARD_REGIONS=0", &d);
	check_overflow_report(&d);
	death_assert_stderr_has(&d, "guard page hit");
}

Test(goroutine, stack_overflow_without_guard_page_reports_and_aborts)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan rightly stops the deliberate write past the stack first. */
	cr_skip_test("overflows on purpose: not under AddressSanitizer");
#endif
	struct death d;
	death_run_env("overflow_unguarded", "GORO_STACK_GUARDS=0", &d);
	check_overflow_report(&d);
}

/* ------------------------------------------------------------------ */
/* GORO_MAXPROCS                                                       */
/* ------------------------------------------------------------------ */

static void sc_report_maxprocs(void)
{
	_exit(goro_maxprocs());
}

Test(goroutine, maxprocs_follows_the_environment)
{
	struct death d;
	death_run_env("report_maxprocs", "GORO_MAXPROCS=3", &d);
	death_assert_exit(&d, 3);
	death_run_env("report_maxprocs", "GORO_MAXPROCS=1", &d);
	death_assert_exit(&d, 1);
}

DEATH_SCENARIOS({ "overflow_guarded", sc_overflow_guarded },
                { "overflow_after_many", sc_overflow_after_many },
                { "overflow_unguarded", sc_overflow_unguarded },
                { "report_maxprocs", sc_report_maxprocs })
