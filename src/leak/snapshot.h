/*
 * snapshot.h — the fork snapshot behind the goroutineleak profile: the
 * world is stopped just long enough for the kernel to copy the page tables
 * into a child process, restarted, and the child (a copy-on-write image of
 * the whole address space, one thread) runs the analysis and sends the
 * verdicts back over a pipe (Redis takes its snapshots the same way).
 *
 * The child was cloned from a program whose other threads were stopped
 * anywhere: any lock of libc (malloc, stdio), libdw or libunwind may be
 * held in its image, forever.  So it runs only code that takes none and
 * allocates nothing — the same rule as a stopped world's, which is why the
 * analysis needs no change to run there.  Everything it writes lands in
 * MAP_PRIVATE memory (goro maps nothing shared), so the parent never sees
 * the child's mark bits or tables.
 *
 * The child: every inherited fd but its end of the pipe closed (it would
 * keep a socket or a pipe of the program alive), every signal blocked,
 * killed if the thread that forked it dies (PR_SET_PDEATHSIG) or if it
 * outlives the parent's timeout.  No exit signal (no SIGCHLD), so a
 * program's own waitpid(-1) loop never reaps it; goro reaps it through a
 * pidfd.
 */
#ifndef GORO_LEAK_SNAPSHOT_H
#define GORO_LEAK_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

enum goro_leak_engine {
	GORO_LEAK_ENGINE_STW = 0,  /* the analysis runs with the world stopped */
	GORO_LEAK_ENGINE_FORK = 1, /* the analysis runs in a forked snapshot */
};

/* Test modes of GORO_LEAK_ENGINE (never for production). */
enum goro_leak_test {
	LEAK_TEST_NONE = 0,
	LEAK_TEST_FORK_FAIL, /* "fork-fail": clone fails as if with EAGAIN */
	LEAK_TEST_HANG,      /* "fork-hang": the child never answers */
};

/* The engine the next run uses and, for stop-the-world, why (static text).
 * GORO_LEAK_ENGINE=stw|fork forces one; the default is stop-the-world for
 * now (LEAK_FORK_BY_DEFAULT in snapshot.c), and stays so under the
 * sanitizers and valgrind when fork becomes it (see architecture.md). */
GORO_HIDDEN int goro__leak_engine_pick(const char **why, int *test);

/* One snapshot child, from the parent's side. */
struct goro_leak_child {
	pid_t pid;
	int pidfd;     /* -1: none (reaped by pid) */
	int rfd, wfd;  /* the result pipe; wfd is the child's */
	bool polled[2]; /* rfd, pidfd went through goro's poller (goro_fd_close) */
	int test;      /* enum goro_leak_test */
};

/* Before the stop: opens the pipe.  0, or -1 with errno. */
GORO_HIDDEN int goro__leak_child_prepare(struct goro_leak_child *c, int test);
/*
 * World stopped: forks.  The child runs body(wfd, arg), which must neither
 * allocate nor lock (see above), and exits.  The parent gets 0, or
 * -1 with errno (the pipe is closed then).
 */
GORO_HIDDEN int goro__leak_child_fork(struct goro_leak_child *c,
                                      void (*body)(int wfd, void *arg), void *arg);
/* Child: writes all of buf; false if the parent is gone. */
GORO_HIDDEN bool goro__leak_child_send(int wfd, const void *buf, size_t len);
/* Parent: reads exactly len bytes by deadline (goro__nanotime), parking a
 * goroutine (its worker runs on) or blocking a foreign thread.  0, or -1
 * with errno ETIMEDOUT, EPIPE (the child died without answering) or other. */
GORO_HIDDEN int goro__leak_child_recv(struct goro_leak_child *c, void *buf, size_t len,
                                      int64_t deadline);
/* Parent: SIGKILLs the child if kill, reaps it, closes the pipe. */
GORO_HIDDEN void goro__leak_child_end(struct goro_leak_child *c, bool kill);
/* The parent's timeout for one child, ns (GORO_LEAK_FORK_TIMEOUT_MS). */
GORO_HIDDEN int64_t goro__leak_child_timeout(void);

#endif /* GORO_LEAK_SNAPSHOT_H */
