/*
 * sync_cond.c — Go 1.27.3's src/sync/cond_test.go.
 * TestCondCopy is a deviation (README.md): a goro_cond has no copy check.
 */
#include "go.h"

struct cw {
	goro_mutex *m;
	goro_cond *c;
	goro_chan *running, *awake;
	int i;
	bool *exit;
};

static void cond_waiter(void *p)
{
	struct cw *a = p;
	goro_mutex_lock(a->m);
	goro_send(a->running, (bool)true);
	goro_cond_wait(a->c);
	goro_send(a->awake, (bool)true);
	goro_mutex_unlock(a->m);
}

Test(sync_cond, TestCondSignal)
{
	goro_mutex m = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_mutex_locker(&m));
	int n = 2;
	struct cw a = { &m, &c, goro_chan_new(bool, n), goro_chan_new(bool, n) };
	bool b;
	for (int i = 0; i < n; i++)
		goro_go(cond_waiter, &a);
	for (int i = 0; i < n; i++)
		goro_chan_recv(a.running, &b);
	for (; n > 0; n--) {
		cr_assert_eq(goro_chan_tryrecv(a.awake, &b), GORO_WOULDBLOCK, "goroutine not asleep");
		goro_mutex_lock(&m);
		goro_cond_signal(&c);
		goro_mutex_unlock(&m);
		cr_assert_eq(goro_chan_recv_until(a.awake, &b, SOON), GORO_OK, "no goroutine woke up");
		cr_assert_eq(goro_chan_tryrecv(a.awake, &b), GORO_WOULDBLOCK, "too many goroutines awake");
	}
	goro_cond_signal(&c);
}

static void cond_gen_waiter(void *p)
{
	struct cw *a = p;
	goro_mutex_lock(a->m);
	goro_send(a->running, (bool)true);
	goro_cond_wait(a->c);
	goro_send(a->awake, a->i);
	goro_mutex_unlock(a->m);
}

Test(sync_cond, TestCondSignalGenerations)
{
	goro_mutex m = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_mutex_locker(&m));
	enum { n = 100 };
	goro_chan *running = goro_chan_new(bool, n), *awake = goro_chan_new(int, n);
	for (int i = 0; i < n; i++) {
		goro_go(cond_gen_waiter, &(struct cw){ &m, &c, running, awake, i });
		if (i > 0) {
			int w = -1;
			cr_assert_eq(goro_chan_recv_until(awake, &w, SOON), GORO_OK);
			cr_assert_eq(w, i - 1, "wrong goroutine woke up: want %d, got %d", i - 1, w);
		}
		bool b;
		goro_chan_recv(running, &b);
		goro_mutex_lock(&m);
		goro_cond_signal(&c);
		goro_mutex_unlock(&m);
	}
}

static void cond_bcast_waiter(void *p)
{
	struct cw *a = p;
	goro_mutex_lock(a->m);
	while (!*a->exit) {
		goro_send(a->running, a->i);
		goro_cond_wait(a->c);
		goro_send(a->awake, a->i);
	}
	goro_mutex_unlock(a->m);
}

Test(sync_cond, TestCondBroadcast)
{
	goro_mutex m = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_mutex_locker(&m));
	enum { n = 200 };
	goro_chan *running = goro_chan_new(int, n), *awake = goro_chan_new(int, n);
	bool exit_ = false;
	for (int i = 0; i < n; i++)
		goro_go(cond_bcast_waiter, &(struct cw){ &m, &c, running, awake, i, &exit_ });
	int g;
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < n; j++)
			cr_assert_eq(goro_chan_recv_until(running, &g, SOON), GORO_OK, "not all running");
		if (i == n - 1) {
			goro_mutex_lock(&m);
			exit_ = true;
			goro_mutex_unlock(&m);
		}
		cr_assert_eq(goro_chan_tryrecv(awake, &g), GORO_WOULDBLOCK, "goroutine not asleep");
		goro_mutex_lock(&m);
		goro_cond_broadcast(&c);
		goro_mutex_unlock(&m);
		bool seen[n] = { false };
		for (int j = 0; j < n; j++) {
			cr_assert_eq(goro_chan_recv_until(awake, &g, SOON), GORO_OK);
			cr_assert(!seen[g], "goroutine woke up twice");
			seen[g] = true;
		}
	}
	cr_assert_eq(goro_chan_tryrecv(running, &g), GORO_WOULDBLOCK, "goroutine did not exit");
	goro_cond_broadcast(&c);
}

