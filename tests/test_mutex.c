/*
 * test_mutex.c — sync.Mutex: mutual exclusion across workers, TryLock,
 * no reentrancy, a lock whose holder exited stays held, waiters are not
 * starved, lock_until / lock_ctx give up cleanly (no lost wake-up for the
 * waiters that remain), foreign pthreads share a mutex with goroutines,
 * and unlock of an unlocked mutex is Go's fatal error.
 *
 * Joins use channels rather than WaitGroup so that a WaitGroup bug cannot
 * pass for a mutex bug.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include <goro.h>

#include "death.h"
#include "waiting.h"

/* Receives n ints from c, each within the test's patience. */
static void recv_n(goro_chan *c, int n)
{
	for (int i = 0; i < n; i++) {
		int v;
		cr_assert_eq(goro_chan_recv_until(c, &v, SOON), GORO_OK,
		             "only %d of %d goroutines reported back", i, n);
	}
}

static int recv_status(goro_chan *c)
{
	int rc = -1;
	cr_assert_eq(goro_chan_recv_until(c, &rc, SOON), GORO_OK, "no status reported");
	return rc;
}

/* ------------------------------------------------------------------ */
/* Mutual exclusion                                                    */
/* ------------------------------------------------------------------ */

enum { EXCL_G = 200, EXCL_ITERS = SCALED(500) };

static goro_mutex excl_mu;
static long excl_counter;      /* plain: only the mutex protects it */
static atomic_int excl_inside; /* holders right now: must never exceed 1 */
static atomic_int excl_overlap;

static void excl_worker(void *p)
{
	goro_chan *done = *(goro_chan **)p;
	for (int i = 0; i < EXCL_ITERS; i++) {
		goro_mutex_lock(&excl_mu);
		if (atomic_fetch_add(&excl_inside, 1) != 0)
			atomic_fetch_add(&excl_overlap, 1);
		long v = excl_counter;
		/* Sometimes hold the lock across a reschedule, so that others
		 * really queue on it instead of always finding it free. */
		if (i % 16 == 0)
			goro_yield();
		excl_counter = v + 1;
		atomic_fetch_sub(&excl_inside, 1);
		goro_mutex_unlock(&excl_mu);
	}
	goro_send(done, 1);
}

Test(mutex, excludes_across_all_workers)
{
	goro_chan *done = goro_chan_new(int, EXCL_G);
	for (int i = 0; i < EXCL_G; i++)
		goro_go(excl_worker, &done);
	recv_n(done, EXCL_G);
	cr_assert_eq(atomic_load(&excl_overlap), 0, "two goroutines held the mutex at once");
	cr_assert_eq(excl_counter, (long)EXCL_G * EXCL_ITERS, "lost increments: %ld",
	             excl_counter);
	cr_assert(goro_mutex_trylock(&excl_mu), "the mutex stayed locked after all unlocks");
}

/* ------------------------------------------------------------------ */
/* TryLock                                                             */
/* ------------------------------------------------------------------ */

struct try_args {
	goro_mutex *mu;
	goro_chan *out;
};

static void trylock_from_other(void *p)
{
	struct try_args *a = p;
	int got = goro_mutex_trylock(a->mu);
	if (got)
		goro_mutex_unlock(a->mu);
	goro_send(a->out, got);
}

Test(mutex, trylock)
{
	goro_mutex mu = { 0 }; /* zero value is an unlocked mutex */
	cr_assert(goro_mutex_trylock(&mu), "trylock of an unlocked mutex failed");
	cr_assert_not(goro_mutex_trylock(&mu), "trylock of a locked mutex succeeded");

	goro_chan *out = goro_chan_new(int, 1);
	goro_go(trylock_from_other, &(struct try_args){ &mu, out });
	cr_assert_eq(recv_status(out), 0, "another goroutine's trylock took a held mutex");

	goro_mutex_unlock(&mu);
	goro_go(trylock_from_other, &(struct try_args){ &mu, out });
	cr_assert_eq(recv_status(out), 1, "trylock after unlock failed");
	cr_assert(goro_mutex_trylock(&mu));
	goro_mutex_unlock(&mu);
}

