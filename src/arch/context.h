/*
 * context.h — the architecture layer: switching between stacks.
 *
 * A parked context is nothing but a stack pointer: goro__ctx_switch pushes
 * the callee-saved registers (and the FP control words) on the old stack,
 * stores the stack pointer, loads the new one and pops the same frame.
 * Everything the leak detector and the unwinder need is therefore on the
 * parked goroutine's own stack, at the saved stack pointer (see
 * goro__ctx_regs).  One implementation per architecture: switch_<arch>.S.
 */
#ifndef GORO_ARCH_CONTEXT_H
#define GORO_ARCH_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

#define GORO_HIDDEN_ARCH __attribute__((visibility("hidden")))

/* Saves the current context's sp in *save_sp and resumes the context whose
 * sp is new_sp. Returns when something switches back to *save_sp. */
GORO_HIDDEN_ARCH void goro__ctx_switch(void **save_sp, void *new_sp);

/*
 * Builds the initial frame of a new context on the stack whose highest
 * usable address is top (16-byte aligned).  The first switch to the
 * returned sp calls entry(arg) on that stack; entry must never return.
 */
GORO_HIDDEN_ARCH void *goro__ctx_init(void *top, void (*entry)(void *), void *arg);

/* The registers a parked context saved, read from its stack. */
GORO_HIDDEN_ARCH void goro__ctx_regs(const void *sp, struct goro_regs *out);

/* Where a parked context saved each callee-saved register (GORO_CFI_*
 * order, trace/cfi.h): the leak detector decides each slot's liveness by
 * the frames that own the values. */
GORO_HIDDEN_ARCH void goro__ctx_reg_slots(const void *sp, uintptr_t slots[6]);
/* Where a parked context keeps its resume pc. */
GORO_HIDDEN_ARCH uintptr_t goro__ctx_pc_slot(const void *sp);

/* The caller's registers at the call: resume pc, sp after the return,
 * callee-saved registers (capture_<arch>.S). */
GORO_HIDDEN_ARCH void goro__arch_capture_regs(struct goro_regs *r);

/* The stack pointer of the context a signal interrupted (the handler's
 * ucontext_t argument). */
GORO_HIDDEN_ARCH uintptr_t goro__ucontext_sp(const void *uc);
/* ... and its program counter. */
GORO_HIDDEN_ARCH uintptr_t goro__ucontext_pc(const void *uc);

/*
 * Makes the interrupted context, when the signal handler returns, call
 * fn() as if the faulting instruction had called it (Go's sigpanic
 * injection): fn's return address is the faulting pc, so unwinding from fn
 * shows the faulting frame.  When the fault was a jump to an unmapped
 * address (pc == addr: a call through a NULL function pointer), the
 * caller's return address is already at the stack pointer and is used.
 * fn must never return.  Returns the interrupted pc.
 */
GORO_HIDDEN_ARCH uintptr_t goro__ucontext_inject_call(void *uc, uintptr_t fault_addr,
                                                      void (*fn)(void));

/* Size of the frame goro__ctx_switch leaves at a parked sp. */
#define GORO_CTX_FRAME_SIZE 64

#endif /* GORO_ARCH_CONTEXT_H */
