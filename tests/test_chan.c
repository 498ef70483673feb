/*
 * test_chan.c — channels: unbuffered and buffered transfer, FIFO order,
 * len/cap, range and close, try/until/ctx forms, the nil channel, and the
 * misuse Go answers with a panic.
 *
 * Panics end the process, so those tests run a scenario in a fresh copy
 * of this binary and check its status and stderr (see death.h).
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

struct chan_args {
	goro_chan *c;
	goro_chan *out;
	int n;
	int first;
};

/* Sends first, first+1, ... first+n-1 on c, then sends 1 on out (if any). */
static void send_seq(void *p)
{
	struct chan_args *a = p;
	for (int i = 0; i < a->n; i++)
		goro_chan_send(a->c, &(int){ a->first + i });
	if (a->out)
		goro_send(a->out, 1);
}

/* Sends first..first+n-1 and closes c. */
static void send_seq_close(void *p)
{
	struct chan_args *a = p;
	for (int i = 0; i < a->n; i++)
		goro_chan_send(a->c, &(int){ a->first + i });
	goro_chan_close(a->c);
}

/* Receives n values and sends their sum on out.  (Goroutines never call
 * cr_assert: a failing assertion unwinds to the test's own stack.) */
static void recv_sum(void *p)
{
	struct chan_args *a = p;
	int sum = 0;
	for (int i = 0; i < a->n; i++) {
		int v = -1000000;
		goro_chan_recv(a->c, &v);
		sum += v;
	}
	goro_send(a->out, sum);
}

/* ------------------------------------------------------------------ */
/* Transfer and order                                                  */
/* ------------------------------------------------------------------ */

Test(chan, unbuffered_send_recv_in_order)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(send_seq, &(struct chan_args){ .c = c, .n = 1000 });
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(recv_int(c), i);
	cr_assert_eq(goro_chan_len(c), 0);
}

Test(chan, unbuffered_send_blocks_until_received)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan *done = goro_chan_new(int, 1);
	goro_go(send_seq, &(struct chan_args){ .c = c, .n = 1, .first = 5, .out = done });
	EVENTUALLY(blocked_count(WR_CHAN_SEND) == 1);
	cr_assert_eq(goro_chan_tryrecv(done, &(int){ 0 }), GORO_WOULDBLOCK,
	             "the sender went on with nobody receiving");
	cr_assert_eq(recv_int(c), 5);
	cr_assert_eq(recv_int(done), 1);
}

Test(chan, unbuffered_recv_blocks_until_sent)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan *out = goro_chan_new(int, 1);
	goro_go(recv_sum, &(struct chan_args){ .c = c, .n = 1, .out = out });
	EVENTUALLY(blocked_count(WR_CHAN_RECV) == 1);
	goro_send(c, 77);
	cr_assert_eq(recv_int(out), 77);
}

Test(chan, buffered_fills_without_blocking_then_fifo)
{
	goro_chan *c = goro_chan_new(int, 10);
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(goro_chan_len(c), (size_t)i);
		goro_send(c, i * 3);
	}
	cr_assert_eq(goro_chan_len(c), 10);
	cr_assert_eq(goro_chan_cap(c), 10);
	cr_assert_eq(goro_chan_trysend(c, &(int){ 99 }), GORO_WOULDBLOCK);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(recv_int(c), i * 3);
	cr_assert_eq(goro_chan_len(c), 0);
}

Test(chan, buffered_wraps_around_many_times)
{
	goro_chan *c = goro_chan_new(int, 3);
	int next_in = 0, next_out = 0;
	for (int round = 0; round < 1000; round++) {
		int k = round % 4; /* 0..3 values in, then as many out */
		for (int i = 0; i < k && goro_chan_len(c) < 3; i++)
			goro_send(c, next_in++);
		while (goro_chan_len(c) > (size_t)(round % 2))
			cr_assert_eq(recv_int(c), next_out++);
	}
	while (goro_chan_len(c) > 0)
		cr_assert_eq(recv_int(c), next_out++);
	cr_assert_eq(next_in, next_out);
}

