/*
 * Whole-heap tracking: a goroutine waits on a channel referenced only from
 * a plain malloc block that was then dropped, and another on a channel held
 * (through malloc) by a global.  Plain malloc memory is a root, so without
 * libgoro_malloc.so nothing is reported; with it preloaded, malloc blocks
 * are tracked like goro_malloc's and the first goroutine is leaked.
 * Prints "leaked N".
 */
#include <goro.h>
#include <stdio.h>
#include <stdlib.h>
struct holder { goro_chan *ch; };
static void waiter(void *p) { int v; goro_chan_recv(((struct holder *)p)->ch, &v); }
static __attribute__((noinline)) void setup(void) {
	/* The channel is referenced only from plain malloc memory, which is then dropped. */
	struct holder *h = malloc(sizeof *h);
	h->ch = goro_chan_new(int, 0);
	goro_go(waiter, h);
	h = NULL;
}
static __attribute__((noinline)) void setup_kept(struct holder **keep) {
	*keep = malloc(sizeof **keep);
	(*keep)->ch = goro_chan_new(int, 0);
	goro_go(waiter, *keep);
}
static struct holder *global_keep;
int main(void) {
	setup();
	setup_kept(&global_keep);
	goro_sleep(20 * GORO_MILLISECOND);
	goro_leaked *l; int n = goro_leakprof_find(&l);
	printf("leaked %d\n", n);
	goro_leakprof_free(l);
	return 0;
}
