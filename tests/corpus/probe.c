/*
 * probe.c — spin-waits on states visible through goro's try-calls.
 */
#include "probe.h"

/* A hang guard: the states probed are reached within a few yields. */
#define CORPUS_PROBE_LIMIT (5 * GORO_SECOND)

static bool spin_until(bool (*ready)(void *obj, size_t n), void *obj, size_t n)
{
	const int64_t deadline = goro_now() + CORPUS_PROBE_LIMIT;
	while (!ready(obj, n)) {
		if (goro_now() >= deadline)
			return false;
		goro_yield();
	}
	return true;
}

static bool mutex_held(void *obj, size_t unused)
{
	(void)unused;
	if (!goro_mutex_trylock(obj))
		return true;
	goro_mutex_unlock(obj);
	return false;
}

static bool rwmutex_held(void *obj, size_t unused)
{
	(void)unused;
	if (!goro_rwmutex_trylock(obj))
		return true;
	goro_rwmutex_unlock(obj);
	return false;
}

static bool writer_pending(void *obj, size_t unused)
{
	(void)unused;
	if (!goro_rwmutex_tryrlock(obj))
		return true;
	goro_rwmutex_runlock(obj);
	return false;
}

static bool chan_len_at_least(void *obj, size_t n)
{
	return goro_chan_len(obj) >= n;
}

bool corpus_wait_mutex_held(goro_mutex *m)
{
	return spin_until(mutex_held, m, 0);
}

bool corpus_wait_rwmutex_held(goro_rwmutex *rw)
{
	return spin_until(rwmutex_held, rw, 0);
}

bool corpus_wait_writer_pending(goro_rwmutex *rw)
{
	return spin_until(writer_pending, rw, 0);
}

bool corpus_wait_chan_len(goro_chan *c, size_t n)
{
	return spin_until(chan_len_at_least, c, n);
}
