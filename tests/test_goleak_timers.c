/*
 * test_goleak_timers.c — the goleak-style check waits for goroutines whose
 * wake-up is scheduled (a timer's or ticker's channel, an _until deadline,
 * a context deadline) instead of reporting them: they end by themselves.
 * A goroutine blocked with no wake-up is still reported, without waiting
 * for max_wait.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <goro.h>

#include "waiting.h"

#define WAKE_IN (100 * GORO_MILLISECOND)

static void wait_timer(void *p)
{
	(void)p;
	goro_timer *t = goro_timer_new(WAKE_IN);
	int64_t when;
	goro_chan_recv(goro_timer_chan(t), &when);
	goro_timer_free(t);
}

static void wait_ticker(void *p)
{
	(void)p;
	goro_ticker *t = goro_ticker_new(WAKE_IN / 2);
	int64_t when;
	for (int i = 0; i < 2; i++)
		goro_chan_recv(goro_ticker_chan(t), &when);
	goro_ticker_free(t);
}

static void wait_until(void *p)
{
	(void)p;
	goro_chan *c = goro_chan_new(int, 0);
	int v;
	goro_chan_recv_until(c, &v, goro_now() + WAKE_IN);
	goro_chan_free(c);
}

static void wait_ctx_deadline(void *p)
{
	(void)p;
	goro_ctx *ctx = goro_with_timeout(goro_background(), WAKE_IN);
	goro_chan *c = goro_chan_new(int, 0);
	int v;
	goro_chan_recv_ctx(c, &v, ctx);
	goro_ctx_release(ctx);
	goro_chan_free(c);
}

static void check_waits_for(goro_fn fn)
{
	goro_leak_opts *o = goro_leak_opts_new();
	goro_leak_ignore_current(o);
	goro_leak_max_wait(o, 5 * GORO_SECOND);
	goro_go(fn, &(int){ 0 });
	/* parked first: a check right away must not see a running goroutine */
	EVENTUALLY(goro_num_goroutine() > 1 && blocked_count(WR_CHAN_RECV) +
	           blocked_count(WR_SELECT) >= 1);
	char *rep = NULL;
	int n = goro_leak_find(o, &rep);
	cr_assert_eq(n, 0, "reported a goroutine with a scheduled wake-up:\n%s", rep ? rep : "");
	free(rep);
	goro_leak_opts_free(o);
}

Test(goleak_timers, a_goroutine_waiting_on_a_100ms_timer_is_not_reported)
{
	check_waits_for(wait_timer);
}

Test(goleak_timers, a_goroutine_reading_two_ticks_is_not_reported)
{
	check_waits_for(wait_ticker);
}

Test(goleak_timers, a_goroutine_in_an_until_wait_is_not_reported)
{
	check_waits_for(wait_until);
}

Test(goleak_timers, a_goroutine_waiting_for_a_context_deadline_is_not_reported)
{
	check_waits_for(wait_ctx_deadline);
}

static void block_forever(void *p)
{
	goro_chan *c = *(goro_chan **)p;
	int v;
	goro_chan_recv(c, &v);
}

/* No timer pending: reported at once, not after max_wait (the check
 * would hang the test for an hour). */
Test(goleak_timers, a_goroutine_without_wake_up_is_reported_without_waiting, .timeout = 60)
{
	goro_leak_opts *o = goro_leak_opts_new();
	goro_leak_ignore_current(o);
	goro_leak_max_wait(o, 3600 * GORO_SECOND);
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(block_forever, &c);
	EVENTUALLY(blocked_count(WR_CHAN_RECV) == 1);
	char *rep = NULL;
	cr_assert_eq(goro_leak_find(o, &rep), 1);
	cr_assert_not_null(strstr(rep, "block_forever"), "%s", rep);
	free(rep);
	goro_leak_opts_free(o);
	goro_chan_close(c);
}
