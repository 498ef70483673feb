/*
 * sync_mutex.c — Go 1.27.3's src/sync/mutex_test.go and rwmutex_test.go.
 * Not applicable: TestSemaphore (sync's runtime_Semacquire is internal).
 */
#include "go.h"

/* ---- TestMutex -------------------------------------------------------- */

struct hammer {
	goro_mutex *m;
	int loops;
	goro_chan *done;
};

static void hammer_mutex(void *p)
{
	struct hammer *a = p;
	for (int i = 0; i < a->loops; i++) {
		if (i % 3 == 0) {
			if (goro_mutex_trylock(a->m))
				goro_mutex_unlock(a->m);
			continue;
		}
		goro_mutex_lock(a->m);
		goro_mutex_unlock(a->m);
	}
	goro_send(a->done, (bool)true);
}

Test(sync_mutex, TestMutex)
{
	goro_mutex *m = goro_new(goro_mutex);
	goro_mutex_lock(m);
	cr_assert(!goro_mutex_trylock(m), "TryLock succeeded with mutex locked");
	goro_mutex_unlock(m);
	cr_assert(goro_mutex_trylock(m), "TryLock failed with mutex unlocked");
	goro_mutex_unlock(m);
	goro_chan *c = goro_chan_new(bool, 0);
	for (int i = 0; i < 10; i++)
		goro_go(hammer_mutex, &(struct hammer){ m, 1000, c });
	for (int i = 0; i < 10; i++) {
		bool b;
		goro_chan_recv(c, &b);
	}
}

/* ---- TestMutexMisuse -------------------------------------------------- */

GO_SCENARIO(Mutex_Unlock)
{
	goro_mutex mu = { 0 };
	goro_mutex_unlock(&mu);
}
GO_SCENARIO(Mutex_Unlock2)
{
	goro_mutex mu = { 0 };
	goro_mutex_lock(&mu);
	goro_mutex_unlock(&mu);
	goro_mutex_unlock(&mu);
}
GO_SCENARIO(RWMutex_Unlock)
{
	goro_rwmutex mu = { 0 };
	goro_rwmutex_unlock(&mu);
}
GO_SCENARIO(RWMutex_Unlock2)
{
	goro_rwmutex mu = { 0 };
	goro_rwmutex_rlock(&mu);
	goro_rwmutex_unlock(&mu);
}
GO_SCENARIO(RWMutex_Unlock3)
{
	goro_rwmutex mu = { 0 };
	goro_rwmutex_lock(&mu);
	goro_rwmutex_unlock(&mu);
	goro_rwmutex_unlock(&mu);
}
GO_SCENARIO(RWMutex_RUnlock)
{
	goro_rwmutex mu = { 0 };
	goro_rwmutex_runlock(&mu);
}
GO_SCENARIO(RWMutex_RUnlock2)
{
	goro_rwmutex mu = { 0 };
	goro_rwmutex_lock(&mu);
	goro_rwmutex_runlock(&mu);
}
GO_SCENARIO(RWMutex_RUnlock3)
{
	goro_rwmutex mu = { 0 };
	goro_rwmutex_rlock(&mu);
	goro_rwmutex_runlock(&mu);
	goro_rwmutex_runlock(&mu);
}

Test(sync_mutex, TestMutexMisuse)
{
	static const char *const names[] = { "Mutex_Unlock",     "Mutex_Unlock2",   "RWMutex_Unlock",
		                             "RWMutex_Unlock2",  "RWMutex_Unlock3", "RWMutex_RUnlock",
		                             "RWMutex_RUnlock2", "RWMutex_RUnlock3" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct death d;
		death_run(names[i], &d);
		/* Go: the process fails with a message about an unlocked lock. */
		cr_assert(!(WIFEXITED(d.status) && WEXITSTATUS(d.status) == 0),
		          "%s: did not fail", names[i]);
		cr_assert(strstr(d.err, "unlocked") != NULL,
		          "%s: did not find failure with message about unlocked lock:\n%s", names[i],
		          d.err);
	}
}

