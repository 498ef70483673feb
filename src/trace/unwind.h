/*
 * unwind.h — the unwinder's second entry point, for cross-checking.
 */
#ifndef GORO_TRACE_UNWIND_H
#define GORO_TRACE_UNWIND_H

#include "trace/trace.h"

/*
 * goro__unwind_regs with libunwind alone, bypassing the memoised rules.
 * Same contract and results; ten times slower.  Tests compare the two.
 */
GORO_HIDDEN int goro__unwind_regs_libunwind(const struct goro_regs *regs,
                                            uintptr_t *pcs, int max,
                                            bool *truncated);

#endif /* GORO_TRACE_UNWIND_H */
