/*
 * fdio.c — read, write, readv, writev, accept and connect that park the
 * goroutine instead of the thread (goro_fd_*, see goro_net.h).
 *
 * Every operation is the same loop: try the non-blocking system call; on
 * EAGAIN wait on the fd's record (pollfd.h) and try again.  The record is
 * referenced for the whole operation, so goro_fd_close cannot recycle the
 * fd number under it.  One core per operation takes both a deadline and a
 * context; the public plain / _until / _ctx calls are thin shells.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/pollfd.h"
#include "sched/sched.h"

/* A system call to retry; arg holds its arguments. */
typedef ssize_t (*io_call)(int fd, void *arg);

/*
 * Runs call until it stops saying EAGAIN.  GORO_OK: *res is its result
 * (possibly -1 with errno); else GORO_TIMEDOUT, a context error, or
 * GORO_ERRNO (the fd was closed under us: EBADF; or it cannot be polled).
 */
static int run(struct goro_pollfd *pd, int fd, int dir, io_call call, void *arg,
               int64_t deadline, goro_ctx *ctx, ssize_t *res)
{
	for (;;) {
		ssize_t r = call(fd, arg);
		if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			*res = r;
			return GORO_OK;
		}
		if (errno == EINTR)
			continue;
		int why = goro__pollfd_wait(pd, fd, dir, deadline, ctx);
		switch (why) {
		case POLL_RETRY:
			continue;
		case POLL_CLOSED:
			errno = EBADF;
			return GORO_ERRNO;
		case POLL_ERROR:
			return GORO_ERRNO;
		default:
			return why;
		}
	}
}

/* A status for a finished call result r. */
static int status_of(int st, ssize_t r, size_t *n)
{
	if (st == GORO_OK && r < 0)
		st = GORO_ERRNO;
	if (n)
		*n = st == GORO_OK ? (size_t)r : 0;
	return st;
}

/* --- read / readv: one successful system call ------------------------- */

struct rw_args {
	void *buf;
	size_t len;
	const struct iovec *iov;
	int iovcnt;
	struct goro_pollfd *pd; /* writes: is it a socket? */
};

static ssize_t call_read(int fd, void *p)
{
	struct rw_args *a = p;
	return read(fd, a->buf, a->len);
}

static ssize_t call_readv(int fd, void *p)
{
	struct rw_args *a = p;
	return readv(fd, a->iov, a->iovcnt);
}

/*
 * Writes go out with sendmsg(MSG_NOSIGNAL) while the fd may be a socket;
 * the first ENOTSOCK switches the record to writev for good (until the fd
 * is re-initialised).  Racing writers learn the same answer: relaxed.
 */
static ssize_t send_or_writev(int fd, struct goro_pollfd *pd, const struct iovec *iov,
                              int iovcnt)
{
	if (atomic_load_explicit(&pd->sock, memory_order_relaxed) != POLLFD_SOCK_NO) {
		struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
		ssize_t r = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (r >= 0 || errno != ENOTSOCK) {
			atomic_store_explicit(&pd->sock, POLLFD_SOCK_YES, memory_order_relaxed);
			return r;
		}
		atomic_store_explicit(&pd->sock, POLLFD_SOCK_NO, memory_order_relaxed);
	}
	return iovcnt == 1 ? write(fd, iov[0].iov_base, iov[0].iov_len) : writev(fd, iov, iovcnt);
}

static ssize_t call_write(int fd, void *p)
{
	struct rw_args *a = p;
	struct iovec one = { a->buf, a->len };
	return send_or_writev(fd, a->pd, &one, 1);
}

static ssize_t call_writev(int fd, void *p)
{
	struct rw_args *a = p;
	return send_or_writev(fd, a->pd, a->iov, a->iovcnt);
}

static int read_core(int fd, io_call call, struct rw_args *a, size_t *n, int64_t deadline,
                     goro_ctx *ctx)
{
	*n = 0;
	struct goro_pollfd *pd = goro__pollfd_acquire(fd);
	if (!pd)
		return GORO_ERRNO;
	ssize_t r = -1;
	int st = run(pd, fd, POLL_READ, call, a, deadline, ctx, &r);
	goro__pollfd_release(pd, fd);
	return status_of(st, r, n);
}

/* --- write / writev: everything, like Go's Write ---------------------- */

/* write(2) returned 0 for a non-empty buffer: looping would spin. */
static int no_progress(void)
{
	errno = EIO;
	return GORO_ERRNO;
}

static int write_core(int fd, const void *buf, size_t len, size_t *n, int64_t deadline,
                      goro_ctx *ctx)
{
	*n = 0;
	struct goro_pollfd *pd = goro__pollfd_acquire(fd);
	if (!pd)
		return GORO_ERRNO;
	int st;
	do { /* at least once: a 0-byte write still reports errors */
		struct rw_args a = { .buf = (char *)buf + *n, .len = len - *n, .pd = pd };
		ssize_t r = -1;
		st = run(pd, fd, POLL_WRITE, call_write, &a, deadline, ctx, &r);
		st = status_of(st, r, NULL);
		if (st == GORO_OK && r == 0 && *n < len)
			st = no_progress();
		if (st == GORO_OK)
			*n += (size_t)r;
	} while (st == GORO_OK && *n < len);
	goro__pollfd_release(pd, fd);
	return st;
}

