/*
 * test_select.c — goro_select: send and receive cases, default, nil
 * channels, select {}, Go's uniformly random choice among ready cases,
 * closed channels, the deadline and context forms, large selects.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <goro.h>

#include "death.h"
#include "waiting.h"

/* Receives an int that must be there (main only: goroutines never call
 * cr_assert, whose failure unwinds to the test's own stack). */
static int recv_int(goro_chan *c)
{
	int v = 0;
	cr_assert(goro_chan_recv(c, &v), "channel closed unexpectedly");
	return v;
}

struct sel_args {
	goro_chan *c;
	goro_chan *out;
	int value;
};

static void send_value(void *p)
{
	struct sel_args *a = p;
	goro_chan_send(a->c, &a->value);
}

/* Receives one value from c and forwards it to out.  (Goroutines never
 * call cr_assert: a failing assertion unwinds to the test's own stack.) */
static void recv_forward(void *p)
{
	struct sel_args *a = p;
	int v = -1;
	goro_chan_recv(a->c, &v);
	goro_chan_send(a->out, &v);
}

/* ------------------------------------------------------------------ */
/* Basic cases                                                         */
/* ------------------------------------------------------------------ */

Test(select, receive_case_ready)
{
	goro_chan *a = goro_chan_new(int, 1), *b = goro_chan_new(int, 1);
	goro_send(b, 17);
	int va = -1, vb = -1;
	goro_case cases[] = { GORO_RECV(a, &va), GORO_RECV(b, &vb) };
	cr_assert_eq(goro_select(cases, 2, false), 1);
	cr_assert_eq(vb, 17);
	cr_assert(cases[1].ok);
	cr_assert_eq(va, -1, "the case not chosen is not touched");
	cr_assert_eq(goro_chan_len(b), 0);
}

Test(select, send_case_ready)
{
	goro_chan *full = goro_chan_new(int, 1), *room = goro_chan_new(int, 1);
	goro_send(full, 1);
	int x = 5, y = 6;
	goro_case cases[] = { GORO_SEND(full, &x), GORO_SEND(room, &y) };
	cr_assert_eq(goro_select(cases, 2, false), 1);
	cr_assert_eq(goro_chan_len(full), 1);
	cr_assert_eq(recv_int(room), 6);
}

Test(select, blocks_until_a_receive_case_proceeds)
{
	goro_chan *a = goro_chan_new(int, 0), *b = goro_chan_new(int, 0);
	goro_go(send_value, &(struct sel_args){ .c = b, .value = 42 });
	int va = 0, vb = 0;
	goro_case cases[] = { GORO_RECV(a, &va), GORO_RECV(b, &vb) };
	cr_assert_eq(goro_select(cases, 2, false), 1);
	cr_assert_eq(vb, 42);
	cr_assert(cases[1].ok);
}

Test(select, blocks_until_a_send_case_proceeds)
{
	goro_chan *a = goro_chan_new(int, 0), *b = goro_chan_new(int, 0);
	goro_chan *out = goro_chan_new(int, 1);
	int x = 1, y = 2;
	goro_case cases[] = { GORO_SEND(a, &x), GORO_SEND(b, &y) };
	goro_go(recv_forward, &(struct sel_args){ .c = a, .out = out });
	cr_assert_eq(goro_select(cases, 2, false), 0);
	cr_assert_eq(recv_int(out), 1);
	/* b's waiter was removed: b still has no receiver. */
	cr_assert_eq(goro_chan_tryrecv(b, &(int){ 0 }), GORO_WOULDBLOCK);
}

/* Send and receive cases mixed, the partner arriving after select blocked. */
Test(select, mixed_send_and_receive_while_blocked)
{
	goro_chan *in = goro_chan_new(int, 0), *outc = goro_chan_new(int, 0);
	goro_chan *fwd = goro_chan_new(int, 1);
	int got = 0, give = 99;
	goro_case cases[] = { GORO_RECV(in, &got), GORO_SEND(outc, &give) };
	goro_go(recv_forward, &(struct sel_args){ .c = outc, .out = fwd });
	cr_assert_eq(goro_select(cases, 2, false), 1);
	cr_assert_eq(recv_int(fwd), 99);
	goro_go(send_value, &(struct sel_args){ .c = in, .value = 7 });
	cr_assert_eq(goro_select(cases, 2, false), 0);
	cr_assert_eq(got, 7);
}

