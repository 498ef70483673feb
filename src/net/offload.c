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
 *
 * Helper stacks and the leak detector.  A helper's stack is a root only
 * while it runs a job, and then only its live frames: between jobs its
 * dead frames still hold the last job's pointers (into the goroutine's
 * stack, at its arguments), and a glibc-made stack is plain memory the
 * detector scans whole, so a goroutine that offloaded once and then leaked
 * was never reported.  So helpers run on stacks of our own (struct
 * hstack): registered as owned (the mapping scan skips them) and never
 * unmapped (an owned range stays registered), reused by later helpers once
 * the old thread is joined.  goro__offload_roots hands the detector, per
 * stack, [top frame, end) always (glibc's thread descriptor and static
 * TLS, user __thread variables included) and, during a job, [sp at the
 * stop, top frame) (the stop handler writes sp through goro__stw_sp_slot).
 *
 * Helpers are started by the launcher, a thread of ours, not by the
 * submitting goroutine: a new thread inherits its creator's callee-saved
 * registers, which glibc's start_thread saves in its frame (above the top
 * frame, scanned always), and a goroutine's registers point into its own
 * stack.  The launcher's registers hold only the launcher's state; its own
 * start frame (inherited from a goroutine) is never scanned.  If no helper
 * can be started and none runs, the launcher runs the queued jobs itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "net/offload.h"
#include "runtime/owned.h"
#include "runtime/stw.h"
#include "sched/sched.h"
#include "sched/spinlock.h" /* goro__cpu_relax */

enum { DEFAULT_MAX_THREADS = 64, MAX_SPINNERS = 1 };
#define IDLE_EXIT_NS (10 * GORO_SECOND)
#define SPIN_NS (50 * GORO_MICROSECOND)
#define HELPER_STACK_SIZE ((size_t)1 << 20)
#define GUARD_SIZE ((size_t)4096)

/*
 * One helper stack: [lo, hi) is the thread's stack (a guard page below
 * lo), the record sits on the page above hi, in the same owned mapping.
 * `all` links every stack ever made (prepended under pool.lock, head
 * published last: the detector reads it, stopped, without the lock);
 * `next_free` links stacks whose thread exited (pool.lock).  top: the
 * helper's outermost frame; stop_sp: where the stop handler found the
 * thread; in_job: the helper is inside j->fn (both read while stopped).
 */
struct hstack {
	char *lo, *hi;
	pthread_t thread;
	char *top;
	void *stop_sp;
	atomic_bool in_job;
	bool launcher; /* its start frame holds a goroutine's registers */
	struct hstack *all, *next_free;
};

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
	struct hstack *exited; /* stacks of helpers that returned, not joined */
	struct hstack *free;   /* joined: ready for a new helper */
	pthread_cond_t launch_cv; /* the launcher waits for to_start > 0 */
	int to_start;             /* helpers counted in nthreads, not started yet */
	bool launcher_up;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .launch_cv = PTHREAD_COND_INITIALIZER };

static _Atomic(struct hstack *) all_stacks GORO_RT_STATE;

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

/* Waits for a job; NULL once idle for IDLE_EXIT_NS (the thread then
 * exits: its stack goes to pool.exited, for the next helper to join). */
static struct job *next_job(struct hstack *hs)
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
			hs->next_free = pool.exited;
			pool.exited = hs;
			pthread_mutex_unlock(&pool.lock);
			return NULL;
		}
	}
	struct job *j = take_locked();
	pthread_mutex_unlock(&pool.lock);
	return j;
}

/* Runs one job; not inlined, so its frames (and the job's) sit below
 * the helper's top frame and nothing of them stays in helper_main's. */
static GORO_NOINLINE void run_job(struct hstack *hs, struct job *j)
{
	atomic_store(&hs->in_job, true);
	j->fn(j->arg);
	struct goro_g *g = j->g; /* j is gone once g runs */
	atomic_store(&hs->in_job, false);
	goro__ready(g);
}

/* Gives back the dead part of the stack (zeroed when next touched), so a
 * later helper on it starts from clean slots. */
static void scrub_below(struct hstack *hs)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0) - 2 * GUARD_SIZE;
	uintptr_t lo = (uintptr_t)hs->lo;
	here &= ~(uintptr_t)(GUARD_SIZE - 1);
	if (here > lo)
		madvise(hs->lo, here - lo, MADV_DONTNEED);
}

