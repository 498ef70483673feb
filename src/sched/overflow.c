/*
 * overflow.c — turning a stack overflow into a clear report.
 *
 * A guarded stack overflows into its PROT_NONE page: SIGSEGV, handled on
 * the worker's alternate signal stack.  If the faulting address is the
 * current goroutine's guard page, say so (id, creation site) and abort;
 * any other SIGSEGV goes to the handler that was there before goro (or the
 * default action).  Unguarded stacks are caught by the canary check at the
 * next switch (sched.c) or, when the overflowing code faults before it
 * switches (it ran down through the memory below until something faulted),
 * here too: the interrupted stack pointer is below the goroutine's stack.
 * Only async-signal-safe calls here, plus dladdr for the creation site's
 * name.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/context.h"
#include "runtime/owned.h"
#include "sched/sched_internal.h"

/* glibc leaves stack garbage in the unused part of sa_mask: keep it out of
 * the leak detector's roots (runtime state section). */
static struct sigaction old_segv GORO_RT_STATE;

static void write_str(const char *s)
{
	ssize_t r = write(2, s, strlen(s));
	(void)r;
}

GORO_HIDDEN void goro__report_overflow(struct goro_g *g, const char *how)
{
	char buf[512];
	Dl_info di;
	const char *fn = "?";
	if (g->create_pc && dladdr(g->create_pc, &di) && di.dli_sname)
		fn = di.dli_sname;
	snprintf(buf, sizeof buf,
	         "goro: stack overflow in goroutine %lld (%s)\n"
	         "goroutine %lld was created by %s (pc %p) in goroutine %lld; its stack "
	         "is %zu bytes: raise GORO_STACK_SIZE or pass a larger stack_size to "
	         "goro_go_opts\n",
	         (long long)g->id, how, (long long)g->id, fn, g->create_pc,
	         (long long)g->parent_id, (size_t)(g->stack_hi - g->stack_lo));
	write_str(buf);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	struct goro_worker *w = goro__tls_w;
	struct goro_g *g = w ? w->curg : NULL;
	const char *how = NULL;
	if (g && goro__stack_is_guard_addr(g, si->si_addr))
		how = "guard page hit";
	else if (g && g->stack && goro__ucontext_sp(uc) < (uintptr_t)g->stack_lo)
		how = "ran past the end of its stack";
	if (how) {
		goro__report_overflow(g, how);
		signal(SIGABRT, SIG_DFL);
		abort();
	}
	if (old_segv.sa_flags & SA_SIGINFO) {
		if (old_segv.sa_sigaction) {
			old_segv.sa_sigaction(sig, si, uc);
			return;
		}
	} else if (old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN) {
		old_segv.sa_handler(sig);
		return;
	}
	/* Default action: restore it and return; the access faults again. */
	signal(SIGSEGV, SIG_DFL);
}

GORO_HIDDEN void goro__signals_overflow_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
}
