/*
 * gdb_target.c — the program test_gdb.c debugs with tools/gdb/goro-gdb.py.
 *
 * It parks goroutines in known places — a channel receive (one of them
 * started by another goroutine, to give it a parent other than 1), a mutex
 * lock reached through a libc callback (qsort's comparator), a channel
 * send, a select, a sleep and a WaitGroup wait — keeps one goroutine
 * running on another worker, and then stops where the test looks at it:
 *
 *   gdb_target run     leaves one goroutine created but not started and
 *                      calls gdb_target_ready(), the test's breakpoint
 *   gdb_target attach  prints "ready" and parks goroutine 1 on a channel
 *                      until killed (the test attaches with gdb -p)
 *   gdb_target abort   calls abort(): the test reads the kernel's core
 *
 * The ids are in globals (gdb_target_id_*) so the test names goroutines by
 * expression (`goroutine gdb_target_id_sort bt`) instead of assuming the
 * order ids are handed out in.  Needs GORO_MAXPROCS >= 2 (the spinner must
 * not share goroutine 1's worker, or it would starve it).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <goro.h>

#define USED __attribute__((used))

USED int64_t gdb_target_id_recv, gdb_target_id_nested, gdb_target_id_sort,
	gdb_target_id_send, gdb_target_id_select, gdb_target_id_sleep,
	gdb_target_id_wg, gdb_target_id_spin, gdb_target_id_unstarted;

/* The value recv_forever keeps live across its blocking call: test_gdb
 * reads it back from the parked frame, which only works if the unwinder
 * restored the callee-saved registers from the switch frame. */
enum { RECV_TAG = 4242 };

/* Each channel has waiters of one direction only, so none ever pairs up. */
static goro_chan *recv_never, *send_never, *select_never;
static goro_mutex held;      /* goroutine 1 holds it for good */
static goro_waitgroup never_done;
static pthread_t main_thread;
static atomic_int spin_state; /* 0: not yet, 1: spinning, 2: on the wrong worker */

static void fail(const char *what)
{
	fprintf(stderr, "gdb_target: %s\n", what);
	exit(3);
}

/* Blocks on a receive; `tag` stays live across the call (see RECV_TAG). */
static __attribute__((noinline)) void recv_forever(int tag)
{
	int v;
	goro_chan_recv(recv_never, &v);
	printf("unreachable %d %d\n", tag, v);
}

static void nested_receiver(void *arg)
{
	recv_forever(RECV_TAG + 1);
}

static void receiver(void *arg)
{
	/* Atomic: goroutine 1 polls for it from another worker. */
	__atomic_store_n(&gdb_target_id_nested, goro_go0(nested_receiver), __ATOMIC_RELEASE);
	recv_forever(RECV_TAG);
}

/* qsort calls this from inside libc: the goroutine parks with libc frames
 * between the comparator and the goroutine's own function. */
static int compare_blocking(const void *a, const void *b)
{
	goro_mutex_lock(&held);
	goro_mutex_unlock(&held);
	return *(const int *)a - *(const int *)b;
}

static void sort_under_lock(void *arg)
{
	int v[] = { 3, 1, 2 };
	qsort(v, 3, sizeof v[0], compare_blocking);
	printf("unreachable %d\n", v[0]); /* keeps the call from being a tail call */
}

static void sender(void *arg)
{
	int v = 1;
	goro_chan_send(send_never, &v);
}

static void selector(void *arg)
{
	int v;
	goro_case cases[] = { GORO_RECV(select_never, &v), GORO_RECV(NULL, &v) };
	goro_select(cases, 2, false);
}

static void sleeper(void *arg)
{
	goro_sleep(GORO_HOUR);
}

static void wg_waiter(void *arg)
{
	goro_waitgroup_wait(&never_done);
}

/* Runs user code until the process dies, on a worker other than 0. */
static void spin(void *arg)
{
	if (pthread_equal(pthread_self(), main_thread)) {
		atomic_store(&spin_state, 2);
		return;
	}
	atomic_store(&spin_state, 1);
	for (;;)
		__asm__ volatile("" ::: "memory");
}

