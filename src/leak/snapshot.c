/*
 * snapshot.c — cloning, feeding and reaping the fork snapshot's child
 * (see snapshot.h for the child's rules).
 *
 * Why a raw clone and not fork(3): glibc's fork runs the atfork handlers,
 * which take malloc's and stdio's locks — locks a stopped thread may hold,
 * so the stop would deadlock.  The raw system call copies the process and
 * nothing else.  clone3 is tried first (CLONE_CLEAR_SIGHAND: the child
 * starts with default dispositions), then clone (container seccomp filters
 * often refuse clone3 with ENOSYS).  Both ask for a pidfd (CLONE_PIDFD) and
 * no exit signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "leak/snapshot.h"
#include "net/pollfd.h"
#include "sched/sched.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define LEAK_HAVE_VALGRIND 1
#endif
#endif

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#define LEAK_CLONE_CLEAR_SIGHAND 0x100000000ULL

/*
 * The snapshot is the default engine of plain builds (sanitizers and
 * valgrind stop the world).  Known imprecision, shared with stop-the-world
 * but seen more often here: about 1 run in 200 of a test with goroutine
 * pairs running misses one of five leaks (a false negative, never a false
 * report): a running pair's walked frames can still name a leaked channel
 * in a slot the liveness analysis must count (an escaped frame address).
 */
#define LEAK_FORK_BY_DEFAULT 1

enum { DEFAULT_TIMEOUT_MS = 60000, REAP_WAIT_NS = 10000000000LL, PIPE_BYTES = 1 << 20 };

/* The first fields of the kernel's struct clone_args (CLONE_ARGS_SIZE_VER0). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

int goro__leak_engine_pick(const char **why, int *test)
{
	const char *e = getenv("GORO_LEAK_ENGINE");
	*why = NULL;
	*test = LEAK_TEST_NONE;
	if (e && strcmp(e, "stw") == 0) {
		*why = "GORO_LEAK_ENGINE=stw";
		return GORO_LEAK_ENGINE_STW;
	}
	if (e && strcmp(e, "fork-fail") == 0)
		*test = LEAK_TEST_FORK_FAIL;
	else if (e && strcmp(e, "fork-hang") == 0)
		*test = LEAK_TEST_HANG;
	bool forced = e && strncmp(e, "fork", 4) == 0;
	(void)forced;
#if defined(GORO_TSAN)
	/* TSan's runtime (its shadow, its background thread) is not built
	 * for a raw clone child; its verdicts are not meaningful anyway. */
	if (!forced) {
		*why = "ThreadSanitizer build";
		return GORO_LEAK_ENGINE_STW;
	}
#endif
#if defined(GORO_ASAN)
	/* The child's analysis competes with the program for the CPU, and
	 * under ASan it is long: the sanitizer suites' time budgets are set
	 * for the stop (forcing fork still works, and is tested). */
	if (!forced) {
		*why = "AddressSanitizer build";
		return GORO_LEAK_ENGINE_STW;
	}
#endif
#if defined(LEAK_HAVE_VALGRIND)
	/* valgrind emulates clone only with the flag sets libc uses. */
	if (!forced && RUNNING_ON_VALGRIND) {
		*why = "running on valgrind";
		return GORO_LEAK_ENGINE_STW;
	}
#endif
#if !LEAK_FORK_BY_DEFAULT
	if (!forced) {
		*why = "the default engine (GORO_LEAK_ENGINE=fork selects the snapshot)";
		return GORO_LEAK_ENGINE_STW;
	}
#endif
	return GORO_LEAK_ENGINE_FORK;
}

int64_t goro__leak_child_timeout(void)
{
	const char *e = getenv("GORO_LEAK_FORK_TIMEOUT_MS");
	long ms = e ? atol(e) : 0;
	return (int64_t)(ms > 0 ? ms : DEFAULT_TIMEOUT_MS) * 1000000;
}

int goro__leak_child_prepare(struct goro_leak_child *c, int test)
{
	memset(c, 0, sizeof *c);
	c->pid = -1;
	c->pidfd = -1;
	c->test = test;
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	c->rfd = p[0];
	c->wfd = p[1];
	/* The whole answer at once for most runs (best effort). */
	(void)fcntl(c->wfd, F_SETPIPE_SZ, PIPE_BYTES);
	return 0;
}

static long raw_clone(int *pidfd)
{
	struct clone3_args a;
	memset(&a, 0, sizeof a);
	a.flags = CLONE_PIDFD | LEAK_CLONE_CLEAR_SIGHAND;
	a.pidfd = (uint64_t)(uintptr_t)pidfd;
	a.exit_signal = 0; /* no SIGCHLD: invisible to the program's wait loops */
	long pid = syscall(SYS_clone3, &a, sizeof a);
	if (pid >= 0 || (errno != ENOSYS && errno != EINVAL && errno != EPERM))
		return pid;
	/* x86-64 argument order: flags, stack, parent_tid (the pidfd), child_tid, tls. */
	pid = syscall(SYS_clone, (unsigned long)CLONE_PIDFD, 0UL, pidfd, NULL, 0UL);
	if (pid >= 0 || errno != EINVAL)
		return pid;
	*pidfd = -1; /* a kernel before pidfds (5.2): reaped by pid */
	return syscall(SYS_clone, 0UL, 0UL, NULL, NULL, 0UL);
}

static void nap(void)
{
	struct timespec ts = { 1, 0 };
	nanosleep(&ts, NULL);
}

