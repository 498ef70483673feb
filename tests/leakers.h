/*
 * leakers.h — goroutines that leak for sure, for tests of the leak
 * profile: blocked forever on channels nothing else refers to.
 */
#ifndef GORO_TEST_LEAKERS_H
#define GORO_TEST_LEAKERS_H

#include <criterion/criterion.h>

#include <goro.h>

#include "waiting.h"

static inline void leakers_recv(void *p)
{
	goro_chan *c = *(goro_chan **)p;
	int v;
	goro_chan_recv(c, &v);
}

struct leakers_spawn {
	int n;
	goro_waitgroup *wg;
};

static inline void leakers_spawn_main(void *p)
{
	struct leakers_spawn *ls = p;
	for (int i = 0; i < ls->n; i++) {
		goro_chan *c = goro_chan_new(int, 0);
		goro_go(leakers_recv, &c);
	}
	goro_waitgroup_done(ls->wg);
}

/*
 * n goroutines blocked forever in leakers_recv.  A goroutine of its own
 * makes them, and exits: no copy of a channel pointer may stay on a live
 * stack (a root of the leak profile).  Its stack has a size nobody else
 * asks for, so that no later goroutine gets it back with the old pointers
 * in its uninitialised slots.
 */
static inline void leak_some(int n)
{
	int before = blocked_count(WR_CHAN_RECV);
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, 1);
	struct leakers_spawn ls = { n, &wg };
	goro_go_opts(leakers_spawn_main, &ls, sizeof ls,
	             &(goro_go_options){ .stack_size = 136 * 1024 });
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK);
	EVENTUALLY(blocked_count(WR_CHAN_RECV) == before + n);
}

#endif /* GORO_TEST_LEAKERS_H */
