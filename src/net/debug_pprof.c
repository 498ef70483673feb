/*
 * debug_pprof.c — the /debug/pprof handlers: Go's net/http/pprof
 * conventions (go-semantics.md §5) over goro_profile_write.
 *
 *   /debug/pprof/          index (HTML): count and debug=1 link per profile
 *   /debug/pprof/NAME      ?debug=N; N != 0: text/plain; 0: the protobuf as
 *                          an attachment named NAME
 *   /debug/pprof/cmdline   argv joined by NUL bytes
 *   /debug/pprof/symbol    pc -> function lookup (debug_symbol.c)
 *   unknown NAME           404 "Unknown profile" (with X-Go-Pprof: 1)
 *
 * Every handler response carries X-Content-Type-Options: nosniff, as Go's.
 * Deviation: Go reads an unparsable debug value as 0; here it is a 400, so
 * a typo does not silently download a binary profile.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/debug_http.h"

#define PREFIX "/debug/pprof/"
#define TEXT_PLAIN "text/plain; charset=utf-8"

enum { PARAM_MAX_LEN = 32, PATH_MAX_LEN = 256 };

/* The index, sorted by name as Go's.  count: a goro profile (else 0). */
static const struct {
	const char *name;
	bool count;
	const char *desc;
} entries[] = {
	{ "cmdline", false, "The command line invocation of the current program" },
	{ "goroutine", true,
	  "Stack traces of all current goroutines. Use debug=2 as a query parameter "
	  "to export in the same format as an unrecovered panic." },
	{ "goroutineleak", true,
	  "Stack traces of goroutines blocked forever on unreachable channels or sync "
	  "objects (runs leak detection). Use debug=2 as a query parameter to export "
	  "in the same format as an unrecovered panic." },
	{ "symbol", false, "Maps program counters to function names (go tool pprof "
	  "symbolizes remote profiles with it)." },
};

const char *goro__http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 301: return "Moved Permanently";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* The body is built in a memory stream; false if out of memory. */
static FILE *body_open(struct goro_http_response *resp)
{
	return open_memstream(&resp->body, &resp->body_len);
}

void goro__http_text(struct goro_http_response *resp, int status, const char *text)
{
	resp->status = status;
	resp->content_type = TEXT_PLAIN;
	FILE *f = body_open(resp);
	if (f) {
		fprintf(f, "%s\n", text);
		fclose(f);
	}
}

/* net/http/pprof's serveError: text, X-Go-Pprof, no attachment. */
static void pprof_error(struct goro_http_response *resp, int status, const char *text)
{
	goro__http_text(resp, status, text);
	resp->pprof_error = true;
	resp->attachment = NULL;
}

static void serve_index(struct goro_http_response *resp)
{
	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	FILE *f = body_open(resp);
	if (!f)
		return;
	fputs("<html>\n<head>\n<title>/debug/pprof/</title>\n<style>\n"
	      ".profile-name{\n\tdisplay:inline-block;\n\twidth:6rem;\n}\n</style>\n"
	      "</head>\n<body>\n/debug/pprof/\n<br>\n"
	      "<p>Set debug=1 as a query parameter to export in legacy text format</p>\n"
	      "<br>\nTypes of profiles available:\n<table>\n"
	      "<thead><td>Count</td><td>Profile</td></thead>\n", f);
	for (size_t i = 0; i < GORO_ARRAY_LEN(entries); i++) {
		int count = entries[i].count ? goro_profile_count(entries[i].name) : 0;
		fprintf(f, "\t<tr>\n\t<td>%d</td><td><a href='%s?debug=1'>%s</a></td>\n\t</tr>\n",
		        count < 0 ? 0 : count, entries[i].name, entries[i].name);
	}
	fputs("</table>\n<a href=\"goroutine?debug=2\">full goroutine stack dump</a>\n<br>\n"
	      "<p>\nProfile Descriptions:\n<ul>\n", f);
	for (size_t i = 0; i < GORO_ARRAY_LEN(entries); i++)
		fprintf(f, "<li><div class=profile-name>%s: </div> %s</li>\n", entries[i].name,
		        entries[i].desc);
	/* Say what net/http/pprof serves and goro does not (yet). */
	fputs("</ul>\n</p>\n<p>Not served by goro yet: profile (CPU), heap, allocs, mutex, "
	      "block, threadcreate, trace.</p>\n</body>\n</html>\n", f);
	fclose(f);
}

/* os.Args joined by NUL bytes: /proc/self/cmdline without its last NUL. */
static void serve_cmdline(struct goro_http_response *resp)
{
	resp->status = 200;
	resp->content_type = TEXT_PLAIN;
	FILE *in = fopen("/proc/self/cmdline", "re");
	FILE *f = body_open(resp);
	if (in && f) {
		char buf[4096];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, in)) > 0)
			fwrite(buf, 1, n, f);
	}
	if (in)
		fclose(in);
	if (f)
		fclose(f);
	if (resp->body_len > 0 && resp->body[resp->body_len - 1] == '\0')
		resp->body_len--;
}