/* The child: alone in its image; see snapshot.h for what it may do. */
static GORO_NORETURN void child_main(struct goro_leak_child *c, pid_t parent,
                                     void (*body)(int wfd, void *arg), void *arg)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		syscall(SYS_exit_group, 1); /* the parent died before prctl */
	/* Keep stderr for GORO_LEAK_DEBUG's trace only. */
	int keep_lo = getenv("GORO_LEAK_DEBUG") ? 3 : 0;
	if (c->wfd > keep_lo)
		syscall(SYS_close_range, (unsigned)keep_lo, (unsigned)c->wfd - 1, 0u);
	syscall(SYS_close_range, (unsigned)c->wfd + 1, ~0u, 0u);
	if (c->test == LEAK_TEST_HANG)
		for (;;)
			nap(); /* the parent's timeout must kill us */
	body(c->wfd, arg);
	syscall(SYS_exit_group, 0); /* no atexit handlers, no stdio flush */
	__builtin_unreachable();
}

int goro__leak_child_fork(struct goro_leak_child *c, void (*body)(int wfd, void *arg),
                          void *arg)
{
	int err;
	if (c->test == LEAK_TEST_FORK_FAIL) {
		errno = EAGAIN;
		goto fail;
	}
	/* Every signal blocked across the clone: the child inherits the mask,
	 * so no handler of the program ever runs in it (SIGKILL still
	 * works).  Raw: glibc's wrapper would leave its own signals open. */
	uint64_t all = ~(uint64_t)0, old;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof all);
	pid_t parent = getpid();
	int pidfd = -1;
	long pid = raw_clone(&pidfd);
	if (pid == 0)
		child_main(c, parent, body, arg);
	err = errno;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
	if (pid < 0) {
		errno = err;
		goto fail;
	}
	c->pid = (pid_t)pid;
	c->pidfd = pidfd;
	close(c->wfd);
	c->wfd = -1;
	return 0;
fail:
	err = errno;
	close(c->rfd);
	close(c->wfd);
	c->rfd = c->wfd = -1;
	errno = err;
	return -1;
}

bool goro__leak_child_send(int wfd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t r = write(wfd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			struct pollfd pf = { wfd, POLLOUT, 0 };
			poll(&pf, 1, -1);
			continue;
		}
		if (r <= 0)
			return false;
		p += r;
		len -= (size_t)r;
	}
	return true;
}

/*
 * Waits until fd may be readable, or deadline.  A goroutine parks in goro's
 * poller (its worker runs on); a foreign thread, or a goroutine in a
 * synctest bubble (whose clock would not move the deadline), blocks in poll.
 */
static int wait_readable(struct goro_leak_child *c, int which, int fd, int64_t deadline)
{
	int64_t now = goro__nanotime();
	if (now >= deadline) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (goro__curw() && !goro__getg()->is_g0 && !goro__getg()->bubble) {
		struct goro_pollfd *pd = goro__pollfd_acquire(fd);
		if (!pd)
			return -1;
		c->polled[which] = true;
		int st = goro__pollfd_wait(pd, fd, POLL_READ, deadline, NULL);
		goro__pollfd_release(pd, fd);
		if (st == POLL_RETRY || st == GORO_TIMEDOUT)
			return 0; /* the caller retries or sees the deadline */
		if (st != POLL_ERROR)
			errno = EIO;
		return -1;
	}
	struct pollfd pf = { fd, POLLIN, 0 };
	int64_t ms = (deadline - now + 999999) / 1000000;
	if (poll(&pf, 1, ms > 1000000 ? 1000000 : (int)ms) < 0 && errno != EINTR)
		return -1;
	return 0;
}

int goro__leak_child_recv(struct goro_leak_child *c, void *buf, size_t len, int64_t deadline)
{
	char *p = buf;
	while (len > 0) {
		ssize_t r = read(c->rfd, p, len);
		if (r > 0) {
			p += r;
			len -= (size_t)r;
			continue;
		}
		if (r == 0) {
			errno = EPIPE; /* the child exited (or died) without a full answer */
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || wait_readable(c, 0, c->rfd, deadline) < 0)
			return -1;
	}
	return 0;
}

static bool reaped(struct goro_leak_child *c)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | __WALL) != 0)
		return true; /* ECHILD: the program reaped it (wait with __WALL) */
	return si.si_pid == c->pid;
}

/* The child exits right after answering; tearing down a big image takes
 * the kernel a while, so a goroutine waits for the pidfd, not in waitid. */
static void reap(struct goro_leak_child *c)
{
	int64_t deadline = goro__nanotime() + REAP_WAIT_NS;
	while (!reaped(c)) {
		if (c->pidfd < 0 || wait_readable(c, 1, c->pidfd, deadline) < 0 ||
		    goro__nanotime() >= deadline) {
			kill(c->pid, SIGKILL);
			siginfo_t si;
			waitid(P_PID, (id_t)c->pid, &si, WEXITED | __WALL);
			return;
		}
	}
}

static void close_fd(int fd, bool polled)
{
	if (fd < 0)
		return;
	if (polled)
		goro_fd_close(fd); /* goro's record of it must be retired too */
	else
		close(fd);
}

void goro__leak_child_end(struct goro_leak_child *c, bool kill_it)
{
	if (c->pid > 0) {
		if (kill_it)
			kill(c->pid, SIGKILL); /* not reaped yet: the pid is still ours */
		reap(c);
		c->pid = -1;
	}
	close_fd(c->rfd, c->polled[0]);
	close_fd(c->pidfd, c->polled[1]);
	close_fd(c->wfd, false);
	c->rfd = c->pidfd = c->wfd = -1;
}
