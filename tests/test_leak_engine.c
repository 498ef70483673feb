/*
 * test_leak_engine.c — the goroutineleak profile's two engines (issue 12):
 * the fork snapshot (the default) and stop-the-world (the fallback).
 *
 * What a user relies on: the same verdicts from both on the same state; a
 * profile taken while goroutines churn loses no message and never names a
 * goroutine that can run; a fork that fails or hangs still gives a correct
 * report and says so; the snapshot child is invisible to the program (no
 * SIGCHLD, never returned by its waitpid(-1), holds none of its fds).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "goro.h"

/* ---- a state with known leaks -------------------------------------- */

enum { MAX_LEAKED = 256 };

static int64_t leaked_ids[MAX_LEAKED];
static atomic_int nleaked_started;

/* Blocks for good on a channel only its own stack knows. */
static void leaker(void *arg)
{
	(void)arg;
	goro_chan *ch = goro_chan_new(int, 0);
	int v;
	leaked_ids[atomic_fetch_add(&nleaked_started, 1)] = goro_id();
	goro_chan_recv(ch, &v);
}

/* Blocked too, but on a channel a global keeps: not leaked. */
static goro_chan *kept[64];
static void keeper(void *arg)
{
	int v;
	goro_chan_recv(kept[*(const int *)arg], &v);
}

static void start_leakers(int n)
{
	for (int i = 0; i < n; i++)
		goro_go0(leaker);
	while (atomic_load(&nleaked_started) < n)
		goro_sleep(GORO_MILLISECOND);
	goro_sleep(20 * GORO_MILLISECOND); /* let the last ones park */
}

static void start_keepers(int n)
{
	for (int i = 0; i < n; i++) {
		kept[i] = goro_chan_new(int, 0);
		goro_go(keeper, &i); /* goro_go copies the int */
	}
	goro_sleep(20 * GORO_MILLISECOND);
}

static bool is_known_leak(int64_t id, int n)
{
	for (int i = 0; i < n; i++)
		if (leaked_ids[i] == id)
			return true;
	return false;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The ids one engine reports, sorted; returns the count. */
static int report_ids(const char *engine, int64_t *ids, int cap)
{
	setenv("GORO_LEAK_ENGINE", engine, 1);
	goro_leaked *arr;
	int n = goro_leakprof_find(&arr);
	cr_assert_geq(n, 0, "%s: detection failed", engine);
	cr_assert_leq(n, cap, "%s: %d reported", engine, n);
	for (int i = 0; i < n; i++)
		ids[i] = arr[i].id;
	goro_leakprof_free(arr);
	qsort(ids, (size_t)n, sizeof *ids, cmp_id);
	return n;
}

/* The goroutineleak profile in debug=1 text, in a malloc'd string. */
static char *profile_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(goro_profile_write("goroutineleak", f, 1), 0);
	fclose(f);
	return buf;
}

Test(leak_engine, fork_and_stop_the_world_agree)
{
	start_leakers(40);
	start_keepers(10);
	int64_t a[MAX_LEAKED], b[MAX_LEAKED];
	int na = report_ids("fork", a, MAX_LEAKED);
	int nb = report_ids("stw", b, MAX_LEAKED);
	cr_assert_eq(na, 40, "fork engine: %d leaked, want 40", na);
	cr_assert_eq(nb, 40, "stop-the-world engine: %d leaked, want 40", nb);
	for (int i = 0; i < na; i++) {
		cr_assert_eq(a[i], b[i], "the engines disagree on goroutine %lld",
		             (long long)a[i]);
		cr_assert(is_known_leak(a[i], 40), "goroutine %lld is not a leak", (long long)a[i]);
	}
	/* And again after a stop-the-world run (flags already set). */
	na = report_ids("fork", a, MAX_LEAKED);
	cr_assert_eq(na, 40);
	char *text = profile_text();
	cr_assert(strstr(text, "goroutineleak profile: total 40\n") == text, "%.200s", text);
	cr_assert_null(strstr(text, "# engine:"), "the fork engine ran: no note\n%s", text);
	free(text);
}