/* The same channel twice in one select, as Go allows. */
Test(select, same_channel_in_several_cases)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan *fwd = goro_chan_new(int, 1);
	int r1 = 0, r2 = 0, s = 11;
	goro_case cases[] = { GORO_RECV(c, &r1), GORO_RECV(c, &r2), GORO_SEND(c, &s) };
	goro_go(send_value, &(struct sel_args){ .c = c, .value = 3 });
	int i = goro_select(cases, 3, false);
	cr_assert(i == 0 || i == 1, "chose %d", i);
	cr_assert_eq(i == 0 ? r1 : r2, 3);
	/* A select never matches its own send with its own receive. */
	goro_go(recv_forward, &(struct sel_args){ .c = c, .out = fwd });
	cr_assert_eq(goro_select(cases, 3, false), 2);
	cr_assert_eq(recv_int(fwd), 11);
}

/* Go's TestPseudoRandomSend: a select with two sends on one channel,
 * whose receiver comes late (so the select usually blocks), must pick both
 * cases.  Waiters used to be queued in case order, so the blocked select
 * always took the same one. */
struct late_recv_args {
	goro_chan *c;
	int *got;
	int n;
	goro_chan *done;
};

static void late_receiver(void *p)
{
	struct late_recv_args *a = p;
	for (int i = 0; i < a->n; i++) {
		goro_yield();
		goro_chan_recv(a->c, &a->got[i]);
	}
	goro_send(a->done, 1);
}

Test(select, pseudo_random_send)
{
	enum { N = 100 };
	for (int cap = 0; cap <= N; cap += N) {
		goro_chan *c = goro_chan_new(int, cap), *done = goro_chan_new(int, 1);
		int got[N];
		goro_go(late_receiver, &(struct late_recv_args){ c, got, N, done });
		int one = 1, zero = 0;
		for (int i = 0; i < N; i++) {
			goro_case cases[] = { GORO_SEND(c, &one), GORO_SEND(c, &zero) };
			goro_select(cases, 2, false);
		}
		cr_assert_eq(goro_chan_recv_until(done, &(int){ 0 }, SOON), GORO_OK);
		int n1 = 0;
		for (int i = 0; i < N; i++)
			n1 += got[i];
		cr_assert(n1 > N / 10 && N - n1 > N / 10,
		          "cap %d: want pseudorandom, got %d zeros and %d ones", cap, N - n1, n1);
	}
}

/* The receive side: a select blocked on two receives of one channel gets
 * the value in either case. */
struct two_recv_args {
	goro_chan *c, *out;
};

static void two_recv_select(void *p)
{
	struct two_recv_args *a = p;
	int v0 = 0, v1 = 0;
	goro_case cases[] = { GORO_RECV(a->c, &v0), GORO_RECV(a->c, &v1) };
	int i = goro_select(cases, 2, false);
	goro_send(a->out, i);
}

Test(select, blocked_select_picks_any_case_of_one_channel)
{
	enum { N = 200 };
	goro_chan *c = goro_chan_new(int, 0), *out = goro_chan_new(int, 1);
	int hits[2] = { 0, 0 };
	for (int k = 0; k < N; k++) {
		int64_t id = goro_go(two_recv_select, &(struct two_recv_args){ c, out });
		EVENTUALLY(blocked_in(id, WR_SELECT));
		goro_send(c, k);
		hits[recv_int(out)]++;
	}
	cr_assert(hits[0] > N / 10 && hits[1] > N / 10, "case 0 won %d, case 1 won %d of %d",
	          hits[0], hits[1], N);
}

Test(select, default_when_nothing_ready)
{
	goro_chan *a = goro_chan_new(int, 0), *b = goro_chan_new(int, 1);
	goro_send(b, 1);
	int v = 0, x = 2;
	goro_case cases[] = { GORO_RECV(a, &v), GORO_SEND(b, &x) };
	cr_assert_eq(goro_select(cases, 2, true), GORO_SELECT_DEFAULT);
	cr_assert_eq(goro_chan_len(b), 1);
	cr_assert_eq(v, 0);
	/* Once a case is ready, default is not taken. */
	cr_assert_eq(recv_int(b), 1);
	cr_assert_eq(goro_select(cases, 2, true), 1);
	cr_assert_eq(recv_int(b), 2);
}

