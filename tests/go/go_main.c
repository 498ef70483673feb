/*
 * go_main.c — the scenario dispatcher of the Go conformance binary: when
 * death_run started this binary with GORO_TEST_SCENARIO=<name>, run that
 * scenario (registered by GO_SCENARIO in any file) instead of the tests.
 */
#include "go.h"

extern struct go_scenario_reg __start_go_scenarios[] __attribute__((weak));
extern struct go_scenario_reg __stop_go_scenarios[] __attribute__((weak));

__attribute__((constructor)) static void go_dispatch(void)
{
	if (!getenv("GORO_TEST_SCENARIO"))
		return;
	size_t n = (size_t)(__stop_go_scenarios - __start_go_scenarios);
	struct death_scenario *s = calloc(n ? n : 1, sizeof *s);
	for (size_t i = 0; i < n; i++) {
		s[i].name = __start_go_scenarios[i].name;
		s[i].fn = __start_go_scenarios[i].fn;
	}
	death_dispatch(s, n);
}
