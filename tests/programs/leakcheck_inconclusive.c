/*
 * leakcheck_inconclusive.c — run with GORO_LEAKCHECK=1: a goroutine leaks
 * and a thread that blocks the stop signal is still spinning at exit, so
 * the at-exit check cannot judge; it must say so and exit with status 24
 * (neither 0, "clean", nor 23, "leaked").
 */
#include <stdio.h>

#include <goro.h>

#include "../unstoppable.h"

static void wait_forever(void *p)
{
	goro_chan *c = *(goro_chan **)p;
	int v;
	goro_chan_recv(c, &v);
}

static void spawn(void *p)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(wait_forever, &c);
	goro_waitgroup_done(*(goro_waitgroup **)p);
}

int main(void)
{
	static goro_waitgroup wg;
	goro_waitgroup *wgp = &wg;
	goro_waitgroup_add(&wg, 1);
	goro_go(spawn, &wgp);
	goro_waitgroup_wait(&wg);
	static struct unstoppable u;
	unstoppable_start(&u);
	puts("exiting with a spinning thread");
	return 0;
}