/* A full buffer with senders queued behind it: values come out in the
 * order buffer first, then the blocked senders in the order they blocked. */
Test(chan, blocked_senders_are_served_in_fifo_order)
{
	goro_chan *c = goro_chan_new(int, 2);
	goro_send(c, 0);
	goro_send(c, 1);
	for (int i = 2; i < 6; i++) {
		goro_go(send_seq, &(struct chan_args){ .c = c, .n = 1, .first = i });
		EVENTUALLY(blocked_count(WR_CHAN_SEND) == i - 1);
	}
	for (int i = 0; i < 6; i++)
		cr_assert_eq(recv_int(c), i);
	cr_assert_eq(goro_chan_len(c), 0);
}

struct recv_one_args {
	goro_chan *c;
	goro_chan *out; /* receives (tag << 16 | value) */
	int tag;
};

static void recv_one_tagged(void *p)
{
	struct recv_one_args *a = p;
	int v = -1;
	goro_chan_recv(a->c, &v);
	goro_send(a->out, a->tag << 16 | v);
}

Test(chan, blocked_receivers_are_served_in_fifo_order)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan *out = goro_chan_new(int, 4);
	for (int i = 0; i < 4; i++) {
		goro_go(recv_one_tagged, &(struct recv_one_args){ c, out, i });
		EVENTUALLY(blocked_count(WR_CHAN_RECV) == i + 1);
	}
	for (int i = 0; i < 4; i++) {
		goro_send(c, 100 + i);
		int got = recv_int(out);
		cr_assert_eq(got, i << 16 | (100 + i), "receiver %d got %#x", i, got);
	}
}

struct big_elem {
	uint64_t w[128]; /* 1 KiB */
};

static void send_big(void *p)
{
	struct chan_args *a = p;
	for (int i = 0; i < a->n; i++) {
		struct big_elem e;
		for (int k = 0; k < 128; k++)
			e.w[k] = (uint64_t)i * 1000 + (uint64_t)k;
		goro_chan_send(a->c, &e);
	}
}

static void check_big_elements(size_t cap)
{
	goro_chan *c = goro_chan_new(struct big_elem, cap);
	cr_assert_eq(goro_chan_elemsize(c), sizeof(struct big_elem));
	goro_go(send_big, &(struct chan_args){ .c = c, .n = 200 });
	for (int i = 0; i < 200; i++) {
		struct big_elem e;
		cr_assert(goro_chan_recv(c, &e));
		for (int k = 0; k < 128; k++)
			cr_assert_eq(e.w[k], (uint64_t)i * 1000 + (uint64_t)k);
	}
}

Test(chan, large_elements_unbuffered)
{
	check_big_elements(0);
}

Test(chan, large_elements_buffered)
{
	check_big_elements(7);
}

