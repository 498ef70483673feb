/*
 * worker.c — worker threads: start-up, the scheduler loop on g0, sleeping
 * in epoll and being woken, stealing not-yet-started goroutines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "arch/context.h"
#include "runtime/owned.h"
#include "runtime/stw.h"
#include "sched/fiber.h"
#include "sched/runq.h"
#include "sched/sched_internal.h"

struct goro_sched goro__sched GORO_RT_STATE = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.next_id = 1,
};

GORO_TLS struct goro_worker *goro__tls_w;
static GORO_TLS char thread_token;

void (*goro__netpoll_hook)(struct goro_worker *w, struct epoll_event *ev, int n);
/* src/net/netpoll.c: readies w's goroutines whose fds are ready (zero-timeout
 * epoll, only while some wait on I/O); true if it readied any. */
GORO_HIDDEN bool goro__netpoll_poll(struct goro_worker *w);

enum { G0_STACK_SIZE = 256 * 1024, SIGSTACK_SIZE = 64 * 1024, SPIN_NS = 20000 };
/* Stacks cleaned between two looks for work (goro__stack_scavenge). */
enum { SCAVENGE_BATCH = 32 };

/* goro__getg off a worker: before the runtime started, or a foreign thread. */
struct goro_g *goro__getg_slow(void)
{
	if (unlikely(!atomic_load_explicit(&goro__sched.started, memory_order_acquire))) {
		goro__ensure_init(); /* the first thread to call goro becomes worker 0 */
		if (goro__tls_w)
			return goro__tls_w->curg;
	}
	return goro__foreign_g();
}

void *goro__thread_token(void)
{
	return &thread_token;
}

int goro_maxprocs(void)
{
	goro__ensure_init();
	return goro__sched.nworkers;
}

static void on_earlier_timer(struct goro_timerheap *h)
{
	struct goro_worker *w = h->owner;
	if (w != goro__tls_w)
		goro__worker_wake(w);
}

void goro__run_timers(struct goro_worker *w)
{
	if (goro__timerheap_next(&w->timers) == INT64_MAX)
		return;
	goro__timerheap_run(&w->timers, goro__nanotime());
}

void goro__worker_wake(struct goro_worker *w)
{
	if (atomic_load(&w->sleeping) && atomic_exchange(&w->sleeping, 0)) {
		uint64_t one = 1;
		ssize_t r = write(w->evfd, &one, sizeof one);
		(void)r; /* EAGAIN: counter already nonzero, the worker wakes anyway */
	}
}

/*
 * Takes the older half of another worker's not-yet-started goroutines (the
 * biggest pieces of work, in a tree of goroutines) into w's own
 * newq (where they stay stealable: runq holds started goroutines only);
 * a worker whose newq is empty gives up its runnext if that never ran.
 */
static bool steal(struct goro_worker *w)
{
	int n = goro__sched.nworkers;
	int start = (int)goro__randn((uint32_t)n);
	for (int i = 0; i < n; i++) {
		struct goro_worker *v = &goro__sched.workers[(start + i) % n];
		if (v == w)
			continue;
		if (atomic_load_explicit(&v->newq_len, memory_order_relaxed) == 0) {
			struct goro_g *g = goro__runnext_steal(v);
			if (!g)
				continue;
			goro__newq_put(w, g);
			return true;
		}
		struct goro_gqueue got = { 0 };
		goro__spin_lock(&v->newq_lock);
		int take = (atomic_load(&v->newq_len) + 1) / 2;
		for (int k = 0; k < take; k++) {
			struct goro_g *g = goro__newq_pop_oldest_locked(v);
			if (!g)
				break;
			goro__gq_push(&got, g); /* oldest first */
		}
		goro__spin_unlock(&v->newq_lock);
		if (!got.head)
			continue;
		goro__spin_lock(&w->newq_lock);
		for (struct goro_g *g; (g = goro__gq_pop(&got));)
			goro__newq_push_locked(w, g);
		goro__spin_unlock(&w->newq_lock);
		return true;
	}
	return false;
}

