/*
 * gather — the article's first scenario: Gather's goroutines leak when the
 * caller does not read every result from the unbuffered channel.
 *
 *     gather [--fixed]
 *
 * Go: examples/go/gather/main.go.  Gather and its fix are in scenarios.c.
 */
#include "cli.h"
#include "print_leaks.h"
#include "scenarios.h"

typedef goro_chan *gather_func(const int_func *funcs, int nfuncs);

static int ret11(void) { return 11; }
static int ret22(void) { return 22; }
static int ret33(void) { return 33; }

/* The closure main passes to printLeaks. */
static void main_func1(void *arg)
{
	gather_func *gather_fn = *(gather_func **)arg;
	gather_fn((const int_func[]){ ret11, ret22, ret33 }, 3);
}

int main(int argc, char **argv)
{
	struct example_cli cli = { 0 };
	example_cli_parse(argc, argv, false, &cli);

	gather_func *gather_fn = gather;
	if (cli.fixed)
		gather_fn = gather_fixed;
	print_leaks(main_func1, &gather_fn);
	return 0;
}
