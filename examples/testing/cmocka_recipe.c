/*
 * cmocka recipe: goro's leak check and synctest assertion fail the current
 * test, and the runner goes on to the next one.
 *
 * The test-failure hook prints goro's report with cmocka's print_error and
 * fails with _fail(), which returns to cmocka's runner (a longjmp).  All
 * tests run in one process, so each test's setup takes a snapshot of the
 * goroutines alive (goro_leak_ignore_current: a leak of an earlier test is
 * not blamed on a later one) and its teardown asserts that nothing else is
 * left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <goro.h>

static void cmocka_fail(const char *report, const char *file, int line, void *ctx)
{
	(void)ctx;
	print_error("%s\n", report);
	_fail(file, line);
}

static int leak_setup(void **state)
{
	goro_leak_opts *o = goro_leak_opts_new();
	goro_leak_ignore_current(o);
	*state = o;
	return 0;
}

static int leak_teardown(void **state)
{
	goro_leak_opts *o = *state;
	*state = NULL;
	GORO_LEAK_ASSERT_NONE(o);            /* a leak fails the test here */
	goro_leak_opts_free(o);
	return 0;
}

static void receive_forever(void *arg)
{
	goro_chan *c = *(goro_chan **)arg;
	int v;
	goro_chan_recv(c, &v);
}

static void send_once(void *arg)
{
	goro_chan *c = *(goro_chan **)arg;
	goro_send(c, 1);
}

static void leaky_root(void *arg)
{
	(void)arg;
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(receive_forever, &c);
}

static void leaking_test(void **state)
{
	(void)state;
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(receive_forever, &c);       /* the teardown's check fails */
}

static void deadlocked_bubble(void **state)
{
	(void)state;
	char none = 0;
	GORO_SYNCTEST_ASSERT(leaky_root, &none);   /* fails the test */
}

static void clean_test(void **state)
{
	(void)state;
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(send_once, &c);
	int v;
	goro_chan_recv(c, &v);
	assert_int_equal(v, 1);
}

static void later_test(void **state)
{
	(void)state;
	goro_chan *c = goro_chan_new(int, 1);
	GORO_SYNCTEST_ASSERT(send_once, &c);
}

int main(void)
{
	goro_set_test_fail(cmocka_fail, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(leaking_test, leak_setup, leak_teardown),
		cmocka_unit_test_setup_teardown(deadlocked_bubble, leak_setup, leak_teardown),
		cmocka_unit_test_setup_teardown(clean_test, leak_setup, leak_teardown),
		cmocka_unit_test_setup_teardown(later_test, leak_setup, leak_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
