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
 *
 * A fault at an address in the first page (a nil pointer dereference: a
 * NULL passed to goro_mutex_lock, goro_select, ...) in a goroutine is Go's
 * run-time panic: the handler makes the goroutine "call" goro__sigpanic
 * from the faulting instruction (Go's sigpanic injection) and returns; the
 * panic is then printed outside the handler, with the goroutine's stack.
 *
 * Only async-signal-safe calls in the handler (runtime/sigsafe.h): the
 * creation site is printed as a pc, not a name (dladdr may lock).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/context.h"
#include "runtime/owned.h"
#include "runtime/sigsafe.h"
#include "runtime/stw.h"
#include "sched/gsnap.h"
#include "sched/sched_internal.h"

/* glibc leaves stack garbage in the unused part of sa_mask: keep it out of
 * the leak detector's roots (runtime state section). */
static struct sigaction old_segv GORO_RT_STATE;

GORO_HIDDEN void goro__report_overflow(struct goro_g *g, const char *how)
{
	struct goro_sstr s = { .len = 0 };
	goro__ss_str(&s, "goro: stack overflow in goroutine ");
	goro__ss_dec(&s, (long long)g->id);
	goro__ss_str(&s, " (");
	goro__ss_str(&s, how);
	goro__ss_str(&s, ")\ngoroutine ");
	goro__ss_dec(&s, (long long)g->id);
	goro__ss_str(&s, " was created at pc ");
	goro__ss_hex(&s, (uintptr_t)g->create_pc);
	goro__ss_str(&s, " in goroutine ");
	goro__ss_dec(&s, (long long)g->parent_id);
	goro__ss_str(&s, "; its stack is ");
	goro__ss_dec(&s, (long long)(g->stack_hi - g->stack_lo));
	goro__ss_str(&s, " bytes: raise GORO_STACK_SIZE or pass a larger stack_size to "
	                 "goro_go_opts\n");
	goro__ss_flush(&s);
}

/* The fault being turned into a panic, per thread: set by the handler,
 * read by goro__sigpanic on the same thread right after. */
static GORO_TLS struct {
	uintptr_t addr, pc;
	int code;
} sigpanic_info;

static void signal_line(struct goro_sstr *s, uintptr_t addr, uintptr_t pc, int code)
{
	goro__ss_str(s, "[signal SIGSEGV: segmentation violation code=");
	goro__ss_hex(s, (uintptr_t)code);
	goro__ss_str(s, " addr=");
	goro__ss_hex(s, addr);
	goro__ss_str(s, " pc=");
	goro__ss_hex(s, pc);
	goro__ss_str(s, "]\n");
}

static __attribute__((noreturn)) void nil_panic_report(void)
{
	struct goro_sstr s = { .len = 0 };
	goro__ss_str(&s, "panic: runtime error: invalid memory address or nil pointer "
	                 "dereference\n");
	signal_line(&s, sigpanic_info.addr, sigpanic_info.pc, sigpanic_info.code);
	goro__ss_str(&s, "\n");
	goro__ss_flush(&s);
	goro__print_current_stack(stderr);
	fflush(stderr);
	signal(SIGABRT, SIG_DFL);
	abort();
}

/* Runs as if called by the faulting instruction, outside the handler. */
__attribute__((noreturn, used)) static void goro__sigpanic(void)
{
	nil_panic_report();
}

/* The same panic for a NULL the runtime would dereference somewhere else
 * (goro_offload's fn, on a helper thread): reported for its caller. */
GORO_HIDDEN __attribute__((noreturn)) void goro__panic_nil(void);
void goro__panic_nil(void)
{
	sigpanic_info.addr = 0;
	sigpanic_info.code = SEGV_MAPERR;
	sigpanic_info.pc = (uintptr_t)__builtin_return_address(0);
	nil_panic_report();
}

/* A nil dereference by a goroutine, outside the runtime's critical
 * sections (inside one, a lock may be held that printing the stack
 * needs: Go's "unexpected signal during runtime execution" instead). */
static bool nil_panic(siginfo_t *si, void *uc, struct goro_g *g)
{
	uintptr_t addr = (uintptr_t)si->si_addr;
	if (!g || si->si_code <= 0 || addr >= 4096)
		return false; /* sent by kill(), or a wild pointer: not Go's nil case */
	if (goro__critical > 0) {
		struct goro_sstr s = { .len = 0 };
		goro__ss_str(&s, "fatal error: unexpected signal during runtime execution\n");
		signal_line(&s, addr, (uintptr_t)goro__ucontext_pc(uc), si->si_code);
		goro__ss_flush(&s);
		_exit(2);
	}
	sigpanic_info.addr = addr;
	sigpanic_info.code = si->si_code;
	sigpanic_info.pc = goro__ucontext_inject_call(uc, addr, goro__sigpanic);
	return true;
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
	if (nil_panic(si, uc, g))
		return;
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
	if (sigaction(SIGSEGV, &sa, &old_segv) != 0)
		goro__throw("goro: sigaction(SIGSEGV) failed");
}