static bool has_work(struct goro_worker *w)
{
	return goro__runq_any(w) || atomic_load(&w->inbox) || atomic_load(&w->newq_len) > 0 ||
	       goro__timerheap_next(&w->timers) <= goro__nanotime();
}

GORO_HIDDEN void goro__check_deadlock_locked(void);

/* Blocks in epoll until woken, a timer is due or an fd is ready. */
static void idle_sleep(struct goro_worker *w)
{
	atomic_store(&w->sleeping, 1);
	if (has_work(w) || steal(w)) {
		atomic_store(&w->sleeping, 0);
		return;
	}
	pthread_mutex_lock(&goro__sched.lock);
	goro__sched.nidle++;
	if (goro__sched.nidle == goro__sched.nworkers)
		goro__check_deadlock_locked();
	pthread_mutex_unlock(&goro__sched.lock);

	int64_t next = goro__timerheap_next(&w->timers);
	int64_t now = goro__nanotime();
	int64_t scavenge_at = goro__stack_scavenge_due();
	if (scavenge_at < next)
		next = scavenge_at; /* wake up for it: schedule_loop does it */
	struct timespec ts, *tsp = NULL;
	if (next != INT64_MAX) {
		int64_t d = next - now;
		if (d < 0)
			d = 0;
		ts.tv_sec = d / 1000000000;
		ts.tv_nsec = d % 1000000000;
		tsp = &ts;
	}
	struct epoll_event ev[64];
	atomic_store(&w->busy, 0);
	int n = epoll_pwait2(w->epfd, ev, 64, tsp, NULL);
	if (n < 0 && errno == ENOSYS) {
		/* int milliseconds cover 24.8 days: a later timer sleeps that
		 * long and looks again (a spurious wake-up is harmless). */
		int ms = -1;
		if (tsp)
			ms = ts.tv_sec >= INT_MAX / 1000 - 1
			             ? INT_MAX
			             : (int)(ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000);
		n = epoll_wait(w->epfd, ev, 64, ms);
	}
	/* busy before looking at the stop request: see stw.c. */
	atomic_store(&w->busy, 1);
	goro__monitor_worker_woke();
	goro__maybe_safepoint(w, &w->g0);
	atomic_store(&w->sleeping, 0);
	pthread_mutex_lock(&goro__sched.lock);
	goro__sched.nidle--;
	pthread_mutex_unlock(&goro__sched.lock);

	int io = 0;
	for (int i = 0; i < n; i++) {
		if (ev[i].data.ptr == NULL) { /* the eventfd */
			uint64_t v;
			ssize_t r = read(w->evfd, &v, sizeof v);
			(void)r;
		} else {
			ev[io++] = ev[i];
		}
	}
	if (io && goro__netpoll_hook)
		goro__netpoll_hook(w, ev, io);
}

/* Returns freed stacks' memory to the OS while there is nothing to run,
 * once it is due; false if it had nothing to do. */
static bool scavenge_while_idle(struct goro_worker *w)
{
	if (goro__stack_scavenge_due() > goro__nanotime())
		return false;
	bool any = false;
	while (!has_work(w) && goro__stack_scavenge(SCAVENGE_BATCH))
		any = true;
	return any;
}

/*
 * Before sleeping, watch the queues for a few microseconds: goroutines
 * handing values back and forth across workers would otherwise pay an
 * eventfd wake-up (a syscall on each side) per message.  Go's scheduler
 * keeps "spinning" Ms for the same reason.  Bounded, so an idle program
 * still sleeps almost at once.
 */
static bool spin_for_work(struct goro_worker *w)
{
	int64_t until = goro__nanotime() + SPIN_NS;
	for (int i = 1;; i++) {
		if (atomic_load_explicit(&w->inbox, memory_order_relaxed) ||
		    atomic_load_explicit(&w->newq_len, memory_order_relaxed))
			return true;
		goro__cpu_relax();
		if (i % 32 == 0) {
			/* A ready fd is work too: without this, I/O that completes
			 * during the spin would wait for its end (src/net). */
			if (goro__netpoll_poll(w))
				return true;
			if (goro__nanotime() > until)
				return false;
		}
	}
}

