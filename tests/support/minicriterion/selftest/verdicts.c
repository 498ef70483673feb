/*
 * verdicts.c — minicriterion's own test: each test's suite is the verdict
 * it must get (pass, fail or skip), under Criterion and minicriterion
 * alike.  check.sh builds it against both and compares; it is not part of
 * the suite (half of these tests fail on purpose).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <goro.h>

/* ---- how a test ends ---------------------------------------------- */

Test(pass, returns) {}

Test(fail, assert_on_the_main_thread)
{
	cr_assert(1 + 1 == 3, "arithmetic is %s", "broken");
}

static void failing_goroutine(void *arg)
{
	cr_assert_eq(*(int *)arg, 2);
}

/* The main goroutine would wait forever: the goroutine's failure must end
 * the test. */
Test(fail, assert_in_a_goroutine)
{
	static int one = 1;
	goro_go(failing_goroutine, &one);
	goro_chan_recv(goro_chan_new(int, 0), NULL);
}

Test(fail, expect_then_return)
{
	cr_expect(0);
	cr_log_info("still running after a failed expectation");
}

Test(pass, expected_signal, .signal = SIGABRT)
{
	abort();
}

Test(fail, expected_signal_but_returned, .signal = SIGABRT) {}

Test(fail, expected_signal_but_another, .signal = SIGABRT)
{
	raise(SIGTERM);
}

Test(fail, crash)
{
	raise(SIGSEGV);
}

Test(pass, expected_exit_code, .exit_code = 3)
{
	exit(3);
}

Test(fail, expected_exit_code_but_returned, .exit_code = 3) {}

Test(fail, unexpected_exit_code)
{
	exit(5);
}

/* goro's deadlock report ends the process with status 2. */
Test(pass, goro_deadlock_exit_code, .exit_code = 2)
{
	goro_chan_recv(goro_chan_new(int, 0), NULL);
}

Test(skip, skipped)
{
	cr_skip_test("skipped on purpose (%d)", 42);
}

Test(skip, disabled, .disabled = true)
{
	cr_assert_fail("a disabled test must not run");
}

Test(fail, timeout, .timeout = 1)
{
	pause();
}

static int initialised;
static void set_up(void)
{
	initialised = 1;
}

Test(pass, init_runs_first, .init = set_up)
{
	cr_assert_eq(initialised, 1);
}

/* ---- parameterized ------------------------------------------------ */

static void free_params(struct criterion_test_params *p)
{
	cr_free(p->params);
}

ParameterizedTestParameters(pass, each_positive)
{
	int *v = cr_malloc(3 * sizeof *v);
	v[0] = 1, v[1] = 2, v[2] = 3;
	return cr_make_param_array(int, v, 3, free_params);
}

ParameterizedTest(int *v, pass, each_positive)
{
	cr_assert_gt(*v, 0);
}

ParameterizedTestParameters(fail, each_negative)
{
	static int v[] = { -1, -2 };
	return cr_make_param_array(int, v, 2);
}

ParameterizedTest(int *v, fail, each_negative)
{
	cr_assert_gt(*v, 0, "param %d", *v);
}

/* ---- assertions --------------------------------------------------- */

Test(pass, every_assertion_holds)
{
	int a[2] = { 1, 2 }, b[2] = { 1, 2 };
	const char *null = NULL;
	int i = 0;

	cr_assert(1);
	cr_assert(1, "with a message %d", 1);
	cr_assert_not(0);
	cr_assert_eq(1, 1);
	cr_assert_eq(&a[0], a, "pointers");
	cr_assert_eq(null, NULL);
	cr_assert_neq(1, 2);
	cr_assert_lt(1, 2);
	cr_assert_leq(2, 2);
	cr_assert_gt(2u, 1u);
	cr_assert_geq(2.0, 2.0);
	cr_assert_null(null);
	cr_assert_not_null(a);
	cr_assert_str_eq("ab", "ab");
	cr_assert_str_neq("ab", "ac");
	cr_assert_arr_eq(a, b, sizeof a);
	cr_assert_float_eq(0.1 + 0.2, 0.3, 1e-9);
	cr_expect(1);
	cr_expect_str_neq("a", "b", "%s", "msg");
	/* operands are evaluated once */
	cr_assert_eq(i++, 0);
	cr_assert_eq(i, 1);
}

Test(fail, assert_eq) { cr_assert_eq(1, 2); }
Test(fail, assert_neq) { cr_assert_neq(1, 1); }
Test(fail, assert_lt) { cr_assert_lt(2, 2); }
Test(fail, assert_leq) { cr_assert_leq(3, 2); }
Test(fail, assert_gt) { cr_assert_gt(2, 2); }
Test(fail, assert_geq) { cr_assert_geq(1, 2); }
Test(fail, assert_not) { cr_assert_not(1); }
Test(fail, assert_null) { cr_assert_null("x"); }
Test(fail, assert_not_null) { cr_assert_not_null(NULL); }
Test(fail, assert_str_eq) { cr_assert_str_eq("ab", "ac"); }
Test(fail, assert_str_neq) { cr_assert_str_neq("ab", "ab"); }
Test(fail, assert_float_eq) { cr_assert_float_eq(1.0, 1.1, 0.01); }
Test(fail, expect_str_neq) { cr_expect_str_neq("ab", "ab", "duplicate %s", "ab"); }

Test(fail, assert_arr_eq)
{
	int a[2] = { 1, 2 }, b[2] = { 1, 3 };
	cr_assert_arr_eq(a, b, sizeof a);
}
