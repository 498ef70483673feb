/*
 * direct.c — one of the article's scenarios, called straight from main,
 * the way the article's programs call them (no wrapper goroutine whose
 * stack dies before detection), then the article's printLeaks steps:
 * sleep 50 ms, find the leaks.  Built once per scenario, version,
 * compiler and optimisation level by tests/scenarios/run.py:
 *
 *     cc -O2 -DSCENARIO_GATHER [-DFIXED] direct.c libgoro.a ...
 *
 * scenarios.c is included, not linked, so that the compiler may inline
 * the scenario into main: the dead words it leaves in main's frame and in
 * callee-saved register slots are what this test is about.
 *
 * Prints one line per leaked goroutine, "leak <start function> <wait
 * reason>", then "leaked <n>".
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../examples/scenarios.c"

#ifdef FIXED
#define V(name) name##_fixed
#else
#define V(name) name
#endif

static int ret11(void) { return 11; }
static int ret22(void) { return 22; }
static int ret33(void) { return 33; }

static int *make_items(int n)
{
	if (n == 0)
		return NULL;
	int *items = goro_calloc((size_t)n, sizeof *items);
	for (int i = 0; i < n; i++)
		items[i] = 11 * (i + 1);
	return items;
}

static void report(void)
{
	goro_leaked *leaks = NULL;
	int n = goro_leakprof_find(&leaks);
	for (int i = 0; i < n; i++)
		printf("leak %s %s\n", leaks[i].start_function, leaks[i].wait_reason);
	printf("leaked %d\n", n);
	goro_leakprof_free(leaks);
}

int main(void)
{
#if defined(SCENARIO_GATHER)
	V(gather)((const int_func[]){ ret11, ret22, ret33 }, 3);
#elif defined(SCENARIO_RANGE_OVER_CHAN)
	V(range_over_chan)((const int[]){ 11, 22, 33, 44 }, 4, 2);
#elif defined(SCENARIO_DOUBLE_SEND)
	goro_chan_recv(V(double_send)(), NULL);
#elif defined(SCENARIO_EARLY_RETURN)
	V(early_return)();
#elif defined(SCENARIO_CANCELED)
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_cancel(ctx); // Immediately cancel the context
	V(canceled)(ctx);
	goro_ctx_release(ctx);
#elif defined(SCENARIO_TAKE_FIRST) || defined(SCENARIO_TAKE_FIRST_NIL)
#ifdef SCENARIO_TAKE_FIRST
	struct take_first_args items = { make_items(3), 3 };
#else
	struct take_first_args items = { make_items(0), 0 };
#endif
	goro_go(V(take_first), &items);
#elif defined(SCENARIO_ORPHANS)
	V(orphans)();
#else
#error "define one SCENARIO_*"
#endif
	goro_sleep(50 * GORO_MILLISECOND); // Give the runtime a moment to settle.
	report();
	return 0;
}
