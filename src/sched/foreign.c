/*
 * foreign.c — threads that are not goro workers calling into goro.
 *
 * Such a thread gets a goroutine record of its own on first use (id from
 * the same sequence).  It can start goroutines and use every call; when a
 * call must wait, the whole thread sleeps on a futex in its record instead
 * of switching stacks — like a cgo thread calling into Go.  Foreign threads
 * are not listed among goroutines (their stacks are ordinary thread stacks,
 * scanned as roots by the leak profile).
 *
 * While a foreign thread exists and is not parked in goro it could wake
 * anyone, so the global deadlock check stays off (sched.nforeign).
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sched/sched_internal.h"

GORO_TLS struct goro_g *goro__tls_foreign_g;

static pthread_key_t foreign_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void foreign_thread_exit(void *p)
{
	struct goro_g *g = p;
	atomic_fetch_sub(&goro__sched.nforeign, 1);
	goro__tls_foreign_g = NULL;
	free(g);
}

static void make_key(void)
{
	pthread_key_create(&foreign_key, foreign_thread_exit);
}

struct goro_g *goro__foreign_g(void)
{
	struct goro_g *g = goro__tls_foreign_g;
	if (likely(g != NULL))
		return g;
	goro__ensure_init();
	pthread_once(&key_once, make_key);
	g = calloc(1, sizeof *g);
	if (!g)
		goro__throw("goro: out of memory registering a foreign thread");
	g->foreign = true;
	g->started = true;
	g->id = atomic_fetch_add(&goro__sched.next_id, 1);
	atomic_store(&g->state, G_RUNNING);
	goro__tls_foreign_g = g;
	pthread_setspecific(foreign_key, g);
	atomic_fetch_add(&goro__sched.nforeign, 1);
	return g;
}

static long futex(atomic_uint *addr, int op, unsigned val)
{
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

GORO_HIDDEN void goro__check_deadlock_locked(void);

/*
 * Parked, this thread cannot wake anybody: it is part of a deadlock, so it
 * stops counting in nforeign.  The waker counts it again *before* waking it
 * (goro__foreign_wake), so there is no moment where a thread about to run
 * is counted nowhere.  Every park is matched by exactly one wake.
 */
void goro__foreign_park(struct goro_g *g)
{
	if (atomic_fetch_sub(&goro__sched.nforeign, 1) == 1) {
		/* The last thread that could wake anyone: maybe it is over. */
		pthread_mutex_lock(&goro__sched.lock);
		if (goro__sched.nidle == goro__sched.nworkers)
			goro__check_deadlock_locked();
		pthread_mutex_unlock(&goro__sched.lock);
	}
	while (atomic_exchange(&g->foreign_wake, 0) == 0)
		futex(&g->foreign_wake, FUTEX_WAIT_PRIVATE, 0);
	atomic_store(&g->state, G_RUNNING);
	__atomic_store_n(&g->wait_reason, (uint8_t)WR_NONE, __ATOMIC_RELAXED);
}

void goro__foreign_wake(struct goro_g *g)
{
	atomic_fetch_add(&goro__sched.nforeign, 1);
	atomic_store(&g->foreign_wake, 1);
	futex(&g->foreign_wake, FUTEX_WAKE_PRIVATE, 1);
}
