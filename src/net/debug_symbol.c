/*
 * debug_symbol.c — /debug/pprof/symbol, net/http/pprof's Symbol handler:
 * the program-counter lookup `go tool pprof` uses to symbolize a remote
 * profile.
 *
 *   GET /debug/pprof/symbol                  "num_symbols: 1\n" (symbols exist)
 *   GET /debug/pprof/symbol?0x4a1b24+0x4a1c  one "0xPC name\n" per known pc
 *
 * Go also takes the pcs as a POST body; the debug server reads heads only,
 * so the query form (which Go accepts for GET) is the one served.
 * Unknown and malformed words are skipped, as Go's handler does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/debug_http.h"
#include "trace/trace.h"

enum { WORD_MAX = 32 };

/* One "0x..." word: its pc's function, if the symbolizer knows it. */
static void symbol_line(FILE *f, const char *w, size_t n)
{
	char buf[WORD_MAX];
	char *end;

	if (n == 0 || n >= sizeof buf)
		return;
	memcpy(buf, w, n);
	buf[n] = '\0';
	unsigned long long pc = strtoull(buf, &end, 0);
	if (*end != '\0' || pc == 0)
		return;
	struct goro_sym s;
	if (goro__symbolize((uintptr_t)pc, &s))
		fprintf(f, "%#llx %s\n", pc, s.func);
}

void goro__pprof_symbol(const struct goro_http_request *req, struct goro_http_response *resp)
{
	resp->status = 200;
	resp->content_type = "text/plain; charset=utf-8";
	resp->nosniff = true;
	FILE *f = open_memstream(&resp->body, &resp->body_len);
	if (f == NULL) {
		resp->status = 500;
		return;
	}
	/* Go's answer to "are there symbols": always, for a goro program. */
	fputs("num_symbols: 1\n", f);
	const char *q = req->query.p, *end = q + req->query.n;
	while (q < end) {
		const char *w = q;
		while (q < end && *q != '+')
			q++;
		symbol_line(f, w, (size_t)(q - w));
		if (q < end)
			q++;
	}
	fclose(f);
}
