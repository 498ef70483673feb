/*
 * orphans — the article's "Orphans" scenario: a client breaks the Worker's
 * contract by never calling Stop, so the worker's goroutines leak.
 *
 *     orphans [--fixed]
 *
 * Go: examples/go/orphans/main.go and worker.go.  The Worker type,
 * Orphans and its fix are in scenarios.c.
 */
#include "cli.h"
#include "print_leaks.h"
#include "scenarios.h"

typedef void orphans_func(void);

/* The closure main passes to printLeaks. */
static void main_func1(void *arg)
{
	orphans_func *orphans_fn = *(orphans_func **)arg;
	orphans_fn();
}

int main(int argc, char **argv)
{
	struct example_cli cli = { 0 };
	example_cli_parse(argc, argv, false, &cli);

	orphans_func *orphans_fn = orphans;
	if (cli.fixed)
		orphans_fn = orphans_fixed;
	print_leaks(main_func1, &orphans_fn);
	return 0;
}
