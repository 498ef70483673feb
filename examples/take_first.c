/*
 * take_first — the article's "Take First" scenario: the parent takes the
 * first result and every other child leaks on its send; with no items the
 * parent itself leaks on its receive.
 *
 *     take_first [--items N] [--fixed]
 *
 * --items 0 passes a nil slice (the parent-leak case); the default is 3.
 * Go: examples/go/take_first/main.go.  TakeFirst and its fix are in
 * scenarios.c.
 */
#include "cli.h"
#include "print_leaks.h"
#include "scenarios.h"

/* makeItems: n items 11, 22, 33, ... (nil for n == 0, as in the article's
 * TakeFirst(nil)). */
static int *make_items(int n)
{
	if (n == 0)
		return NULL;
	int *items = goro_calloc((size_t)n, sizeof *items);
	for (int i = 0; i < n; i++)
		items[i] = 11 * (i + 1);
	return items;
}

struct main_func1_args {
	goro_fn take_first_fn;
	struct take_first_args items;
};

/* The closure main passes to printLeaks: go takeFirst(items) */
static void main_func1(void *arg)
{
	const struct main_func1_args *a = arg;
	goro_go(a->take_first_fn, &a->items);
}

int main(int argc, char **argv)
{
	struct example_cli cli = { .items = 3 };
	example_cli_parse(argc, argv, true, &cli);

	goro_fn take_first_fn = take_first;
	if (cli.fixed)
		take_first_fn = take_first_fixed;
	struct take_first_args items = { make_items(cli.items), cli.items };
	print_leaks(main_func1, &(struct main_func1_args){ take_first_fn, items });
	return 0;
}
