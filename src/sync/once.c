/*
 * once.c — sync.Once: the fast path is one load; the slow path serialises
 * on the Once's mutex so a second caller waits until fn has returned.
 */
#include "sched/sched.h"

GORO_API void goro_once_do(goro_once *o, goro_fn fn, void *arg)
{
	if (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE))
		return;
	goro_mutex_lock(&o->m);
	if (!o->done) {
		fn(arg);
		__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
	}
	goro_mutex_unlock(&o->m);
}