static void *helper_main(void *arg)
{
	struct hstack *hs = arg;
	hs->top = __builtin_frame_address(0);
	goro__stw_sp_slot = &hs->stop_sp;
	struct job *j;
	while ((j = next_job(hs)) != NULL)
		run_job(hs, j);
	goro__stw_sp_slot = NULL;
	scrub_below(hs);
	return NULL;
}

/* A new owned stack (guard page, stack, record page); NULL if out of memory. */
static struct hstack *hstack_new(void)
{
	size_t len = GUARD_SIZE + HELPER_STACK_SIZE + GUARD_SIZE;
	char *base = goro__owned_map(len);
	if (!base)
		return NULL;
	mprotect(base, GUARD_SIZE, PROT_NONE);
	struct hstack *hs = (struct hstack *)(base + GUARD_SIZE + HELPER_STACK_SIZE);
	hs->lo = base + GUARD_SIZE;
	hs->hi = hs->lo + HELPER_STACK_SIZE;
	hs->all = atomic_load(&all_stacks);
	atomic_store(&all_stacks, hs);
	return hs;
}

/* pool.lock held: a stack no thread runs on (joining exited helpers: they
 * return without the lock, so the join cannot wait on us). */
static struct hstack *hstack_take_locked(void)
{
	while (pool.exited) {
		struct hstack *hs = pool.exited;
		pool.exited = hs->next_free;
		pthread_join(hs->thread, NULL);
		hs->next_free = pool.free;
		pool.free = hs;
	}
	struct hstack *hs = pool.free;
	if (!hs)
		return hstack_new();
	pool.free = hs->next_free;
	return hs;
}

/* pool.lock held, on the launcher: starts one helper; false if it cannot. */
static bool create_helper_locked(void)
{
	struct hstack *hs = hstack_take_locked();
	if (!hs)
		return false;
	hs->top = hs->hi; /* until the thread says where its frames start */
	hs->stop_sp = NULL;
	atomic_store(&hs->in_job, false);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstack(&a, hs->lo, HELPER_STACK_SIZE);
	int rc = pthread_create(&hs->thread, &a, helper_main, hs);
	pthread_attr_destroy(&a);
	if (rc != 0) {
		hs->next_free = pool.free;
		pool.free = hs;
		return false;
	}
	return true;
}

static void *launcher_main(void *arg)
{
	struct hstack *hs = arg;
	hs->top = __builtin_frame_address(0);
	goro__stw_sp_slot = &hs->stop_sp;
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (pool.to_start == 0)
			pthread_cond_wait(&pool.launch_cv, &pool.lock);
		pool.to_start--;
		if (create_helper_locked())
			continue;
		pool.nthreads--;
		/* Nobody else will take them: blocking this thread beats
		 * leaving the callers parked forever. */
		while (pool.nthreads == 0 && pool.head) {
			struct job *j = take_locked();
			pthread_mutex_unlock(&pool.lock);
			run_job(hs, j);
			pthread_mutex_lock(&pool.lock);
		}
	}
	return NULL;
}

/* pool.lock held: the launcher, started once; false if it cannot start. */
static bool launcher_up_locked(void)
{
	if (pool.launcher_up)
		return true;
	struct hstack *hs = hstack_take_locked();
	if (!hs)
		return false;
	hs->launcher = true;
	hs->top = hs->hi;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstack(&a, hs->lo, HELPER_STACK_SIZE);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&hs->thread, &a, launcher_main, hs);
	pthread_attr_destroy(&a);
	pool.launcher_up = rc == 0;
	return pool.launcher_up; /* (a failed stack stays allocated: rare) */
}

/* pool.lock held.  Counts a helper the launcher will start; false if
 * there is no launcher. */
static bool start_helper_locked(void)
{
	if (!launcher_up_locked())
		return false;
	pool.nthreads++;
	pool.to_start++;
	pthread_cond_signal(&pool.launch_cv);
	return true;
}

void goro__offload_roots(void (*root)(uintptr_t lo, uintptr_t hi, void *arg), void *arg)
{
	for (struct hstack *hs = atomic_load(&all_stacks); hs; hs = hs->all) {
		uintptr_t top = (uintptr_t)hs->top, lo = (uintptr_t)hs->lo;
		if (!hs->launcher)
			root(top, (uintptr_t)hs->hi, arg);
		if (!atomic_load(&hs->in_job))
			continue;
		uintptr_t sp = (uintptr_t)hs->stop_sp;
		root(sp > lo && sp < top ? sp : lo, top, arg); /* no sp: all of it */
	}
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
