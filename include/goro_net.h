/*
 * goro_net.h — goroutine-aware I/O, offloading blocking calls, and the
 * /debug/pprof endpoint.  Part of goro.h: include that.
 *
 * I/O that parks the goroutine, not the thread
 *   goro_fd_read & co. behave like read(2) & co., except that where the
 *   system call would block, the calling goroutine parks (wait reason
 *   "IO wait") and its worker runs other goroutines until the fd is ready,
 *   as in Go's netpoller.  Sockets, pipes, FIFOs, terminals, eventfds: any
 *   fd epoll accepts.  Regular files are always "ready" (their reads block
 *   in the kernel): use goro_offload for those.
 *
 *   The first goro call on an fd puts it in non-blocking mode (O_NONBLOCK
 *   belongs to the open file, so other processes sharing it see it too).
 *   Close such an fd with goro_fd_close: it wakes every goroutine waiting
 *   on the fd (their calls fail with EBADF) and closes the fd once no call
 *   uses it any more.  A plain close(2) would leave them waiting forever.
 *
 *   Called from a thread that is not a goro worker, these calls simply
 *   block that thread (deadlines, contexts and goro_fd_close still work).
 *
 * Return conventions
 *   Plain calls have the shape of their system call: a count or an fd, or
 *   -1 with errno.  goro_fd_write and goro_fd_writev write everything
 *   (Go's Write), looping over partial writes.
 *   _until(..., deadline) and _ctx(..., ctx) variants return a status:
 *   GORO_OK, GORO_TIMEDOUT once goro_now() >= deadline, goro_ctx_err(ctx)
 *   once ctx is done, or GORO_ERRNO (-1) with errno set.  Counts go to an
 *   out parameter (on GORO_TIMEDOUT and context errors too: the part of a
 *   write that was done).  A call whose operation can proceed at once
 *   succeeds even if its deadline has passed, like a goro channel's.
 */
#ifndef GORO_NET_H
#define GORO_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "goro.h" /* goro_ctx, goro_fn (guarded: goro.h includes us last) */

#ifdef __cplusplus
extern "C" {
#endif

/* Status of an _until/_ctx I/O call that failed with errno. */
enum { GORO_ERRNO = -1 };

/* ------------------------------------------------------------------ */
/* File descriptors                                                    */
/* ------------------------------------------------------------------ */

/* Puts fd in non-blocking mode and starts goro's record of it (needed only
 * for an fd whose number a plain close(2) may have recycled).  0 or -1. */
GORO_API int goro_fd_init(int fd);
/* Wakes the goroutines waiting on fd (EBADF) and closes it as soon as no
 * call uses it.  0, or -1 with EBADF when goro closed it already. */
GORO_API int goro_fd_close(int fd);

GORO_API ssize_t goro_fd_read(int fd, void *buf, size_t len);
GORO_API ssize_t goro_fd_write(int fd, const void *buf, size_t len);
GORO_API ssize_t goro_fd_readv(int fd, const struct iovec *iov, int iovcnt);
GORO_API ssize_t goro_fd_writev(int fd, const struct iovec *iov, int iovcnt);
/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; TCP connections also get
 * TCP_NODELAY, as in Go. */
GORO_API int goro_fd_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
/* connect(2) on a socket, waiting for a connection in progress. 0 or -1. */
GORO_API int goro_fd_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);

GORO_API int goro_fd_read_until(int fd, void *buf, size_t len, size_t *n, int64_t deadline);
GORO_API int goro_fd_read_ctx(int fd, void *buf, size_t len, size_t *n, goro_ctx *ctx);
GORO_API int goro_fd_write_until(int fd, const void *buf, size_t len, size_t *n,
                                 int64_t deadline);
GORO_API int goro_fd_write_ctx(int fd, const void *buf, size_t len, size_t *n, goro_ctx *ctx);
GORO_API int goro_fd_readv_until(int fd, const struct iovec *iov, int iovcnt, size_t *n,
                                 int64_t deadline);
GORO_API int goro_fd_readv_ctx(int fd, const struct iovec *iov, int iovcnt, size_t *n,
                               goro_ctx *ctx);
GORO_API int goro_fd_writev_until(int fd, const struct iovec *iov, int iovcnt, size_t *n,
                                  int64_t deadline);
