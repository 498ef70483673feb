/*
 * fuzz_http_request.c — libFuzzer target for the debug server's request
 * parser (src/net/http_request.c): no input may crash it, read or write
 * out of bounds (ASan, UBSan), or break its promises:
 *
 *   - on HTTP_PARSE_OK every span lies inside the head, the head inside
 *     both the input and the size limit, and path + '?' + query is the
 *     target;
 *   - a complete head is a valid prefix: every shorter prefix of it parses
 *     as INCOMPLETE or as the same verdict reached earlier (never OK);
 *   - unescaping never returns more bytes than it read, and its output is
 *     NUL-terminated within the buffer;
 *   - a parameter value found in a query fits the caller's buffer.
 *
 * Build and run: tests/fuzz/run.sh (clang with -fsanitize=fuzzer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_request.h"

#define CHECK(cond)          \
	do {                     \
		if (!(cond))         \
			abort();         \
	} while (0)

static void check_span(struct goro_http_span s, const char *lo, const char *hi)
{
	CHECK(s.p >= lo && s.p <= hi && s.n <= (size_t)(hi - s.p));
}

static void check_unescape(const char *s, size_t n, int form)
{
	char out[256];
	memset(out, 'x', sizeof out);
	long r = goro__http_unescape(s, n, form, out, sizeof out);
	CHECK(r >= -1);
	if (r >= 0) {
		CHECK((size_t)r <= n && (size_t)r < sizeof out);
		CHECK(out[r] == '\0');
		CHECK(memchr(out, '\0', (size_t)r) == NULL);
	}
}

static void check_query(struct goro_http_span q)
{
	static const char *const keys[] = { "debug", "seconds", "a", "" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char out[32];
		long r = goro__http_query_get(q.p, q.n, keys[i], out, sizeof out);
		CHECK(r >= -2);
		if (r >= 0)
			CHECK((size_t)r < sizeof out && out[r] == '\0');
	}
}

static void check_ok(const char *buf, size_t len, size_t max, const struct goro_http_request *r)
{
	CHECK(r->head_len > 0 && r->head_len <= len && r->head_len <= max);
	const char *hi = buf + r->head_len;
	check_span(r->method, buf, hi);
	check_span(r->target, buf, hi);
	check_span(r->path, buf, hi);
	check_span(r->query, buf, hi);
	CHECK(r->method.p == buf && r->method.n >= 1 && r->method.n <= HTTP_MAX_METHOD);
	CHECK(r->target.n >= 1 && r->target.p[0] == '/');
	CHECK(r->path.p == r->target.p);
	if (r->path.n < r->target.n) {
		CHECK(r->target.p[r->path.n] == '?');
		CHECK(r->query.p == r->target.p + r->path.n + 1);
		CHECK(r->path.n + 1 + r->query.n == r->target.n);
	} else {
		CHECK(r->path.n == r->target.n && r->query.n == 0);
	}
	CHECK(r->minor >= 0 && r->minor <= 9);
	CHECK(r->nheaders >= 0 && r->nheaders <= HTTP_MAX_HEADERS);
	check_unescape(r->path.p, r->path.n, 0);
	check_query(r->query);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	static const size_t limits[] = { 8192, 64, 1 };
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		struct goro_http_request r;
		int st = goro__http_parse_request(buf, size, limits[i], &r);
		CHECK(st >= HTTP_PARSE_BAD_VERSION && st <= HTTP_PARSE_OK);
		if (st != HTTP_PARSE_OK)
			continue;
		check_ok(buf, size, limits[i], &r);
		/* The head alone parses the same; one byte less is incomplete. */
		struct goro_http_request again;
		CHECK(goro__http_parse_request(buf, r.head_len, limits[i], &again) == HTTP_PARSE_OK);
		CHECK(again.head_len == r.head_len && again.nheaders == r.nheaders);
		int shorter = goro__http_parse_request(buf, r.head_len - 1, limits[i], &again);
		CHECK(shorter == HTTP_PARSE_INCOMPLETE ||
		      (shorter == HTTP_PARSE_TOO_LARGE && r.head_len - 1 >= limits[i]));
	}
	check_unescape(buf, size, 0);
	check_unescape(buf, size, 1);
	check_query((struct goro_http_span){ buf, size });
	return 0;
}
