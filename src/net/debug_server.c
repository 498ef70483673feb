/*
 * debug_server.c — goro_debug_serve: a small HTTP/1.1 server for the
 * /debug/pprof endpoints, built on goro's own goroutines and netpoller.
 *
 * One accept goroutine; one goroutine per connection, which reads one
 * request head, answers it and closes (Connection: close — pprof clients
 * make one request per profile); one goroutine that writes the profiles
 * (debug_profiler.c says why).  The server defends the program it
 * serves from its clients:
 *   - a head larger than DEBUG_MAX_REQUEST bytes gets 431, a malformed one
 *     400 (http_request.c decides, on at most that many bytes);
 *   - a client that has not sent its head within READ_TIMEOUT, or does not
 *     take the response within WRITE_TIMEOUT, is dropped (Go's
 *     ReadHeaderTimeout / WriteTimeout);
 *   - at most MAX_CONNS connections are served at once; further ones are
 *     closed at once, so a flood costs a bounded number of goroutines.
 *
 * State (srv, guarded by srv.mu): the listening fd while serving; srv.wg
 * counts the accept goroutine and the connection goroutines, so that
 * goro_debug_stop can wait for them before it stops the profile writer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/debug_http.h"
#include "sched/sched.h"

#define READ_TIMEOUT (10 * GORO_SECOND)
#define WRITE_TIMEOUT (30 * GORO_SECOND)
#define LINGER_TIMEOUT (1 * GORO_SECOND)
#define ACCEPT_BACKOFF (10 * GORO_MILLISECOND)
enum { MAX_CONNS = 256, LINGER_MAX_BYTES = 64 * 1024 };

static struct {
	goro_mutex mu;
	bool serving;
	int lfd;
	goro_waitgroup wg;
	atomic_int nconns;
} srv;

struct conn_arg {
	int fd;
};

static void write_response(int fd, bool head_only, struct goro_http_response *r)
{
	char hdr[1024];
	int n = snprintf(hdr, sizeof hdr, "HTTP/1.1 %d %s\r\n", r->status,
	                 goro__http_status_text(r->status));
	if (r->content_type)
		n += snprintf(hdr + n, sizeof hdr - (size_t)n, "Content-Type: %s\r\n", r->content_type);
	if (r->nosniff)
		n += snprintf(hdr + n, sizeof hdr - (size_t)n, "X-Content-Type-Options: nosniff\r\n");
	if (r->pprof_error)
		n += snprintf(hdr + n, sizeof hdr - (size_t)n, "X-Go-Pprof: 1\r\n");
	if (r->attachment)
		n += snprintf(hdr + n, sizeof hdr - (size_t)n,
		              "Content-Disposition: attachment; filename=\"%s\"\r\n", r->attachment);
	if (r->location[0])
		n += snprintf(hdr + n, sizeof hdr - (size_t)n, "Location: %s\r\n", r->location);
	if (r->allow)
		n += snprintf(hdr + n, sizeof hdr - (size_t)n, "Allow: %s\r\n", r->allow);
	n += snprintf(hdr + n, sizeof hdr - (size_t)n,
	              "Content-Length: %zu\r\nConnection: close\r\n\r\n", r->body_len);
	if (n >= (int)sizeof hdr) /* cannot happen: every field above is ours */
		return;
	struct iovec iov[2] = {
		{ hdr, (size_t)n },
		{ r->body, head_only ? 0 : r->body_len },
	};
	size_t done;
	goro_fd_writev_until(fd, iov, 2, &done, goro_now() + WRITE_TIMEOUT);
}

/*
 * Closing right after the response would reset the connection if the
 * client is still sending (a rejected oversized request), and a reset can
 * destroy the response before the client reads it.  So: end our side,
 * read and drop what comes for a moment, then close (Go's
 * closeWriteAndWait does the same).
 */
static void linger_close(int fd)
{
	shutdown(fd, SHUT_WR);
	char sink[4096];
	int64_t until = goro_now() + LINGER_TIMEOUT;
	size_t total = 0, n;
	while (total < LINGER_MAX_BYTES &&
	       goro_fd_read_until(fd, sink, sizeof sink, &n, until) == GORO_OK && n > 0)
		total += n;
	goro_fd_close(fd);
}

/* Reads a request head: a parse status, or INCOMPLETE if the client
 * went away or was too slow (then nothing is answered). */