/* ---- TestMutexFairness ------------------------------------------------ */

struct fair {
	goro_mutex *mu;
	goro_chan *stop, *done;
};

static void fair_hog(void *p)
{
	struct fair *a = p;
	for (;;) {
		goro_mutex_lock(a->mu);
		goro_sleep(100 * GORO_MICROSECOND);
		goro_mutex_unlock(a->mu);
		if (goro_chan_tryrecv(a->stop, NULL) != GORO_WOULDBLOCK)
			return;
	}
}

static void fair_taker(void *p)
{
	struct fair *a = p;
	for (int i = 0; i < 10; i++) {
		goro_sleep(100 * GORO_MICROSECOND);
		goro_mutex_lock(a->mu);
		goro_mutex_unlock(a->mu);
	}
	goro_send(a->done, (bool)true);
}

Test(sync_mutex, TestMutexFairness)
{
	goro_mutex *mu = goro_new(goro_mutex);
	struct fair a = { mu, goro_chan_new(bool, 0), goro_chan_new(bool, 1) };
	goro_go(fair_hog, &a);
	goro_go(fair_taker, &a);
	bool b;
	cr_assert_eq(goro_chan_recv_until(a.done, &b, goro_now() + 10 * GORO_SECOND), GORO_OK,
	             "can't acquire Mutex in 10 seconds");
	goro_chan_close(a.stop);
}

/* ---- TestParallelReaders ---------------------------------------------- */

struct preader {
	goro_rwmutex *m;
	goro_chan *clocked, *cunlock, *cdone;
};

static void parallel_reader(void *p)
{
	struct preader *a = p;
	bool b;
	goro_rwmutex_rlock(a->m);
	goro_send(a->clocked, (bool)true);
	goro_chan_recv(a->cunlock, &b);
	goro_rwmutex_runlock(a->m);
	goro_send(a->cdone, (bool)true);
}

/* GOMAXPROCS is fixed at start-up in goro: the ctest entries run the suite
 * with 1 and 2 workers instead of the test switching. */
static void parallel_readers(int n)
{
	goro_rwmutex m = { 0 };
	struct preader a = { &m, goro_chan_new(bool, 0), goro_chan_new(bool, 0),
		             goro_chan_new(bool, 0) };
	bool b;
	for (int i = 0; i < n; i++)
		goro_go(parallel_reader, &a);
	for (int i = 0; i < n; i++) /* every RLock succeeds at once */
		cr_assert_eq(goro_chan_recv_until(a.clocked, &b, SOON), GORO_OK);
	for (int i = 0; i < n; i++)
		goro_send(a.cunlock, (bool)true);
	for (int i = 0; i < n; i++)
		goro_chan_recv(a.cdone, &b);
}

Test(sync_mutex, TestParallelReaders)
{
	parallel_readers(1);
	parallel_readers(3);
	parallel_readers(4);
}

/* ---- TestRWMutex ------------------------------------------------------ */

struct rw_hammer {
	goro_rwmutex *rw;
	int iters;
	atomic_int *activity;
	goro_chan *done;
};

static void rw_reader(void *p)
{
	struct rw_hammer *a = p;
	for (int i = 0; i < a->iters; i++) {
		goro_rwmutex_rlock(a->rw);
		int n = atomic_fetch_add(a->activity, 1) + 1;
		if (n < 1 || n >= 10000)
			cr_assert_fail("wlock(%d)", n);
		for (volatile int k = 0; k < 100; k++)
			;
		atomic_fetch_sub(a->activity, 1);
		goro_rwmutex_runlock(a->rw);
	}
	goro_send(a->done, (bool)true);
}

