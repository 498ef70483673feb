/*
 * cli.c — parsing the example programs' flags (see cli.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static _Noreturn void usage(const char *prog, bool allow_items)
{
	fprintf(stderr, "usage: %s [--fixed]%s\n", prog, allow_items ? " [--items N]" : "");
	exit(2);
}

static int parse_count(const char *s, const char *prog)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > 1000)
		usage(prog, true);
	return (int)v;
}

void example_cli_parse(int argc, char **argv, bool allow_items, struct example_cli *cli)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fixed") == 0)
			cli->fixed = true;
		else if (allow_items && strcmp(argv[i], "--items") == 0 && i + 1 < argc)
			cli->items = parse_count(argv[++i], argv[0]);
		else if (allow_items && strncmp(argv[i], "--items=", 8) == 0)
			cli->items = parse_count(argv[i] + 8, argv[0]);
		else
			usage(argv[0], allow_items);
	}
}
