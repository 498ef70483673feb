/*
 * panic.c — Go's panic (goro_panic: "panic: ..." + the goroutine's stack,
 * then abort) and throw (goro__throw: "fatal error: ..." + stack, exit 2).
 * goro has no recover: a panic always ends the process, so misuse is never
 * silently survived.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"

GORO_HIDDEN void goro__print_current_stack(FILE *out);

GORO_API void goro_panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("panic: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	goro__print_current_stack(stderr);
	fflush(stderr);
	abort();
}

void goro__throw(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fatal error: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	goro__print_current_stack(stderr);
	fflush(stderr);
	_Exit(2);
}

static void exit_status_2(void)
{
	_Exit(2);
}

static void on_abort_exit_2(int sig)
{
	(void)sig;
	_exit(2);
}

void goro__throw_oom(const char *what, size_t bytes)
{
	int e = errno;
	/* Printing the stack needs memory too, and libdw exit(1)s or aborts
	 * when it has none: the status stays Go's 2 whatever happens after the
	 * message. */
	atexit(exit_status_2);
	signal(SIGABRT, on_abort_exit_2);
	char limit[96] = "";
	struct rlimit rl;
	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		snprintf(limit, sizeof limit, "; the address space is limited to %llu MiB (ulimit -v)",
		         (unsigned long long)(rl.rlim_cur >> 20));
	goro__throw("runtime: out of memory: cannot allocate %zu bytes for %s (%s)%s", bytes, what,
	            strerror(e ? e : ENOMEM), limit);
}
