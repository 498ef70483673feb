/*
 * once.c — sync.Once: the fast path is one load; the slow path serialises
 * on the Once's mutex so a second caller waits until fn has returned.
 *
 * If fn ends its goroutine with goro_exit, the Once still counts as done
 * and its mutex is released (Go's doSlow defers both), so later calls
 * return at once instead of deadlocking.
 */
#include "sched/sched.h"

static void finish(void *p)
{
	goro_once *o = p;
	__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
	goro_mutex_unlock(&o->m);
}

GORO_API void goro_once_do(goro_once *o, goro_fn fn, void *arg)
{
	if (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE))
		return;
	goro_mutex_lock(&o->m);
	if (o->done) {
		goro_mutex_unlock(&o->m);
		return;
	}
	struct goro_g *g = goro__getg();
	struct goro_exit_hook h = { .fn = finish, .arg = o };
	goro__exit_hook_push(g, &h);
	fn(arg);
	goro__exit_hook_pop(g, &h);
	finish(o);
}