/* ------------------------------------------------------------------ */
/* Not reentrant; a dead holder keeps it                               */
/* ------------------------------------------------------------------ */

Test(mutex, not_reentrant)
{
	goro_mutex mu = { 0 };
	goro_mutex_lock(&mu);
	/* Go: a second Lock by the holder blocks forever. */
	cr_assert_eq(goro_mutex_lock_until(&mu, after_now(30 * GORO_MILLISECOND)), GORO_TIMEDOUT,
	             "the holder locked its own mutex again");
	cr_assert_not(goro_mutex_trylock(&mu), "a timed-out relock released the mutex");
	goro_mutex_unlock(&mu);
	cr_assert_eq(goro_mutex_lock_until(&mu, SOON), GORO_OK);
	goro_mutex_unlock(&mu);
}

static goro_mutex dead_holder_mu;

static void lock_and_exit(void *p)
{
	(void)p;
	goro_mutex_lock(&dead_holder_mu);
}

Test(mutex, lock_of_exited_holder_stays_held)
{
	goro_go0(lock_and_exit);
	GOROUTINES_BACK_TO(1);
	cr_assert_not(goro_mutex_trylock(&dead_holder_mu), "the holder's exit unlocked the mutex");
	cr_assert_eq(goro_mutex_lock_until(&dead_holder_mu, after_now(30 * GORO_MILLISECOND)),
	             GORO_TIMEDOUT);
	/* Go allows unlocking from another goroutine: that frees it. */
	goro_mutex_unlock(&dead_holder_mu);
	cr_assert_eq(goro_mutex_lock_until(&dead_holder_mu, SOON), GORO_OK);
	goro_mutex_unlock(&dead_holder_mu);
}

/* ------------------------------------------------------------------ */
/* Starvation: a waiter gets the lock while others hammer it           */
/* ------------------------------------------------------------------ */

enum { HAMMERS = 6, STARVE_ROUNDS = 20 };

static goro_mutex hammer_mu;
static atomic_bool hammer_stop;
static long hammer_count;

static void hammer(void *p)
{
	goro_chan *done = *(goro_chan **)p;
	while (!atomic_load(&hammer_stop)) {
		goro_mutex_lock(&hammer_mu);
		hammer_count++;
		/* Held across a reschedule: others pile up behind it, and on
		 * unlock this goroutine barges right back in unless the mutex
		 * hands off to the waiter that has waited too long. */
		goro_yield();
		goro_mutex_unlock(&hammer_mu);
	}
	goro_send(done, 1);
}

Test(mutex, waiter_is_not_starved_by_hammering)
{
	goro_chan *done = goro_chan_new(int, HAMMERS);
	for (int i = 0; i < HAMMERS; i++)
		goro_go(hammer, &done);
	EVENTUALLY(blocked_count(WR_MUTEX) > 0); /* contention has begun */
	for (int round = 0; round < STARVE_ROUNDS; round++) {
		cr_assert_eq(goro_mutex_lock_until(&hammer_mu, SOON), GORO_OK,
		             "round %d: starved while %d goroutines hammered the mutex", round,
		             HAMMERS);
		goro_mutex_unlock(&hammer_mu);
		goro_yield();
	}
	atomic_store(&hammer_stop, true);
	recv_n(done, HAMMERS);
	cr_assert_gt(hammer_count, 0);
}

/* ------------------------------------------------------------------ */
/* Giving up: lock_until, lock_ctx                                      */
/* ------------------------------------------------------------------ */

struct waiter_args {
	goro_mutex *mu;
	goro_chan *out;
	int64_t deadline; /* lock_until; INT64_MAX: plain lock */
	goro_ctx *ctx;    /* lock_ctx when set (the waiter owns a reference) */
	bool unlock;      /* unlock after getting it */
};

