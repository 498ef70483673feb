/*
 * monitor.c — no silent starvation (Go's sysmon, the part goro can do
 * without moving a goroutine that has run).
 *
 * A goroutine that computes without calling goro, or blocks in a plain
 * read(2), holds its worker: every goroutine pinned there waits.  A
 * thread of its own samples each worker's switch counter every half stall
 * period; a worker that has not switched for GORO_STALL_MS (10 ms by
 * default) while goroutines wait in its queues is stalled, if its thread
 * spent at least half that time on the CPU (computing) or is asleep in
 * the kernel (a blocking call): a thread the OS did not run, on a loaded
 * machine, is no goroutine's fault.  The monitor then
 *   - hands every goroutine of that worker that never ran (its newq and a
 *     new goroutine in runnext) to the other workers, idle ones first:
 *     those may still move (sched.h); the pinned ones cannot;
 *   - counts the stall (goro__stall_count: the goroutine profile shows it);
 *   - prints a warning naming the goroutine holding the worker (id,
 *     function, creation site), for how long, how many wait behind it,
 *     and the fix; at most one per stall and one per second, and none
 *     with GORO_STALL_WARN=0.
 *
 * Async-safety towards the workers: the monitor never stops anything and
 * takes no lock a worker could be waiting on for long.  It reads only
 * atomics the workers publish (nswitch, curg, runq_len, newq_len, inbox,
 * runnext, sleeping) and, of the goroutine holding a stalled worker, its
 * identity (id, parent, functions, creation pc: written with atomic stores
 * before it first ran, outside the spawn's memset, g.h); it re-reads
 * nswitch afterwards and drops what it read if the worker switched
 * meanwhile (the goroutine may have exited and its record been reused;
 * records stay mapped, so the read itself is safe).  It moves
 * goroutines only under newq_lock and by runnext's compare-and-swap, the
 * thieves' own protocol.  Symbolising and printing happen with no runtime
 * lock held, on the monitor's own stack (runtime memory: not a root of
 * the leak detector).  While a stop or freeze of the world is requested
 * workers do not switch by design: the monitor then starts over.
 *
 * When every worker sleeps in epoll the monitor sleeps too (futex on
 * `idle`), until a worker wakes (goro__monitor_worker_woke).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/owned.h"
#include "runtime/stw.h"
#include "sched/runq.h"
#include "sched/sched_internal.h"
#include "trace/trace.h"

enum {
	DEFAULT_STALL_MS = 10,
	/* Virtual: only touched pages cost.  Roomy because libc puts the
	 * thread's TLS at the top of a stack it is given, and TSan's TLS
	 * alone needs about 900 KiB there. */
	MONITOR_STACK_SIZE = 4 * 1024 * 1024,
	WARN_INTERVAL_NS = 1000000000, /* at most one warning per second */
	IDLE_SLEEP_MS = 1000,          /* re-check now and then even if idle */
};

/* The monitor's view of one worker (monitor thread only). */
struct seen {
	unsigned nswitch; /* the worker's switch count when last changed */
	int64_t since;    /* when it last changed */
	int64_t cpu;      /* the thread's CPU time then */
	bool stalled;     /* this stall is counted (and maybe reported) */
};

static struct {
	int64_t stall_ns;       /* 0: the monitor does not run */
	bool warn;
	struct seen *seen;
	atomic_int idle;        /* 1 while the monitor sleeps until a worker wakes */
	atomic_llong stalls;    /* stalls seen since start */
	int64_t last_warn;      /* monitor thread only */
	long unreported;        /* stalls not warned about (rate limit) */
} mon GORO_RT_STATE;

long long goro__stall_count(void)
{
	return atomic_load_explicit(&mon.stalls, memory_order_relaxed);
}