Test(select, default_with_no_cases)
{
	cr_assert_eq(goro_select(NULL, 0, true), GORO_SELECT_DEFAULT);
}

/* ------------------------------------------------------------------ */
/* nil channels, select {}                                             */
/* ------------------------------------------------------------------ */

Test(select, nil_channel_cases_are_never_chosen)
{
	goro_chan *c = goro_chan_new(int, 1);
	int v, x = 1;
	goro_case cases[] = { GORO_RECV(NULL, &v), GORO_SEND(NULL, &x), GORO_RECV(c, &v),
	                      GORO_SEND(NULL, &x) };
	for (int i = 0; i < 1000; i++) {
		goro_send(c, i);
		cr_assert_eq(goro_select(cases, 4, false), 2);
		cr_assert_eq(v, i);
	}
	goro_case only_nil[] = { GORO_RECV(NULL, &v), GORO_SEND(NULL, &x) };
	cr_assert_eq(goro_select(only_nil, 2, true), GORO_SELECT_DEFAULT);
}

static void select_forever(void *p)
{
	goro_select(NULL, 0, false);
	goro_send(*(goro_chan **)p, 1); /* never reached */
}

static void select_nil_only(void *p)
{
	int v;
	goro_case cases[] = { GORO_RECV(NULL, &v) };
	goro_select(cases, 1, false);
	goro_send(*(goro_chan **)p, 2); /* never reached */
}

Test(select, no_cases_blocks_forever)
{
	goro_chan *escaped = goro_chan_new(int, 2);
	goro_go(select_forever, &escaped);
	goro_go(select_nil_only, &escaped);
	EVENTUALLY(blocked_count(WR_SELECT_NO_CASES) == 1);
	EVENTUALLY(blocked_count(WR_SELECT) == 1);
	/* main keeps running while they stay blocked. */
	for (int i = 0; i < 10; i++)
		goro_sleep(GORO_MILLISECOND);
	cr_assert_eq(goro_chan_len(escaped), 0);
	cr_assert_eq(goro_num_goroutine(), 3);
}

/* ------------------------------------------------------------------ */
/* Uniform random choice                                               */
/* ------------------------------------------------------------------ */

/*
 * counts[i] ~ Binomial(rounds, 1/n) when the choice is uniform.  Each count
 * must lie within ±5% of rounds/n (over 5 standard deviations at these
 * sizes, so a correct runtime fails about once in 10^6 runs), and the
 * chi-square statistic must stay below the 10^-6 quantile.
 */
static void assert_uniform(const long *counts, int n, long rounds)
{
	double expect = (double)rounds / n, chi2 = 0;
	for (int i = 0; i < n; i++) {
		double d = (double)counts[i] - expect;
		chi2 += d * d / expect;
		cr_assert(counts[i] > expect * 0.95 && counts[i] < expect * 1.05,
		          "case %d chosen %ld times, expected about %.0f", i, counts[i], expect);
	}
	/* 10^-6 upper quantiles of chi-square with n-1 degrees of freedom. */
	double limit = n == 4 ? 30.7 : n == 12 ? 48.9 : 0;
	cr_assert_neq(limit, 0, "no chi-square limit for %d cases", n);
	cr_assert_lt(chi2, limit, "chi-square %.1f for %d cases: not uniform", chi2, n);
}

static void check_uniform_recv(int n, long rounds)
{
	goro_chan *ch[12];
	int vals[12];
	goro_case cases[12];
	for (int i = 0; i < n; i++) {
		ch[i] = goro_chan_new(int, 1);
		goro_send(ch[i], i);
		cases[i] = GORO_RECV(ch[i], &vals[i]);
	}
	long counts[12] = { 0 };
	for (long r = 0; r < rounds; r++) {
		int k = goro_select(cases, n, false);
		cr_assert(k >= 0 && k < n);
		cr_assert_eq(vals[k], k);
		counts[k]++;
		goro_send(ch[k], k); /* every case stays ready */
	}
	assert_uniform(counts, n, rounds);
}

Test(select, uniform_choice_among_ready_receives)
{
	check_uniform_recv(4, 40000);
}