Test(leak_engine, a_failed_fork_falls_back_and_says_so)
{
	start_leakers(12);
	start_keepers(5);
	setenv("GORO_LEAK_ENGINE", "fork-fail", 1);
	cr_assert_eq(goro_leakprof_find(NULL), 12);
	char *text = profile_text();
	cr_assert(strstr(text, "goroutineleak profile: total 12\n") == text, "%.200s", text);
	cr_assert_not_null(strstr(text, "# engine: stop-the-world (fork failed: EAGAIN)\n"), "%s",
	                   text);
	free(text);
}

/* The children of this process (every thread's), from /proc. */
static int children(pid_t *out, int cap)
{
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	cr_assert_not_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[300];
		snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		int pid;
		while (fscanf(f, "%d", &pid) == 1)
			if (n < cap)
				out[n++] = pid;
		fclose(f);
	}
	closedir(d);
	return n;
}

static atomic_int hung_result = -2;

static void profile_in_goroutine(void *arg)
{
	(void)arg;
	atomic_store(&hung_result, goro_leakprof_find(NULL));
}

static bool status_line(pid_t pid, const char *key, char *val, size_t len)
{
	char path[64], line[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool found = false;
	while (!found && fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0) {
			snprintf(val, len, "%s", line + strlen(key));
			found = true;
		}
	fclose(f);
	return found;
}

static int count_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

Test(leak_engine, a_hung_snapshot_is_killed_and_reaped)
{
	start_leakers(7);
	setenv("GORO_LEAK_ENGINE", "fork-hang", 1);
	setenv("GORO_LEAK_FORK_TIMEOUT_MS", "1500", 1);
	pid_t before[16];
	cr_assert_eq(children(before, 16), 0, "no child before the profile");
	goro_go0(profile_in_goroutine);
	/* The child, while it hangs: one fd (its end of the pipe), every
	 * signal blocked. */
	pid_t kids[16];
	int nk = 0;
	for (int i = 0; i < 1000 && nk == 0; i++) {
		goro_sleep(GORO_MILLISECOND);
		nk = children(kids, 16);
	}
	cr_assert_eq(nk, 1, "one snapshot child, got %d", nk);
	goro_sleep(100 * GORO_MILLISECOND); /* past its start-up */
	cr_assert_eq(count_fds(kids[0]), 1, "the child keeps only its pipe");
	char val[64];
	cr_assert(status_line(kids[0], "SigBlk:\t", val, sizeof val));
	/* All but SIGKILL and SIGSTOP, which cannot be blocked. */
	cr_assert_eq(strtoull(val, NULL, 16), 0xfffffffffffbfeffULL,
	             "signals blocked in the child: SigBlk %s", val);
	while (atomic_load(&hung_result) == -2)
		goro_sleep(10 * GORO_MILLISECOND);
	cr_assert_eq(atomic_load(&hung_result), 7, "the fallback's report");
	cr_assert_eq(children(kids, 16), 0, "the child was reaped");
	char *text = profile_text(); /* hangs and falls back again */
	cr_assert_not_null(strstr(text, "# engine: stop-the-world (snapshot timed out: ETIMEDOUT)\n"),
	                   "%s", text);
	free(text);
}

/* ---- the program's own children ------------------------------------ */

static atomic_int sigchld_count;

static void on_sigchld(int sig)
{
	(void)sig;
	atomic_fetch_add(&sigchld_count, 1);
}

struct reaper {
	pid_t got[8];
	int status[8];
	int n;
	int last_errno;
};

/* A program's classic reaper thread: waitpid(-1) until there are none. */
static void *reap_all(void *arg)
{
	struct reaper *r = arg;
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0) {
			r->last_errno = errno;
			return NULL;
		}
		if (r->n < 8) {
			r->got[r->n] = p;
			r->status[r->n++] = st;
		}
	}
}