static void rw_writer(void *p)
{
	struct rw_hammer *a = p;
	for (int i = 0; i < a->iters; i++) {
		goro_rwmutex_lock(a->rw);
		int n = atomic_fetch_add(a->activity, 10000) + 10000;
		if (n != 10000)
			cr_assert_fail("wlock(%d)", n);
		for (volatile int k = 0; k < 100; k++)
			;
		atomic_fetch_sub(a->activity, 10000);
		goro_rwmutex_unlock(a->rw);
	}
	goro_send(a->done, (bool)true);
}

static void hammer_rwmutex(int readers, int iters)
{
	atomic_int activity = 0;
	goro_rwmutex rw = { 0 };
	struct rw_hammer a = { &rw, iters, &activity, goro_chan_new(bool, 0) };
	int i;
	goro_go(rw_writer, &a);
	for (i = 0; i < readers / 2; i++)
		goro_go(rw_reader, &a);
	goro_go(rw_writer, &a);
	for (; i < readers; i++)
		goro_go(rw_reader, &a);
	for (i = 0; i < 2 + readers; i++) {
		bool b;
		goro_chan_recv(a.done, &b);
	}
}

Test(sync_mutex, TestRWMutex)
{
	goro_rwmutex m = { 0 };
	goro_rwmutex_lock(&m);
	cr_assert(!goro_rwmutex_trylock(&m), "TryLock succeeded with mutex locked");
	cr_assert(!goro_rwmutex_tryrlock(&m), "TryRLock succeeded with mutex locked");
	goro_rwmutex_unlock(&m);
	cr_assert(goro_rwmutex_trylock(&m), "TryLock failed with mutex unlocked");
	goro_rwmutex_unlock(&m);
	cr_assert(goro_rwmutex_tryrlock(&m), "TryRLock failed with mutex unlocked");
	cr_assert(goro_rwmutex_tryrlock(&m), "TryRLock failed with mutex rlocked");
	cr_assert(!goro_rwmutex_trylock(&m), "TryLock succeeded with mutex rlocked");
	goro_rwmutex_runlock(&m);
	goro_rwmutex_runlock(&m);

	/* Go's -short n is 5; the GOMAXPROCS variants are the two ctest runs.
	 * 1000 (the long size) stays cheap here, and stresses more. */
	const int n = GO_N(1000);
	static const int readers[] = { 1, 3, 10, 5 };
	for (int r = 0; r < 4; r++)
		hammer_rwmutex(readers[r], n);
}

/* ---- TestRLocker ------------------------------------------------------ */

struct rlocker {
	goro_rwmutex *wl;
	goro_locker rl;
	goro_chan *wlocked, *rlocked;
	int n;
};

static void rlocker_loop(void *p)
{
	struct rlocker *a = p;
	for (int i = 0; i < a->n; i++) {
		a->rl.lock(a->rl.obj);
		a->rl.lock(a->rl.obj);
		goro_send(a->rlocked, (bool)true);
		goro_rwmutex_lock(a->wl);
		goro_send(a->wlocked, (bool)true);
	}
}

Test(sync_mutex, TestRLocker)
{
	goro_rwmutex wl = { 0 };
	struct rlocker a = { &wl, goro_rwmutex_rlocker(&wl), goro_chan_new(bool, 1),
		             goro_chan_new(bool, 1), 10 };
	goro_go(rlocker_loop, &a);
	bool b;
	for (int i = 0; i < a.n; i++) {
		goro_chan_recv(a.rlocked, &b);
		a.rl.unlock(a.rl.obj);
		cr_assert_eq(goro_chan_tryrecv(a.wlocked, &b), GORO_WOULDBLOCK,
		             "RLocker() didn't read-lock it");
		a.rl.unlock(a.rl.obj);
		goro_chan_recv(a.wlocked, &b);
		cr_assert_eq(goro_chan_tryrecv(a.rlocked, &b), GORO_WOULDBLOCK,
		             "RLocker() didn't respect the write lock");
		goro_rwmutex_unlock(&wl);
	}
}
