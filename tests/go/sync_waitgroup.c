/*
 * sync_waitgroup.c — Go 1.27.3's src/sync/waitgroup_test.go and
 * once_test.go.
 */
#include "go.h"

struct wgt {
	goro_waitgroup *wg1, *wg2;
	goro_chan *exited;
};

static void wg_member(void *p)
{
	struct wgt *a = p;
	goro_waitgroup_done(a->wg1);
	goro_waitgroup_wait(a->wg2);
	goro_send(a->exited, (bool)true);
}

static void test_waitgroup(goro_waitgroup *wg1, goro_waitgroup *wg2)
{
	enum { n = 16 };
	goro_waitgroup_add(wg1, n);
	goro_waitgroup_add(wg2, n);
	struct wgt a = { wg1, wg2, goro_chan_new(bool, n) };
	bool b;
	for (int i = 0; i != n; i++)
		goro_go(wg_member, &a);
	goro_waitgroup_wait(wg1);
	for (int i = 0; i != n; i++) {
		cr_assert_eq(goro_chan_tryrecv(a.exited, &b), GORO_WOULDBLOCK,
		             "WaitGroup released group too soon");
		goro_waitgroup_done(wg2);
	}
	for (int i = 0; i != n; i++)
		cr_assert_eq(goro_chan_recv_until(a.exited, &b, SOON), GORO_OK,
		             "barrier failed to unlock someone");
}

Test(sync_waitgroup, TestWaitGroup)
{
	goro_waitgroup wg1 = { 0 }, wg2 = { 0 };
	for (int i = 0; i != 8; i++)
		test_waitgroup(&wg1, &wg2);
}

GO_SCENARIO(WaitGroupMisuse)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, 1);
	goro_waitgroup_done(&wg);
	goro_waitgroup_done(&wg);
	fprintf(stderr, "Should panic\n");
}

Test(sync_waitgroup, TestWaitGroupMisuse)
{
	struct death d;
	go_run_scenario(WaitGroupMisuse, &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: sync: negative WaitGroup counter");
	death_assert_stderr_lacks(&d, "Should panic");
}

struct wg_race {
	goro_waitgroup *wg;
	atomic_int *n;
};

static void wg_race_member(void *p)
{
	struct wg_race *a = p;
	atomic_fetch_add(a->n, 1);
	goro_waitgroup_done(a->wg);
}

Test(sync_waitgroup, TestWaitGroupRace)
{
	for (int i = 0; i < GO_N(1000); i++) {
		goro_waitgroup *wg = goro_new(goro_waitgroup);
		atomic_int *n = goro_new(atomic_int);
		goro_waitgroup_add(wg, 1);
		goro_go(wg_race_member, &(struct wg_race){ wg, n });
		goro_waitgroup_add(wg, 1);
		goro_go(wg_race_member, &(struct wg_race){ wg, n });
		goro_waitgroup_wait(wg);
		cr_assert_eq(atomic_load(n), 2, "Spurious wakeup from Wait");
	}
}

struct wg_align {
	char x;
	goro_waitgroup wg;
};

static void wg_align_done(void *p)
{
	goro_waitgroup_done(&(*(struct wg_align **)p)->wg);
}

Test(sync_waitgroup, TestWaitGroupAlign)
{
	struct wg_align x = { 0 };
	goro_waitgroup_add(&x.wg, 1);
	struct wg_align *px = &x;
	goro_go(wg_align_done, &px);
	goro_waitgroup_wait(&x.wg);
}

static void wg_go_incr(void *p)
{
	(**(int **)p)++;
}

Test(sync_waitgroup, TestWaitGroupGo)
{
	goro_waitgroup wg = { 0 };
	int i = 0;
	int *pi = &i;
	goro_waitgroup_go(&wg, wg_go_incr, &pi);
	goro_waitgroup_wait(&wg);
	cr_assert_eq(i, 1, "got %d, want 1", i);
}

static void wg_go_panic(void *p)
{
	goro_panic("test");
}

GO_SCENARIO(Issue76126)
{
	goro_waitgroup wg = { 0 };
	goro_waitgroup_go(&wg, wg_go_panic, &(int){ 0 });
	goro_waitgroup_wait(&wg); /* the process ends here */
	goro_panic("Wait returned");
}

Test(sync_waitgroup, TestIssue76126)
{
	struct death d;
	go_run_scenario(Issue76126, &d);
	death_assert_stderr_has(&d, "panic: test");
	death_assert_stderr_lacks(&d, "Wait returned");
}

/* ---- once_test.go ----------------------------------------------------- */

struct once_run {
	goro_once *once;
	int *o;
	goro_chan *c;
};

static void once_increment(void *p)
{
	(*(int *)p)++;
}

static void once_run(void *p)
{
	struct once_run *a = p;
	goro_once_do(a->once, once_increment, a->o);
	if (*a->o != 1)
		cr_assert_fail("once failed inside run: %d is not 1", *a->o);
	goro_send(a->c, (bool)true);
}

Test(sync_once, TestOnce)
{
	int o = 0;
	goro_once once = { 0 };
	struct once_run a = { &once, &o, goro_chan_new(bool, 0) };
	enum { N = 10 };
	for (int i = 0; i < N; i++)
		goro_go(once_run, &a);
	bool b;
	for (int i = 0; i < N; i++)
		goro_chan_recv(a.c, &b);
	cr_assert_eq(o, 1, "once failed outside run: %d is not 1", o);
}

/*
 * TestOncePanic: C has no recover, so a panic ends the process; what a C
 * program can survive is Goexit (goro_exit), which Go's Once treats the
 * same way: the Once counts as done and Do is not called again.
 */
static void once_goexit(void *p)
{
	goro_exit();
}

static void once_twice(void *p)
{
	cr_assert_fail("Once.Do called twice");
}

static void once_goexit_caller(void *p)
{
	goro_once_do(*(goro_once **)p, once_goexit, NULL);
	cr_assert_fail("goro_exit returned");
}

Test(sync_once, TestOncePanic)
{
	goro_once once = { 0 };
	goro_once *po = &once;
	goro_waitgroup wg = { 0 };
	goro_waitgroup_go(&wg, once_goexit_caller, &po);
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
	goro_once_do(&once, once_twice, NULL);
}
