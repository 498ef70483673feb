/*
 * unwind.c — program counters of a stack, from saved registers or from here.
 *
 * Frames are found with the DWARF CFI of every module (.eh_frame), so code
 * built without frame pointers (glibc's, -O2 user code) unwinds correctly.
 * The goroutine trampoline marks its return address undefined
 * (.cfi_undefined rip): every goroutine stack ends at its entry function.
 *
 * Two steppers, one result:
 *   - fast: memoised per-pc rules (cfi.h) applied to the registers, a hash
 *     probe and a few loads per frame, no system call;
 *   - libunwind: everything the rules cannot express (no CFI, expressions,
 *     signal frames).  A walk starts fast and hands its current registers
 *     to libunwind at the first such frame.
 * libunwind alone costs ~2.5us per frame here: its register-state cache is
 * guarded by a lock that masks signals (rt_sigprocmask twice per frame),
 * and Debian builds it without the lock-free per-thread cache.
 */
#define _GNU_SOURCE /* REG_RIP and friends in <sys/ucontext.h> */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <string.h>
#include <ucontext.h>

#include "trace/cfi.h"
#include "trace/trace.h"
#include "trace/unwind.h"

/* The registers an unwinder tracks for the frame it is in. */
struct cpu {
	uintptr_t ip, sp;
	uintptr_t saved[GORO_CFI_NSAVED]; /* rbp, rbx, r12-r15 (cfi.h) */
};

static struct cpu cpu_of_regs(const struct goro_regs *r)
{
	struct cpu c = { .ip = r->rip, .sp = r->rsp };

	c.saved[GORO_CFI_RBP] = r->rbp;
	c.saved[GORO_CFI_RBX] = r->rbx;
	c.saved[GORO_CFI_R12] = r->r12;
	c.saved[GORO_CFI_R13] = r->r13;
	c.saved[GORO_CFI_R14] = r->r14;
	c.saved[GORO_CFI_R15] = r->r15;
	return c;
}

/*
 * Frame output shared by both steppers: drops `skip` frames, then stores
 * up to max pcs.  Returns false when the walk should stop (a frame exists
 * beyond max: *truncated is set).
 */
struct sink {
	uintptr_t *pcs;
	int n, max, skip;
	bool *truncated;
};

static bool emit(struct sink *s, uintptr_t ip)
{
	if (s->skip > 0) {
		s->skip--;
		return true;
	}
	if (s->n == s->max) {
		*s->truncated = true;
		return false;
	}
	s->pcs[s->n++] = ip;
	return true;
}

/* ---- libunwind --------------------------------------------------------- */

/*
 * On x86-64 an unw_context_t is a ucontext_t; libunwind reads the first
 * frame's registers from uc_mcontext.gregs.  Only callee-saved registers,
 * sp and pc matter: caller-saved ones are dead at any call site.
 */
static void cpu_to_context(const struct cpu *c, unw_context_t *uc)
{
	memset(uc, 0, sizeof *uc);
	greg_t *g = uc->uc_mcontext.gregs;
	g[REG_RIP] = (greg_t)c->ip;
	g[REG_RSP] = (greg_t)c->sp;
	g[REG_RBP] = (greg_t)c->saved[GORO_CFI_RBP];
	g[REG_RBX] = (greg_t)c->saved[GORO_CFI_RBX];
	g[REG_R12] = (greg_t)c->saved[GORO_CFI_R12];
	g[REG_R13] = (greg_t)c->saved[GORO_CFI_R13];
	g[REG_R14] = (greg_t)c->saved[GORO_CFI_R14];
	g[REG_R15] = (greg_t)c->saved[GORO_CFI_R15];
}