/* chan struct{}: zero-size elements still count and block. */
Test(chan, zero_size_elements)
{
	goro_chan *c = goro_chan_make(0, 3);
	cr_assert_eq(goro_chan_elemsize(c), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(goro_chan_trysend(c, NULL), GORO_OK);
	cr_assert_eq(goro_chan_trysend(c, NULL), GORO_WOULDBLOCK);
	cr_assert_eq(goro_chan_len(c), 3);
	cr_assert(goro_chan_recv(c, NULL));
	cr_assert_eq(goro_chan_len(c), 2);
	goro_chan_close(c);
	cr_assert(goro_chan_recv(c, NULL));
	cr_assert(goro_chan_recv(c, NULL));
	cr_assert_not(goro_chan_recv(c, NULL));
}

/* ------------------------------------------------------------------ */
/* len, cap                                                            */
/* ------------------------------------------------------------------ */

Test(chan, len_and_cap)
{
	goro_chan *u = goro_chan_new(int, 0);
	cr_assert_eq(goro_chan_len(u), 0);
	cr_assert_eq(goro_chan_cap(u), 0);
	goro_chan *b = goro_chan_new(double, 5);
	cr_assert_eq(goro_chan_cap(b), 5);
	cr_assert_eq(goro_chan_elemsize(b), sizeof(double));
	goro_chan_send(b, &(double){ 1.5 });
	goro_chan_send(b, &(double){ 2.5 });
	cr_assert_eq(goro_chan_len(b), 2);
	goro_chan_close(b);
	cr_assert_eq(goro_chan_len(b), 2, "closing keeps the buffered values");
	cr_assert_eq(goro_chan_cap(b), 5);
	/* The nil channel: len 0, cap 0, like Go. */
	cr_assert_eq(goro_chan_len(NULL), 0);
	cr_assert_eq(goro_chan_cap(NULL), 0);
}

Test(chan, len_does_not_count_blocked_senders)
{
	goro_chan *u = goro_chan_new(int, 0);
	goro_go(send_seq, &(struct chan_args){ .c = u, .n = 1 });
	EVENTUALLY(blocked_count(WR_CHAN_SEND) == 1);
	cr_assert_eq(goro_chan_len(u), 0);
	recv_int(u);
}

/* ------------------------------------------------------------------ */
/* close, range                                                        */
/* ------------------------------------------------------------------ */

Test(chan, range_until_close)
{
	goro_chan *c = goro_chan_new(int, 4);
	goro_go(send_seq_close, &(struct chan_args){ .c = c, .n = 500, .first = 1 });
	int v, count = 0, expect = 1;
	goro_range(c, v)
	{
		cr_assert_eq(v, expect++);
		count++;
	}
	cr_assert_eq(count, 500);
	cr_assert_eq(v, 0, "the failed receive that ends the loop zeroes the variable");
}

Test(chan, range_over_closed_empty_channel_runs_zero_times)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan_close(c);
	int v = 5, count = 0;
	goro_range(c, v) count++;
	cr_assert_eq(count, 0);
}

struct pair {
	int64_t a;
	char s[24];
};

Test(chan, recv_on_closed_drains_then_returns_false_and_zeroes)
{
	goro_chan *c = goro_chan_new(struct pair, 3);
	for (int i = 0; i < 3; i++) {
		struct pair p = { .a = i + 1 };
		snprintf(p.s, sizeof p.s, "value %d", i);
		goro_chan_send(c, &p);
	}
	goro_chan_close(c);
	for (int i = 0; i < 3; i++) {
		struct pair p;
		cr_assert(goro_chan_recv(c, &p), "buffered values are still delivered after close");
		cr_assert_eq(p.a, i + 1);
	}
	struct pair p;
	memset(&p, 0xab, sizeof p);
	cr_assert_not(goro_chan_recv(c, &p));
	struct pair zero;
	memset(&zero, 0, sizeof zero);
	cr_assert_arr_eq(&p, &zero, sizeof p, "the element is zeroed");
	/* Again and again: a closed channel stays ready. */
	for (int i = 0; i < 3; i++) {
		memset(&p, 0xcd, sizeof p);
		cr_assert_eq(goro_chan_tryrecv(c, &p), GORO_CLOSED);
		cr_assert_arr_eq(&p, &zero, sizeof p);
	}
	/* A NULL element pointer is allowed (the value is discarded). */
	cr_assert_not(goro_chan_recv(c, NULL));
}

struct waiter_args {
	goro_chan *c;
	goro_chan *out; /* receives 1 if ok=false and the element was zeroed */
};

static void recv_expect_closed(void *p)
{
	struct waiter_args *a = p;
	int64_t v = -1;
	bool ok = goro_chan_recv(a->c, &v);
	goro_send(a->out, !ok && v == 0);
}

Test(chan, close_wakes_every_blocked_receiver)
{
	goro_chan *c = goro_chan_new(int64_t, 0);
	goro_chan *out = goro_chan_new(int, 50);
	for (int i = 0; i < 50; i++)
		goro_go(recv_expect_closed, &(struct waiter_args){ c, out });
	EVENTUALLY(blocked_count(WR_CHAN_RECV) == 50);
	goro_chan_close(c);
	for (int i = 0; i < 50; i++)
		cr_assert_eq(recv_int(out), 1);
}

