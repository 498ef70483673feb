/*
 * net_init.c — the net subsystem's part of runtime start-up, called once
 * by init_runtime (sched/worker.c) before the worker threads start:
 *
 *   - the netpoller's per-worker state and the workers' event hook;
 *   - GORO_DEBUG_ADDR=host:port: the /debug/pprof server, without code
 *     changes.  It cannot start right here: starting goroutines needs the
 *     runtime's init to have finished, and we are inside it (on the
 *     thread holding its pthread_once).  A short-lived helper thread makes
 *     the call; it waits for the init like any other thread calling goro,
 *     then exits, leaving the server's goroutines running.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/netpoll.h"
#include "sched/sched.h"

GORO_HIDDEN void goro__net_init(void);
GORO_HIDDEN const char *goro__hostport_problem(const char *addr);

static void *debug_env_main(void *arg)
{
	const char *addr = arg;
	const char *problem = goro__hostport_problem(addr);
	if (problem) /* Go's words: "address :99999: invalid port" */
		fprintf(stderr, "goro: GORO_DEBUG_ADDR=%s: cannot serve /debug/pprof: address %s: %s\n",
		        addr, addr, problem);
	else if (goro_debug_serve(addr) < 0)
		fprintf(stderr, "goro: GORO_DEBUG_ADDR=%s: cannot serve /debug/pprof: %s\n", addr,
		        strerror(errno));
	return NULL;
}

static void debug_env_start(void)
{
	const char *addr = getenv("GORO_DEBUG_ADDR");
	if (!addr || !*addr)
		return;
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	/* getenv's string lives as long as the environment: the thread may
	 * keep the pointer. */
	int rc = pthread_create(&t, &a, debug_env_main, (void *)addr);
	if (rc != 0)
		fprintf(stderr, "goro: GORO_DEBUG_ADDR=%s: cannot start: %s\n", addr, strerror(rc));
	pthread_attr_destroy(&a);
}

void goro__net_init(void)
{
	goro__netpoll_init();
	debug_env_start();
}
