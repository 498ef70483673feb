/*
 * test_leak_hygiene.c — nothing goro does for its own work hides a leak:
 * a goroutine dump (its snapshots, buffers and text) leaves no pointer
 * into goroutine stacks where the detector looks, and goro_offload's
 * helper threads expose only their live frames (a goroutine that
 * offloaded once and then leaks is reported).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <goro.h>

#include "waiting.h"

#ifdef TEST_UNDER_TSAN
#define SKIP_UNDER_TSAN() \
	cr_skip_test("under TSan the leak verdicts are not meaningful (TSan's memory is a root)")
#else
#define SKIP_UNDER_TSAN() ((void)0)
#endif

enum { NLEAKED = 300 };

/* What detection says now. */
static int leaked_now(void)
{
	goro_leaked *out = NULL;
	int n = goro_leakprof_find(&out);
	goro_leakprof_free(out);
	return n;
}

static void write_to_devnull(const char *name, int debug)
{
	FILE *f = fopen("/dev/null", "w");
	cr_assert_not_null(f);
	cr_assert_eq(goro_profile_write(name, f, debug), 0);
	fclose(f);
}

/* Deadlocked pairs: each sends to the other, neither receives. */
static void send_then_recv(void *p)
{
	goro_chan **cs = p;
	int v = 1;
	goro_chan_send(cs[0], &v);
	goro_chan_recv(cs[1], &v);
}

struct pairs {
	int n;
	goro_waitgroup *wg;
};

static void spawn_pairs(void *p)
{
	struct pairs *ps = p;
	for (int i = 0; i < ps->n; i++) {
		goro_chan *ab[2] = { goro_chan_new(int, 0), goro_chan_new(int, 0) };
		goro_chan *ba[2] = { ab[1], ab[0] };
		goro_go(send_then_recv, &ab);
		goro_go(send_then_recv, &ba);
	}
	goro_waitgroup_done(ps->wg);
}

/* n deadlocked pairs, made by a goroutine that exits (see leakers.h). */
static void deadlock_pairs(int n)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, 1);
	goro_go_opts(spawn_pairs, &(struct pairs){ n, &wg }, sizeof(struct pairs),
	             &(goro_go_options){ .stack_size = 136 * 1024 });
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
	EVENTUALLY(blocked_count(WR_CHAN_SEND) == 2 * n);
}

/*
 * Text written after a dump lands in the chunks the dump freed, over the
 * first bytes only (a FILE buffer with a short line in it): what was
 * there stays, with its low bytes changed.  Kept allocated until the
 * next detection has run.
 */
enum { NTEXT = 256 };
static char *texts[NTEXT];

static void write_some_text(void)
{
	for (int i = 0; i < NTEXT; i++) {
		texts[i] = malloc(256 + (size_t)i * 64);
		memcpy(texts[i], "98\n", 3);
	}
}

static void free_text(void)
{
	for (int i = 0; i < NTEXT; i++)
		free(texts[i]);
}

Test(leak_hygiene, a_goroutine_dump_hides_no_leak, .timeout = 120)
{
	SKIP_UNDER_TSAN();
	deadlock_pairs(NLEAKED / 2);
	cr_assert_eq(leaked_now(), NLEAKED, "before any dump");
	for (int round = 0; round < 10; round++) {
		write_to_devnull("goroutine", 2);
		write_some_text();
		cr_assert_eq(leaked_now(), NLEAKED, "after goroutine debug=2 dump %d", round);
		free_text();
		write_to_devnull("goroutine", 1);
		write_to_devnull("goroutine", 0);
		write_some_text();
		cr_assert_eq(leaked_now(), NLEAKED, "after goroutine debug=1/0 profiles %d", round);
		free_text();
		write_to_devnull("goroutineleak", 2);
		write_some_text();
		cr_assert_eq(leaked_now(), NLEAKED, "after goroutineleak debug=2 %d", round);
		free_text();
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		goro_dump(m);
		fclose(m);
		free(buf);
		write_some_text();
		cr_assert_eq(leaked_now(), NLEAKED, "after goro_dump into a memstream %d", round);
		free_text();
	}
}

/* The job's argument is the goroutine's own channel variable: the helper
 * sees a pointer into the goroutine's stack. */
static void read_chan_var(void *p)
{
	goro_chan *volatile *cp = p;
	(void)*cp;
}

static void offload_then_leak(void *p)
{
	(void)p;
	goro_chan *c = goro_chan_new(int, 0);
	goro_offload(read_chan_var, &c);
	int v;
	goro_chan_recv(c, &v);
}

Test(leak_hygiene, a_goroutine_that_offloaded_once_and_leaks_is_reported)
{
	SKIP_UNDER_TSAN();
	for (int i = 0; i < 8; i++)
		goro_go(offload_then_leak, &(int){ i });
	EVENTUALLY(blocked_count(WR_CHAN_RECV) == 8);
	goro_leaked *out = NULL;
	cr_assert_eq(goro_leakprof_find(&out), 8);
	for (int i = 0; i < 8; i++)
		cr_assert_str_eq(out[i].function, "offload_then_leak");
	goro_leakprof_free(out);
}

/* While a job runs, its frames are roots: a goroutine that the job will
 * wake is not leaked (only the helper's stack refers to its channel). */
struct waker {
	goro_chan *c;
	atomic_bool go;
};

static void send_when_told(void *p)
{
	struct waker *w = *(struct waker **)p;
	goro_chan *c = w->c; /* now only on this (helper) stack and w */
	w->c = NULL;
	while (!atomic_load(&w->go))
		usleep(1000);
	int v = 1;
	goro_chan_send(c, &v);
}

static void recv_once(void *p)
{
	goro_chan *c = *(goro_chan **)p;
	int v;
	goro_chan_recv(c, &v);
}

static void offloader(void *p)
{
	goro_offload(send_when_told, p);
}

Test(leak_hygiene, a_running_offload_job_is_a_root)
{
	SKIP_UNDER_TSAN();
	struct waker *w = goro_new(struct waker);
	w->c = goro_chan_new(int, 0);
	goro_go(recv_once, &w->c);
	EVENTUALLY(blocked_count(WR_CHAN_RECV) == 1);
	goro_go(offloader, &w);
	EVENTUALLY(w->c == NULL);
	cr_assert_eq(leaked_now(), 0, "the receiver will be woken by the running job");
	atomic_store(&w->go, true);
	EVENTUALLY(blocked_count(WR_CHAN_RECV) == 0);
}