static void mutex_waiter(void *p)
{
	struct waiter_args *a = p;
	int rc;
	if (a->ctx) {
		rc = goro_mutex_lock_ctx(a->mu, a->ctx);
		goro_ctx_release(a->ctx);
	} else if (a->deadline != INT64_MAX) {
		rc = goro_mutex_lock_until(a->mu, a->deadline);
	} else {
		goro_mutex_lock(a->mu);
		rc = GORO_OK;
	}
	if (rc == GORO_OK && a->unlock)
		goro_mutex_unlock(a->mu);
	goro_send(a->out, rc);
}

/* Starts a waiter and waits until it has queued on the mutex (or, for one
 * with a deadline, already given up: a slow machine may get there first). */
static int64_t start_waiter(struct waiter_args a)
{
	int64_t id = goro_go(mutex_waiter, &a);
	EVENTUALLY(blocked_in(id, WR_MUTEX) || goro_chan_len(a.out) > 0);
	return id;
}

Test(mutex, lock_until_in_the_past)
{
	goro_mutex mu = { 0 };
	cr_assert_eq(goro_mutex_lock_until(&mu, goro_now() - GORO_SECOND), GORO_OK,
	             "a free mutex is taken whatever the deadline");
	cr_assert_eq(goro_mutex_lock_until(&mu, goro_now() - GORO_SECOND), GORO_TIMEDOUT);
	cr_assert_eq(goro_mutex_lock_until(&mu, goro_now()), GORO_TIMEDOUT);
	goro_mutex_unlock(&mu);
}

/* The timed-out waiter is queued ahead of a plain waiter and in between;
 * after it leaves, an unlock must still reach the plain ones. */
Test(mutex, lock_until_times_out_and_remaining_waiters_still_get_it)
{
	goro_mutex mu = { 0 };
	goro_chan *first = goro_chan_new(int, 1), *timed = goro_chan_new(int, 2),
	          *last = goro_chan_new(int, 1);
	goro_mutex_lock(&mu);
	int64_t t1 = goro_now();
	start_waiter((struct waiter_args){ &mu, timed, t1 + 200 * GORO_MILLISECOND, NULL, true });
	start_waiter((struct waiter_args){ &mu, first, INT64_MAX, NULL, true });
	start_waiter((struct waiter_args){ &mu, timed, t1 + 250 * GORO_MILLISECOND, NULL, true });
	start_waiter((struct waiter_args){ &mu, last, INT64_MAX, NULL, true });

	cr_assert_eq(recv_status(timed), GORO_TIMEDOUT);
	cr_assert_eq(recv_status(timed), GORO_TIMEDOUT);
	cr_assert_geq(goro_now(), t1 + 250 * GORO_MILLISECOND, "gave up before the deadline");
	int rc;
	cr_assert_eq(goro_chan_tryrecv(first, &rc), GORO_WOULDBLOCK,
	             "a waiter got a mutex that is still held");

	goro_mutex_unlock(&mu);
	cr_assert_eq(recv_status(first), GORO_OK, "lost wake-up after a waiter timed out");
	cr_assert_eq(recv_status(last), GORO_OK, "lost wake-up after a waiter timed out");
	cr_assert(goro_mutex_trylock(&mu));
	goro_mutex_unlock(&mu);
	GOROUTINES_BACK_TO(1);
}