static void never_started(void *arg)
{
	fail("the unstarted goroutine ran");
}

/* Whether goro's own dump shows goroutine id parked for `reason` (the
 * public view: this program also links the shared library, which exports
 * nothing internal). */
static bool parked(int64_t id, const char *reason)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		fail("open_memstream failed");
	goro_dump(f);
	fclose(f);
	char want[128];
	int n = snprintf(want, sizeof want, "goroutine %lld [%s", (long long)id, reason);
	bool found = false;
	for (const char *p = text; (p = strstr(p, want)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == ']' || p[n] == ','))
			found = true;
	free(text);
	return found;
}

/* Waits (sleeping, so the others run) until goroutine id is parked for
 * `reason`: the test must never see a goroutine still on its way there. */
static void await_parked(int64_t id, const char *reason)
{
	int64_t end = goro_now() + 20 * GORO_SECOND;
	while (!parked(id, reason)) {
		if (goro_now() > end)
			fail("a goroutine never parked where expected");
		goro_sleep(GORO_MILLISECOND);
	}
}

/*
 * Starts the spinner on another worker.  A new goroutine waits in its
 * creator's queue until the creator parks or an idle worker takes it
 * (goro__place_new); so this one keeps its worker busy, without parking,
 * until another worker has taken the spinner.  (Parking here let the
 * spinner run on this worker whenever the machine was too loaded for the
 * other worker to wake up first.)
 */
static void start_spinner(void)
{
	atomic_store(&spin_state, 0);
	gdb_target_id_spin = goro_go0(spin);
	int64_t end = goro_now() + 20 * GORO_SECOND;
	while (atomic_load(&spin_state) == 0 && goro_now() < end)
		sched_yield();
	if (atomic_load(&spin_state) != 1)
		fail("could not get a goroutine running on another worker");
}

/* The test's breakpoint. */
__attribute__((noinline)) void gdb_target_ready(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "run";
	main_thread = pthread_self();
	if (goro_maxprocs() < 2)
		fail("needs GORO_MAXPROCS >= 2");
	recv_never = goro_chan_make(sizeof(int), 0);
	send_never = goro_chan_make(sizeof(int), 0);
	select_never = goro_chan_make(sizeof(int), 0);
	goro_mutex_lock(&held);
	goro_waitgroup_add(&never_done, 1);

	gdb_target_id_recv = goro_go0(receiver);
	gdb_target_id_sort = goro_go0(sort_under_lock);
	gdb_target_id_send = goro_go0(sender);
	gdb_target_id_select = goro_go0(selector);
	gdb_target_id_sleep = goro_go0(sleeper);
	gdb_target_id_wg = goro_go0(wg_waiter);
	await_parked(gdb_target_id_recv, "chan receive");
	while (!__atomic_load_n(&gdb_target_id_nested, __ATOMIC_ACQUIRE))
		goro_sleep(GORO_MILLISECOND);
	await_parked(gdb_target_id_nested, "chan receive");
	await_parked(gdb_target_id_sort, "sync.Mutex.Lock");
	await_parked(gdb_target_id_send, "chan send");
	await_parked(gdb_target_id_select, "select");
	await_parked(gdb_target_id_sleep, "sleep");
	await_parked(gdb_target_id_wg, "sync.WaitGroup.Wait");
	start_spinner();

	if (strcmp(mode, "attach") == 0) {
		printf("ready\n");
		fflush(stdout);
		int v;
		goro_chan_recv(recv_never, &v);
	} else if (strcmp(mode, "abort") == 0) {
		abort();
	}
	/* Goroutine 1 never parks again, so this one stays in our queue. */
	gdb_target_id_unstarted = goro_go0(never_started);
	gdb_target_ready();
	/* Not exit(): its handlers would run the goroutines left behind. */
	_exit(0);
}
