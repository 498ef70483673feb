/*
 * dwfl_session.c — one Dwfl for the whole process, opened lazily.
 *
 * Modules keep their loaded symbol tables, DWARF and CFI across re-reports
 * (dwfl_report_begin keeps a module reported again at the same place), so
 * each module is parsed once per process.
 *
 * Locking: `mu` guards `dwfl` and everything reached through it.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/owned.h"
#include "trace/dwfl_session.h"

enum { BIG_STACK = 1 << 20, GUARD = 1 << 16 };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static Dwfl *dwfl;       /* NULL until first use */
static char *big_stack;  /* BIG_STACK bytes above a guard, or NULL */

/* In call_on_stack_x86_64.S. */
GORO_HIDDEN void goro__call_on_stack(void *top, void (*fn)(void *),
                                     void *arg);

/*
 * Separate debug files are looked up by build id only (the local
 * /usr/lib/debug/.build-id tree, where Debian's -dbg packages put them).
 * dwfl_standard_find_debuginfo would also ask a debuginfod server when
 * DEBUGINFOD_URLS is set (Debian sets it in login shells): a network round
 * trip inside a goroutine dump is not acceptable.
 */
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_build_id_find_debuginfo,
};

void goro__dwfl_lock(void)
{
	pthread_mutex_lock(&mu);
}

void goro__dwfl_unlock(void)
{
	pthread_mutex_unlock(&mu);
}

/* (Re)reads /proc/self/maps; true on success. */
static bool report_modules(void)
{
	dwfl_report_begin(dwfl);
	int rc = dwfl_linux_proc_report(dwfl, getpid());
	return dwfl_report_end(dwfl, NULL, NULL) == 0 && rc == 0;
}

Dwfl_Module *goro__dwfl_module(uintptr_t pc)
{
	if (dwfl == NULL) {
		dwfl = dwfl_begin(&callbacks);
		if (dwfl == NULL)
			return NULL;
		report_modules();
	}
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, pc);
	if (mod == NULL && report_modules())
		mod = dwfl_addrmodule(dwfl, pc);
	return mod;
}

/* Maps the big stack with an inaccessible guard below it; NULL on error. */
static char *map_big_stack(void)
{
	char *p = mmap(NULL, GUARD + BIG_STACK, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, GUARD, PROT_NONE) != 0) {
		munmap(p, GUARD + BIG_STACK);
		return NULL;
	}
	/* Runtime memory: its stale frames are no user roots. */
	goro__owned_add(p, GUARD + BIG_STACK, OWNED_OTHER, 0);
	return p + GUARD;
}

void goro__dwfl_call(void (*fn)(void *), void *arg)
{
	if (big_stack == NULL)
		big_stack = map_big_stack();
	if (big_stack == NULL) {
		fn(arg); /* no memory for it: try on the caller's stack */
		return;
	}
	goro__call_on_stack(big_stack + BIG_STACK, fn, arg);
}
