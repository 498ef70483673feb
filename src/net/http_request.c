/*
 * http_request.c — the request-head parser (see http_request.h).
 *
 * Structure: find each complete line, then judge it.  Nothing is read past
 * len, nothing is written outside *req and out[0, cap).  Every check is on
 * a byte class, so there is no state beyond "which line is this".
 */
#include <string.h>

#include "net/http_request.h"

/* RFC 9110 tchar: the characters of methods and header names. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A field value's characters: visible ASCII, obs-text, SP and HTAB. */
static bool is_value_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

static bool span_eq_nocase(const char *p, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)p[i], b = (unsigned char)lit[i];
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

/* "HTTP/d.d": HTTP_PARSE_OK (minor set), BAD or BAD_VERSION. */
static int parse_version(const char *p, size_t n, int *minor)
{
	if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.')
		return HTTP_PARSE_BAD;
	if (p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9')
		return HTTP_PARSE_BAD;
	if (p[5] != '1')
		return p[5] == '0' ? HTTP_PARSE_BAD : HTTP_PARSE_BAD_VERSION;
	*minor = p[7] - '0';
	return HTTP_PARSE_OK;
}

/* METHOD SP target SP version, the line without its end. */
static int parse_request_line(const char *p, size_t n, struct goro_http_request *r)
{
	size_t i = 0;
	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i > HTTP_MAX_METHOD || i == n || p[i] != ' ')
		return HTTP_PARSE_BAD;
	r->method = (struct goro_http_span){ p, i };

	size_t t = ++i;
	while (i < n && p[i] != ' ') {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x21 || c > 0x7e || c == '#')
			return HTTP_PARSE_BAD;
		i++;
	}
	if (i == t || i == n || p[t] != '/')
		return HTTP_PARSE_BAD;
	r->target = (struct goro_http_span){ p + t, i - t };
	const char *q = memchr(r->target.p, '?', r->target.n);
	size_t plen = q ? (size_t)(q - r->target.p) : r->target.n;
	r->path = (struct goro_http_span){ r->target.p, plen };
	r->query = q ? (struct goro_http_span){ q + 1, r->target.n - plen - 1 }
	             : (struct goro_http_span){ r->target.p + plen, 0 };
	i++;
	return parse_version(p + i, n - i, &r->minor);
}

static bool all_digits(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* name ":" OWS value OWS, the line without its end. */
static int parse_header(const char *p, size_t n, struct goro_http_request *r)
{
	size_t i = 0;
	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	/* No name, folding (a leading space) or space before the colon. */
	if (i == 0 || i == n || p[i] != ':')
		return HTTP_PARSE_BAD;
	const char *name = p;
	size_t nlen = i++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	size_t vend = n;
	while (vend > i && (p[vend - 1] == ' ' || p[vend - 1] == '\t'))
		vend--;
	for (size_t k = i; k < vend; k++)
		if (!is_value_char((unsigned char)p[k]))
			return HTTP_PARSE_BAD;
	if (span_eq_nocase(name, nlen, "content-length")) {
		if (!all_digits(p + i, vend - i))
			return HTTP_PARSE_BAD;
		for (size_t k = i; k < vend; k++)
			if (p[k] != '0')
				r->has_body = true;
	} else if (span_eq_nocase(name, nlen, "transfer-encoding")) {
		r->has_body = true;
	}
	if (++r->nheaders > HTTP_MAX_HEADERS)
		return HTTP_PARSE_TOO_LARGE;
	return HTTP_PARSE_OK;
}

int goro__http_parse_request(const char *buf, size_t len, size_t max,
                             struct goro_http_request *req)
{
	struct goro_http_request r = { 0 };
	size_t scan = len < max ? len : max;
	for (size_t pos = 0, line = 0;; line++) {
		const char *nl = memchr(buf + pos, '\n', scan - pos);
		if (!nl)
			return len >= max ? HTTP_PARSE_TOO_LARGE : HTTP_PARSE_INCOMPLETE;
		size_t end = (size_t)(nl - buf);
		size_t n = end - pos;
		if (n > 0 && buf[end - 1] == '\r')
			n--;
		if (line > 0 && n == 0) { /* the blank line ends the head */
			r.head_len = end + 1;
			*req = r;
			return HTTP_PARSE_OK;
		}
		int st = line == 0 ? parse_request_line(buf + pos, n, &r)
		                   : parse_header(buf + pos, n, &r);
		if (st != HTTP_PARSE_OK)
			return st;
		pos = end + 1;
	}
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long goro__http_unescape(const char *s, size_t n, bool form, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (n - i < 3)
				return -1;
			int hi = hex_value((unsigned char)s[i + 1]), lo = hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && form) {
			c = ' ';
		}
		if (c == '\0' || o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	if (cap == 0)
		return -1;
	out[o] = '\0';
	return (long)o;
}

long goro__http_query_get(const char *q, size_t n, const char *key, char *out, size_t cap)
{
	char k[64];
	size_t pos = 0;
	while (pos < n) {
		const char *amp = memchr(q + pos, '&', n - pos);
		size_t end = amp ? (size_t)(amp - q) : n;
		const char *pair = q + pos;
		size_t plen = end - pos;
		pos = end + 1;
		const char *eq = memchr(pair, '=', plen);
		size_t klen = eq ? (size_t)(eq - pair) : plen;
		if (goro__http_unescape(pair, klen, true, k, sizeof k) < 0 || strcmp(k, key) != 0)
			continue;
		const char *v = eq ? eq + 1 : pair + plen;
		long r = goro__http_unescape(v, (size_t)(pair + plen - v), true, out, cap);
		return r < 0 ? -2 : r;
	}
	return -1;
}
