/*
 * pollfd.c — the fd table and the life of an fd under goro: init, the
 * references operations hold, goro_fd_close (see pollfd.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net/pollfd.h"
#include "runtime/owned.h"
#include "sched/sched.h"

/* 1024 chunks of 1024 records: fds below 2^20 (Linux's default nr_open). */
enum { CHUNK_BITS = 10, CHUNK_SIZE = 1 << CHUNK_BITS, NCHUNKS = 1024 };

/*
 * Chunks are goro-owned memory (waiter links point into goroutine stacks,
 * which the leak detector must not take for user references), created
 * under chunk_lock and never freed.  Readers load the pointer with acquire.
 */
static _Atomic(struct goro_pollfd *) chunks[NCHUNKS] GORO_RT_STATE;
static goro_spinlock chunk_lock;

static struct goro_pollfd *lookup(int fd, bool create)
{
	if (fd < 0 || fd >= CHUNK_SIZE * NCHUNKS)
		return NULL;
	_Atomic(struct goro_pollfd *) *slot = &chunks[fd >> CHUNK_BITS];
	struct goro_pollfd *chunk = atomic_load_explicit(slot, memory_order_acquire);
	if (!chunk && create) {
		goro__spin_lock(&chunk_lock);
		chunk = atomic_load_explicit(slot, memory_order_relaxed);
		if (!chunk) {
			/* Anonymous memory is zeroed: every record starts unopened. */
			chunk = goro__owned_map(CHUNK_SIZE * sizeof *chunk);
			atomic_store_explicit(slot, chunk, memory_order_release);
		}
		goro__spin_unlock(&chunk_lock);
	}
	return chunk ? &chunk[fd & (CHUNK_SIZE - 1)] : NULL;
}

struct goro_pollfd *goro__pollfd_peek(int fd)
{
	return lookup(fd, false);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

/* A new life for the record (pd locked): stale events and registrations
 * of the previous one no longer count.  Returns the waiters to retry. */
static struct goro_waiter *restart_locked(struct goro_pollfd *pd)
{
	pd->seq++;
	pd->open = true;
	pd->ready[POLL_READ] = pd->ready[POLL_WRITE] = false;
	atomic_store_explicit(&pd->sock, POLLFD_SOCK_UNKNOWN, memory_order_relaxed);
	memset(pd->reg, 0, sizeof pd->reg);
	return goro__pollfd_take_all_locked(pd);
}

int goro__pollfd_init(int fd)
{
	struct goro_pollfd *pd = lookup(fd, true);
	if (!pd) {
		errno = fd < 0 ? EBADF : EMFILE;
		return -1;
	}
	if (set_nonblock(fd) < 0)
		return -1;
	goro__spin_lock(&pd->lock);
	if (pd->closing) { /* goro_fd_close got there first */
		goro__spin_unlock(&pd->lock);
		errno = EBADF;
		return -1;
	}
	uint64_t reg[POLLFD_REG_WORDS];
	memcpy(reg, pd->reg, sizeof reg);
	/* Waiters of an fd re-initialised under them retry and register again
	 * under the new seq (they would never hear the old one's events). */
	struct goro_waiter *retry = restart_locked(pd);
	goro__spin_unlock(&pd->lock);
	goro__pollfd_unregister(fd, reg);
	goro__pollfd_wake_list(retry, POLL_RETRY);
	return 0;
}

GORO_API int goro_fd_init(int fd)
{
	goro__ensure_init();
	return goro__pollfd_init(fd);
}

struct goro_pollfd *goro__pollfd_acquire(int fd)
{
	goro__ensure_init(); /* the netpoller's per-worker state */
	struct goro_pollfd *pd = lookup(fd, true);
	if (!pd) {
		errno = EBADF;
		return NULL;
	}
	goro__spin_lock(&pd->lock);
	bool fresh = !pd->open;
	if (pd->closing) {
		goro__spin_unlock(&pd->lock);
		errno = EBADF;
		return NULL;
	}
	pd->refs++;
	goro__spin_unlock(&pd->lock);
	if (likely(!fresh))
		return pd;
	/* First use: non-blocking, then a clean record (no waiter can exist,
	 * so restart_locked has nobody to wake). */
	if (set_nonblock(fd) < 0) {
		int e = errno;
		goro__pollfd_release(pd, fd);
		errno = e;
		return NULL;
	}
	goro__spin_lock(&pd->lock);
	if (!pd->open && !pd->closing)
		restart_locked(pd);
	goro__spin_unlock(&pd->lock);
	return pd;
}

void goro__pollfd_release(struct goro_pollfd *pd, int fd)
{
	goro__spin_lock(&pd->lock);
	bool do_close = --pd->refs == 0 && pd->closing;
	if (do_close) {
		/* Reusable from here: the number is recycled only after close(2). */
		pd->closing = false;
		pd->open = false;
	}
	goro__spin_unlock(&pd->lock);
	if (do_close) {
		int e = errno; /* the operation's result stays visible */
		close(fd);
		errno = e;
	}
}

GORO_API int goro_fd_close(int fd)
{
	goro__ensure_init();
	struct goro_pollfd *pd = lookup(fd, false);
	if (!pd)
		return close(fd);
	goro__spin_lock(&pd->lock);
	if (pd->closing) {
		goro__spin_unlock(&pd->lock);
		errno = EBADF;
		return -1;
	}
	if (!pd->open) { /* never used by goro I/O */
		goro__spin_unlock(&pd->lock);
		return close(fd);
	}
	pd->closing = true;
	pd->seq++;
	uint64_t reg[POLLFD_REG_WORDS];
	memcpy(reg, pd->reg, sizeof reg);
	memset(pd->reg, 0, sizeof pd->reg);
	struct goro_waiter *woken = goro__pollfd_take_all_locked(pd);
	bool now = pd->refs == 0;
	if (now) {
		pd->closing = false;
		pd->open = false;
	}
	goro__spin_unlock(&pd->lock);
	/* Before close(2): a dup of fd elsewhere would keep it registered. */
	goro__pollfd_unregister(fd, reg);
	goro__pollfd_wake_list(woken, POLL_CLOSED);
	/* Otherwise the last operation in progress closes it (they were just
	 * woken, or are in a non-blocking system call). */
	return now ? close(fd) : 0;
}

void goro__pollfd_unregister(int fd, const uint64_t *reg)
{
	for (int i = 0; i < POLLFD_REG_WORDS; i++) {
		for (uint64_t bits = reg[i]; bits; bits &= bits - 1) {
			int id = i * 64 + __builtin_ctzll(bits);
			if (id < goro__sched.nworkers)
				/* ENOENT/EBADF: already gone (closed), as wanted. */
				(void)epoll_ctl(goro__sched.workers[id].epfd, EPOLL_CTL_DEL, fd,
				                NULL);
		}
	}
}