void goro__schedule_loop(struct goro_worker *w)
{
	for (;;) {
		goro__maybe_safepoint(w, &w->g0);
		goro__run_timers(w);
		struct goro_g *next = goro__find_runnable(w);
		if (next) {
			goro__run_from_g0(w, next);
			continue;
		}
		/* Own work first; steal only after the spin (see place_new). */
		if (goro__sched.nworkers > 1 && spin_for_work(w))
			continue;
		if (steal(w))
			continue;
		if (scavenge_while_idle(w))
			continue;
		idle_sleep(w);
	}
}

static void g0_entry(void *arg)
{
	struct goro_worker *w = arg;
	goro__switch_first(w, &w->g0);
	goro__schedule_loop(w);
}

static void native_stack_bounds(char **lo, char **hi)
{
	pthread_attr_t a;
	void *addr = NULL;
	size_t size = 0;
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		pthread_attr_getstack(&a, &addr, &size);
		pthread_attr_destroy(&a);
	}
	*lo = addr;
	*hi = (char *)addr + size;
}

/* The alternate signal stack lets the SIGSEGV handler report a stack
 * overflow instead of faulting again on the exhausted stack. */
static void install_sigstack(struct goro_worker *w)
{
	w->sigstack = goro__owned_map(SIGSTACK_SIZE);
	stack_t ss = { .ss_sp = w->sigstack, .ss_size = SIGSTACK_SIZE };
	/* Without it an overflow would fault again in the handler: a bare
	 * SIGSEGV instead of the report. */
	if (!w->sigstack || sigaltstack(&ss, NULL) != 0)
		goro__throw("goro: cannot install the alternate signal stack of a worker: %s",
		            strerror(errno));
}

static void worker_bind_thread(struct goro_worker *w)
{
	goro__tls_w = w;
	w->thread = pthread_self();
	/* Atomic: the monitor reads it (monitor.c). */
	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	native_stack_bounds(&w->thread_stack_lo, &w->thread_stack_hi);
	install_sigstack(w);
}

/*
 * Where the thread's start frames end: the stack pointer of the frame
 * above libc's start_thread (unwinding worker_main and start_thread).
 * start_thread keeps a jmp_buf with registers inherited from the creating
 * thread — pointers into goroutine 1's stack — so it must count as runtime
 * memory; what lies above (static TLS, the pthread record, where user
 * _Thread_local variables live) stays a root.
 */
static GORO_NOINLINE char *start_frames_top(char *fallback)
{
	unw_context_t ctx;
	unw_cursor_t cur;
	unw_word_t sp;
	if (unw_getcontext(&ctx) != 0 || unw_init_local(&cur, &ctx) != 0)
		return fallback;
	for (int i = 0; i < 3; i++) /* this function, worker_main, start_thread */
		if (unw_step(&cur) <= 0)
			return fallback;
	if (unw_get_reg(&cur, UNW_REG_SP, &sp) != 0)
		return fallback;
	char *top = (char *)sp;
	return top > fallback ? top : fallback;
}

static void *worker_main(void *arg)
{
	struct goro_worker *w = arg;
	volatile char anchor = 0;
	worker_bind_thread(w);
	/* The scheduler's frames and the start frames: runtime memory. */
	char *top = start_frames_top((char *)&anchor);
	goro__owned_add(w->thread_stack_lo, (size_t)(top - w->thread_stack_lo), OWNED_OTHER, 0);
	/* On worker threads g0 is the thread's own stack. */
	w->g0.stack_lo = w->thread_stack_lo;
	w->g0.stack_hi = w->thread_stack_hi;
	goro__fiber_adopt_thread(&w->g0);
	__atomic_store_n(&w->curg, &w->g0, __ATOMIC_RELEASE); /* the monitor reads it */
	goro__schedule_loop(w);
}