/*
 * writev until every byte is out.  After a partial write the caller's
 * iovec array (const) cannot be adjusted: the rest of a half-written
 * element goes out with write, the following elements with writev again.
 */
static int writev_core(int fd, const struct iovec *iov, int iovcnt, size_t *n,
                       int64_t deadline, goro_ctx *ctx)
{
	*n = 0;
	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		errno = EINVAL;
		return GORO_ERRNO;
	}
	struct goro_pollfd *pd = goro__pollfd_acquire(fd);
	if (!pd)
		return GORO_ERRNO;
	int i = 0, st = GORO_OK;
	size_t off = 0; /* bytes of iov[i] already written */
	do {
		struct rw_args a = { .iov = iov + i, .iovcnt = iovcnt - i, .pd = pd };
		io_call call = call_writev;
		if (off > 0) {
			a.buf = (char *)iov[i].iov_base + off;
			a.len = iov[i].iov_len - off;
			call = call_write;
		}
		ssize_t r = -1;
		st = run(pd, fd, POLL_WRITE, call, &a, deadline, ctx, &r);
		st = status_of(st, r, NULL);
		if (st != GORO_OK)
			break;
		*n += (size_t)r;
		size_t left = (size_t)r;
		while (i < iovcnt && left >= iov[i].iov_len - off) {
			left -= iov[i].iov_len - off;
			off = 0;
			i++;
		}
		off += left;
		if (r == 0 && i < iovcnt) {
			st = no_progress();
			break;
		}
	} while (i < iovcnt);
	goro__pollfd_release(pd, fd);
	return st;
}

/* --- accept ----------------------------------------------------------- */

struct accept_args {
	struct sockaddr *addr;
	socklen_t *addrlen;
};

static ssize_t call_accept(int fd, void *p)
{
	struct accept_args *a = p;
	for (;;) {
		int nfd = accept4(fd, a->addr, a->addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		/* A connection reset while queued: take the next one (Go does). */
		if (nfd >= 0 || errno != ECONNABORTED)
			return nfd;
	}
}

static int accept_core(int fd, struct sockaddr *addr, socklen_t *addrlen, int *newfd,
                       int64_t deadline, goro_ctx *ctx)
{
	*newfd = -1;
	struct goro_pollfd *pd = goro__pollfd_acquire(fd);
	if (!pd)
		return GORO_ERRNO;
	ssize_t r = -1;
	struct accept_args a = { addr, addrlen };
	int st = run(pd, fd, POLL_READ, call_accept, &a, deadline, ctx, &r);
	st = status_of(st, r, NULL);
	goro__pollfd_release(pd, fd);
	if (st != GORO_OK)
		return st;
	int nfd = (int)r;
	if (goro__pollfd_init(nfd) != 0) {
		int e = errno;
		close(nfd);
		errno = e;
		return GORO_ERRNO;
	}
	/* Small request/response exchanges must not wait for Nagle (Go sets
	 * it on every TCP connection); other sockets refuse it, harmlessly. */
	setsockopt(nfd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	*newfd = nfd;
	return GORO_OK;
}

/* --- connect: the EINPROGRESS dance ---------------------------------- */

/* After a write-readiness wake-up: 0 connected, 1 still in progress, or
 * -1 with errno (the connection failed). */
static int connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err == EINPROGRESS || err == EALREADY || err == EINTR)
		return 1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	/* No error yet is not "connected": a spurious wake-up (the token of
	 * an old edge) looks the same.  The peer's address tells. */
	struct sockaddr_storage ss;
	len = sizeof ss;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		return 0;
	return errno == ENOTCONN ? 1 : -1;
}

static int connect_core(int fd, const struct sockaddr *addr, socklen_t addrlen,
                        int64_t deadline, goro_ctx *ctx)
{
	/* A socket's life starts here: forget whatever an earlier fd with this
	 * number left in the record (it may have been closed with close(2)). */
	if (goro__pollfd_init(fd) != 0)
		return GORO_ERRNO;
	struct goro_pollfd *pd = goro__pollfd_acquire(fd);
	if (!pd)
		return GORO_ERRNO;
	int st = GORO_OK;
	if (connect(fd, addr, addrlen) != 0) {
		st = errno == EINPROGRESS || errno == EINTR ? POLL_RETRY : GORO_ERRNO;
		while (st == POLL_RETRY) {
			st = goro__pollfd_wait(pd, fd, POLL_WRITE, deadline, ctx);
			if (st == POLL_RETRY) {
				int c = connect_result(fd);
				st = c == 0 ? GORO_OK : c > 0 ? POLL_RETRY : GORO_ERRNO;
			} else if (st == POLL_CLOSED) {
				errno = EBADF;
				st = GORO_ERRNO;
			} else if (st == POLL_ERROR) {
				st = GORO_ERRNO;
			}
		}
	}
	int e = errno;
	goro__pollfd_release(pd, fd);
	errno = e;
	return st;
}