GORO_API int goro_fd_writev_ctx(int fd, const struct iovec *iov, int iovcnt, size_t *n,
                                goro_ctx *ctx);
GORO_API int goro_fd_accept_until(int fd, struct sockaddr *addr, socklen_t *addrlen,
                                  int *newfd, int64_t deadline);
GORO_API int goro_fd_accept_ctx(int fd, struct sockaddr *addr, socklen_t *addrlen,
                                int *newfd, goro_ctx *ctx);
GORO_API int goro_fd_connect_until(int fd, const struct sockaddr *addr, socklen_t addrlen,
                                   int64_t deadline);
GORO_API int goro_fd_connect_ctx(int fd, const struct sockaddr *addr, socklen_t addrlen,
                                 goro_ctx *ctx);

/* ------------------------------------------------------------------ */
/* TCP                                                                 */
/* ------------------------------------------------------------------ */
/*
 * Addresses are Go's "host:port": "127.0.0.1:8080", "[::1]:0",
 * "localhost:http", ":8080" (listen: every interface).  Port 0 picks a
 * free port (see goro_net_local_port).  Names are resolved with
 * getaddrinfo on the offload pool.
 */

/* A listening TCP socket (non-blocking, SO_REUSEADDR), or -1 with errno
 * (EINVAL: a malformed address or a numeric port outside 0..65535, Go's
 * "invalid port"; EADDRNOTAVAIL: the name did not resolve). */
GORO_API int goro_net_listen(const char *addr);
/* A connected TCP socket (TCP_NODELAY), or -1 with errno. */
GORO_API int goro_net_dial(const char *addr);
GORO_API int goro_net_dial_until(const char *addr, int *fd, int64_t deadline);
GORO_API int goro_net_dial_ctx(const char *addr, int *fd, goro_ctx *ctx);
/* The socket's local address as "ip:port" into buf. 0 or -1 with errno. */
GORO_API int goro_net_local_addr(int fd, char *buf, size_t len);
/* The socket's local port, or -1 with errno. */
GORO_API int goro_net_local_port(int fd);

/* ------------------------------------------------------------------ */
/* Blocking calls off the worker                                       */
/* ------------------------------------------------------------------ */
/*
 * goro_offload(fn, arg) runs fn(arg) on a helper thread and parks the
 * calling goroutine (wait reason "syscall") until it returns, so a call
 * that blocks — file I/O, getaddrinfo, a library that waits — does not
 * stall the other goroutines of the caller's worker.  Results travel in
 * *arg.  The pool grows on demand up to a limit (GORO_OFFLOAD_THREADS,
 * default 64; calls beyond it queue) and idle helpers exit after 10 s.
 * fn runs on a plain thread: goro calls it makes block that thread.
 * From a non-worker thread, goro_offload just calls fn.
 */
GORO_API void goro_offload(goro_fn fn, void *arg);
/* Sets the pool's limit (n >= 1); returns the previous one. */
GORO_API int goro_offload_max_threads(int n);

/* ------------------------------------------------------------------ */
/* The /debug/pprof endpoint                                           */
/* ------------------------------------------------------------------ */
/*
 * goro_debug_serve(addr) serves Go's net/http/pprof endpoints on addr
 * (NULL: "127.0.0.1:6060"; a missing host means loopback, not every
 * interface) from goroutines of this process:
 *
 *   /debug/pprof/                 index: every profile and its count
 *   /debug/pprof/goroutine        ?debug=0 (pprof protobuf), 1 or 2
 *   /debug/pprof/goroutineleak    runs leak detection first
 *   /debug/pprof/cmdline
 *
 * so that `go tool pprof http://127.0.0.1:6060/debug/pprof/goroutineleak`
 * reads a goro program.  Setting GORO_DEBUG_ADDR=127.0.0.1:6060 starts it
 * when the runtime starts, without code changes.  One server per process.
 * Returns the port it listens on, or -1 with errno (EBUSY: already
 * serving).
 */
GORO_API int goro_debug_serve(const char *addr);
/* Stops listening and waits for the requests in progress. */
GORO_API void goro_debug_stop(void);

#ifdef __cplusplus
}
#endif

#endif /* GORO_NET_H */