Test(mutex, lock_ctx_cancel_and_deadline)
{
	goro_mutex mu = { 0 };
	goro_chan *canceled = goro_chan_new(int, 1), *expired = goro_chan_new(int, 1),
	          *plain = goro_chan_new(int, 1);
	goro_mutex_lock(&mu);

	goro_ctx *cctx = goro_with_cancel(goro_background());
	goro_ctx *tctx = goro_with_timeout(goro_background(), 100 * GORO_MILLISECOND);
	start_waiter((struct waiter_args){ &mu, canceled, INT64_MAX, goro_ctx_retain(cctx), true });
	start_waiter((struct waiter_args){ &mu, plain, INT64_MAX, NULL, true });
	start_waiter((struct waiter_args){ &mu, expired, INT64_MAX, goro_ctx_retain(tctx), true });

	goro_cancel(cctx);
	cr_assert_eq(recv_status(canceled), GORO_CANCELED);
	cr_assert_eq(recv_status(expired), GORO_DEADLINE_EXCEEDED);
	int rc;
	cr_assert_eq(goro_chan_tryrecv(plain, &rc), GORO_WOULDBLOCK);

	goro_mutex_unlock(&mu);
	cr_assert_eq(recv_status(plain), GORO_OK, "lost wake-up after ctx waiters left");

	/* A context that is already done gives up on a held mutex at once. */
	goro_mutex_lock(&mu);
	cr_assert_eq(goro_mutex_lock_ctx(&mu, cctx), GORO_CANCELED,
	             "an already-canceled ctx must not block");
	goro_mutex_unlock(&mu);
	goro_ctx_release(cctx);
	goro_ctx_release(tctx);
	GOROUTINES_BACK_TO(1);
}

/* Many goroutines mixing short deadlines with plain locks: every plain
 * locker must get through (a lost wake-up hangs one), and the counter
 * matches the successful acquisitions exactly. */
enum { MIX_G = 24, MIX_ITERS = SCALED(300) };

static goro_mutex mix_mu;
static long mix_counter;
static atomic_long mix_acquired, mix_timeouts, mix_bad_status;

struct mix_args {
	goro_chan *done;
	int seed;
};

static void mix_worker(void *p)
{
	struct mix_args *a = p;
	unsigned s = (unsigned)a->seed * 2654435761u + 1;
	for (int i = 0; i < MIX_ITERS; i++) {
		s = s * 1103515245u + 12345u;
		int rc;
		if (a->seed % 3 == 0) {
			goro_mutex_lock(&mix_mu);
			rc = GORO_OK;
		} else {
			rc = goro_mutex_lock_until(&mix_mu, goro_now() + (int64_t)(s % 200) * 1000);
			if (rc != GORO_OK && rc != GORO_TIMEDOUT)
				atomic_fetch_add(&mix_bad_status, 1);
		}
		if (rc != GORO_OK) {
			atomic_fetch_add(&mix_timeouts, 1);
			continue;
		}
		mix_counter++;
		if (s & 0x100)
			goro_yield();
		atomic_fetch_add(&mix_acquired, 1);
		goro_mutex_unlock(&mix_mu);
	}
	goro_send(a->done, 1);
}

Test(mutex, timeouts_mixed_with_plain_locks_lose_no_wakeup)
{
	goro_chan *done = goro_chan_new(int, MIX_G);
	for (int i = 0; i < MIX_G; i++)
		goro_go(mix_worker, &(struct mix_args){ done, i });
	recv_n(done, MIX_G);
	cr_assert_eq(atomic_load(&mix_bad_status), 0, "lock_until returned neither OK nor TIMEDOUT");
	cr_assert_eq(mix_counter, atomic_load(&mix_acquired));
	cr_assert_eq(atomic_load(&mix_acquired) + atomic_load(&mix_timeouts),
	             (long)MIX_G * MIX_ITERS);
	cr_assert(goro_mutex_trylock(&mix_mu), "mutex left locked");
	goro_mutex_unlock(&mix_mu);
}

/* ------------------------------------------------------------------ */
/* Foreign pthreads: a blocked lock blocks the thread, and is woken     */
/* ------------------------------------------------------------------ */

enum { FOREIGN_THREADS = 2, FOREIGN_G = 8, FOREIGN_ITERS = SCALED(3000) };

static goro_mutex shared_mu;
static long shared_counter; /* plain: only shared_mu protects it */
static atomic_int threads_done;