static int read_head(int fd, char *buf, size_t *len, struct goro_http_request *req)
{
	int64_t deadline = goro_now() + READ_TIMEOUT;
	for (;;) {
		int st = goro__http_parse_request(buf, *len, DEBUG_MAX_REQUEST, req);
		if (st != HTTP_PARSE_INCOMPLETE)
			return st;
		size_t n;
		if (goro_fd_read_until(fd, buf + *len, DEBUG_MAX_REQUEST - *len, &n, deadline) !=
		        GORO_OK ||
		    n == 0)
			return HTTP_PARSE_INCOMPLETE;
		*len += n;
	}
}

static void serve_conn(void *p)
{
	int fd = ((struct conn_arg *)p)->fd;
	char *buf = malloc(DEBUG_MAX_REQUEST);
	struct goro_http_request req;
	size_t len = 0;
	int st = buf ? read_head(fd, buf, &len, &req) : HTTP_PARSE_INCOMPLETE;
	if (st == HTTP_PARSE_INCOMPLETE) { /* gone, too slow, or no memory: drop */
		goro_fd_close(fd);
	} else {
		struct goro_http_response resp = { 0 };
		bool head_only = false;
		if (st == HTTP_PARSE_OK) {
			head_only = req.method.n == 4 && memcmp(req.method.p, "HEAD", 4) == 0;
			goro__pprof_serve(&req, &resp);
		} else if (st == HTTP_PARSE_TOO_LARGE) {
			goro__http_text(&resp, 431, "431 Request Header Fields Too Large");
		} else if (st == HTTP_PARSE_BAD_VERSION) {
			goro__http_text(&resp, 505, "505 HTTP Version Not Supported");
		} else {
			goro__http_text(&resp, 400, "400 Bad Request");
		}
		write_response(fd, head_only, &resp);
		free(resp.body);
		linger_close(fd);
	}
	free(buf);
	atomic_fetch_sub(&srv.nconns, 1);
	goro_waitgroup_done(&srv.wg);
}

static bool transient_accept_error(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM || e == EPERM ||
	       e == EPROTO || e == EINTR;
}

static void accept_loop(void *p)
{
	int lfd = ((struct conn_arg *)p)->fd;
	for (;;) {
		int fd = goro_fd_accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (!transient_accept_error(errno))
				break; /* EBADF: goro_debug_stop closed it */
			goro_sleep(ACCEPT_BACKOFF); /* out of fds: let others finish */
			continue;
		}
		if (atomic_fetch_add(&srv.nconns, 1) >= MAX_CONNS) {
			atomic_fetch_sub(&srv.nconns, 1);
			goro_fd_close(fd);
			continue;
		}
		goro_waitgroup_add(&srv.wg, 1);
		/* System goroutines: out of the user's dumps, checks, profiles. */
		struct conn_arg a = { fd };
		goro__spawn_system(serve_conn, &a, sizeof a);
	}
	goro_waitgroup_done(&srv.wg);
}

/* "host:port" with the host defaulting to loopback, not every interface. */
static void default_loopback(const char *addr, char *out, size_t len)
{
	if (!addr)
		addr = "127.0.0.1:6060";
	if (addr[0] == ':')
		snprintf(out, len, "127.0.0.1%s", addr);
	else
		snprintf(out, len, "%s", addr);
}

GORO_API int goro_debug_serve(const char *addr)
{
	goro__ensure_init();
	char where[300];
	default_loopback(addr, where, sizeof where);
	goro_mutex_lock(&srv.mu);
	if (srv.serving) {
		goro_mutex_unlock(&srv.mu);
		errno = EBUSY;
		return -1;
	}
	int lfd = goro_net_listen(where);
	int port = lfd >= 0 ? goro_net_local_port(lfd) : -1;
	if (port < 0) {
		int e = errno;
		if (lfd >= 0)
			goro_fd_close(lfd);
		goro_mutex_unlock(&srv.mu);
		errno = e;
		return -1;
	}
	srv.serving = true;
	srv.lfd = lfd;
	goro__debug_profiler_start();
	goro_waitgroup_add(&srv.wg, 1);
	struct conn_arg a = { lfd };
	goro__spawn_system(accept_loop, &a, sizeof a);
	goro_mutex_unlock(&srv.mu);
	return port;
}

GORO_API void goro_debug_stop(void)
{
	goro_mutex_lock(&srv.mu);
	if (srv.serving) {
		goro_fd_close(srv.lfd);
		/* Connections end by themselves, within the timeouts above. */
		goro_waitgroup_wait(&srv.wg);
		goro__debug_profiler_stop();
		srv.serving = false;
	}
	goro_mutex_unlock(&srv.mu);
}