Test(leak_engine, a_programs_waitpid_loop_and_sigchld_are_undisturbed)
{
	setenv("GORO_LEAK_ENGINE", "fork", 1);
	start_leakers(5);
	struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	pid_t child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		usleep(400 * 1000);
		_exit(7);
	}
	pthread_t t;
	struct reaper r = { .n = 0 };
	pthread_create(&t, NULL, reap_all, &r);
	/* A thread still starting has every signal blocked: a profile then
	 * would be inconclusive.  Let it reach its waitpid. */
	goro_sleep(50 * GORO_MILLISECOND);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(goro_leakprof_find(NULL), 5);
	pthread_join(t, NULL);
	cr_assert_eq(r.n, 1, "the reaper saw %d children", r.n);
	cr_assert_eq(r.got[0], child);
	cr_assert(WIFEXITED(r.status[0]) && WEXITSTATUS(r.status[0]) == 7);
	cr_assert_eq(r.last_errno, ECHILD);
	cr_assert_eq(atomic_load(&sigchld_count), 1, "SIGCHLD for the program's child only");
}

/* ---- churn ---------------------------------------------------------- */

enum {
	CHURN_PAIRS = 10000,  /* at least 20,000 goroutines started and finished */
	CHURN_MIN_PROFILES = 40, /* and the churn goes on until this many profiles */
	CHURN_BATCH = 250,    /* pairs alive at once */
	CHURN_MSGS = 8,
	CHURN_LEAKED = 30,
	CHURN_PROFILERS = 3,
};

static atomic_llong churn_sum, churn_msgs;
static atomic_int churn_done, bad_reports, bad_msgs, reports, profiles_taken;

struct pair {
	goro_chan *ch;
	int seed;
	goro_waitgroup *wg;
};

static int64_t msg_value(int seed, int i)
{
	return (int64_t)seed * 1000003 + i * 7919 + 1;
}

static void producer(void *arg)
{
	struct pair *p = arg;
	for (int i = 0; i < CHURN_MSGS; i++) {
		int64_t v = msg_value(p->seed, i);
		goro_chan_send(p->ch, &v);
	}
	goro_waitgroup_done(p->wg);
}

static void consumer(void *arg)
{
	struct pair *p = arg;
	int64_t sum = 0;
	for (int i = 0; i < CHURN_MSGS; i++) {
		int64_t v;
		goro_chan_recv(p->ch, &v);
		if (v != msg_value(p->seed, i))
			atomic_fetch_add(&bad_msgs, 1); /* out of order or corrupt */
		sum += v;
	}
	atomic_fetch_add(&churn_sum, sum);
	atomic_fetch_add(&churn_msgs, CHURN_MSGS);
	goro_waitgroup_done(p->wg);
}

static void check_report(void)
{
	goro_leaked *arr;
	int n = goro_leakprof_find(&arr);
	if (n < 0) {
		atomic_fetch_add(&bad_reports, 1);
		return;
	}
	for (int i = 0; i < n; i++) {
		/* Only the known leaks, every one still in its receive. */
		bool ok = is_known_leak(arr[i].id, CHURN_LEAKED) &&
		          strcmp(arr[i].wait_reason, "chan receive") == 0;
		if (!ok)
			atomic_fetch_add(&bad_reports, 1);
	}
	atomic_fetch_add(&reports, n);
	atomic_fetch_add(&profiles_taken, 1);
	goro_leakprof_free(arr);
}

static void profiler(void *arg)
{
	goro_waitgroup *wg = *(goro_waitgroup *const *)arg;
	while (!atomic_load(&churn_done))
		check_report();
	goro_waitgroup_done(wg);
}

static void *foreign_profiler(void *arg)
{
	(void)arg;
	while (!atomic_load(&churn_done))
		check_report();
	return NULL;
}

