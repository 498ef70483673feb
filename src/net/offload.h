/*
 * offload.h — what the leak detector needs of goro_offload's helper
 * threads (offload.c): their stacks are goro's (owned), and only their
 * live parts are roots.
 */
#ifndef GORO_OFFLOAD_H
#define GORO_OFFLOAD_H

#include <stdint.h>

#include "internal.h"

/* Calls root(lo, hi, arg) for every live part of a helper stack: the
 * thread's outermost frames and TLS always, a job's frames from the sp at
 * the stop while it runs.  World stopped (takes no lock). */
GORO_HIDDEN void goro__offload_roots(void (*root)(uintptr_t lo, uintptr_t hi, void *arg),
                                     void *arg);

#endif /* GORO_OFFLOAD_H */
