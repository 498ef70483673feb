/*
 * double_send — the article's "Double Send" scenario: on the error path the
 * child sends twice, the caller receives once, and the second send blocks
 * forever.
 *
 *     double_send [--fixed]
 *
 * Go: examples/go/double_send/main.go.  DoubleSend and its fix are in
 * scenarios.c.
 */
#include "cli.h"
#include "print_leaks.h"
#include "scenarios.h"

typedef goro_chan *double_send_func(void);

/* The closure main passes to printLeaks: <-doubleSend() */
static void main_func1(void *arg)
{
	double_send_func *double_send_fn = *(double_send_func **)arg;
	goro_chan_recv(double_send_fn(), NULL);
}

int main(int argc, char **argv)
{
	struct example_cli cli = { 0 };
	example_cli_parse(argc, argv, false, &cli);

	double_send_func *double_send_fn = double_send;
	if (cli.fixed)
		double_send_fn = double_send_fixed;
	print_leaks(main_func1, &double_send_fn);
	return 0;
}
