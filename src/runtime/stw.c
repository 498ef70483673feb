/*
 * stw.c — freezing and stopping the world (see stw.h).
 *
 * Handshake with a worker (w->stw_state):
 *   the stopper sets goro__stw_requested, then waits for each busy worker
 *   to reach a safe point (stw_state = STOPPED) or to be idle (busy == 0);
 *   an idle worker that wakes sets busy = 1 *before* polling the request,
 *   and the stopper sets the request *before* reading busy (both seq_cst),
 *   so a waking worker always sees the request and stops.
 * Restart: the request is cleared, then stw_gen incremented and futex-woken;
 * a stopped thread waits for stw_gen to change.  A safe point reads stw_gen
 * before the request, so a restart racing with it is never missed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/stw.h"
#include "sched/sched.h"

enum { STW_RUNNING = 0, STW_STOPPED = 1, STW_SIGNALED = 2 };
enum { SIGNAL_WAIT_NS = 1000000000, FREEZE_BEFORE_SIGNAL_NS = 10000000 };

atomic_int goro__stw_requested;
__thread int goro__critical;
__thread int goro__stw_pending; /* gen + 1 of the round that signalled us */
__thread void *goro__request_sp;

static atomic_uint stw_gen;
static atomic_int stw_acks;
static int stw_signal;
static goro_mutex stw_mu;

static long futex(atomic_uint *addr, int op, unsigned val)
{
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static void *current_sp(void)
{
	void *sp;
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	return sp;
}

static void sleep_ns(long ns)
{
	struct timespec ts = { 0, ns };
	nanosleep(&ts, NULL);
}

static void wait_restart(unsigned gen)
{
	while (atomic_load(&stw_gen) == gen)
		futex(&stw_gen, FUTEX_WAIT_PRIVATE, gen);
}

/* The goroutine whose stack holds sp on worker w, or NULL (scheduler). */
static struct goro_g *g_at(struct goro_worker *w, void *sp)
{
	struct goro_g *g = w->curg;
	if (g && !g->is_g0 && (char *)sp >= g->stack_lo && (char *)sp < g->stack_hi)
		return g;
	return NULL;
}

/* This function's own registers, for unwinding a goroutine stopped here. */
static inline __attribute__((always_inline)) void capture_regs(struct goro_regs *r)
{
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
	                 "movq %%rax, 0(%0)\n\t"
	                 "movq %%rsp, 8(%0)\n\t"
	                 "movq %%rbp, 16(%0)\n\t"
	                 "movq %%rbx, 24(%0)\n\t"
	                 "movq %%r12, 32(%0)\n\t"
	                 "movq %%r13, 40(%0)\n\t"
	                 "movq %%r14, 48(%0)\n\t"
	                 "movq %%r15, 56(%0)\n\t"
	                 "1:\n\t"
	                 :
	                 : "r"(r)
	                 : "rax", "memory");
}

GORO_NOINLINE void goro__safepoint(struct goro_worker *w, struct goro_g *cur)
{
	unsigned gen = atomic_load(&stw_gen);
	if (!atomic_load(&goro__stw_requested))
		return;
	__builtin_unwind_init(); /* callee-saved registers onto this frame */
	capture_regs(&w->stw_regs);
	w->stw_sp = current_sp();
	w->stw_g = cur->is_g0 ? NULL : cur;
	w->stw_signaled = false;
	atomic_store(&w->stw_state, STW_STOPPED);
	wait_restart(gen);
	atomic_store(&w->stw_state, STW_RUNNING);
}

/* A thread told to stop (signal, or leaving a critical section). */
static GORO_NOINLINE void stop_here(unsigned gen)
{
	__builtin_unwind_init();
	struct goro_worker *w = goro__curw();
	if (w) {
		w->stw_sp = current_sp();
		w->stw_g = g_at(w, w->stw_sp);
		w->stw_signaled = true;
		atomic_store(&w->stw_state, STW_SIGNALED);
	}
	atomic_fetch_add(&stw_acks, 1);
	wait_restart(gen);
	if (w)
		atomic_store(&w->stw_state, STW_RUNNING);
}

void goro__stw_pending_stop(void)
{
	unsigned want = (unsigned)goro__stw_pending - 1;
	goro__stw_pending = 0;
	if (atomic_load(&goro__stw_requested) && atomic_load(&stw_gen) == want)
		stop_here(want);
}