/* ------------------------------------------------------------------ */
/* trysend, tryrecv                                                    */
/* ------------------------------------------------------------------ */

Test(chan, try_on_unbuffered_needs_a_partner)
{
	goro_chan *c = goro_chan_new(int, 0);
	int v = 1;
	cr_assert_eq(goro_chan_trysend(c, &v), GORO_WOULDBLOCK);
	cr_assert_eq(goro_chan_tryrecv(c, &v), GORO_WOULDBLOCK);
	cr_assert_eq(v, 1, "a failed try-receive leaves the element alone");

	/* With a receiver blocked, trysend hands the value over. */
	goro_chan *out = goro_chan_new(int, 1);
	goro_go(recv_sum, &(struct chan_args){ .c = c, .n = 1, .out = out });
	EVENTUALLY(blocked_count(WR_CHAN_RECV) == 1);
	cr_assert_eq(goro_chan_trysend(c, &(int){ 31 }), GORO_OK);
	cr_assert_eq(recv_int(out), 31);

	/* With a sender blocked, tryrecv takes its value. */
	goro_go(send_seq, &(struct chan_args){ .c = c, .n = 1, .first = 32 });
	EVENTUALLY(blocked_count(WR_CHAN_SEND) == 1);
	cr_assert_eq(goro_chan_tryrecv(c, &v), GORO_OK);
	cr_assert_eq(v, 32);
}

Test(chan, try_on_buffered)
{
	goro_chan *c = goro_chan_new(int, 2);
	int v;
	cr_assert_eq(goro_chan_tryrecv(c, &v), GORO_WOULDBLOCK);
	cr_assert_eq(goro_chan_trysend(c, &(int){ 1 }), GORO_OK);
	cr_assert_eq(goro_chan_trysend(c, &(int){ 2 }), GORO_OK);
	cr_assert_eq(goro_chan_trysend(c, &(int){ 3 }), GORO_WOULDBLOCK);
	cr_assert_eq(goro_chan_tryrecv(c, &v), GORO_OK);
	cr_assert_eq(v, 1);
	goro_chan_close(c);
	cr_assert_eq(goro_chan_tryrecv(c, &v), GORO_OK, "buffered value first");
	cr_assert_eq(v, 2);
	v = 7;
	cr_assert_eq(goro_chan_tryrecv(c, &v), GORO_CLOSED);
	cr_assert_eq(v, 0);
}

Test(chan, nil_channel_try_would_block)
{
	int v = 3;
	cr_assert_eq(goro_chan_trysend(NULL, &v), GORO_WOULDBLOCK);
	cr_assert_eq(goro_chan_tryrecv(NULL, &v), GORO_WOULDBLOCK);
	cr_assert_eq(v, 3);
}

static void send_on_nil(void *p)
{
	goro_chan_send(NULL, &(int){ 1 });
	goro_send(*(goro_chan **)p, 1); /* never reached */
}

static void recv_on_nil(void *p)
{
	goro_chan_recv(NULL, &(int){ 0 });
	goro_send(*(goro_chan **)p, 1); /* never reached */
}

Test(chan, nil_channel_send_and_recv_block_forever)
{
	goro_chan *escaped = goro_chan_new(int, 2);
	goro_go(send_on_nil, &escaped);
	goro_go(recv_on_nil, &escaped);
	EVENTUALLY(blocked_count(WR_CHAN_SEND_NIL) == 1);
	EVENTUALLY(blocked_count(WR_CHAN_RECV_NIL) == 1);
	cr_assert_eq(goro_chan_len(escaped), 0);
	cr_assert_eq(goro_num_goroutine(), 3);
}

/* ------------------------------------------------------------------ */
/* goro_send (typed helper)                                            */
/* ------------------------------------------------------------------ */

