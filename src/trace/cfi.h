/*
 * cfi.h — memoised call-frame rules: how to find a frame's caller.
 *
 * Unwinding 100,000 goroutines parked at a handful of pcs asks the same
 * question for the same pcs over and over.  libunwind answers it with a
 * cache guarded by a signal-masking lock (two system calls per frame); this
 * cache answers it with a hash probe.  Only the rules that make up nearly
 * every x86-64 frame are represented; anything else is GORO_CFI_OTHER and
 * goes to libunwind.
 */
#ifndef GORO_TRACE_CFI_H
#define GORO_TRACE_CFI_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/trace.h"

enum goro_cfi_kind {
	GORO_CFI_STEP,  /* the caller is found with the offsets below */
	GORO_CFI_END,   /* return address undefined: the stack's first frame */
	GORO_CFI_OTHER, /* no CFI, an expression, a signal frame...: libunwind */
};

/* Callee-saved registers the unwinder carries from frame to frame. */
enum {
	GORO_CFI_RBP,
	GORO_CFI_RBX,
	GORO_CFI_R12,
	GORO_CFI_R13,
	GORO_CFI_R14,
	GORO_CFI_R15,
	GORO_CFI_NSAVED
};

/*
 * For kind STEP: CFA = (cfa_from_rbp ? rbp : rsp) + cfa_off; the caller's
 * rsp is the CFA, its pc is loaded from CFA + ra_off, and its saved[i]
 * register from CFA + saved[i] (0: this frame left it unchanged; no x86-64
 * frame saves a register at CFA + 0, where the caller's stack begins).
 */
struct goro_cfi_rule {
	uint8_t kind;
	bool cfa_from_rbp;
	int32_t cfa_off;
	int32_t ra_off;
	int32_t saved[GORO_CFI_NSAVED];
};

/*
 * The rule in force at pc (for a return address, pass the call's pc-1).
 * Memoised forever; thread-safe (takes the Dwfl session lock).
 */
GORO_HIDDEN void goro__cfi_rule(uintptr_t pc, struct goro_cfi_rule *out);

#endif /* GORO_TRACE_CFI_H */