/* ---- TestRace --------------------------------------------------------- */

struct race {
	goro_cond *c;
	int *x;
	goro_chan *done;
};

static void race1(void *p)
{
	struct race *a = p;
	a->c->L.lock(a->c->L.obj);
	*a->x = 1;
	goro_cond_wait(a->c);
	if (*a->x != 2)
		cr_assert_fail("want 2");
	*a->x = 3;
	goro_cond_signal(a->c);
	a->c->L.unlock(a->c->L.obj);
	goro_send(a->done, (bool)true);
}

static void race2(void *p)
{
	struct race *a = p;
	a->c->L.lock(a->c->L.obj);
	for (;;) {
		if (*a->x == 1) {
			*a->x = 2;
			goro_cond_signal(a->c);
			break;
		}
		a->c->L.unlock(a->c->L.obj);
		goro_yield();
		a->c->L.lock(a->c->L.obj);
	}
	a->c->L.unlock(a->c->L.obj);
	goro_send(a->done, (bool)true);
}

static void race3(void *p)
{
	struct race *a = p;
	a->c->L.lock(a->c->L.obj);
	for (;;) {
		if (*a->x == 2) {
			goro_cond_wait(a->c);
			if (*a->x != 3)
				cr_assert_fail("want 3");
			break;
		}
		if (*a->x == 3)
			break;
		a->c->L.unlock(a->c->L.obj);
		goro_yield();
		a->c->L.lock(a->c->L.obj);
	}
	a->c->L.unlock(a->c->L.obj);
	goro_send(a->done, (bool)true);
}

Test(sync_cond, TestRace)
{
	int x = 0;
	goro_mutex m = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_mutex_locker(&m));
	struct race a = { &c, &x, goro_chan_new(bool, 0) };
	goro_go(race1, &a);
	goro_go(race2, &a);
	goro_go(race3, &a);
	bool b;
	for (int i = 0; i < 3; i++)
		cr_assert_eq(goro_chan_recv_until(a.done, &b, SOON), GORO_OK);
}

/* ---- TestCondSignalStealing ------------------------------------------- */

struct steal {
	goro_mutex *m;
	goro_cond *c;
	goro_chan *ch;
	bool *done;
};

static void steal_first(void *p)
{
	struct steal *a = p;
	goro_mutex_lock(a->m);
	goro_send(a->ch, (bool)true);
	goro_cond_wait(a->c);
	goro_mutex_unlock(a->m);
	goro_send(a->ch, (bool)true);
}

static void steal_bcast(void *p)
{
	struct steal *a = p;
	goro_cond_broadcast(a->c);
}

static void steal_second(void *p)
{
	struct steal *a = p;
	goro_mutex_lock(a->m);
	while (!*a->done)
		goro_cond_wait(a->c);
	goro_mutex_unlock(a->m);
}

Test(sync_cond, TestCondSignalStealing)
{
	for (int iters = 0; iters < GO_N(1000); iters++) {
		goro_mutex *m = goro_new(goro_mutex);
		goro_cond *c = goro_new(goro_cond);
		bool *done = goro_new(bool);
		goro_cond_init(c, goro_mutex_locker(m));
		struct steal a = { m, c, goro_chan_new(bool, 0), done };
		bool b;
		goro_go(steal_first, &a);
		goro_chan_recv(a.ch, &b);
		goro_mutex_lock(m);
		goro_mutex_unlock(m);
		/* The first waiter is in Wait; a broadcast races a new waiter. */
		goro_go(steal_bcast, &a);
		goro_go(steal_second, &a);
		cr_assert_eq(goro_chan_recv_until(a.ch, &b, SOON), GORO_OK,
		             "the first waiter was not signaled (iteration %d)", iters);
		goro_mutex_lock(m);
		*done = true;
		goro_mutex_unlock(m);
		goro_cond_broadcast(c);
	}
}