Test(select, uniform_choice_among_ready_sends)
{
	enum { N = 4 };
	long rounds = 40000;
	goro_chan *ch[N];
	int one = 1;
	goro_case cases[N];
	for (int i = 0; i < N; i++) {
		ch[i] = goro_chan_new(int, 1);
		cases[i] = GORO_SEND(ch[i], &one);
	}
	long counts[N] = { 0 };
	for (long r = 0; r < rounds; r++) {
		int k = goro_select(cases, N, false);
		cr_assert(k >= 0 && k < N);
		counts[k]++;
		recv_int(ch[k]); /* make room again */
	}
	assert_uniform(counts, N, rounds);
}

Test(select, uniform_choice_in_a_large_select)
{
	check_uniform_recv(12, 120000);
}

/* Ready and closed cases compete fairly too: a closed channel is ready. */
Test(select, closed_channel_is_as_ready_as_a_value)
{
	goro_chan *closed = goro_chan_new(int, 0), *full = goro_chan_new(int, 1);
	goro_chan_close(closed);
	int a, b;
	goro_case cases[] = { GORO_RECV(closed, &a), GORO_RECV(full, &b) };
	long counts[4] = { 0 };
	for (long r = 0; r < 40000; r++) {
		goro_send(full, 1);
		int k = goro_select(cases, 2, false);
		counts[k]++;
		if (k == 0)
			recv_int(full);
	}
	cr_assert(counts[0] > 19000 && counts[0] < 21000, "closed case chosen %ld/40000",
	          counts[0]);
}

/* ------------------------------------------------------------------ */
/* Closed channels                                                     */
/* ------------------------------------------------------------------ */

Test(select, closed_channel_case_chosen_with_ok_false)
{
	goro_chan *c = goro_chan_new(int64_t, 2), *never = goro_chan_new(int64_t, 0);
	goro_send(c, (int64_t)5);
	goro_chan_close(c);
	int64_t v = -1, w = -1;
	goro_case cases[] = { GORO_RECV(never, &w), GORO_RECV(c, &v) };
	cr_assert_eq(goro_select(cases, 2, false), 1);
	cr_assert(cases[1].ok, "the buffered value comes first");
	cr_assert_eq(v, 5);
	v = -1;
	cases[1].ok = true;
	cr_assert_eq(goro_select(cases, 2, false), 1);
	cr_assert_not(cases[1].ok);
	cr_assert_eq(v, 0, "the element is zeroed");
	cr_assert_eq(w, -1);
}

static void close_later(void *p)
{
	goro_sleep(5 * GORO_MILLISECOND);
	goro_chan_close(*(goro_chan **)p);
}

Test(select, close_wakes_a_blocked_select)
{
	goro_chan *a = goro_chan_new(int, 0), *b = goro_chan_new(int, 0);
	goro_go(close_later, &b);
	int va = -1, vb = -1;
	goro_case cases[] = { GORO_RECV(a, &va), GORO_RECV(b, &vb) };
	cases[1].ok = true;
	cr_assert_eq(goro_select(cases, 2, false), 1);
	cr_assert_not(cases[1].ok);
	cr_assert_eq(vb, 0);
	/* The waiter on a is gone: a sender on a finds no receiver. */
	cr_assert_eq(goro_chan_trysend(a, &(int){ 1 }), GORO_WOULDBLOCK);
}

Test(select, receive_with_null_element_discards_the_value)
{
	goro_chan *c = goro_chan_new(int, 1);
	goro_send(c, 3);
	goro_case cases[] = { GORO_RECV(c, NULL) };
	cr_assert_eq(goro_select(cases, 1, false), 0);
	cr_assert(cases[0].ok);
	cr_assert_eq(goro_chan_len(c), 0);
}

/* ------------------------------------------------------------------ */
/* Deadline and context forms                                          */
/* ------------------------------------------------------------------ */

Test(select, until_times_out)
{
	goro_chan *a = goro_chan_new(int, 0), *b = goro_chan_new(int, 1);
	goro_send(b, 0); /* full: the send case cannot proceed */
	int v = 8, x = 9;
	goro_case cases[] = { GORO_RECV(a, &v), GORO_SEND(b, &x) };
	int64_t deadline = goro_now() + 20 * GORO_MILLISECOND;
	cr_assert_eq(goro_select_until(cases, 2, deadline), GORO_SELECT_TIMEDOUT);
	cr_assert_geq(goro_now(), deadline, "returned before the deadline");
	cr_assert_eq(v, 8);
	cr_assert_eq(goro_chan_len(b), 1);
	/* No waiter was left behind on either channel. */
	cr_assert_eq(goro_chan_trysend(a, &(int){ 1 }), GORO_WOULDBLOCK);
	cr_assert_eq(recv_int(b), 0);
	cr_assert_eq(goro_chan_tryrecv(b, &(int){ 0 }), GORO_WOULDBLOCK);
}

