/*
 * guard.h — guard pages under goroutine stacks.
 *
 * Two kinds.  Linux 6.13's guard regions (MADV_GUARD_INSTALL) mark a page
 * in the page table: it faults like PROT_NONE but splits no mapping, so it
 * costs no vm.max_map_count entry and every stack can have one; a new
 * slab's guards are installed in one process_madvise call.  On older
 * kernels an mprotect'ed page splits its mapping in three, so those are
 * handed out from a budget of (max_map_count - 30000) / 2.
 * GORO_STACK_GUARDS=N bounds both kinds (0: none; tests use it to reach
 * the canary path); GORO_STACK_GUARD_REGIONS=0 uses mprotect guards only,
 * as an older kernel would.
 */
#ifndef GORO_GUARD_H
#define GORO_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

GORO_HIDDEN void goro__guard_init(size_t page_size);
/* Guards the page at `page`; true if it is guarded now. */
GORO_HIDDEN bool goro__guard_page(char *page);
/* Guards the first page of each of the n stacks of `size` bytes from
 * `slab` in one call; false (nothing guarded) if that is not possible,
 * and the caller guards stack by stack. */
GORO_HIDDEN bool goro__guard_slab(char *slab, size_t size, int n);

#endif /* GORO_GUARD_H */
