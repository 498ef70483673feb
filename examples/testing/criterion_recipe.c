/*
 * Criterion recipe: goro's leak check and synctest assertion fail the
 * current test, and the runner goes on.
 *
 * Include <criterion/criterion.h> BEFORE <goro.h>: GORO_LEAK_ASSERT_NONE
 * and GORO_SYNCTEST_ASSERT then fail with cr_assert_fail.  Put the leak
 * check at the end of the test body: Criterion ignores assertions in a
 * .fini, and a leak check in an exit handler (goro_leak_verify_at_exit)
 * only changes the exit status, which Criterion does not read once the
 * test reported itself passed.  Each test runs in its own process, so
 * goroutines of an earlier test are never seen.
 */
#include <criterion/criterion.h>
#include <goro.h>

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

/* The bubble's root starts a goroutine that never gets its value. */
static void leaky_root(void *arg)
{
	(void)arg;
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(receive_forever, &c);
}

Test(recipe, leaking_test)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(receive_forever, &c);
	GORO_LEAK_ASSERT_NONE(NULL);         /* fails: one goroutine leaked */
}

Test(recipe, deadlocked_bubble)
{
	GORO_SYNCTEST_ASSERT(leaky_root, &(char){ 0 });   /* fails */
}

Test(recipe, clean_test)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(send_once, &c);
	int v;
	goro_chan_recv(c, &v);
	cr_assert_eq(v, 1);
	GORO_LEAK_ASSERT_NONE(NULL);         /* passes */
}

Test(recipe, later_test)
{
	GORO_SYNCTEST_ASSERT(send_once, &(goro_chan *){ goro_chan_new(int, 1) });
	GORO_LEAK_ASSERT_NONE(NULL);
}