Test(select, until_with_no_cases_is_a_sleep)
{
	int64_t deadline = goro_now() + 10 * GORO_MILLISECOND;
	cr_assert_eq(goro_select_until(NULL, 0, deadline), GORO_SELECT_TIMEDOUT);
	cr_assert_geq(goro_now(), deadline);
}

Test(select, until_succeeds_before_the_deadline)
{
	goro_chan *a = goro_chan_new(int, 0);
	goro_go(send_value, &(struct sel_args){ .c = a, .value = 4 });
	int v = 0;
	goro_case cases[] = { GORO_RECV(a, &v) };
	cr_assert_eq(goro_select_until(cases, 1, goro_now() + TEST_PATIENCE), 0);
	cr_assert_eq(v, 4);
}

Test(select, until_ready_case_wins_even_at_the_deadline)
{
	goro_chan *a = goro_chan_new(int, 1);
	goro_send(a, 1);
	int v = 0;
	goro_case cases[] = { GORO_RECV(a, &v) };
	/* A ready case is taken without blocking; the deadline never comes
	 * into play (like Go's select with a ready case and time.After). */
	cr_assert_eq(goro_select_until(cases, 1, goro_now() + GORO_SECOND), 0);
	cr_assert_eq(v, 1);
}

static void cancel_later(void *p)
{
	goro_sleep(5 * GORO_MILLISECOND);
	goro_cancel(*(goro_ctx **)p);
}

Test(select, ctx_canceled)
{
	goro_chan *a = goro_chan_new(int, 0);
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_go(cancel_later, &ctx);
	int v = 2;
	goro_case cases[] = { GORO_RECV(a, &v), GORO_RECV(NULL, &v) };
	cr_assert_eq(goro_select_ctx(cases, 2, ctx), GORO_SELECT_CANCELED);
	cr_assert_eq(goro_ctx_err(ctx), GORO_CANCELED);
	cr_assert_eq(v, 2);
	cr_assert_eq(goro_chan_trysend(a, &(int){ 1 }), GORO_WOULDBLOCK);
	/* Already done: returns at once. */
	cr_assert_eq(goro_select_ctx(cases, 2, ctx), GORO_SELECT_CANCELED);
	goro_ctx_release(ctx);
}

Test(select, ctx_deadline_reports_canceled_select)
{
	goro_ctx *ctx = goro_with_timeout(goro_background(), 10 * GORO_MILLISECOND);
	goro_chan *a = goro_chan_new(int, 0);
	goro_case cases[] = { GORO_RECV(a, NULL) };
	cr_assert_eq(goro_select_ctx(cases, 1, ctx), GORO_SELECT_CANCELED);
	cr_assert_eq(goro_ctx_err(ctx), GORO_DEADLINE_EXCEEDED);
	goro_ctx_release(ctx);
}

Test(select, ctx_case_proceeds_before_cancel)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_chan *a = goro_chan_new(int, 0);
	goro_go(send_value, &(struct sel_args){ .c = a, .value = 12 });
	int v = 0;
	goro_case cases[] = { GORO_RECV(a, &v) };
	cr_assert_eq(goro_select_ctx(cases, 1, ctx), 0);
	cr_assert_eq(v, 12);
	cr_assert(cases[0].ok);
	goro_ctx_release(ctx);
}

/* Nine user cases and the context's done channel: past the small path. */
Test(select, ctx_with_many_cases)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_chan *ch[9];
	goro_case cases[9];
	int v = -1;
	for (int i = 0; i < 9; i++) {
		ch[i] = goro_chan_new(int, 0);
		cases[i] = GORO_RECV(ch[i], &v);
	}
	goro_go(send_value, &(struct sel_args){ .c = ch[8], .value = 80 });
	cr_assert_eq(goro_select_ctx(cases, 9, ctx), 8);
	cr_assert_eq(v, 80);
	cr_assert(cases[8].ok);
	goro_go(cancel_later, &ctx);
	cr_assert_eq(goro_select_ctx(cases, 9, ctx), GORO_SELECT_CANCELED);
	goro_ctx_release(ctx);
}

/* ------------------------------------------------------------------ */
/* Large selects                                                       */
/* ------------------------------------------------------------------ */

