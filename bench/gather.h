/*
 * gather.h — the article's leaky Gather, shared by the leak-report rows
 * (bench_trace.c, bench_synctest.c):
 *
 *     func Gather(funcs ...func() int) <-chan int {
 *         out := make(chan int)
 *         for _, f := range funcs { go func() { out <- f() }() }
 *         return out
 *     }
 *
 * Nobody receives from out, so each goroutine blocks forever in "chan send".
 */
#ifndef GORO_BENCH_GATHER_H
#define GORO_BENCH_GATHER_H

#include <goro.h>

struct gather_arg {
	goro_chan *out;
	int (*f)(void);
};

static void gather_func1(void *p)
{
	struct gather_arg *a = p;
	int v = a->f();
	goro_chan_send(a->out, &v);
}

static int gather_11(void) { return 11; }
static int gather_22(void) { return 22; }
static int gather_33(void) { return 33; }

/* Gather(11, 22, 33): three goroutines, each blocked sending on out. */
static __attribute__((unused)) goro_chan *gather_three(void)
{
	int (*const funcs[])(void) = { gather_11, gather_22, gather_33 };
	goro_chan *out = goro_chan_new(int, 0);
	for (int i = 0; i < 3; i++)
		goro_go(gather_func1, &(struct gather_arg){ .out = out, .f = funcs[i] });
	return out;
}

#endif /* GORO_BENCH_GATHER_H */
