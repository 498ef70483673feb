/*
 * fatal.c — reports heap misuse and aborts.
 *
 * Writes with write(2) only: stdio may allocate, and when this heap is
 * malloc (malloc_preload.c) that would re-enter it in a broken state.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap/heap_internal.h"

static void put(const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(STDERR_FILENO, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void put_hex(uintptr_t v)
{
	char buf[2 + 2 * sizeof v + 1];
	char *p = buf + sizeof buf - 1;
	*p = '\0';
	do {
		*--p = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	put(p);
}

void goro__heap_invalid(const char *op, const void *p)
{
	put("goro: ");
	put(op);
	put(" of invalid pointer ");
	put_hex((uintptr_t)p);
	put("\n");
	abort();
}

void goro__heap_fatal(const char *msg)
{
	put("goro: ");
	put(msg);
	put("\n");
	abort();
}