static void worker_init(struct goro_worker *w, int id)
{
	w->id = id;
	w->g0.is_g0 = true;
	w->g0.started = true;
	w->g0.w = w;
	atomic_store(&w->g0.state, G_RUNNING);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	atomic_store(&w->busy, 1);
	if (w->epfd < 0 || w->evfd < 0)
		goro__throw("goro: cannot create the epoll/eventfd of worker %d: %s", id,
		            strerror(errno));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) != 0) /* its wake-ups */
		goro__throw("goro: cannot watch the eventfd of worker %d: %s", id, strerror(errno));
	goro__timerheap_init(&w->timers, w, on_earlier_timer);
}

static int parse_maxprocs(void)
{
	const char *env = getenv("GORO_MAXPROCS");
	long n = env ? strtol(env, NULL, 10) : 0;
	if (n <= 0) {
		cpu_set_t set;
		if (sched_getaffinity(0, sizeof set, &set) == 0)
			n = CPU_COUNT(&set);
		else
			n = sysconf(_SC_NPROCESSORS_ONLN);
	}
	if (n < 1)
		n = 1;
	if (n > 1024)
		n = 1024;
	return (int)n;
}

GORO_HIDDEN void goro__main_g_init(struct goro_worker *w0);
GORO_HIDDEN void goro__signals_init(void);
GORO_HIDDEN void goro__net_init(void);

/* Worker 0 is this thread, running goroutine 1 on the native stack; its
 * scheduler (g0) gets a stack of its own. */
static void start_worker0(struct goro_worker *w)
{
	worker_bind_thread(w);
	w->g0_stack_size = G0_STACK_SIZE;
	w->g0_stack = goro__owned_map(G0_STACK_SIZE);
	if (!w->g0_stack)
		goro__throw("goro: cannot map the scheduler stack");
	w->g0.stack_lo = w->g0_stack;
	w->g0.stack_hi = w->g0_stack + G0_STACK_SIZE;
	w->g0.sp = goro__ctx_init(w->g0.stack_hi, g0_entry, w);
	goro__fiber_create(&w->g0);
	goro__main_g_init(w);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/*
 * libunwind sets up its globals on its first unw_init_local, behind a
 * flag read without a barrier; every worker unwinds as it starts
 * (start_frames_top), so let the first use happen here, before any
 * worker exists, instead of racing among them.
 */
static void warm_up_libunwind(void)
{
	unw_context_t ctx;
	unw_cursor_t cur;
	if (unw_getcontext(&ctx) == 0)
		(void)unw_init_local(&cur, &ctx);
}

static void init_runtime(void)
{
	goro__stack_init();
	int n = parse_maxprocs();
	/* Worker records point at goroutines: runtime memory, not a root. */
	goro__sched.workers = goro__owned_map((size_t)n * sizeof *goro__sched.workers);
	if (!goro__sched.workers)
		goro__throw_oom("the worker records", (size_t)n * sizeof *goro__sched.workers);
	goro__sched.nworkers = n;
	for (int i = 0; i < n; i++)
		worker_init(&goro__sched.workers[i], i);
	start_worker0(&goro__sched.workers[0]);
	goro__signals_init();
	/* Netpoller hook and GORO_DEBUG_ADDR (src/net/net_init.c). */
	goro__net_init();
	warm_up_libunwind();
	for (int i = 1; i < n; i++) {
		/* Not on this stack: the new thread keeps a pointer to the
		 * attributes, which would make goroutine 1's stack look
		 * reachable from the worker's stack (a conservative root). */
		static pthread_attr_t a GORO_RT_STATE;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 1 << 20);
		int rc = pthread_create(&goro__sched.workers[i].thread, &a, worker_main,
		                        &goro__sched.workers[i]);
		pthread_attr_destroy(&a);
		if (rc != 0)
			goro__throw("goro: cannot start worker thread %d: %s", i, strerror(rc));
	}
	goro__monitor_start();
	atomic_store_explicit(&goro__sched.started, true, memory_order_release);
}

/*
 * The runtime starts on first use, and the thread that first calls goro
 * becomes worker 0, its current stack goroutine 1: normally the program's
 * main.  Not a constructor: a test runner that forks per test (Criterion)
 * must not have started worker threads before the fork, since a forked
 * child keeps only the forking thread.
 */
void goro__ensure_init(void)
{
	pthread_once(&init_once, init_runtime);
}
