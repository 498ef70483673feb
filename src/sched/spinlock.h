/*
 * spinlock.h — the runtime's short-critical-section lock.
 *
 * Used for channels, wait queues, run queues and timer heaps: sections of a
 * few dozen instructions that never block or park while held.  A
 * zero-initialised lock is unlocked.  After a burst of spinning the waiter
 * yields the CPU, so a preempted holder on an oversubscribed machine does
 * not make others burn their time slice.
 *
 * Holding one is a runtime critical section: a stop-the-world signal that
 * arrives meanwhile takes effect at the unlock (stw.h), so a stopped thread
 * never holds a runtime lock.
 */
#ifndef GORO_SPINLOCK_H
#define GORO_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "runtime/stw.h"

typedef struct goro_spinlock {
	atomic_uint v;
} goro_spinlock;

static inline void goro__cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#endif
}

static inline bool goro__spin_acquire(goro_spinlock *l)
{
	return atomic_exchange_explicit(&l->v, 1, memory_order_acquire) == 0;
}

static inline bool goro__spin_trylock(goro_spinlock *l)
{
	goro__critical_enter();
	if (goro__spin_acquire(l))
		return true;
	goro__critical_exit();
	return false;
}

static inline void goro__spin_lock(goro_spinlock *l)
{
	goro__critical_enter();
	for (;;) {
		if (goro__spin_acquire(l))
			return;
		for (int spins = 0; atomic_load_explicit(&l->v, memory_order_relaxed);) {
			if (++spins < 128)
				goro__cpu_relax();
			else {
				sched_yield();
				spins = 0;
			}
		}
	}
}

static inline void goro__spin_unlock(goro_spinlock *l)
{
	atomic_store_explicit(&l->v, 0, memory_order_release);
	goro__critical_exit();
}

#endif /* GORO_SPINLOCK_H */
