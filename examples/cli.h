/*
 * cli.h — the example programs' command line: `--fixed` runs the
 * article's fix instead of the leaky code (Go: -fixed); take_first also
 * takes `--items N` (0: a nil slice).
 */
#ifndef GORO_EXAMPLES_CLI_H
#define GORO_EXAMPLES_CLI_H

#include <stdbool.h>

struct example_cli {
	bool fixed;
	int items; /* --items, when allowed */
};

/* Parses argv into *cli (which holds the defaults); prints a usage line
 * and exits with status 2 on anything else. */
void example_cli_parse(int argc, char **argv, bool allow_items, struct example_cli *cli);

#endif /* GORO_EXAMPLES_CLI_H */
