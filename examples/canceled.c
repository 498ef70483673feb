/*
 * canceled — the article's "Cancel/Timeout" scenario: the parent gives up
 * when its context is canceled, and the child's send blocks forever.
 *
 *     canceled [--fixed]
 *
 * Go: examples/go/canceled/main.go.  Canceled and its fix are in
 * scenarios.c.
 */
#include "cli.h"
#include "print_leaks.h"
#include "scenarios.h"

typedef void canceled_func(goro_ctx *ctx);

/* The closure main passes to printLeaks. */
static void main_func1(void *arg)
{
	canceled_func *canceled_fn = *(canceled_func **)arg;
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_cancel(ctx); // Immediately cancel the context
	canceled_fn(ctx);
	goro_ctx_release(ctx);
}

int main(int argc, char **argv)
{
	struct example_cli cli = { 0 };
	example_cli_parse(argc, argv, false, &cli);

	canceled_func *canceled_fn = canceled;
	if (cli.fixed)
		canceled_fn = canceled_fixed;
	print_leaks(main_func1, &canceled_fn);
	return 0;
}