static void *foreign_locker(void *p)
{
	(void)p;
	for (int i = 0; i < FOREIGN_ITERS; i++) {
		goro_mutex_lock(&shared_mu);
		long v = shared_counter;
		if (i % 64 == 0)
			sched_yield(); /* hold it while the goroutines pile up */
		shared_counter = v + 1;
		goro_mutex_unlock(&shared_mu);
	}
	atomic_fetch_add(&threads_done, 1);
	return NULL;
}

static void goroutine_locker(void *p)
{
	goro_chan *done = *(goro_chan **)p;
	for (int i = 0; i < FOREIGN_ITERS; i++) {
		goro_mutex_lock(&shared_mu);
		long v = shared_counter;
		if (i % 16 == 0)
			goro_yield();
		shared_counter = v + 1;
		goro_mutex_unlock(&shared_mu);
	}
	goro_send(done, 1);
}

Test(mutex, foreign_threads_and_goroutines_share_a_mutex)
{
	cr_assert_eq(goro_id(), 1); /* the runtime starts on this thread */
	goro_chan *done = goro_chan_new(int, FOREIGN_G);
	pthread_t t[FOREIGN_THREADS];
	for (int i = 0; i < FOREIGN_THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, foreign_locker, NULL), 0);
	for (int i = 0; i < FOREIGN_G; i++)
		goro_go(goroutine_locker, &done);
	recv_n(done, FOREIGN_G);
	/* Not pthread_join while they run: it would block this worker. */
	EVENTUALLY(atomic_load(&threads_done) == FOREIGN_THREADS);
	for (int i = 0; i < FOREIGN_THREADS; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(shared_counter, (long)(FOREIGN_THREADS + FOREIGN_G) * FOREIGN_ITERS);
}

static atomic_int foreign_rc = -1;

static void *foreign_lock_until(void *p)
{
	int64_t deadline = *(int64_t *)p;
	int rc = deadline ? goro_mutex_lock_until(&shared_mu, deadline)
	                  : (goro_mutex_lock(&shared_mu), GORO_OK);
	if (rc == GORO_OK)
		goro_mutex_unlock(&shared_mu);
	atomic_store(&foreign_rc, rc);
	return NULL;
}

/* A foreign thread's wait times out, or is woken by a goroutine's unlock. */
Test(mutex, foreign_thread_times_out_or_is_woken)
{
	/* Start the runtime here first (see the disabled test below). */
	cr_assert_eq(goro_id(), 1);
	pthread_t t;
	goro_mutex_lock(&shared_mu);
	int64_t deadline = after_now(30 * GORO_MILLISECOND);
	cr_assert_eq(pthread_create(&t, NULL, foreign_lock_until, &deadline), 0);
	EVENTUALLY(atomic_load(&foreign_rc) != -1);
	pthread_join(t, NULL);
	cr_assert_eq(atomic_load(&foreign_rc), GORO_TIMEDOUT);
	cr_assert_geq(goro_now(), deadline);

	atomic_store(&foreign_rc, -1);
	int64_t no_deadline = 0;
	cr_assert_eq(pthread_create(&t, NULL, foreign_lock_until, &no_deadline), 0);
	goro_sleep(20 * GORO_MILLISECOND); /* usually parks it first; either way it must finish */
	cr_assert_eq(atomic_load(&foreign_rc), -1, "locked a held mutex");
	goro_mutex_unlock(&shared_mu);
	EVENTUALLY(atomic_load(&foreign_rc) == GORO_OK);
	pthread_join(t, NULL);
	cr_assert(goro_mutex_trylock(&shared_mu));
	goro_mutex_unlock(&shared_mu);
}

/*
 * Disabled: runtime bug.  When a short-lived pthread makes the process's
 * first goro call (here: blocking in lock_until), it becomes worker 0 and
 * goroutine 1; once it exits, timers on worker 0's heap never fire, so the
 * main thread's goro_sleep (a foreign thread's timers go to worker 0)
 * never returns.  Minimal reproducer: a pthread calls goro_id() and
 * exits; main joins it, then goro_sleep(1 ms) hangs.
 */