/* A non-negative int, as strconv.Atoi would accept it (no sign). */
static bool parse_nonneg(const char *s, long max, long *v)
{
	if (!*s)
		return false;
	long x = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (*s - '0');
		if (x > max)
			return false;
	}
	*v = x;
	return true;
}

/*
 * A query parameter: 1 with its value, 0 if absent or empty (Go's
 * FormValue cannot tell those apart), -1 if malformed.
 */
static int param(const struct goro_http_request *req, const char *key, char *val)
{
	long n = goro__http_query_get(req->query.p, req->query.n, key, val, PARAM_MAX_LEN);
	if (n == -2)
		return -1;
	return n > 0 ? 1 : 0;
}

/*
 * Detection gave no verdict: 503, so that a monitor polling the endpoint
 * never takes "could not tell" for "no leaks".  A text profile keeps its
 * body (it carries the "inconclusive: <why>" line); a binary one is
 * replaced by that line, which a client reading the status can show.
 */
static void serve_inconclusive(struct goro_http_response *resp, bool text)
{
	resp->status = 503;
	resp->content_type = TEXT_PLAIN;
	resp->attachment = NULL;
	if (text)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	const char *why = goro_leakprof_inconclusive();
	char line[160];
	snprintf(line, sizeof line, "inconclusive: %s", why ? why : "no verdict");
	pprof_error(resp, 503, line);
}

static void serve_profile(const struct goro_http_request *req, const char *name,
                          struct goro_http_response *resp)
{
	resp->nosniff = true;
	if (goro_profile_count(name) < 0) {
		pprof_error(resp, 404, "Unknown profile");
		return;
	}
	char val[PARAM_MAX_LEN];
	long sec;
	int has = param(req, "seconds", val);
	if (has < 0 || (has > 0 && (!parse_nonneg(val, LONG_MAX / 10, &sec) || sec == 0))) {
		pprof_error(resp, 400, "invalid value for \"seconds\" - must be a positive integer");
		return;
	}
	if (has > 0) { /* goroutine profiles are snapshots, not deltas */
		pprof_error(resp, 400, "\"seconds\" parameter is not supported for this profile type");
		return;
	}
	long debug = 0;
	has = param(req, "debug", val);
	if (has < 0 || (has > 0 && !parse_nonneg(val, INT_MAX / 10, &debug))) {
		pprof_error(resp, 400, "invalid value for \"debug\" - must be a non-negative integer");
		return;
	}
	int rc = goro__debug_profile(name, (int)debug, &resp->body, &resp->body_len);
	if (rc == GORO_LEAK_INCONCLUSIVE) {
		serve_inconclusive(resp, debug != 0);
		return;
	}
	if (rc != 0) {
		free(resp->body);
		resp->body = NULL;
		resp->body_len = 0;
		pprof_error(resp, 500, "Could not write profile");
		return;
	}
	resp->status = 200;
	if (debug != 0) {
		resp->content_type = TEXT_PLAIN;
	} else {
		resp->content_type = "application/octet-stream";
		resp->attachment = name;
	}
}

void goro__pprof_serve(const struct goro_http_request *req, struct goro_http_response *resp)
{
	bool get = req->method.n == 3 && memcmp(req->method.p, "GET", 3) == 0;
	bool head = req->method.n == 4 && memcmp(req->method.p, "HEAD", 4) == 0;
	if (!get && !head) {
		goro__http_text(resp, 405, "Method Not Allowed");
		resp->allow = "GET, HEAD";
		return;
	}
	/* Longer paths name nothing we serve.  Zeroed: a stack buffer's
	 * leftovers are seen by the leak profile's conservative scan. */
	char path[PATH_MAX_LEN] = { 0 };
	long plen = goro__http_unescape(req->path.p, req->path.n, false, path, sizeof path);
	if (plen < 0 && req->path.n < sizeof path) { /* short, so malformed */
		goro__http_text(resp, 400, "Bad Request");
		return;
	}
	if (plen < 0) {
		goro__http_text(resp, 404, "404 page not found");
		return;
	}
	if (strcmp(path, "/debug/pprof") == 0) {
		/* ServeMux's redirect to the subtree, query kept. */
		resp->status = 301;
		if (req->query.n > 0 && req->query.n < sizeof resp->location - sizeof PREFIX - 1)
			snprintf(resp->location, sizeof resp->location, PREFIX "?%.*s",
			         (int)req->query.n, req->query.p);
		else
			snprintf(resp->location, sizeof resp->location, PREFIX);
		return;
	}
	if (strncmp(path, PREFIX, strlen(PREFIX)) != 0) {
		goro__http_text(resp, 404, "404 page not found");
		return;
	}
	const char *name = path + strlen(PREFIX);
	if (*name == '\0') {
		resp->nosniff = true;
		serve_index(resp);
	} else if (strcmp(name, "cmdline") == 0) {
		resp->nosniff = true;
		serve_cmdline(resp);
	} else if (strcmp(name, "symbol") == 0) {
		goro__pprof_symbol(req, resp);
	} else {
		/* The attachment name must outlive this frame: use the table's. */
		for (size_t i = 0; i < GORO_ARRAY_LEN(entries); i++)
			if (strcmp(name, entries[i].name) == 0)
				name = entries[i].name;
		serve_profile(req, name, resp);
	}
}