Test(chan, typed_send)
{
	goro_chan *i64 = goro_chan_new(int64_t, 2);
	goro_send(i64, (int64_t)1 << 40);
	int64_t x = 5;
	goro_send(i64, x);
	int64_t v;
	goro_chan_recv(i64, &v);
	cr_assert_eq(v, (int64_t)1 << 40);
	goro_chan_recv(i64, &v);
	cr_assert_eq(v, 5);
	goro_chan *d = goro_chan_new(double, 1);
	goro_send(d, 0.25);
	double dv;
	goro_chan_recv(d, &dv);
	cr_assert_float_eq(dv, 0.25, 0);
}

/* ------------------------------------------------------------------ */
/* _until                                                              */
/* ------------------------------------------------------------------ */

Test(chan, recv_until_times_out)
{
	goro_chan *c = goro_chan_new(int, 0);
	int v = 9;
	int64_t deadline = goro_now() + 20 * GORO_MILLISECOND;
	cr_assert_eq(goro_chan_recv_until(c, &v, deadline), GORO_TIMEDOUT);
	cr_assert_geq(goro_now(), deadline, "returned before the deadline");
	cr_assert_eq(v, 9, "a timed-out receive leaves the element alone");
	/* Nobody is left queued on the channel: a later sender is not matched
	 * with the timed-out receiver. */
	cr_assert_eq(goro_chan_trysend(c, &(int){ 1 }), GORO_WOULDBLOCK);
}

Test(chan, send_until_times_out)
{
	goro_chan *c = goro_chan_new(int, 1);
	goro_send(c, 1);
	int64_t deadline = goro_now() + 20 * GORO_MILLISECOND;
	cr_assert_eq(goro_chan_send_until(c, &(int){ 2 }, deadline), GORO_TIMEDOUT);
	cr_assert_geq(goro_now(), deadline);
	cr_assert_eq(goro_chan_len(c), 1);
	cr_assert_eq(recv_int(c), 1);
	cr_assert_eq(goro_chan_tryrecv(c, &(int){ 0 }), GORO_WOULDBLOCK,
	             "the timed-out value was delivered anyway");
}

Test(chan, until_with_a_past_deadline_does_not_block)
{
	goro_chan *c = goro_chan_new(int, 0);
	cr_assert_eq(goro_chan_recv_until(c, &(int){ 0 }, goro_now() - GORO_SECOND),
	             GORO_TIMEDOUT);
	cr_assert_eq(goro_chan_send_until(c, &(int){ 0 }, 0), GORO_TIMEDOUT);
}

static void send_later(void *p)
{
	struct chan_args *a = p;
	goro_sleep(5 * GORO_MILLISECOND);
	goro_chan_send(a->c, &a->first);
}

Test(chan, recv_until_succeeds_when_a_value_arrives)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(send_later, &(struct chan_args){ .c = c, .first = 123 });
	int v = 0;
	cr_assert_eq(goro_chan_recv_until(c, &v, goro_now() + TEST_PATIENCE), GORO_OK);
	cr_assert_eq(v, 123);
}

Test(chan, send_until_succeeds_when_a_receiver_arrives)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan *out = goro_chan_new(int, 1);
	goro_go(recv_sum, &(struct chan_args){ .c = c, .n = 1, .out = out });
	cr_assert_eq(goro_chan_send_until(c, &(int){ 55 }, goro_now() + TEST_PATIENCE), GORO_OK);
	cr_assert_eq(recv_int(out), 55);
}

Test(chan, recv_until_on_closed_channel)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan_close(c);
	int v = 4;
	cr_assert_eq(goro_chan_recv_until(c, &v, goro_now() + TEST_PATIENCE), GORO_CLOSED);
	cr_assert_eq(v, 0);
}

static void close_later(void *p)
{
	goro_sleep(5 * GORO_MILLISECOND);
	goro_chan_close(*(goro_chan **)p);
}

