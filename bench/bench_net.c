/*
 * bench_net.c — goroutine-aware I/O rows (issue 7); Go counterparts in
 * bench/go/net.go, same shapes and sizes.
 *
 *   echo_rps          a loopback echo server, goroutine per connection;
 *                     100 concurrent clients each send 64-byte requests and
 *                     wait for the echo; requests per second
 *   blocking_offload  the same load, but the server makes a blocking 100 µs
 *                     nanosleep(2) per request through goro_offload (Go: the
 *                     runtime hands the P to another thread); requests per
 *                     second, plus the latency the offload call itself adds
 *                     (its duration minus the time spent inside the blocking
 *                     call): extra keys offload_p50_us, offload_p99_us
 *
 * The server lives for the whole row; each repetition dials fresh
 * connections (dialing is part of the time, as on the Go side).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <time.h>

#include "harness.h"

enum { ECHO_CONNS = 100, REQ_SIZE = 64 };
#define BLOCK_NS 100000 /* the blocking call of blocking_offload */

/* Added latency of every offloaded call of the row, in ns. */
struct latencies {
	int64_t *ns;
	atomic_long n;
	long cap;
};

struct server {
	int lfd;
	bool offload;
	struct latencies *lat;
};

struct conn {
	int fd;
	const struct server *srv;
};

static bool read_full(int fd, char *buf, size_t len)
{
	size_t have = 0;
	while (have < len) {
		ssize_t n = goro_fd_read(fd, buf + have, len - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
	}
	return true;
}

struct blocking_call {
	int64_t inside_ns; /* measured on the helper thread */
};

static void nanosleep_100us(void *p)
{
	struct blocking_call *b = p;
	int64_t t0 = bench_now_ns();
	struct timespec ts = { 0, BLOCK_NS };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	b->inside_ns = bench_now_ns() - t0;
}

static void record(struct latencies *l, int64_t ns)
{
	long i = atomic_fetch_add(&l->n, 1);
	if (i < l->cap)
		l->ns[i] = ns;
}

static void echo_serve(void *p)
{
	struct conn *c = p;
	char buf[REQ_SIZE];
	while (read_full(c->fd, buf, sizeof buf)) {
		if (c->srv->offload) {
			struct blocking_call b;
			int64_t t0 = bench_now_ns();
			goro_offload(nanosleep_100us, &b);
			record(c->srv->lat, bench_now_ns() - t0 - b.inside_ns);
		}
		if (goro_fd_write(c->fd, buf, sizeof buf) != (ssize_t)sizeof buf)
			break;
	}
	goro_fd_close(c->fd);
}

static void accept_loop(void *p)
{
	const struct server *s = *(const struct server **)p;
	int fd;
	while ((fd = goro_fd_accept(s->lfd, NULL, NULL)) >= 0)
		goro_go(echo_serve, &(struct conn){ fd, s });
}

struct client {
	const char *addr;
	long n;
	atomic_int *errors;
	goro_waitgroup *wg;
};

static void echo_client(void *p)
{
	struct client *c = p;
	char req[REQ_SIZE] = { 0 }, resp[REQ_SIZE];
	int fd = goro_net_dial(c->addr);
	bool ok = fd >= 0;
	for (long i = 0; ok && i < c->n; i++)
		ok = goro_fd_write(fd, req, sizeof req) == (ssize_t)sizeof req &&
		     read_full(fd, resp, sizeof resp);
	if (fd >= 0)
		goro_fd_close(fd);
	if (!ok)
		atomic_fetch_add(c->errors, 1);
	goro_waitgroup_done(c->wg);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void echo_row(const bench_opts *o, const char *name, bool offload)
{
	long per_conn = offload ? bench_size(o, 200, 10) : bench_size(o, 1000, 10);
	struct latencies lat = { .cap = (long)o->reps * ECHO_CONNS * per_conn };
	if (offload)
		lat.ns = malloc((size_t)lat.cap * sizeof *lat.ns);
	struct server srv = { .lfd = goro_net_listen("127.0.0.1:0"), .offload = offload,
	                      .lat = &lat };
	if (srv.lfd < 0)
		bench_fail(name, "listen: %s", strerror(errno));
	char addr[64];
	goro_net_local_addr(srv.lfd, addr, sizeof addr);
	const struct server *sp = &srv;
	goro_go(accept_loop, &sp);

	double samples[BENCH_MAX_REPS];
	atomic_int errors = 0;
	for (int r = 0; r < o->reps; r++) {
		goro_waitgroup wg = { 0 };
		int64_t t0 = bench_now_ns();
		for (int i = 0; i < ECHO_CONNS; i++) {
			goro_waitgroup_add(&wg, 1);
			goro_go(echo_client, &(struct client){ addr, per_conn, &errors, &wg });
		}
		goro_waitgroup_wait(&wg);
		samples[r] = (double)(ECHO_CONNS * per_conn) / bench_s_since(t0);
	}
	goro_fd_close(srv.lfd);
	if (atomic_load(&errors))
		bench_fail(name, "%d client connections failed", atomic_load(&errors));

	char extra[160];
	int n = snprintf(extra, sizeof extra, "\"conns\": %d, \"req_bytes\": %d", ECHO_CONNS,
	                 REQ_SIZE);
	if (offload) {
		long k = atomic_load(&lat.n) < lat.cap ? atomic_load(&lat.n) : lat.cap;
		qsort(lat.ns, (size_t)k, sizeof *lat.ns, cmp_i64);
		double p50 = k ? (double)lat.ns[k / 2] / 1e3 : 0;
		double p99 = k ? (double)lat.ns[k * 99 / 100] / 1e3 : 0;
		snprintf(extra + n, sizeof extra - (size_t)n,
		         ", \"offload_p50_us\": %.2f, \"offload_p99_us\": %.2f", p50, p99);
		free(lat.ns);
	}
	bench_emit(name, "req/s", samples, o->reps, extra);
}

static void row_echo_rps(const bench_opts *o)
{
	echo_row(o, "echo_rps", false);
}

static void row_blocking_offload(const bench_opts *o)
{
	echo_row(o, "blocking_offload", true);
}

static const bench_row rows[] = {
	{ "echo_rps", row_echo_rps, false },
	{ "blocking_offload", row_blocking_offload, false },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, rows, BENCH_NROWS(rows));
}
