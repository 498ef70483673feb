/*
 * owned.h — the memory goro owns and the leak detector must not treat as
 * user roots: goroutine stack slabs, scheduler stacks, worker records,
 * the detector's own buffers.  Each subsystem registers its mappings here
 * when it makes them and removes them before unmapping them; the root
 * scanner subtracts them from the process's writable mappings.  Read only
 * while the world is stopped (changes are made inside a runtime critical
 * section, which no stopped thread is in).
 */
#ifndef GORO_OWNED_H
#define GORO_OWNED_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* What a range is; stacks are also looked up by address (goro__owned_stack). */
enum goro_owned_kind {
	OWNED_OTHER = 0,
	OWNED_STACK_SLAB, /* stacks of `stack_size` bytes from lo */
};

struct goro_owned {
	uintptr_t lo, hi;
	int kind;
	size_t stack_size;
};

GORO_HIDDEN void goro__owned_add(void *lo, size_t len, int kind, size_t stack_size);
/* Before munmap(lo, len): the range added as exactly [lo, lo + len). */
GORO_HIDDEN void goro__owned_remove(void *lo, size_t len);
/* Snapshot: *n entries (valid for reading while the world is stopped). */
GORO_HIDDEN const struct goro_owned *goro__owned_all(size_t *n);
/* The stack slab entry containing addr, or NULL (a hash lookup; entries
 * of kind OWNED_STACK_SLAB are kept in a separate sorted index and a chunk
 * directory, both built by goro__owned_index_stacks while the world is
 * stopped). */
GORO_HIDDEN void goro__owned_index_stacks(void);
GORO_HIDDEN const struct goro_owned *goro__owned_stack(uintptr_t addr);

/* Anonymous memory for the runtime itself: mmap'd and registered. */
GORO_HIDDEN void *goro__owned_map(size_t len);

/* The section holding goro's globals that point at goroutine records,
 * stacks or waiters: excluded from the roots like the ranges above. */
#define GORO_RT_STATE __attribute__((section("goro_rt_state")))

#endif /* GORO_OWNED_H */