/* --- the public shells ------------------------------------------------ */

#define NO_DEADLINE INT64_MAX

static ssize_t plain(int st, size_t n)
{
	return st == GORO_OK ? (ssize_t)n : -1;
}

GORO_API ssize_t goro_fd_read(int fd, void *buf, size_t len)
{
	size_t n = 0;
	struct rw_args a = { .buf = buf, .len = len };
	int st = read_core(fd, call_read, &a, &n, NO_DEADLINE, NULL);
	return plain(st, n);
}

GORO_API int goro_fd_read_until(int fd, void *buf, size_t len, size_t *n, int64_t deadline)
{
	struct rw_args a = { .buf = buf, .len = len };
	return read_core(fd, call_read, &a, n, deadline, NULL);
}

GORO_API int goro_fd_read_ctx(int fd, void *buf, size_t len, size_t *n, goro_ctx *ctx)
{
	struct rw_args a = { .buf = buf, .len = len };
	return read_core(fd, call_read, &a, n, NO_DEADLINE, ctx);
}

GORO_API ssize_t goro_fd_readv(int fd, const struct iovec *iov, int iovcnt)
{
	size_t n = 0;
	struct rw_args a = { .iov = iov, .iovcnt = iovcnt };
	int st = read_core(fd, call_readv, &a, &n, NO_DEADLINE, NULL);
	return plain(st, n);
}

GORO_API int goro_fd_readv_until(int fd, const struct iovec *iov, int iovcnt, size_t *n,
                                 int64_t deadline)
{
	struct rw_args a = { .iov = iov, .iovcnt = iovcnt };
	return read_core(fd, call_readv, &a, n, deadline, NULL);
}

GORO_API int goro_fd_readv_ctx(int fd, const struct iovec *iov, int iovcnt, size_t *n,
                               goro_ctx *ctx)
{
	struct rw_args a = { .iov = iov, .iovcnt = iovcnt };
	return read_core(fd, call_readv, &a, n, NO_DEADLINE, ctx);
}

/* A plain write that failed after a partial write reports the part; the
 * next call meets the error again (write(2)'s own convention). */
static ssize_t plain_write(int st, size_t n)
{
	return st == GORO_OK || n > 0 ? (ssize_t)n : -1;
}

GORO_API ssize_t goro_fd_write(int fd, const void *buf, size_t len)
{
	size_t n = 0;
	int st = write_core(fd, buf, len, &n, NO_DEADLINE, NULL);
	return plain_write(st, n);
}

GORO_API int goro_fd_write_until(int fd, const void *buf, size_t len, size_t *n,
                                 int64_t deadline)
{
	return write_core(fd, buf, len, n, deadline, NULL);
}

GORO_API int goro_fd_write_ctx(int fd, const void *buf, size_t len, size_t *n, goro_ctx *ctx)
{
	return write_core(fd, buf, len, n, NO_DEADLINE, ctx);
}

GORO_API ssize_t goro_fd_writev(int fd, const struct iovec *iov, int iovcnt)
{
	size_t n = 0;
	int st = writev_core(fd, iov, iovcnt, &n, NO_DEADLINE, NULL);
	return plain_write(st, n);
}

GORO_API int goro_fd_writev_until(int fd, const struct iovec *iov, int iovcnt, size_t *n,
                                  int64_t deadline)
{
	return writev_core(fd, iov, iovcnt, n, deadline, NULL);
}

GORO_API int goro_fd_writev_ctx(int fd, const struct iovec *iov, int iovcnt, size_t *n,
                                goro_ctx *ctx)
{
	return writev_core(fd, iov, iovcnt, n, NO_DEADLINE, ctx);
}

GORO_API int goro_fd_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	int nfd;
	return accept_core(fd, addr, addrlen, &nfd, NO_DEADLINE, NULL) == GORO_OK ? nfd : -1;
}

GORO_API int goro_fd_accept_until(int fd, struct sockaddr *addr, socklen_t *addrlen,
                                  int *newfd, int64_t deadline)
{
	return accept_core(fd, addr, addrlen, newfd, deadline, NULL);
}

GORO_API int goro_fd_accept_ctx(int fd, struct sockaddr *addr, socklen_t *addrlen,
                                int *newfd, goro_ctx *ctx)
{
	return accept_core(fd, addr, addrlen, newfd, NO_DEADLINE, ctx);
}

GORO_API int goro_fd_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	return connect_core(fd, addr, addrlen, NO_DEADLINE, NULL) == GORO_OK ? 0 : -1;
}

GORO_API int goro_fd_connect_until(int fd, const struct sockaddr *addr, socklen_t addrlen,
                                   int64_t deadline)
{
	return connect_core(fd, addr, addrlen, deadline, NULL);
}

GORO_API int goro_fd_connect_ctx(int fd, const struct sockaddr *addr, socklen_t addrlen,
                                 goro_ctx *ctx)
{
	return connect_core(fd, addr, addrlen, NO_DEADLINE, ctx);
}
