/*
 * offload.c — goro_offload: a blocking call on a helper thread while the
 * calling goroutine parks (wait reason "syscall").
 *
 * Go hands its P to another thread when a goroutine enters a blocking
 * system call; goro cannot move the other goroutines of a worker (they
 * never migrate), so it moves the blocking call instead.
 *
 * The pool: a FIFO of jobs and up to `max` detached helper threads, under
 * pool.lock.  Invariants (under the lock):
 *   - pending = jobs queued and not yet taken;
 *   - nidle = helpers blocked in (or about to block in) the condvar wait;
 *   - a submit that finds pending > nidle starts a helper (below `max`),
 *     so every job has a thread of its own when the limit allows: two
 *     offloaded calls that wait for each other cannot deadlock in the
 *     queue.  At the limit, jobs wait for a helper to finish.
 *   - a helper idle for IDLE_EXIT_NS exits (nthreads--);
 *   - nspinning <= MAX_SPINNERS helpers, between jobs, watch the queue for
 *     SPIN_NS before sleeping.  Handing a job to a sleeping thread costs a
 *     futex wake-up (tens of µs in a VM); a spinner takes it for free, so
 *     a submit skips the wake-up while jobs <= spinners (a spinner that
 *     stops spinning looks at the queue once more, under the lock).
 * A job lives on the parked goroutine's stack: the helper reads the
 * goroutine out of it before readying it, and never touches it after.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "sched/sched.h"
#include "sched/spinlock.h" /* goro__cpu_relax */

enum { DEFAULT_MAX_THREADS = 64, MAX_SPINNERS = 1 };
#define IDLE_EXIT_NS (10 * GORO_SECOND)
#define SPIN_NS (50 * GORO_MICROSECOND)
#define HELPER_STACK_SIZE ((size_t)1 << 20)

struct job {
	goro_fn fn;
	void *arg;
	struct goro_g *g;
	struct job *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	struct job *head, *tail;
	atomic_int pending; /* written under the lock, peeked at by spinners */
	int nidle, nspinning, nthreads, max;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_init(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool.cv, &ca);
	pthread_condattr_destroy(&ca);
	const char *env = getenv("GORO_OFFLOAD_THREADS");
	long n = env ? strtol(env, NULL, 10) : 0;
	pool.max = n > 0 && n <= 100000 ? (int)n : DEFAULT_MAX_THREADS;
}

static struct job *take_locked(void)
{
	struct job *j = pool.head;
	pool.head = j->next;
	if (!pool.head)
		pool.tail = NULL;
	atomic_fetch_sub(&pool.pending, 1);
	return j;
}

/* Watches the queue for SPIN_NS without the lock; true if a job came. */
static bool spin_for_job(void)
{
	int64_t until = goro__nanotime() + SPIN_NS;
	for (int i = 1;; i++) {
		if (atomic_load_explicit(&pool.pending, memory_order_relaxed) > 0)
			return true;
		goro__cpu_relax();
		if (i % 64 == 0 && goro__nanotime() > until)
			return false;
	}
}

/* Waits for a job; NULL once idle for IDLE_EXIT_NS (the thread then exits). */
static struct job *next_job(void)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += IDLE_EXIT_NS / GORO_SECOND;
	pthread_mutex_lock(&pool.lock);
	if (!pool.head && pool.nspinning < MAX_SPINNERS) {
		pool.nspinning++;
		pthread_mutex_unlock(&pool.lock);
		spin_for_job();
		pthread_mutex_lock(&pool.lock);
		pool.nspinning--;
	}
	while (!pool.head) {
		pool.nidle++;
		int rc = pthread_cond_timedwait(&pool.cv, &pool.lock, &until);
		pool.nidle--;
		if (rc == ETIMEDOUT && !pool.head) {
			pool.nthreads--;
			pthread_mutex_unlock(&pool.lock);
			return NULL;
		}
	}
	struct job *j = take_locked();
	pthread_mutex_unlock(&pool.lock);
	return j;
}

static void *helper_main(void *arg)
{
	(void)arg;
	struct job *j;
	while ((j = next_job()) != NULL) {
		j->fn(j->arg);
		struct goro_g *g = j->g; /* j is gone once g runs */
		goro__ready(g);
	}
	return NULL;
}

/* pool.lock held.  false if no thread could be started. */
static bool start_helper_locked(void)
{
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, HELPER_STACK_SIZE);
	int rc = pthread_create(&t, &a, helper_main, NULL);
	pthread_attr_destroy(&a);
	if (rc != 0)
		return false;
	pool.nthreads++;
	return true;
}

/* Queues j; false if it must run inline (no helper exists or can start). */
static bool submit(struct job *j)
{
	pthread_mutex_lock(&pool.lock);
	bool started = true;
	int pending = atomic_load(&pool.pending) + 1;
	if (pending > pool.nidle + pool.nspinning && pool.nthreads < pool.max)
		started = start_helper_locked();
	if (!started && pool.nthreads == 0) {
		pthread_mutex_unlock(&pool.lock);
		return false;
	}
	j->next = NULL;
	if (pool.tail)
		pool.tail->next = j;
	else
		pool.head = j;
	pool.tail = j;
	atomic_store(&pool.pending, pending);
	if (pending > pool.nspinning)
		pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.lock);
	return true;
}

GORO_HIDDEN __attribute__((noreturn)) void goro__panic_nil(void);

GORO_API void goro_offload(goro_fn fn, void *arg)
{
	if (!fn) /* it would fault on the helper thread, outside any goroutine */
		goro__panic_nil();
	struct goro_g *g = goro__getg();
	if (g->foreign) { /* a plain thread: blocking it is what it asked for */
		fn(arg);
		return;
	}
	pthread_once(&pool_once, pool_init);
	struct job j = { .fn = fn, .arg = arg, .g = g };
	g->waiting = NULL;
	g->durable = false; /* ends by itself: never durably blocked (synctest) */
	/* Waiting before the helper can see the job: it may finish at once. */
	goro__set_waiting(g, WR_SYSCALL);
	atomic_fetch_add(&goro__sched.nio, 1);
	if (!submit(&j)) {
		/* Out of threads: blocking the worker beats failing the call. */
		atomic_store(&g->state, G_RUNNING);
		g->wait_reason = WR_NONE;
		atomic_fetch_sub(&goro__sched.nio, 1);
		fn(arg);
		return;
	}
	goro__park();
	atomic_fetch_sub(&goro__sched.nio, 1);
}

GORO_API int goro_offload_max_threads(int n)
{
	pthread_once(&pool_once, pool_init);
	pthread_mutex_lock(&pool.lock);
	int old = pool.max;
	if (n >= 1)
		pool.max = n;
	pthread_mutex_unlock(&pool.lock);
	return old;
}
