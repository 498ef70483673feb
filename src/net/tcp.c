/*
 * tcp.c — listening on and dialing Go-style "host:port" TCP addresses.
 *
 * Numeric addresses are converted inline (getaddrinfo with AI_NUMERICHOST
 * never blocks); names go through getaddrinfo on the offload pool, since
 * resolving may read files or wait for a DNS server.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/pollfd.h"
#include "sched/sched.h"

enum { HOST_MAX = 256, PORT_MAX = 64 };

/*
 * Splits "host:port", "[v6 host]:port" or ":port" (empty host).  The port
 * must be non-empty; a bare IPv6 host needs its brackets, as in Go.
 */
static bool split_hostport(const char *addr, char *host, char *port)
{
	const char *colon = strrchr(addr, ':');
	if (!colon || colon[1] == '\0' || strlen(colon + 1) >= PORT_MAX)
		return false;
	const char *h = addr;
	size_t hlen = (size_t)(colon - addr);
	if (hlen > 0 && addr[0] == '[') {
		if (addr[hlen - 1] != ']')
			return false;
		h = addr + 1;
		hlen -= 2;
	} else if (memchr(addr, ':', hlen) || memchr(addr, '[', hlen) || memchr(addr, ']', hlen)) {
		return false;
	}
	if (hlen >= HOST_MAX)
		return false;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	strcpy(port, colon + 1);
	return true;
}

/*
 * Go's parsePort: a port that is a number must be 0..65535 ("invalid port"
 * otherwise, never taken modulo 65536 by getaddrinfo); a signed number is
 * invalid too.  A name ("http") is left to the resolver.
 */
static bool port_valid(const char *port)
{
	const char *p = port;
	if (*p == '+' || *p == '-')
		return !(p[1] >= '0' && p[1] <= '9');
	unsigned long v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return true; /* a service name */
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return false;
	}
	return true;
}

/* Why addr cannot be listened on or dialed, in Go's words, or NULL. */
GORO_HIDDEN const char *goro__hostport_problem(const char *addr);
const char *goro__hostport_problem(const char *addr)
{
	char host[HOST_MAX], port[PORT_MAX];
	if (!addr || !split_hostport(addr, host, port))
		return "missing port in address";
	return port_valid(port) ? NULL : "invalid port";
}

struct resolve {
	const char *host; /* NULL: the wildcard (passive) or loopback address */
	const char *port;
	struct addrinfo hints;
	struct addrinfo *res;
	int rc;
};

static void do_getaddrinfo(void *p)
{
	struct resolve *r = p;
	r->rc = getaddrinfo(r->host, r->port, &r->hints, &r->res);
}

/* errno for a getaddrinfo failure. */
static void set_gai_errno(int rc)
{
	if (rc == EAI_SYSTEM)
		return;
	errno = rc == EAI_MEMORY ? ENOMEM : rc == EAI_SERVICE ? EINVAL : EADDRNOTAVAIL;
}

/* Addresses for addr; passive: for bind (empty host = every interface). */
static struct addrinfo *resolve(const char *addr, bool passive)
{
	char host[HOST_MAX], port[PORT_MAX];
	if (!addr || !split_hostport(addr, host, port) || !port_valid(port)) {
		errno = EINVAL;
		return NULL;
	}
	struct resolve r = {
		.host = host[0] ? host : NULL,
		.port = port,
		.hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		           .ai_flags = (passive ? AI_PASSIVE : 0) | AI_NUMERICHOST | AI_NUMERICSERV },
	};
	do_getaddrinfo(&r);
	if (r.rc == EAI_NONAME) {
		/* A name (or a service name): may block, so not on the worker. */
		r.hints.ai_flags &= ~(AI_NUMERICHOST | AI_NUMERICSERV);
		r.hints.ai_flags |= AI_ADDRCONFIG;
		goro_offload(do_getaddrinfo, &r);
	}
	if (r.rc != 0) {
		set_gai_errno(r.rc);
		return NULL;
	}
	return r.res;
}

static int listen_on(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                ai->ai_protocol);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    goro__pollfd_init(fd) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

GORO_API int goro_net_listen(const char *addr)
{
	goro__ensure_init();
	struct addrinfo *res = resolve(addr, true);
	if (!res)
		return -1;
	int fd = -1;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = listen_on(ai);
	int e = errno;
	freeaddrinfo(res);
	errno = e;
	return fd;
}

/* One connection attempt: status; *fd set on GORO_OK. */
static int dial_one(const struct addrinfo *ai, int *fd, int64_t deadline, goro_ctx *ctx)
{
	int s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	               ai->ai_protocol);
	if (s < 0)
		return GORO_ERRNO;
	int st = ctx ? goro_fd_connect_ctx(s, ai->ai_addr, ai->ai_addrlen, ctx)
	             : goro_fd_connect_until(s, ai->ai_addr, ai->ai_addrlen, deadline);
	if (st != GORO_OK) {
		int e = errno;
		goro_fd_close(s);
		errno = e;
		return st;
	}
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	*fd = s;
	return GORO_OK;
}

static int dial_core(const char *addr, int *fd, int64_t deadline, goro_ctx *ctx)
{
	goro__ensure_init();
	*fd = -1;
	struct addrinfo *res = resolve(addr, false);
	if (!res)
		return GORO_ERRNO;
	/* Each address in turn, as Go's dialSerial; a deadline or context
	 * ends the whole dial. */
	int st = GORO_ERRNO;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		st = dial_one(ai, fd, deadline, ctx);
		if (st != GORO_ERRNO)
			break;
	}
	int e = errno;
	freeaddrinfo(res);
	errno = e;
	return st;
}

GORO_API int goro_net_dial(const char *addr)
{
	int fd;
	return dial_core(addr, &fd, INT64_MAX, NULL) == GORO_OK ? fd : -1;
}

GORO_API int goro_net_dial_until(const char *addr, int *fd, int64_t deadline)
{
	return dial_core(addr, fd, deadline, NULL);
}

GORO_API int goro_net_dial_ctx(const char *addr, int *fd, goro_ctx *ctx)
{
	return dial_core(addr, fd, INT64_MAX, ctx);
}

GORO_API int goro_net_local_addr(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	char ip[INET6_ADDRSTRLEN];
	int n;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
		n = snprintf(buf, len, "%s:%u", ip, ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		n = snprintf(buf, len, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (n < 0 || (size_t)n >= len) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

GORO_API int goro_net_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	errno = EAFNOSUPPORT;
	return -1;
}
