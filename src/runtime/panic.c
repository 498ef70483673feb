/*
 * panic.c — Go's panic (goro_panic: "panic: ..." + the goroutine's stack,
 * then abort) and throw (goro__throw: "fatal error: ..." + stack, exit 2).
 * goro has no recover: a panic always ends the process, so misuse is never
 * silently survived.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

GORO_HIDDEN void goro__print_current_stack(FILE *out);

GORO_API void goro_panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("panic: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	goro__print_current_stack(stderr);
	fflush(stderr);
	abort();
}

void goro__throw(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fatal error: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	goro__print_current_stack(stderr);
	fflush(stderr);
	_Exit(2);
}
