/*
 * pool.c — sync.Pool: a cache of interchangeable objects, per worker.
 *
 * Go's design: each P has a private slot and a shared deque; Put fills the
 * private slot first, then pushes onto its shared deque's head; Get takes
 * the private slot, then its own deque's head, then steals from the tail of
 * the other Ps' deques, then calls New.  Here the workers play the Ps.  A
 * goroutine runs on one worker and is never preempted between two
 * instructions of Get or Put (scheduling is cooperative and neither
 * blocks), so the private slot needs no lock: only its worker's thread
 * touches it.  Each shared deque has a spinlock (its owner and thieves).
 * A foreign thread (no worker) uses worker 0's shared deque only.
 *
 * Go drops a Pool's contents at every garbage collection; C has no
 * collector to free what is dropped, so a goro_pool keeps what was Put
 * until it is gotten again or goro_pool_destroy hands it back.
 *
 * Memory: the per-worker caches and the deques are tracked-heap blocks of
 * the USER kind, so the goroutineleak profile scans them: a channel or
 * mutex inside a pooled object stays reachable while the Pool holds it.
 *
 * Lock order: a deque's lock is a leaf (nothing is taken while it is held;
 * growing allocates with it released).
 */
#include <string.h>

#include "heap/heap.h"
#include "sched/sched.h"
#include "sched/spinlock.h"

struct pool_deque {
	goro_spinlock lock;
	uint32_t head, tail; /* items live in [tail, head), indices mod cap */
	uint32_t cap;        /* a power of two, or 0 */
	void **buf;          /* USER block of cap pointers */
};

/* One cache line each: workers never share one. */
struct pool_local {
	_Alignas(64) void *private_; /* its worker only */
	struct pool_deque shared;
};

struct pool_locals {
	int n;
	struct pool_local local[];
};

static struct pool_locals *pool_locals(goro_pool *p)
{
	if (!p)
		goro_panic("runtime error: invalid memory address or nil pointer dereference "
		           "(goro_pool_get/put on a NULL pool)");
	struct pool_locals *l = __atomic_load_n((struct pool_locals **)&p->locals_,
	                                        __ATOMIC_ACQUIRE);
	if (likely(l != NULL))
		return l;
	goro__ensure_init();
	int n = goro__sched.nworkers > 0 ? goro__sched.nworkers : 1;
	size_t size = sizeof *l + (size_t)n * sizeof l->local[0];
	l = goro__heap_alloc_aligned(64, size, GORO_HEAP_USER); /* the locals' lines */
	if (!l)
		goro_panic("goro_pool: out of memory");
	memset(l, 0, size);
	l->n = n;
	struct pool_locals *expect = NULL;
	if (!__atomic_compare_exchange_n((struct pool_locals **)&p->locals_, &expect, l, false,
	                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		goro_free(l); /* another caller made them first */
		l = expect;
	}
	return l;
}

static void deque_push_head(struct pool_deque *d, void *x)
{
	for (;;) {
		goro__spin_lock(&d->lock);
		if (d->head - d->tail < d->cap) {
			d->buf[d->head++ & (d->cap - 1)] = x;
			goro__spin_unlock(&d->lock);
			return;
		}
		uint32_t cap = d->cap;
		goro__spin_unlock(&d->lock);
		/* Full: grow with the lock released (allocation may take time). */
		uint32_t ncap = cap ? cap * 2 : 8;
		void **nbuf = goro__heap_alloc_kind(ncap * sizeof *nbuf, GORO_HEAP_USER, true);
		if (!nbuf)
			goro_panic("goro_pool: out of memory");
		goro__spin_lock(&d->lock);
		void **old = NULL;
		if (d->cap == cap) {
			uint32_t n = d->head - d->tail;
			for (uint32_t i = 0; i < n; i++)
				nbuf[i] = d->buf[(d->tail + i) & (cap - 1)];
			old = d->buf;
			d->buf = nbuf;
			d->cap = ncap;
			d->tail = 0;
			d->head = n;
			nbuf = NULL;
		}
		goro__spin_unlock(&d->lock);
		goro_free(old);
		goro_free(nbuf); /* someone else grew it meanwhile */
	}
}

static void *deque_pop(struct pool_deque *d, bool head)
{
	if (__atomic_load_n(&d->head, __ATOMIC_RELAXED) ==
	    __atomic_load_n(&d->tail, __ATOMIC_RELAXED))
		return NULL; /* a racy peek: an empty deque costs no lock */
	void *x = NULL;
	goro__spin_lock(&d->lock);
	if (d->head != d->tail) {
		uint32_t i = head ? --d->head : d->tail++;
		x = d->buf[i & (d->cap - 1)];
		d->buf[i & (d->cap - 1)] = NULL;
	}
	goro__spin_unlock(&d->lock);
	return x;
}

GORO_API void goro_pool_put(goro_pool *p, void *x)
{
	struct pool_locals *l = pool_locals(p);
	if (!x)
		return; /* Go: Put(nil) is a no-op */
	struct goro_worker *w = goro__curw();
	if (w) {
		struct pool_local *me = &l->local[w->id % l->n];
		if (!me->private_) {
			me->private_ = x;
			return;
		}
		deque_push_head(&me->shared, x);
		return;
	}
	deque_push_head(&l->local[0].shared, x);
}

GORO_API void *goro_pool_get(goro_pool *p)
{
	struct pool_locals *l = pool_locals(p);
	struct goro_worker *w = goro__curw();
	int self = w ? w->id % l->n : 0;
	void *x = NULL;
	if (w) {
		x = l->local[self].private_;
		l->local[self].private_ = NULL;
	}
	if (!x)
		x = deque_pop(&l->local[self].shared, true);
	for (int i = 1; !x && i < l->n; i++) /* steal the others' oldest */
		x = deque_pop(&l->local[(self + i) % l->n].shared, false);
	if (!x && p->new_fn)
		x = p->new_fn(p->new_arg);
	return x;
}

GORO_API void goro_pool_destroy(goro_pool *p, void (*release)(void *x))
{
	struct pool_locals *l = __atomic_exchange_n((struct pool_locals **)&p->locals_, NULL,
	                                            __ATOMIC_ACQ_REL);
	if (!l)
		return;
	for (int i = 0; i < l->n; i++) {
		struct pool_local *me = &l->local[i];
		if (me->private_ && release)
			release(me->private_);
		void *x;
		while ((x = deque_pop(&me->shared, false)) != NULL)
			if (release)
				release(x);
		goro_free(me->shared.buf);
	}
	goro_free(l);
}
