/*
 * pollfd.h — goro's record of an fd used for goroutine-aware I/O (Go's
 * pollDesc) and parking on it.
 *
 * Records live in a table indexed by fd number, in chunks that are never
 * freed: an epoll event already fetched by some worker may name an fd that
 * another thread is closing at that moment, and type-stable memory plus a
 * generation number (seq) make such a stale event harmless instead of a
 * use-after-free (Go keeps pollDescs in a never-freed cache for the same
 * reason).
 *
 * Registration: edge-triggered (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET),
 * once per fd and worker, on the worker of the first goroutine that has to
 * wait there (`reg` bits).  A goroutine never migrates, so the epoll set it
 * must be woken from is its own worker's, and that worker polls it both
 * when idle and from its scheduler while busy.  Edge-triggered rather than
 * one-shot: no epoll_ctl per wait (one per fd and worker in its lifetime),
 * and a reader and a writer of one fd never have to merge their interests.
 * The price of edges is the `ready` token: an edge that arrives while
 * nobody waits (the goroutine is between its EAGAIN and parking) is kept,
 * and consumed by the next goroutine about to park, which retries instead.
 * Waking is "wake all waiters of the direction": each retries its system
 * call and parks again on EAGAIN, so an edge is never lost to a waiter
 * that did not need it.
 *
 * Invariants, all under `lock`:
 *   - seq changes on init and on close; epoll data carries (fd, seq), so
 *     events of an earlier life of the fd number are ignored.
 *   - closing: goro_fd_close was called.  New operations fail with EBADF,
 *     waiters are woken, nothing new registers.  The fd is closed by
 *     whoever drops `refs` to 0 (operations in progress hold a reference,
 *     so the number is never recycled under a running system call).
 *   - q[dir] holds the waiters of one direction; ready[dir] is set only
 *     when an edge found q[dir] empty.
 *
 * Lock order: a pollfd lock, then a channel lock (context Done), then
 * timer heaps and run queues.  Never park holding it.
 */
#ifndef GORO_NET_POLLFD_H
#define GORO_NET_POLLFD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/g.h"
#include "sched/spinlock.h"

enum { POLL_READ = 0, POLL_WRITE = 1 };

/* GORO_MAXPROCS is capped at 1024 workers (worker.c). */
enum { POLLFD_MAX_WORKERS = 1024, POLLFD_REG_WORDS = POLLFD_MAX_WORKERS / 64 };

struct goro_pollfd {
	goro_spinlock lock;
	uint32_t seq;
	bool open;        /* initialised, not closed since */
	bool closing;     /* goro_fd_close called; closed when refs reaches 0 */
	bool ready[2];    /* an edge nobody has taken yet (by direction) */
	int refs;         /* operations in progress */
	atomic_char sock; /* POLLFD_SOCK_*: learnt by the first write (no lock) */
	struct goro_waitq q[2];
	uint64_t reg[POLLFD_REG_WORDS]; /* workers whose epoll set has the fd */
};

/* Whether writes may use send(MSG_NOSIGNAL): a write to a socket the peer
 * closed must fail with EPIPE, not kill the program with SIGPIPE (Go
 * ignores SIGPIPE on sockets too).  Pipes keep write(2)'s behaviour. */
enum { POLLFD_SOCK_UNKNOWN = 0, POLLFD_SOCK_YES = 1, POLLFD_SOCK_NO = 2 };

/* How a wait ended (besides GORO_TIMEDOUT and context errors). */
enum {
	POLL_RETRY = 100,  /* the fd may be ready: try the system call again */
	POLL_CLOSED = 101, /* goro_fd_close was called */
	POLL_ERROR = 102,  /* registering failed: see errno */
};

/*
 * Starts an operation on fd: its record with a reference held, initialised
 * (non-blocking) on first use.  NULL with errno EBADF if fd is negative,
 * beyond the table, or being closed by goro_fd_close.
 */
GORO_HIDDEN struct goro_pollfd *goro__pollfd_acquire(int fd);
/* Ends it; closes the fd if goro_fd_close is waiting for that. */
GORO_HIDDEN void goro__pollfd_release(struct goro_pollfd *pd, int fd);
/* (Re)starts the record of a new fd: clears registrations and tokens. */
GORO_HIDDEN int goro__pollfd_init(int fd);
/* The record of fd if its chunk exists (no allocation), else NULL. */
GORO_HIDDEN struct goro_pollfd *goro__pollfd_peek(int fd);

/*
 * Waits until fd may be ready for dir (POLL_READ / POLL_WRITE) after the
 * caller's system call returned EAGAIN.  Returns POLL_RETRY (try the call
 * again), POLL_CLOSED (goro_fd_close), POLL_ERROR, GORO_TIMEDOUT (deadline; INT64_MAX
 * for none) or the context's error (ctx may be NULL).  The caller holds a
 * reference (goro__pollfd_acquire).  Works on foreign threads (poll(2)).
 */
GORO_HIDDEN int goro__pollfd_wait(struct goro_pollfd *pd, int fd, int dir, int64_t deadline,
                                  goro_ctx *ctx);

/* Wakes every waiter of both directions with POLL_CLOSED (pd locked). */
GORO_HIDDEN struct goro_waiter *goro__pollfd_take_all_locked(struct goro_pollfd *pd);
/* Wakes the waiters taken above (pd unlocked). */
GORO_HIDDEN void goro__pollfd_wake_list(struct goro_waiter *list, int why);
/* Removes fd from the epoll sets in the (copied) registration bits. */
GORO_HIDDEN void goro__pollfd_unregister(int fd, const uint64_t *reg);

/* Epoll user data for (fd, seq): never 0, which is the worker's eventfd. */
static inline uint64_t goro__pollfd_evdata(int fd, uint32_t seq)
{
	return (uint64_t)seq << 32 | (uint32_t)(fd + 1);
}

#endif /* GORO_NET_POLLFD_H */
