/*
 * dwfl_session.h — the process's one libdw session (modules, symbols,
 * DWARF line tables and CFI), shared by the symbolizer and the CFI rules.
 *
 * Dwfl is not thread-safe: every call below, and every use of what they
 * return, happens between goro__dwfl_lock() and goro__dwfl_unlock().  The
 * users' own caches live under the same lock.
 */
#ifndef GORO_TRACE_DWFL_SESSION_H
#define GORO_TRACE_DWFL_SESSION_H

#include <elfutils/libdwfl.h>
#include <stdint.h>

#include "trace/trace.h"

GORO_HIDDEN void goro__dwfl_lock(void);
GORO_HIDDEN void goro__dwfl_unlock(void);

/*
 * The module mapped at pc, or NULL.  Modules are reported from
 * /proc/self/maps on first use and again when pc falls in none of them
 * (code dlopen'd since).
 */
GORO_HIDDEN Dwfl_Module *goro__dwfl_module(uintptr_t pc);

/*
 * Runs fn(arg) on the session's own 1 MiB stack.  libdw needs deep stacks
 * (reading a line table takes ~150 KiB) and goroutines run on 64 KiB ones:
 * every libdw call that may parse something goes through here.  One stack
 * suffices because the session lock is held around each use.
 */
GORO_HIDDEN void goro__dwfl_call(void (*fn)(void *), void *arg);

#endif /* GORO_TRACE_DWFL_SESSION_H */
