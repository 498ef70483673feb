/*
 * signals.c — the runtime's signal handling, installed at start-up:
 *   SIGSEGV   stack-overflow reports and nil-dereference panics
 *             (sched/overflow.c)
 *   SIGPWR    stop-the-world (runtime/stw.c; GORO_STW_SIGNAL to change)
 *   SIGQUIT   Go's behaviour: every goroutine's stack to stderr, exit 2
 *   SIGUSR2   the goroutineleak profile to a file (leak/exitcheck.c)
 *
 * Process signals (SIGQUIT, the profile signal) are never worked on in a
 * handler: the handler writes the signal's number to a pipe (write(2) is
 * async-signal-safe; libuv's self-pipe) and returns.  A thread of its own,
 * the signal thread, reads the pipe and does the work as an ordinary
 * thread: stdio, malloc, unwinding, stopping the world are all fine there,
 * and it needs no free worker (with GORO_MAXPROCS=1 and a goroutine in a
 * loop, SIGQUIT still dumps).  The thread blocks every signal but the stop
 * signal (a stop must be able to park it like any thread) and the faults.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/owned.h"
#include "runtime/sigsafe.h"
#include "runtime/signals.h"
#include "runtime/stw.h"
#include "sched/sched.h"

GORO_HIDDEN void goro__signals_overflow_init(void);
GORO_HIDDEN void goro__stw_init(void);
GORO_HIDDEN void goro__exitcheck_init(void);

enum { SIGNAL_THREAD_STACK = 1 << 20 };

static int sig_pipe[2] = { -1, -1 };
static void (*routes[NSIG])(int);

static void on_process_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	ssize_t r = write(sig_pipe[1], &b, 1); /* full pipe: that signal is already queued */
	(void)r;
	errno = saved;
}

static void *signal_thread(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, goro__stw_signo());
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	for (;;) {
		unsigned char b;
		ssize_t r = read(sig_pipe[0], &b, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		if (b < NSIG && routes[b])
			routes[b](b);
	}
}

static void start_thread(void)
{
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		goro__fatal_raw("goro: cannot make the signal pipe");
	/* The reading end blocks: only the signal thread reads it. */
	fcntl(sig_pipe[0], F_SETFL, fcntl(sig_pipe[0], F_GETFL) & ~O_NONBLOCK);
	/* Its stack is goro's (registered): glibc keeps the thread's TLS and
	 * descriptor there, which hold pointers into the creating thread's
	 * stack that would otherwise be leak-detection roots. */
	void *stack = goro__owned_map(SIGNAL_THREAD_STACK);
	if (!stack)
		goro__fatal_raw("goro: cannot map the signal thread's stack");
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstack(&a, stack, SIGNAL_THREAD_STACK);
	int rc = pthread_create(&t, &a, signal_thread, NULL);
	pthread_attr_destroy(&a);
	if (rc != 0)
		goro__fatal_raw("goro: cannot start the signal thread");
}

int goro__signal_route(int signo, void (*fn)(int))
{
	if (signo <= 0 || signo >= NSIG)
		return -1;
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, start_thread);
	routes[signo] = fn;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_process_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(signo, &sa, NULL);
}

/* On the signal thread: Go's SIGQUIT (every goroutine, exit status 2). */
static void quit(int sig)
{
	(void)sig;
	fflush(stdout);
	fputs("SIGQUIT: quit\n\n", stderr);
	goro_dump(stderr);
	fflush(stderr);
	_exit(2);
}

void goro__signals_init(void)
{
	goro__signals_overflow_init();
	goro__stw_init();
	goro__exitcheck_init();
	if (goro__signal_route(SIGQUIT, quit) != 0)
		goro__fatal_raw("goro: sigaction(SIGQUIT) failed");
}