Test(chan, recv_until_woken_by_close)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(close_later, &c);
	int v = 4;
	cr_assert_eq(goro_chan_recv_until(c, &v, goro_now() + TEST_PATIENCE), GORO_CLOSED);
	cr_assert_eq(v, 0);
}

Test(chan, until_on_nil_channel_times_out)
{
	int64_t deadline = goro_now() + 5 * GORO_MILLISECOND;
	cr_assert_eq(goro_chan_recv_until(NULL, &(int){ 0 }, deadline), GORO_TIMEDOUT);
	cr_assert_eq(goro_chan_send_until(NULL, &(int){ 0 }, deadline), GORO_TIMEDOUT);
}

/* ------------------------------------------------------------------ */
/* _ctx                                                                */
/* ------------------------------------------------------------------ */

static void cancel_later(void *p)
{
	goro_sleep(5 * GORO_MILLISECOND);
	goro_cancel(*(goro_ctx **)p);
}

Test(chan, recv_ctx_canceled)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_go(cancel_later, &ctx);
	int v = 8;
	cr_assert_eq(goro_chan_recv_ctx(c, &v, ctx), GORO_CANCELED);
	cr_assert_eq(v, 8);
	cr_assert_eq(goro_chan_trysend(c, &(int){ 1 }), GORO_WOULDBLOCK,
	             "the canceled receiver is still queued");
	goro_ctx_release(ctx);
}

Test(chan, send_ctx_canceled)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_go(cancel_later, &ctx);
	cr_assert_eq(goro_chan_send_ctx(c, &(int){ 1 }, ctx), GORO_CANCELED);
	cr_assert_eq(goro_chan_tryrecv(c, &(int){ 0 }), GORO_WOULDBLOCK);
	goro_ctx_release(ctx);
}

Test(chan, ctx_deadline_exceeded)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_ctx *ctx = goro_with_timeout(goro_background(), 10 * GORO_MILLISECOND);
	cr_assert_eq(goro_chan_recv_ctx(c, &(int){ 0 }, ctx), GORO_DEADLINE_EXCEEDED);
	cr_assert_eq(goro_chan_send_ctx(c, &(int){ 0 }, ctx), GORO_DEADLINE_EXCEEDED);
	goro_ctx_release(ctx);
}

Test(chan, ctx_already_canceled_returns_at_once)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_cancel(ctx);
	cr_assert_eq(goro_chan_recv_ctx(c, &(int){ 0 }, ctx), GORO_CANCELED);
	cr_assert_eq(goro_chan_send_ctx(c, &(int){ 0 }, ctx), GORO_CANCELED);
	goro_ctx_release(ctx);
}

Test(chan, ctx_succeeds_when_a_value_arrives)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_ctx *ctx = goro_with_timeout(goro_background(), TEST_PATIENCE);
	goro_go(send_later, &(struct chan_args){ .c = c, .first = 64 });
	int v = 0;
	cr_assert_eq(goro_chan_recv_ctx(c, &v, ctx), GORO_OK);
	cr_assert_eq(v, 64);
	goro_chan *out = goro_chan_new(int, 1);
	goro_go(recv_sum, &(struct chan_args){ .c = c, .n = 1, .out = out });
	cr_assert_eq(goro_chan_send_ctx(c, &(int){ 65 }, ctx), GORO_OK);
	cr_assert_eq(recv_int(out), 65);
	goro_ctx_release(ctx);
	/* Background is never done: it behaves like the plain call. */
	goro_go(send_later, &(struct chan_args){ .c = c, .first = 66 });
	cr_assert_eq(goro_chan_recv_ctx(c, &v, goro_background()), GORO_OK);
	cr_assert_eq(v, 66);
}

Test(chan, recv_ctx_on_closed_channel)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan_close(c);
	int v = 1;
	cr_assert_eq(goro_chan_recv_ctx(c, &v, goro_background()), GORO_CLOSED);
	cr_assert_eq(v, 0);
}

/* ------------------------------------------------------------------ */
/* Misuse panics                                                       */
/* ------------------------------------------------------------------ */

