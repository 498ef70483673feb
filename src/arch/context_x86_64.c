/*
 * context_x86_64.c — the C half of the x86-64 context layer: the initial
 * frame of a new context and reading the registers of a parked one.  The
 * layout is the one switch_x86_64.S documents.
 */
#define _GNU_SOURCE
#include <string.h>
#include <ucontext.h>

#include "arch/context.h"
#include "trace/cfi.h"

uintptr_t goro__ucontext_sp(const void *uc)
{
	return (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.gregs[REG_RSP];
}

uintptr_t goro__ucontext_pc(const void *uc)
{
	return (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
}

/* switch_x86_64.S: realigns the stack and calls the function in rbx. */
extern void goro__inject_tramp(void) __attribute__((visibility("hidden")));

uintptr_t goro__ucontext_inject_call(void *ucp, uintptr_t fault_addr, void (*fn)(void))
{
	greg_t *r = ((ucontext_t *)ucp)->uc_mcontext.gregs;
	uintptr_t pc = (uintptr_t)r[REG_RIP];
	if (pc != fault_addr) {
		/* Push the faulting pc as a return address (into the red zone:
		 * the interrupted code never resumes). */
		r[REG_RSP] -= 8;
		*(uintptr_t *)r[REG_RSP] = pc;
	}
	r[REG_RBX] = (greg_t)(uintptr_t)fn;
	r[REG_RIP] = (greg_t)(uintptr_t)goro__inject_tramp;
	return pc;
}

extern void goro__ctx_start(void) __attribute__((visibility("hidden")));

enum { MXCSR_DEFAULT = 0x1f80, X87CW_DEFAULT = 0x037f };

void *goro__ctx_init(void *top, void (*entry)(void *), void *arg)
{
	/*
	 * After goro__ctx_switch's final `ret` pops the resume address, rsp is
	 * top - 8 - 8... we want goro__ctx_start to begin with rsp % 16 == 0 so
	 * that its `call` gives the entry function the ABI's rsp % 16 == 8.
	 * Leave one zero word above as a fake return address for unwinders.
	 */
	uintptr_t t = (uintptr_t)top & ~(uintptr_t)15;
	uint64_t *sp = (uint64_t *)(t - 16); /* sp after ret: 16-aligned */
	sp[0] = 0;                           /* fake caller pc */
	sp[1] = 0;
	sp -= 8;
	uint32_t ctl[2] = { MXCSR_DEFAULT, X87CW_DEFAULT };
	memcpy(&sp[0], ctl, sizeof ctl);
	sp[1] = 0;                     /* r15 */
	sp[2] = 0;                     /* r14 */
	sp[3] = (uint64_t)arg;         /* r13 */
	sp[4] = (uint64_t)entry;       /* r12 */
	sp[5] = 0;                     /* rbx */
	sp[6] = 0;                     /* rbp */
	sp[7] = (uint64_t)goro__ctx_start;
	return sp;
}

void goro__ctx_regs(const void *sp, struct goro_regs *out)
{
	const uint64_t *f = sp;
	out->r15 = f[1];
	out->r14 = f[2];
	out->r13 = f[3];
	out->r12 = f[4];
	out->rbx = f[5];
	out->rbp = f[6];
	out->rip = f[7];
	out->rsp = (uintptr_t)sp + GORO_CTX_FRAME_SIZE;
}

void goro__ctx_reg_slots(const void *sp, uintptr_t slots[6])
{
	const uint64_t *f = sp;
	slots[GORO_CFI_R15] = (uintptr_t)&f[1];
	slots[GORO_CFI_R14] = (uintptr_t)&f[2];
	slots[GORO_CFI_R13] = (uintptr_t)&f[3];
	slots[GORO_CFI_R12] = (uintptr_t)&f[4];
	slots[GORO_CFI_RBX] = (uintptr_t)&f[5];
	slots[GORO_CFI_RBP] = (uintptr_t)&f[6];
}

uintptr_t goro__ctx_pc_slot(const void *sp)
{
	return (uintptr_t)&((const uint64_t *)sp)[7];
}
