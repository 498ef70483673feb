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
#include <stdio.h>
#include <unistd.h>

#include "runtime/owned.h"
#include "runtime/stw.h"
#include "sched/sched.h"

enum { STW_RUNNING = 0, STW_STOPPED = 1, STW_SIGNALED = 2 };
enum { SIGNAL_WAIT_NS = 1000000000, FREEZE_BEFORE_SIGNAL_NS = 10000000 };

atomic_int goro__stw_requested;
GORO_TLS int goro__critical;
GORO_TLS volatile sig_atomic_t goro__stw_pending; /* gen + 1 of the round that signalled us */
GORO_TLS void **goro__stw_sp_slot;

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
	} else if (goro__stw_sp_slot) {
		*goro__stw_sp_slot = current_sp();
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

/*
 * GORO_STW_SIGNAL: a number, and a signal nothing else needs: not one the
 * kernel sends for faults (its handler would take them), not one that
 * cannot be caught (9 would SIGKILL the process at the first leak check),
 * not one with a meaning for the program, the terminal or goro itself.
 */
static bool stw_signal_usable(int s)
{
	static const int taken[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL,
		                     SIGTRAP, SIGABRT, SIGSYS, SIGQUIT, SIGINT, SIGTERM,
		                     SIGHUP, SIGCHLD, SIGPIPE, SIGALRM, SIGTSTP, SIGTTIN,
		                     SIGTTOU, SIGCONT, SIGWINCH, SIGPROF, SIGVTALRM };
	if (s < 1 || s > SIGRTMAX)
		return false;
	for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
		if (s == taken[i])
			return false;
	return true;
}

static int parse_stw_signal(const char *env)
{
	char *end;
	long v = strtol(env, &end, 10);
	if (end == env || *end != '\0' || v < 1 || v > SIGRTMAX || !stw_signal_usable((int)v)) {
		fprintf(stderr, "fatal error: goro: GORO_STW_SIGNAL=%s: not a usable signal (use %d, "
		                "SIGPWR, the default; %d or %d, SIGUSR1/SIGUSR2; or a real-time "
		                "signal %d..%d)\n",
		        env, SIGPWR, SIGUSR1, SIGUSR2, SIGRTMIN, SIGRTMAX);
		_exit(2);
	}
	return (int)v;
}

int goro__stw_signo(void)
{
	return stw_signal;
}

GORO_HIDDEN void goro__stw_init(void)
{
	const char *env = getenv("GORO_STW_SIGNAL");
	stw_signal = env && *env ? parse_stw_signal(env) : SIGPWR;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_stw_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(stw_signal, &sa, NULL) != 0) {
		fprintf(stderr, "fatal error: goro: sigaction(GORO_STW_SIGNAL=%d): %s\n", stw_signal,
		        strerror(errno));
		_exit(2);
	}
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
		void *rsp = self->curg->request_sp;
		self->stw_sp = rsp ? rsp : current_sp();
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

/*
 * Threads that block the stop signal (test runners' helper threads, for
 * instance) cannot be stopped.  One asleep in the kernel does not touch
 * memory; we note its context-switch count, and the stopper checks after
 * its analysis that the count did not move (goro__stw_quiet_verified).
 */
enum { MAX_QUIET = 256, RUNNING_RESAMPLES = 100, RESAMPLE_NS = 50000 };
static struct quiet_thread {
	pid_t tid;
	unsigned long long switches;
} quiet[MAX_QUIET] GORO_RT_STATE;
static int nquiet;

/* Reads /proc/self/task/TID/status without allocating. */
static bool thread_status(pid_t tid, uint64_t *sigblk, unsigned long long *switches,
                          char *state)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	char *p;
	*state = (p = strstr(buf, "\nState:\t")) ? p[8] : '?';
	*sigblk = (p = strstr(buf, "\nSigBlk:\t")) ? strtoull(p + 9, NULL, 16) : 0;
	unsigned long long v = 0, nv = 0;
	if ((p = strstr(buf, "\nvoluntary_ctxt_switches:\t")))
		v = strtoull(p + 27, NULL, 10);
	if ((p = strstr(buf, "\nnonvoluntary_ctxt_switches:\t")))
		nv = strtoull(p + 30, NULL, 10);
	*switches = v + nv;
	return true;
}

/* True when tid cannot take our signal but sleeps in the kernel. */
static bool note_if_quiet(pid_t tid, int *unstoppable)
{
	uint64_t blk;
	unsigned long long sw;
	char st;
	if (!thread_status(tid, &blk, &sw, &st) || !(blk & (1ULL << (stw_signal - 1))))
		return false;
	/* Running right now (a test runner's thread on a loaded machine, say):
	 * give it a moment to go back to sleep rather than give up at once. */
	for (int i = 0; i < RUNNING_RESAMPLES && st == 'R'; i++) {
		sleep_ns(RESAMPLE_NS);
		if (!thread_status(tid, &blk, &sw, &st))
			return false; /* it exited */
	}
	if ((st == 'S' || st == 'D' || st == 'T' || st == 't') && nquiet < MAX_QUIET)
		quiet[nquiet++] = (struct quiet_thread){ tid, sw };
	else
		(*unstoppable)++;
	return true;
}

bool goro__stw_quiet_verified(void)
{
	for (int i = 0; i < nquiet; i++) {
		uint64_t blk;
		unsigned long long sw;
		char st;
		if (thread_status(quiet[i].tid, &blk, &sw, &st) && sw != quiet[i].switches)
			return false; /* it ran while we looked: no verdict */
	}
	return true;
}

/* Signals every thread goro does not run (no allocation: getdents64). */
static int signal_foreign_threads(int *unstoppable)
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
			if (note_if_quiet(tid, unstoppable))
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
	nquiet = 0;
	int unstoppable = 0;
	expected += signal_foreign_threads(&unstoppable);
	int64_t deadline = goro__nanotime() + SIGNAL_WAIT_NS;
	while (atomic_load(&stw_acks) < expected && goro__nanotime() < deadline)
		sleep_ns(20000);
	rep->unstopped_workers = 0;
	rep->unstopped_threads = expected - atomic_load(&stw_acks);
	if (rep->unstopped_threads < 0)
		rep->unstopped_threads = 0;
	rep->unstopped_threads += unstoppable;
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