Test(mutex, runtime_survives_the_first_caller_thread_exiting, .disabled = true)
{
	pthread_t t;
	goro_mutex_lock(&shared_mu); /* fast path: does not start the runtime */
	int64_t deadline = after_now(30 * GORO_MILLISECOND);
	cr_assert_eq(pthread_create(&t, NULL, foreign_lock_until, &deadline), 0);
	pthread_join(t, NULL); /* the thread started goro, then exited */
	cr_assert_eq(atomic_load(&foreign_rc), GORO_TIMEDOUT);
	goro_sleep(GORO_MILLISECOND);
	goro_mutex_unlock(&shared_mu);
}

/* A Locker built from a mutex locks that mutex. */
Test(mutex, locker_locks_the_mutex)
{
	goro_mutex mu = { 0 };
	goro_locker l = goro_mutex_locker(&mu);
	l.lock(l.obj);
	cr_assert_not(goro_mutex_trylock(&mu));
	l.unlock(l.obj);
	cr_assert(goro_mutex_trylock(&mu));
	goro_mutex_unlock(&mu);
}

/* ------------------------------------------------------------------ */
/* Misuse: Go's fatal error (exit status 2, not a recoverable panic)    */
/* ------------------------------------------------------------------ */

static void sc_unlock_unlocked(void)
{
	goro_mutex mu = { 0 };
	goro_mutex_unlock(&mu);
}

static void sc_unlock_twice(void)
{
	goro_mutex mu = { 0 };
	goro_mutex_lock(&mu);
	goro_mutex_unlock(&mu);
	goro_mutex_unlock(&mu);
}

static void unlock_in_goroutine(void *p)
{
	(void)p;
	static goro_mutex mu;
	goro_mutex_unlock(&mu);
}

static void sc_unlock_unlocked_in_goroutine(void)
{
	goro_go0(unlock_in_goroutine);
	goro_sleep(10 * GORO_SECOND); /* killed by the fatal error long before */
}

DEATH_SCENARIOS({ "unlock_unlocked", sc_unlock_unlocked },
                { "unlock_twice", sc_unlock_twice },
                { "unlock_unlocked_in_goroutine", sc_unlock_unlocked_in_goroutine });

static void assert_unlock_fatal(const char *scenario)
{
	struct death d;
	death_run(scenario, &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(&d, "fatal error: sync: unlock of unlocked mutex");
	death_assert_stderr_lacks(&d, "panic:");
}

Test(mutex_misuse, unlock_of_unlocked_mutex_is_fatal)
{
	assert_unlock_fatal("unlock_unlocked");
}

Test(mutex_misuse, double_unlock_is_fatal)
{
	assert_unlock_fatal("unlock_twice");
}

Test(mutex_misuse, unlock_of_unlocked_mutex_in_a_goroutine_is_fatal)
{
	assert_unlock_fatal("unlock_unlocked_in_goroutine");
}

/* Go's fatal error goes on with the failing goroutine's stack. */
Test(mutex_misuse, fatal_error_shows_the_goroutine)
{
	struct death d;
	death_run("unlock_unlocked_in_goroutine", &d);
	death_assert_exit(&d, 2);
	const char *stack = death_stderr_from(&d, "fatal error: sync: unlock of unlocked mutex");
	cr_assert_not_null(stack);
	cr_assert_not_null(strstr(stack, "[running]:"), "no goroutine header:\n%s", d.err);
	cr_assert_not_null(strstr(stack, "unlock_in_goroutine"), "no stack:\n%s", d.err);
}

/* Even when the misuse is the program's first goro call (Unlock's fast
 * path never starts the runtime), the report names goroutine 1, as Go's. */
Test(mutex_misuse, fatal_error_in_main_shows_goroutine_1)
{
	struct death d;
	death_run("unlock_unlocked", &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(&d, "goroutine 1 [running]:");
}