static void sc_send_on_closed(void)
{
	goro_chan *c = goro_chan_new(int, 1);
	goro_chan_close(c);
	goro_chan_send(c, &(int){ 1 });
}

static void sc_typed_send_on_closed(void)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan_close(c);
	goro_send(c, 1);
}

static void sc_trysend_on_closed(void)
{
	goro_chan *c = goro_chan_new(int, 1);
	goro_chan_close(c);
	goro_chan_trysend(c, &(int){ 1 });
}

static void sc_send_until_on_closed(void)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan_close(c);
	goro_chan_send_until(c, &(int){ 1 }, goro_now() + GORO_SECOND);
}

static void blocked_sender(void *p)
{
	goro_chan *c = *(goro_chan **)p;
	fprintf(stderr, "scenario: sender is goroutine %lld\n", (long long)goro_id());
	goro_chan_send(c, &(int){ 1 });
}

/* The sender blocks, then the channel is closed under it. */
static void sc_close_under_blocked_sender(void)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(blocked_sender, &c);
	while (blocked_count(WR_CHAN_SEND) != 1)
		goro_sleep(GORO_MILLISECOND);
	goro_chan_close(c);
	goro_sleep(10 * GORO_SECOND); /* the sender's panic ends the process */
}

static void sc_close_closed(void)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_chan_close(c);
	goro_chan_close(c);
}

static void sc_close_nil(void)
{
	goro_chan_close(NULL);
}

static void sc_typed_send_size_mismatch(void)
{
	goro_chan *c = goro_chan_new(int64_t, 1);
	goro_send(c, 1); /* an int: 4 bytes on a channel of 8-byte elements */
}

static void check_panic(const char *scenario, const char *message)
{
	struct death d;
	death_run(scenario, &d);
	death_assert_signal(&d, SIGABRT);
	char line[256];
	snprintf(line, sizeof line, "panic: %s\n", message);
	death_assert_stderr_has(&d, line);
}

Test(chan_panic, send_on_closed_channel)
{
	check_panic("send_on_closed", "send on closed channel");
	check_panic("typed_send_on_closed", "send on closed channel");
	/* Go: a select send case on a closed channel panics too, default or not. */
	check_panic("trysend_on_closed", "send on closed channel");
	check_panic("send_until_on_closed", "send on closed channel");
}

Test(chan_panic, panic_names_the_panicking_goroutine)
{
	struct death d;
	death_run("send_on_closed", &d);
	death_assert_stderr_has(&d, "panic: send on closed channel\n\ngoroutine 1 [running]:\n");
}

Test(chan_panic, close_under_a_blocked_sender)
{
	struct death d;
	death_run("close_under_blocked_sender", &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: send on closed channel\n");
	const char *who = death_stderr_from(&d, "scenario: sender is goroutine ");
	cr_assert_not_null(who, "stderr:\n%s", d.err);
	char header[64];
	snprintf(header, sizeof header, "goroutine %lld [running]:",
	         atoll(who + strlen("scenario: sender is goroutine ")));
	death_assert_stderr_has(&d, header);
}

Test(chan_panic, close_of_closed_channel)
{
	check_panic("close_closed", "close of closed channel");
}

Test(chan_panic, close_of_nil_channel)
{
	check_panic("close_nil", "close of nil channel");
}

Test(chan_panic, typed_send_size_mismatch)
{
	struct death d;
	death_run("typed_send_size_mismatch", &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: ");
	death_assert_stderr_lacks(&d, "send on closed channel");
}

DEATH_SCENARIOS({ "send_on_closed", sc_send_on_closed },
                { "typed_send_on_closed", sc_typed_send_on_closed },
                { "trysend_on_closed", sc_trysend_on_closed },
                { "send_until_on_closed", sc_send_until_on_closed },
                { "close_under_blocked_sender", sc_close_under_blocked_sender },
                { "close_closed", sc_close_closed },
                { "close_nil", sc_close_nil },
                { "typed_send_size_mismatch", sc_typed_send_size_mismatch })
