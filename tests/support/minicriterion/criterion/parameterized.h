/*
 * parameterized.h — minicriterion's parameterized tests.
 *
 *     ParameterizedTestParameters(suite, name) { ... return cr_make_param_array(T, a, n, cleanup); }
 *     ParameterizedTest(T *param, suite, name, options...) { ... }
 *
 * As with Criterion, the parameters are computed once in the runner, each
 * of them runs as a test of its own (in its own process, reported as
 * suite::name[i]), and the cleanup runs in the runner at the end.
 */
#ifndef MINICRITERION_PARAMETERIZED_H
#define MINICRITERION_PARAMETERIZED_H

#include <criterion/criterion.h>

/* The optional last argument is the cleanup function. */
#define cr_make_param_array(type, array, len, ...)                           \
	((struct criterion_test_params){ .size = sizeof(type), .params = (void *)(array), \
	                                 .length = (len), __VA_ARGS__ })

#define ParameterizedTestParameters(s, n)                                    \
	static struct criterion_test_params mc__params_##s##__##n(void)

/* The trampoline converts the runner's void * to the test's parameter type. */
#define ParameterizedTest(param_decl, s, n, ...)                              \
	static struct criterion_test_params mc__params_##s##__##n(void);         \
	static void mc__pfn_##s##__##n(param_decl);                              \
	static void mc__trampoline_##s##__##n(void *p)                           \
	{                                                                        \
		mc__pfn_##s##__##n(p);                                               \
	}                                                                        \
	MC__TEST_DEFINE(s, n, .param_fn = mc__trampoline_##s##__##n,             \
	                .params = mc__params_##s##__##n, __VA_ARGS__)            \
	static void mc__pfn_##s##__##n(param_decl)

#endif /* MINICRITERION_PARAMETERIZED_H */