Test(select, more_than_eight_cases_blocking)
{
	enum { N = 20 };
	goro_chan *ch[N];
	int vals[N];
	goro_case cases[N];
	for (int i = 0; i < N; i++) {
		ch[i] = goro_chan_new(int, 0);
		vals[i] = -1;
		cases[i] = GORO_RECV(ch[i], &vals[i]);
	}
	for (int round = 0; round < 50; round++) {
		int target = (round * 7) % N;
		goro_go(send_value, &(struct sel_args){ .c = ch[target], .value = round });
		cr_assert_eq(goro_select(cases, N, false), target);
		cr_assert_eq(vals[target], round);
		cr_assert(cases[target].ok);
	}
	/* Every waiter was unlinked: no channel has a receiver left. */
	for (int i = 0; i < N; i++)
		cr_assert_eq(goro_chan_trysend(ch[i], &(int){ 0 }), GORO_WOULDBLOCK);
}

Test(select, more_than_eight_cases_with_sends_and_nil)
{
	enum { N = 16 };
	goro_chan *ch[N];
	int payload[N];
	goro_case cases[N];
	goro_chan *out = goro_chan_new(int, 1);
	for (int i = 0; i < N; i++) {
		ch[i] = i % 3 == 0 ? NULL : goro_chan_new(int, 0);
		payload[i] = 1000 + i;
		cases[i] = GORO_SEND(ch[i], &payload[i]);
	}
	goro_go(recv_forward, &(struct sel_args){ .c = ch[13], .out = out });
	cr_assert_eq(goro_select(cases, N, false), 13);
	cr_assert_eq(recv_int(out), 1013);
	cr_assert_eq(goro_select(cases, N, true), GORO_SELECT_DEFAULT);
	/* Until and ctx forms on the large path. */
	cr_assert_eq(goro_select_until(cases, N, goro_now() + 5 * GORO_MILLISECOND),
	             GORO_SELECT_TIMEDOUT);
}

/* ------------------------------------------------------------------ */
/* Misuse                                                              */
/* ------------------------------------------------------------------ */

static void sc_select_send_on_closed(void)
{
	goro_chan *c = goro_chan_new(int, 1), *never = goro_chan_new(int, 0);
	goro_chan_close(c);
	int x = 1;
	goro_case cases[] = { GORO_RECV(never, NULL), GORO_SEND(c, &x) };
	goro_select(cases, 2, false);
}

static void sc_select_send_on_closed_with_default(void)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan_close(c);
	int x = 1;
	goro_case cases[] = { GORO_SEND(c, &x) };
	goro_select(cases, 1, true);
}

static void blocked_select_sender(void *p)
{
	goro_chan *c = *(goro_chan **)p;
	int x = 1;
	goro_case cases[] = { GORO_SEND(c, &x), GORO_RECV(NULL, NULL) };
	goro_select(cases, 2, false);
}

static void sc_close_under_blocked_select_sender(void)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(blocked_select_sender, &c);
	while (blocked_count(WR_SELECT) != 1)
		goro_sleep(GORO_MILLISECOND);
	goro_chan_close(c);
	goro_sleep(10 * GORO_SECOND); /* the sender's panic ends the process */
}

static void sc_large_select_send_on_closed(void)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan_close(c);
	goro_case cases[12];
	int x = 0;
	for (int i = 0; i < 12; i++)
		cases[i] = GORO_SEND(i == 9 ? c : NULL, &x);
	goro_select(cases, 12, false);
}

static void check_send_on_closed_panic(const char *scenario)
{
	struct death d;
	death_run(scenario, &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: send on closed channel\n");
}

Test(select_panic, send_case_on_closed_channel)
{
	check_send_on_closed_panic("select_send_on_closed");
	check_send_on_closed_panic("select_send_on_closed_with_default");
	check_send_on_closed_panic("large_select_send_on_closed");
}

Test(select_panic, channel_closed_under_a_blocked_select_sender)
{
	check_send_on_closed_panic("close_under_blocked_select_sender");
}

DEATH_SCENARIOS({ "select_send_on_closed", sc_select_send_on_closed },
                { "select_send_on_closed_with_default", sc_select_send_on_closed_with_default },
                { "close_under_blocked_select_sender", sc_close_under_blocked_select_sender },
                { "large_select_send_on_closed", sc_large_select_send_on_closed })
