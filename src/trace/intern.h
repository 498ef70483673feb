/*
 * intern.h — strings that live forever, one copy per distinct content.
 *
 * Not thread-safe: the symbolizer, its only user, calls it under its lock.
 */
#ifndef GORO_TRACE_INTERN_H
#define GORO_TRACE_INTERN_H

#include <stddef.h>

#include "trace/trace.h"

/* The interned copy of s (equal content gives the same pointer); NULL on
 * allocation failure. */
GORO_HIDDEN const char *goro__intern(const char *s);
/* The same for the first n bytes of s (which must not contain a NUL). */
GORO_HIDDEN const char *goro__intern_n(const char *s, size_t n);

#endif /* GORO_TRACE_INTERN_H */
