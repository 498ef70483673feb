/*
 * exit_teardown.c — a library whose exit handler frees state goroutines
 * use.  Its handler is registered before goro starts, so it runs after
 * goro's exit check; goroutines that keep using the state (a sleeping
 * loop: never leaked) must not run once the check started, or they crash
 * on the freed state.  argv[1]: "leakcheck" (run with GORO_LEAKCHECK=1)
 * or "goleak" (goro_leak_verify_at_exit, the loopers ignored).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <goro.h>

struct lib_state {
	long counter;
};

static struct lib_state *volatile lib;

static void lib_cleanup(void)
{
	free(lib);
	lib = NULL;
	/* teardown takes a while: a goroutine still running would crash */
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	puts("library torn down");
}

static void use_library(void *p)
{
	(void)p;
	for (;;) {
		lib->counter++;
		goro_sleep(GORO_MILLISECOND);
	}
}

int main(int argc, char **argv)
{
	lib = calloc(1, sizeof *lib);
	atexit(lib_cleanup); /* before any goro call: runs after goro's */
	bool goleak = argc > 1 && strcmp(argv[1], "goleak") == 0;
	for (int i = 0; i < 4; i++)
		goro_go(use_library, &i);
	if (goleak) {
		goro_leak_opts *o = goro_leak_opts_new();
		goro_leak_ignore_current(o);
		goro_leak_max_wait(o, 50 * GORO_MILLISECOND);
		goro_leak_verify_at_exit(o);
	}
	goro_sleep(10 * GORO_MILLISECOND);
	puts("main returns");
	return 0;
}
