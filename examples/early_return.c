/*
 * early_return — the article's "Early Return" scenario: the parent returns
 * on an error before receiving its child's result, so the child's send
 * blocks forever.
 *
 *     early_return [--fixed]
 *
 * Go: examples/go/early_return/main.go.  EarlyReturn and its fix are in
 * scenarios.c.
 */
#include "cli.h"
#include "print_leaks.h"
#include "scenarios.h"

typedef void early_return_func(void);

/* The closure main passes to printLeaks. */
static void main_func1(void *arg)
{
	early_return_func *early_return_fn = *(early_return_func **)arg;
	early_return_fn();
}

int main(int argc, char **argv)
{
	struct example_cli cli = { 0 };
	example_cli_parse(argc, argv, false, &cli);

	early_return_func *early_return_fn = early_return;
	if (cli.fixed)
		early_return_fn = early_return_fixed;
	print_leaks(main_func1, &early_return_fn);
	return 0;
}
