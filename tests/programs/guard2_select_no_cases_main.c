/*
 * GUARD-2 (Go's SelectNoCasesMain) as a plain program: goroutine 1 parks
 * in select {} and must not be reported; its child, waiting on a channel
 * that only main's frame references, must be.  A plain main, because under
 * a test runner the runner's own threads may hold pointers into main's
 * stack (conservative roots), which would hide the child.
 * Prints "leaked <start_function> [<wait reason>]" per leaked goroutine.
 */
#include <goro.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct chan_arg {
	goro_chan *ch;
};

static void select_no_cases_main_func1(void *arg)
{
	int v;
	goro_chan_recv(((struct chan_arg *)arg)->ch, &v);
}

static void reporter(void *arg)
{
	(void)arg;
	goro_sleep(20 * GORO_MILLISECOND);
	goro_leaked *l;
	int n = goro_leakprof_find(&l);
	for (int i = 0; i < n; i++)
		printf("leaked %s [%s] goroutine %lld\n", l[i].start_function, l[i].wait_reason,
		       (long long)l[i].id);
	printf("total %d\n", n);
	fflush(stdout);
	_exit(0);
}

int main(void)
{
	goro_chan *ch = goro_chan_new(int, 0);
	goro_go(select_no_cases_main_func1, &(struct chan_arg){ ch });
	goro_go0(reporter);
	goro_select(NULL, 0, false);
}
