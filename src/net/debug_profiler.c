/*
 * debug_profiler.c — the debug server's profile writer: one goroutine
 * that runs every goro_profile_write the server makes, for all its
 * connections.
 *
 * Why not on the connection goroutines: the goroutineleak profile scans
 * stacks conservatively, and a stack that once ran leak detection keeps
 * pointers to the leaked goroutines and their channels in its dead depths.
 * Handed to the next connection goroutine (stacks are recycled), and
 * scanned while that one waits for the world to stop, such leftovers would
 * make leaked goroutines look reachable.  A single long-lived writer, with
 * a stack of its own size (never recycled into the default-size cache),
 * keeps the leftovers where no scan looks: below the sp of the goroutine
 * that requests the detection.  Writes are serialised by the runtime's
 * stop-the-world lock anyway.
 *
 * State (guarded by the server's lock, debug_server.c): jobs is the
 * writer's unbuffered channel while it runs; closing it ends the writer.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "net/debug_http.h"
#include "sched/sched.h"

enum { PROFILER_STACK = 256 * 1024 };

struct profile_job {
	const char *name;
	int debug;
	char *body;
	size_t len;
	int rc;
	goro_waitgroup done;
};

static goro_chan *jobs;
static goro_waitgroup exited;

static void profiler_main(void *p)
{
	(void)p;
	struct profile_job *j;
	while (goro_chan_recv(jobs, &j)) {
		FILE *f = open_memstream(&j->body, &j->len);
		j->rc = f ? goro_profile_write(j->name, f, j->debug) : -1;
		if (f)
			fclose(f);
		goro_waitgroup_done(&j->done);
	}
	goro_waitgroup_done(&exited);
}

void goro__debug_profiler_start(void)
{
	jobs = goro_chan_new(struct profile_job *, 0);
	goro_waitgroup_add(&exited, 1);
	/* A system goroutine, like the server's: hidden from the user's view. */
	goro__spawn_with(&(struct goro_spawn){
		.fn = profiler_main, .stack_size = PROFILER_STACK, .system = true });
}

void goro__debug_profiler_stop(void)
{
	goro_chan_close(jobs);
	goro_waitgroup_wait(&exited);
	goro_chan_free(jobs);
	jobs = NULL;
}

int goro__debug_profile(const char *name, int debug, char **body, size_t *len)
{
	struct profile_job j = { .name = name, .debug = debug };
	struct profile_job *jp = &j;
	goro_waitgroup_add(&j.done, 1);
	goro_chan_send(jobs, &jp);
	goro_waitgroup_wait(&j.done);
	*body = j.body;
	*len = j.len;
	return j.rc;
}