Test(leak_engine, churn_under_back_to_back_profiles, .timeout = 300)
{
	setenv("GORO_LEAK_ENGINE", "fork", 1);
	start_leakers(CHURN_LEAKED);
	goro_waitgroup profilers = { 0 };
	goro_waitgroup_add(&profilers, CHURN_PROFILERS);
	for (int i = 0; i < CHURN_PROFILERS; i++)
		goro_go(profiler, &(goro_waitgroup *){ &profilers });
	/* The foreign thread's stack is ours, unmapped after the join: a
	 * thread stack is scanned whole, dead frames included, and this one
	 * unwound leaked goroutines (pointers into their stacks), which would
	 * hide them from the final comparison (glibc caches joined stacks). */
	enum { FOREIGN_STACK = 1 << 20 };
	void *fstack = mmap(NULL, FOREIGN_STACK, PROT_READ | PROT_WRITE,
	                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	cr_assert_neq(fstack, MAP_FAILED);
	pthread_attr_t fa;
	pthread_attr_init(&fa);
	pthread_attr_setstack(&fa, fstack, FOREIGN_STACK);
	pthread_t ft;
	pthread_create(&ft, &fa, foreign_profiler, NULL);
	pthread_attr_destroy(&fa);

	static struct pair pairs[CHURN_BATCH];
	int64_t want = 0;
	int base;
	for (base = 0; base < CHURN_PAIRS || atomic_load(&profiles_taken) < CHURN_MIN_PROFILES;
	     base += CHURN_BATCH) {
		goro_waitgroup wg = { 0 };
		goro_waitgroup_add(&wg, 2 * CHURN_BATCH);
		for (int i = 0; i < CHURN_BATCH; i++) {
			pairs[i] = (struct pair){ goro_chan_new(int64_t, i % 3), base + i, &wg };
			goro_go(producer, &pairs[i]);
			goro_go(consumer, &pairs[i]);
			for (int m = 0; m < CHURN_MSGS; m++)
				want += msg_value(base + i, m);
		}
		goro_waitgroup_wait(&wg);
		for (int i = 0; i < CHURN_BATCH; i++)
			goro_chan_free(pairs[i].ch);
	}
	atomic_store(&churn_done, 1);
	goro_waitgroup_wait(&profilers);
	pthread_join(ft, NULL);
	munmap(fstack, FOREIGN_STACK);

	cr_assert_eq(atomic_load(&churn_msgs), (long long)base * CHURN_MSGS,
	             "messages lost or duplicated");
	cr_assert_eq(atomic_load(&churn_sum), want, "checksum");
	cr_assert_eq(atomic_load(&bad_msgs), 0, "messages out of order or corrupt");
	cr_assert_eq(atomic_load(&bad_reports), 0, "a report named a goroutine that can run");
	cr_assert_geq(atomic_load(&profiles_taken), CHURN_PROFILERS + 1,
	              "every profiler finished at least one profile");
	cr_log_info("%d profiles during the churn of %d goroutines, %d leaks reported",
	            atomic_load(&profiles_taken), 2 * base, atomic_load(&reports));

	/* Quiesced: both engines, the same verdicts, every leak found, and the
	 * goroutines reported during the churn still blocked. */
	goro_sleep(20 * GORO_MILLISECOND);
	int64_t a[MAX_LEAKED], b[MAX_LEAKED];
	int na = report_ids("fork", a, MAX_LEAKED);
	int nb = report_ids("stw", b, MAX_LEAKED);
	cr_assert_eq(na, CHURN_LEAKED, "fork: %d leaked, stw: %d", na, nb);
	cr_assert_eq(nb, CHURN_LEAKED, "stw: %d leaked, fork: %d", nb, na);
	cr_assert_eq(memcmp(a, b, (size_t)na * sizeof *a), 0, "the engines disagree");
}