static void futex_wait(atomic_int *word, int val, int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

void goro__monitor_worker_woke(void)
{
	/* The worker stored busy = 1 (seq_cst) before this load; the
	 * monitor stores idle = 1 before its last look at busy: Dekker. */
	if (atomic_load(&mon.idle) && atomic_exchange(&mon.idle, 0))
		syscall(SYS_futex, &mon.idle, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static bool all_asleep(void)
{
	for (int i = 0; i < goro__sched.nworkers; i++)
		if (atomic_load(&goro__sched.workers[i].busy))
			return false;
	return true;
}

/* Sleeps one period, or until a worker wakes when none runs. */
static void monitor_sleep(void)
{
	if (all_asleep()) {
		atomic_store(&mon.idle, 1);
		if (all_asleep())
			futex_wait(&mon.idle, 1, (int64_t)IDLE_SLEEP_MS * 1000000);
		atomic_store(&mon.idle, 0);
		return;
	}
	int64_t ns = mon.stall_ns / 2;
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* CPU time of w's thread (the kernel's per-thread clock, as glibc's
 * pthread_getcpuclockid builds it from the tid); -1 if unknown. */
static int64_t thread_cpu(struct goro_worker *w)
{
	pid_t tid = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE);
	struct timespec ts;
	if (tid <= 0 || clock_gettime((clockid_t)((~(unsigned)tid << 3) | 6), &ts) != 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Whether w's thread sleeps in the kernel (State S or D). */
static bool thread_blocked(struct goro_worker *w)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)__atomic_load_n(&w->tid, __ATOMIC_ACQUIRE));
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* the thread name may contain anything */
	return p && p[1] == ' ' && (p[2] == 'S' || p[2] == 'D');
}

static bool is_g0(struct goro_g *g)
{
	return __atomic_load_n(&g->is_g0, __ATOMIC_RELAXED);
}

static struct goro_g *running_g(struct goro_worker *w)
{
	return __atomic_load_n(&w->curg, __ATOMIC_ACQUIRE);
}

static unsigned nswitch(struct goro_worker *w)
{
	return atomic_load_explicit(&w->nswitch, memory_order_acquire);
}

/* Goroutines waiting for w: queued there, readied by others, new. */
static long waiting_on(struct goro_worker *w)
{
	long n = atomic_load_explicit(&w->runq_len, memory_order_relaxed) +
	         atomic_load_explicit(&w->newq_len, memory_order_relaxed);
	if (atomic_load_explicit(&w->runnext, memory_order_relaxed))
		n++;
	struct goro_g *in = atomic_load_explicit(&w->inbox, memory_order_acquire);
	if (in) /* the depth its pusher recorded (a hint, see runq.h) */
		n += atomic_load_explicit(&in->inbox_depth, memory_order_relaxed);
	return n;
}

/* A worker that takes new goroutines: it runs the scheduler (idle) or
 * switched recently. */
static bool can_take(struct goro_worker *t, struct seen *s)
{
	struct goro_g *g = running_g(t);
	return g && (is_g0(g) || atomic_load(&t->sleeping) || !s->stalled);
}

/* Moves every goroutine of v that never ran to the other workers, idle
 * ones first; the number moved. */
static int hand_off(int vi)
{
	struct goro_worker *v = &goro__sched.workers[vi];
	int n = goro__sched.nworkers, ntargets = 0;
	int targets[1024]; /* parse_maxprocs caps the workers at 1024 */
	for (int pass = 0; pass < 2 && ntargets == 0; pass++)
		for (int i = 0; i < n; i++) {
			struct goro_worker *t = &goro__sched.workers[i];
			if (i == vi || !can_take(t, &mon.seen[i]))
				continue;
			bool idle = atomic_load(&t->sleeping) || is_g0(running_g(t));
			/* can_take: running_g(t) is not NULL */
			if (pass == 1 || idle)
				targets[ntargets++] = i;
		}
	if (ntargets == 0)
		return 0;
	int moved = 0;
	for (;;) {
		struct goro_g *g = NULL;
		if (atomic_load_explicit(&v->newq_len, memory_order_relaxed)) {
			goro__spin_lock(&v->newq_lock);
			g = goro__newq_pop_oldest_locked(v);
			goro__spin_unlock(&v->newq_lock);
		}
		if (!g)
			g = goro__runnext_steal(v);
		if (!g)
			break;
		struct goro_worker *t = &goro__sched.workers[targets[moved++ % ntargets]];
		goro__newq_put(t, g);
		atomic_thread_fence(memory_order_seq_cst); /* as goro__place_new */
		goro__worker_wake(t);
	}
	return moved;
}

/* What the warning says about the goroutine holding a stalled worker,
 * read while it still holds it. */
struct holder {
	int64_t id, parent_id;
	uintptr_t fn, create_pc;
	bool system;
};

static bool read_holder(struct goro_worker *w, unsigned sw, struct holder *h)
{
	struct goro_g *g = running_g(w);
	if (!g || is_g0(g))
		return false;
	/* Atomic loads of the identity (g.h): the record may be reused under
	 * us if g exits now; then the check below drops what we read. */
	h->id = __atomic_load_n(&g->id, __ATOMIC_RELAXED);
	h->parent_id = __atomic_load_n(&g->parent_id, __ATOMIC_RELAXED);
	goro_fn user = __atomic_load_n(&g->user_fn, __ATOMIC_RELAXED);
	h->fn = (uintptr_t)(user ? user : __atomic_load_n(&g->fn, __ATOMIC_RELAXED));
	h->create_pc = (uintptr_t)__atomic_load_n(&g->create_pc, __ATOMIC_RELAXED);
	h->system = __atomic_load_n(&g->system, __ATOMIC_RELAXED);
	/* Still the same run of g: what we read was its, not a reuse's. */
	return nswitch(w) == sw && running_g(w) == g;
}

static void warn(int wi, const struct holder *h, int64_t held, long waiting, int moved)
{
	struct goro_sym fn = { .func = "main" }, at;
	if (h->fn) /* goroutine 1 has no start function: it is main */
		goro__symbolize(h->fn, &fn);
	char created[512] = "";
	if (h->create_pc) {
		goro__symbolize(h->create_pc - 1, &at);
		snprintf(created, sizeof created, "\n\tcreated by %s in goroutine %lld at %s:%d",
		         at.func, (long long)h->parent_id, at.file, at.line);
	}
	char more[96] = "";
	if (mon.unreported)
		snprintf(more, sizeof more, " (%ld earlier stalls not reported)", mon.unreported);
	char movedtxt[96] = "";
	if (moved)
		snprintf(movedtxt, sizeof movedtxt, "; %d not yet started moved to other workers",
		         moved);
	fprintf(stderr,
	        "goro: goroutine %lld [%s] has held worker %d for %lld ms without "
	        "switching; %ld goroutine%s behind it%s%s%s\n"
	        "\tfix: call goro_yield() in long loops, goro_offload() around "
	        "blocking calls (GORO_STALL_WARN=0 silences this)\n",
	        (long long)h->id, fn.func, wi, (long long)(held / 1000000), waiting,
	        waiting == 1 ? " waits" : "s wait", movedtxt,
	        more, created);
	mon.unreported = 0;
}

/* One look at worker i at time now. */
static void check_worker(int i, int64_t now)
{
	struct goro_worker *w = &goro__sched.workers[i];
	struct seen *s = &mon.seen[i];
	unsigned sw = nswitch(w);
	if (sw != s->nswitch || s->since == 0 ||
	    atomic_load_explicit(&w->busy, memory_order_relaxed) == 0) {
		/* (since == 0: the first look; time starts now) */
		*s = (struct seen){ .nswitch = sw, .since = now, .cpu = thread_cpu(w) };
		return;
	}
	int64_t held = now - s->since;
	struct goro_g *g = running_g(w);
	if (held < mon.stall_ns || !g || is_g0(g))
		return;
	long waiting = waiting_on(w);
	if (waiting == 0)
		return;
	if (!s->stalled && thread_cpu(w) - s->cpu < mon.stall_ns / 2 && !thread_blocked(w))
		return; /* the OS did not run it: not its goroutine's doing */
	int moved = hand_off(i);
	if (s->stalled)
		return; /* counted and reported already */
	struct holder h;
	if (!read_holder(w, sw, &h))
		return; /* it switched meanwhile: not a stall after all */
	s->stalled = true;
	atomic_fetch_add_explicit(&mon.stalls, 1, memory_order_relaxed);
	if (!mon.warn || h.system)
		return;
	if (mon.last_warn && now - mon.last_warn < WARN_INTERVAL_NS) {
		mon.unreported++;
		return;
	}
	mon.last_warn = now;
	warn(i, &h, held, waiting, moved);
}

static void *monitor_main(void *arg)
{
	(void)arg;
	/* Whatever mask the creating thread had: the process's signals go to
	 * the program's threads, the stop signal must reach us (a thread that
	 * blocks it and runs makes leak detection inconclusive, stw.c). */
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, goro__stw_signo());
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	for (;;) {
		monitor_sleep();
		int64_t now = goro__nanotime();
		bool stopping = atomic_load(&goro__stw_requested);
		for (int i = 0; i < goro__sched.nworkers; i++) {
			if (stopping) /* workers stand still on purpose */
				mon.seen[i] = (struct seen){ .nswitch = nswitch(&goro__sched.workers[i]),
				                             .since = now,
				                             .cpu = thread_cpu(&goro__sched.workers[i]) };
			else
				check_worker(i, now);
		}
	}
	return NULL;
}

