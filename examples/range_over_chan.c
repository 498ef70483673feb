/*
 * range_over_chan — the article's "Range Over Channel" scenario: workers
 * ranging over a channel that is never closed leak once the items run out.
 *
 *     range_over_chan [--fixed]
 *
 * Go: examples/go/range_over_chan/main.go.  RangeOverChan and its fix are
 * in scenarios.c.
 */
#include "cli.h"
#include "print_leaks.h"
#include "scenarios.h"

typedef void range_over_chan_func(const int *list, int nlist, int workers);

/* The closure main passes to printLeaks. */
static void main_func1(void *arg)
{
	range_over_chan_func *range_over_chan_fn = *(range_over_chan_func **)arg;
	range_over_chan_fn((const int[]){ 11, 22, 33, 44 }, 4, 2);
}

int main(int argc, char **argv)
{
	struct example_cli cli = { 0 };
	example_cli_parse(argc, argv, false, &cli);

	range_over_chan_func *range_over_chan_fn = range_over_chan;
	if (cli.fixed)
		range_over_chan_fn = range_over_chan_fixed;
	print_leaks(main_func1, &range_over_chan_fn);
	return 0;
}
