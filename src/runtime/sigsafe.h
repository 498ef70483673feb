/*
 * sigsafe.h — text for stderr from places where stdio is not allowed:
 * signal handlers and fatal paths that may run with a runtime lock (or
 * malloc's) held.  A fixed buffer on the caller's stack, appended to with
 * string and number pieces (no snprintf, no allocation), then written with
 * write(2).  Everything here is async-signal-safe.
 */
#ifndef GORO_SIGSAFE_H
#define GORO_SIGSAFE_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

struct goro_sstr {
	char buf[512];
	size_t len; /* the text is cut at sizeof buf - 1, never overrun */
};

GORO_HIDDEN void goro__ss_str(struct goro_sstr *s, const char *text);
GORO_HIDDEN void goro__ss_dec(struct goro_sstr *s, long long v);
GORO_HIDDEN void goro__ss_hex(struct goro_sstr *s, uintptr_t v); /* 0x... */
/* Writes the text to fd 2 (retrying short writes) and empties s. */
GORO_HIDDEN void goro__ss_flush(struct goro_sstr *s);

/* "fatal error: <msg>" and exit status 2, like goro__throw but without
 * stdio, allocation or any lock (no stack either): for fatal paths that
 * may run where those are unusable (out of address space, a handler). */
GORO_HIDDEN __attribute__((noreturn)) void goro__fatal_raw(const char *msg);

#endif /* GORO_SIGSAFE_H */