static int64_t env_ms(const char *name, int64_t dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	char *end;
	long long ms = strtoll(v, &end, 10);
	return end != v && ms >= 0 ? ms : dflt;
}

void goro__monitor_start(void)
{
	int64_t ms = env_ms("GORO_STALL_MS", DEFAULT_STALL_MS);
	const char *warn_env = getenv("GORO_STALL_WARN");
	mon.warn = !(warn_env && strcmp(warn_env, "0") == 0);
	if (ms == 0)
		return; /* GORO_STALL_MS=0: no monitor */
	if (ms < 1)
		ms = 1;
	mon.stall_ns = ms * 1000000;
	/* Runtime memory: what the monitor holds is no root for the
	 * leak detector. */
	mon.seen = goro__owned_map((size_t)goro__sched.nworkers * sizeof *mon.seen);
	void *stack = goro__owned_map(MONITOR_STACK_SIZE);
	if (!mon.seen || !stack)
		return; /* no monitor: nothing else depends on it */
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstack(&a, stack, MONITOR_STACK_SIZE);
	int rc = pthread_create(&t, &a, monitor_main, NULL);
	pthread_attr_destroy(&a);
	if (rc != 0)
		fprintf(stderr, "goro: cannot start the monitor thread: %s\n", strerror(rc));
}
