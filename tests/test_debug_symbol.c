/* /debug/pprof/symbol: net/http/pprof's pc -> function lookup. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goro.h"

__attribute__((noinline)) void symbol_target_function(void)
{
	__asm__ volatile("");
}

struct fetch {
	char cmd[512];
	char out[4096];
};

/* curl off the worker (goro_offload): the server runs meanwhile. */
static void run_curl(void *p)
{
	struct fetch *f = p;
	FILE *pipe = popen(f->cmd, "r");
	size_t n = pipe ? fread(f->out, 1, sizeof f->out - 1, pipe) : 0;
	f->out[n] = '\0';
	if (pipe)
		pclose(pipe);
}

static void get(int port, const char *target, struct fetch *f)
{
	snprintf(f->cmd, sizeof f->cmd, "curl -s 'http://127.0.0.1:%d%s'", port, target);
	goro_offload(run_curl, f);
}

Test(debug_symbol, looks_up_program_counters)
{
	int port = goro_debug_serve("127.0.0.1:0");
	cr_assert_gt(port, 0);
	struct fetch *f = calloc(1, sizeof *f);

	get(port, "/debug/pprof/symbol", f);
	cr_assert_str_eq(f->out, "num_symbols: 1\n");

	char target[128], want[128];
	uintptr_t pc = (uintptr_t)symbol_target_function;
	snprintf(target, sizeof target, "/debug/pprof/symbol?%#lx+0x1+bogus+%#lx",
	         (unsigned long)pc, (unsigned long)(uintptr_t)goro_chan_send);
	get(port, target, f);
	snprintf(want, sizeof want, "num_symbols: 1\n%#lx symbol_target_function\n",
	         (unsigned long)pc);
	cr_assert(strncmp(f->out, want, strlen(want)) == 0, "got:\n%s\nwant prefix:\n%s", f->out, want);
	cr_assert_not_null(strstr(f->out, " goro_chan_send\n"), "%s", f->out);
	cr_assert_null(strstr(f->out, "bogus"), "%s", f->out);

	get(port, "/debug/pprof/", f);
	cr_assert_not_null(strstr(f->out, "<a href='symbol?debug=1'>symbol</a>"), "%s", f->out);
	cr_assert_not_null(strstr(f->out, "Not served by goro yet"), "%s", f->out);
	free(f);
	goro_debug_stop();
}