/* Walks from c with libunwind; c's own frame is emitted too. */
static void walk_libunwind(const struct cpu *c, struct sink *s)
{
	/* The cursor refers into uc while it steps: both live here. */
	unw_context_t uc;
	unw_cursor_t cur;

	cpu_to_context(c, &uc);
	if (unw_init_local(&cur, &uc) < 0)
		return;
	for (;;) {
		unw_word_t ip;
		/* ip 0: the chain ended without CFI saying so. */
		if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 || ip == 0 ||
		    !emit(s, (uintptr_t)ip) || unw_step(&cur) <= 0)
			return;
	}
}

/* ---- the memoised rules ------------------------------------------------ */

static uintptr_t load(uintptr_t addr)
{
	return *(const uintptr_t *)addr;
}

/*
 * Walks from c.  Frame 0's pc is where execution resumes (look it up as
 * is); callers' pcs are return addresses (look up the call, pc - 1), as
 * libunwind does.
 */
static void walk(struct cpu c, struct sink *s)
{
	for (bool first = true; c.ip != 0; first = false) {
		struct goro_cfi_rule r;

		goro__cfi_rule(first ? c.ip : c.ip - 1, &r);
		if (r.kind == GORO_CFI_OTHER) {
			walk_libunwind(&c, s);
			return;
		}
		if (!emit(s, c.ip) || r.kind == GORO_CFI_END)
			return;
		uintptr_t base = r.cfa_from_rbp ? c.saved[GORO_CFI_RBP] : c.sp;
		uintptr_t cfa = base + (uintptr_t)(intptr_t)r.cfa_off;
		/* A caller's frame lies above its callee's: anything else is a
		 * corrupt stack, and following it could loop. */
		if (cfa <= c.sp)
			return;
		for (int i = 0; i < GORO_CFI_NSAVED; i++)
			if (r.saved[i] != 0)
				c.saved[i] = load(cfa + (uintptr_t)(intptr_t)r.saved[i]);
		c.ip = load(cfa + (uintptr_t)(intptr_t)r.ra_off);
		c.sp = cfa;
	}
}

/* ---- entry points ------------------------------------------------------ */

int goro__unwind_regs(const struct goro_regs *regs, uintptr_t *pcs, int max,
                      bool *truncated)
{
	struct sink s = { .pcs = pcs, .max = max, .truncated = truncated };

	*truncated = false;
	walk(cpu_of_regs(regs), &s);
	return s.n;
}

int goro__unwind_regs_libunwind(const struct goro_regs *regs, uintptr_t *pcs,
                                int max, bool *truncated)
{
	struct sink s = { .pcs = pcs, .max = max, .truncated = truncated };
	struct cpu c = cpu_of_regs(regs);

	*truncated = false;
	if (c.ip != 0)
		walk_libunwind(&c, &s);
	return s.n;
}

/*
 * noinline: frame 0 must be this function (skip counts from it, like Go's
 * runtime.Callers), which it could not be once merged into a caller.
 * unw_getcontext records the registers as they are when it returns here,
 * so its pc is a resume point inside this function, like a parked
 * goroutine's.
 */
__attribute__((noinline)) int goro__unwind_here(uintptr_t *pcs, int max,
                                                int skip, bool *truncated)
{
	unw_context_t uc;
	struct sink s = { .pcs = pcs, .max = max, .skip = skip,
		          .truncated = truncated };

	*truncated = false;
	if (unw_getcontext(&uc) < 0)
		return 0;
	const greg_t *g = uc.uc_mcontext.gregs;
	struct goro_regs regs = {
		.rip = (uintptr_t)g[REG_RIP], .rsp = (uintptr_t)g[REG_RSP],
		.rbp = (uintptr_t)g[REG_RBP], .rbx = (uintptr_t)g[REG_RBX],
		.r12 = (uintptr_t)g[REG_R12], .r13 = (uintptr_t)g[REG_R13],
		.r14 = (uintptr_t)g[REG_R14], .r15 = (uintptr_t)g[REG_R15],
	};
	walk(cpu_of_regs(&regs), &s);
	return s.n;
}
