/*
 * debug_http.h — what the debug server's connection code (debug_server.c)
 * and its pprof handlers (debug_pprof.c) pass each other: a parsed request
 * in, a complete response out.
 */
#ifndef GORO_NET_DEBUG_HTTP_H
#define GORO_NET_DEBUG_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "net/http_request.h"

/* The largest request head the server reads (431 beyond). */
enum { DEBUG_MAX_REQUEST = 8192 };

struct goro_http_response {
	int status;                  /* 200, 301, 400, 404, ... */
	const char *content_type;    /* NULL: none */
	const char *attachment;      /* Content-Disposition filename, or NULL */
	char location[256];          /* 301 target, or "" */
	const char *allow;           /* 405's Allow header, or NULL */
	bool nosniff;                /* X-Content-Type-Options: nosniff */
	bool pprof_error;            /* X-Go-Pprof: 1 (net/http/pprof's errors) */
	char *body;                  /* malloc'd (free it), or NULL */
	size_t body_len;
};

/* /debug/pprof/symbol (debug_symbol.c). */
GORO_HIDDEN void goro__pprof_symbol(const struct goro_http_request *req,
                                    struct goro_http_response *resp);

/* "OK", "Not Found", ... for the status line. */
GORO_HIDDEN const char *goro__http_status_text(int status);

/* Fills *resp (zeroed by the caller) for a request whose head parsed. */
GORO_HIDDEN void goro__pprof_serve(const struct goro_http_request *req,
                                   struct goro_http_response *resp);

/* The profile writer goroutine (debug_profiler.c): started and stopped
 * with the server; goro__debug_profile hands it one goro_profile_write and
 * returns its result, the output in a malloc'd *body. */
GORO_HIDDEN void goro__debug_profiler_start(void);
GORO_HIDDEN void goro__debug_profiler_stop(void);
GORO_HIDDEN int goro__debug_profile(const char *name, int debug, char **body, size_t *len);

/* A plain-text response: status, text/plain body `text` plus a newline. */
GORO_HIDDEN void goro__http_text(struct goro_http_response *resp, int status, const char *text);

#endif /* GORO_NET_DEBUG_HTTP_H */