static void on_stw_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	int saved = errno;
	unsigned gen = atomic_load(&stw_gen);
	if (atomic_load(&goro__stw_requested)) {
		if (goro__critical > 0)
			goro__stw_pending = (int)gen + 1; /* stop on leaving it */
		else
			stop_here(gen);
	}
	errno = saved;
}

GORO_HIDDEN void goro__stw_init(void)
{
	const char *env = getenv("GORO_STW_SIGNAL");
	stw_signal = env ? atoi(env) : SIGPWR;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_stw_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigaction(stw_signal, &sa, NULL);
}

void goro__stw_lock(void)
{
	goro_mutex_lock(&stw_mu);
}

void goro__stw_unlock(void)
{
	goro_mutex_unlock(&stw_mu);
}

static bool worker_quiet(struct goro_worker *w)
{
	return atomic_load(&w->stw_state) != STW_RUNNING || atomic_load(&w->busy) == 0;
}

void goro__world_freeze(int64_t max_wait, struct goro_stw_report *rep)
{
	memset(rep, 0, sizeof *rep);
	struct goro_worker *self = goro__curw();
	atomic_store(&stw_acks, 0);
	atomic_store(&goro__stw_requested, 1);
	if (self) {
		self->stw_sp = goro__request_sp ? goro__request_sp : current_sp();
		self->stw_g = self->curg->is_g0 ? NULL : self->curg;
		self->stw_signaled = false;
	}
	int64_t deadline = goro__nanotime() + max_wait;
	for (int i = 0; i < goro__sched.nworkers; i++) {
		struct goro_worker *w = &goro__sched.workers[i];
		if (w == self)
			continue;
		for (int spin = 0; !worker_quiet(w); spin++) {
			if (goro__nanotime() > deadline) {
				rep->unstopped_workers++;
				break;
			}
			if (spin < 100)
				goro__cpu_relax();
			else
				sleep_ns(20000);
		}
	}
}

/* Sends the stop signal to tid; true if it will answer. */
static bool signal_thread(pid_t tid)
{
	return syscall(SYS_tgkill, getpid(), tid, stw_signal) == 0;
}

static bool is_worker_tid(pid_t tid)
{
	for (int i = 0; i < goro__sched.nworkers; i++)
		if (goro__sched.workers[i].tid == tid)
			return true;
	return false;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Signals every thread goro does not run (no allocation: getdents64). */
static int signal_foreign_threads(void)
{
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	pid_t self = (pid_t)syscall(SYS_gettid);
	int sent = 0;
	char buf[4096];
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			off += d->d_reclen;
			pid_t tid = (pid_t)atoi(d->d_name);
			if (tid <= 0 || tid == self || is_worker_tid(tid))
				continue;
			if (signal_thread(tid))
				sent++;
		}
	}
	close(fd);
	return sent;
}

void goro__world_stop(struct goro_stw_report *rep)
{
	goro__world_freeze(FREEZE_BEFORE_SIGNAL_NS, rep);
	struct goro_worker *self = goro__curw();
	int expected = 0;
	for (int i = 0; i < goro__sched.nworkers; i++) {
		struct goro_worker *w = &goro__sched.workers[i];
		if (w != self && !worker_quiet(w) && signal_thread(w->tid))
			expected++;
	}
	expected += signal_foreign_threads();
	int64_t deadline = goro__nanotime() + SIGNAL_WAIT_NS;
	while (atomic_load(&stw_acks) < expected && goro__nanotime() < deadline)
		sleep_ns(20000);
	rep->unstopped_workers = 0;
	rep->unstopped_threads = expected - atomic_load(&stw_acks);
	if (rep->unstopped_threads < 0)
		rep->unstopped_threads = 0;
}

void goro__world_start(void)
{
	atomic_store(&goro__stw_requested, 0);
	atomic_fetch_add(&stw_gen, 1);
	futex(&stw_gen, FUTEX_WAKE_PRIVATE, INT_MAX);
}

bool goro__stw_worker_pos(struct goro_worker *w, void **sp, struct goro_g **g, bool *signaled)
{
	if (w == goro__curw() || atomic_load(&w->stw_state) != STW_RUNNING) {
		*sp = w->stw_sp;
		*g = w->stw_g;
		*signaled = w->stw_signaled;
		return true;
	}
	return false; /* idle in epoll, or never stopped */
}
