/*
 * print_leaks.c — the article's printLeaks, in goro.
 *
 * f runs in frames of its own, gone before the profile is taken: no live
 * frame of main refers to the channels it made, so only the goroutines
 * blocked on them do (else the detector would rightly call them
 * reachable from a running goroutine).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "print_leaks.h"

int print_leaked_blocks(FILE *out, const char *dump)
{
	int n = 0;
	const char *p = dump;
	while (*p) {
		/* Goroutines are separated by an empty line (Go: "\n\n"). */
		const char *end = strstr(p, "\n\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *leaked = memmem(p, len, "(leaked)", 8);
		if (leaked) {
			fprintf(out, "%.*s\n\n", (int)len, p);
			n++;
		}
		p += len;
		while (*p == '\n')
			p++;
	}
	return n;
}

void print_leaks(goro_fn f, void *arg)
{
	f(arg);

	goro_sleep(50 * GORO_MILLISECOND); // Give the runtime a moment to settle.
	int n_goro = goro_num_goroutine() - 1; // minus the main goroutine
	printf("nGoro = %d\n", n_goro);

	char *content = NULL;
	size_t len = 0;
	FILE *prof = open_memstream(&content, &len);
	if (!prof || goro_profile_write("goroutineleak", prof, 2) != 0) {
		perror("goroutineleak profile");
		exit(1);
	}
	fclose(prof);
	// Print only the leaked goroutines.
	print_leaked_blocks(stdout, content);
	free(content);
	// The goroutines the detection run above found (Go: prof.Count()).
	printf("leaked goroutines: %d\n", goro_leakprof_count());
	fflush(stdout);
}
