/*
 * ehframe.h — call-frame rules read straight from .eh_frame, with no
 * allocation, no lock and no libdw: what the leak detector's stack walk
 * needs while the world is stopped or inside its snapshot process (a
 * stopped thread may hold malloc's or libdw's lock there).
 *
 * Each module's .eh_frame_hdr search table (sorted by function start) is
 * binary-searched for the FDE covering a pc, and the CIE's and FDE's CFA
 * programs are interpreted up to that pc.  The answer has the shape of
 * trace/cfi.h's rule (the rules nearly every frame uses); anything else
 * (expressions, signal frames, no FDE) is GORO_CFI_OTHER.
 *
 * The module list is taken with dl_iterate_phdr by goro__ehframe_refresh,
 * which must run before the stop (the loader's lock); lookups only read it.
 */
#ifndef GORO_TRACE_EHFRAME_H
#define GORO_TRACE_EHFRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include "trace/cfi.h"

/* Re-reads the list of loaded modules (outside any stop). */
GORO_HIDDEN void goro__ehframe_refresh(void);

/*
 * The rule in force at pc (for a return address pass the call's pc - 1)
 * and the bounds of the FDE covering it (one function, or one of its
 * parts: gcc's .cold sections have FDEs of their own).  False when no
 * FDE covers pc; then *rule is GORO_CFI_OTHER.
 */
GORO_HIDDEN bool goro__ehframe_rule(uintptr_t pc, struct goro_cfi_rule *rule,
                                    uintptr_t *fde_lo, uintptr_t *fde_hi);

/* True when pc lies in an executable segment of a loaded module. */
GORO_HIDDEN bool goro__ehframe_is_code(uintptr_t pc);

#endif /* GORO_TRACE_EHFRAME_H */
