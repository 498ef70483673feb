/*
 * http_request.h — parsing an HTTP/1.x request head, for the debug server.
 *
 * Pure functions over a byte buffer: no allocation, no I/O, no global
 * state, so they can be fuzzed on their own (tests/fuzz/fuzz_http_request.c)
 * and a hostile client can only ever make them say "bad".  What they
 * accept is deliberately narrow — what curl, browsers and `go tool pprof`
 * send to a pprof endpoint:
 *
 *   METHOD SP /origin-form-target SP HTTP/1.d CRLF   (LF alone is accepted)
 *   (name ":" OWS value OWS CRLF)*
 *   CRLF
 *
 * Methods are tokens of at most 16 characters; targets are printable ASCII
 * starting with '/' and without '#'; header names are tokens, values
 * printable (obs-text allowed), no line folding; Content-Length must be
 * digits.  Spans point into the caller's buffer.
 */
#ifndef GORO_NET_HTTP_REQUEST_H
#define GORO_NET_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

struct goro_http_span {
	const char *p;
	size_t n;
};

enum goro_http_parse_status {
	HTTP_PARSE_INCOMPLETE = 0,   /* a valid prefix: read more */
	HTTP_PARSE_OK = 1,
	HTTP_PARSE_BAD = -1,         /* malformed: 400 */
	HTTP_PARSE_TOO_LARGE = -2,   /* no end of head within max bytes: 431 */
	HTTP_PARSE_BAD_VERSION = -3, /* HTTP/2.0 and up: 505 */
};

enum { HTTP_MAX_METHOD = 16, HTTP_MAX_HEADERS = 64 };

struct goro_http_request {
	struct goro_http_span method;
	struct goro_http_span target; /* as sent */
	struct goro_http_span path;   /* target before '?' (still escaped) */
	struct goro_http_span query;  /* after '?' (empty: none) */
	int minor;                    /* HTTP/1.minor */
	int nheaders;
	bool has_body;                /* Content-Length > 0 or Transfer-Encoding */
	size_t head_len;              /* bytes up to and including the blank line */
};

/*
 * Parses the request head at the start of buf[0, len).  max bounds the
 * head's size: a head not complete within max bytes is TOO_LARGE even if
 * more bytes could complete it.  A malformed request line is reported as
 * soon as it is complete, without waiting for the rest.  *req is filled
 * only on HTTP_PARSE_OK.
 */
GORO_HIDDEN int goro__http_parse_request(const char *buf, size_t len, size_t max,
                                         struct goro_http_request *req);

/*
 * Percent-decodes s[0, n) into out (NUL-terminated), '+' meaning a space
 * when form is set (query strings).  Returns the decoded length, or -1 for
 * a malformed escape, an encoded NUL, or an out of cap bytes too small.
 */
GORO_HIDDEN long goro__http_unescape(const char *s, size_t n, bool form, char *out, size_t cap);

/*
 * The first value of key in a query string ("a=1&b=2"), decoded into out.
 * Returns its length, -1 if key is absent, -2 if its value is malformed or
 * longer than cap - 1.  Pairs whose key cannot be decoded are skipped.
 */
GORO_HIDDEN long goro__http_query_get(const char *q, size_t n, const char *key, char *out,
                                      size_t cap);

#endif /* GORO_NET_HTTP_REQUEST_H */
