/*
 * test_cond.c — sync.Cond: Signal wakes one waiter, Broadcast all, a
 * Signal nobody waits for is lost, Wait works over a Mutex and over either
 * side of an RWMutex (it releases L while waiting and holds it again on
 * return), and wait_until / wait_ctx report why they returned with L held.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>

#include <goro.h>

#include "waiting.h"

static int recv_status(goro_chan *c)
{
	int rc = -1;
	cr_assert_eq(goro_chan_recv_until(c, &rc, SOON), GORO_OK, "no status reported");
	return rc;
}

struct report {
	int rc;    /* what Wait returned */
	bool held; /* L held on return */
};

/*
 * A waiter: locks L, waits once (plain, _until or _ctx), reports the
 * status and whether it held L on return, then unlocks.  "Held" is checked
 * through the lock itself: a trylock of the same side must fail.
 */
struct waiter_args {
	goro_cond *c;
	goro_chan *out; /* of struct report */
	int64_t deadline; /* INT64_MAX: plain Wait */
	goro_ctx *ctx;    /* owned reference, or NULL */
	bool (*held)(goro_cond *c);
};

static bool mutex_held(goro_cond *c)
{
	goro_mutex *m = c->L.obj;
	if (goro_mutex_trylock(m)) {
		goro_mutex_unlock(m);
		return false;
	}
	return true;
}

/* The write side is held iff no reader gets in (no writer is pending). */
static bool rw_write_held(goro_cond *c)
{
	goro_rwmutex *rw = c->L.obj;
	if (goro_rwmutex_tryrlock(rw)) {
		goro_rwmutex_runlock(rw);
		return false;
	}
	return true;
}

/* Some reader holds it iff a writer cannot get in. */
static bool rw_read_held(goro_cond *c)
{
	goro_rwmutex *rw = c->L.obj;
	if (goro_rwmutex_trylock(rw)) {
		goro_rwmutex_unlock(rw);
		return false;
	}
	return true;
}

static void cond_waiter(void *p)
{
	struct waiter_args *a = p;
	a->c->L.lock(a->c->L.obj);
	int rc;
	if (a->ctx)
		rc = goro_cond_wait_ctx(a->c, a->ctx);
	else if (a->deadline != INT64_MAX)
		rc = goro_cond_wait_until(a->c, a->deadline);
	else
		goro_cond_wait(a->c), rc = GORO_OK;
	struct report rep = { rc, a->held(a->c) };
	a->c->L.unlock(a->c->L.obj);
	goro_ctx_release(a->ctx);
	/* One message: reports of several waiters on one channel must not
	 * interleave. */
	goro_send(a->out, rep);
}

/* Starts a waiter and waits until it is parked in Wait (or, with a short
 * deadline on a slow machine, already back). */
static void start_waiter(struct waiter_args a)
{
	int64_t id = goro_go(cond_waiter, &a);
	EVENTUALLY(blocked_in(id, WR_COND) || goro_chan_len(a.out) > 0);
}

/* Receives a waiter's report: its status, and that it held L on return. */
static int waiter_result(goro_chan *out)
{
	struct report rep = { -1, false };
	cr_assert_eq(goro_chan_recv_until(out, &rep, SOON), GORO_OK, "no report from a waiter");
	cr_assert(rep.held, "Wait returned (status %d) without the lock held", rep.rc);
	return rep.rc;
}

static bool nothing_yet(goro_chan *c)
{
	struct report v;
	return goro_chan_tryrecv(c, &v) == GORO_WOULDBLOCK;
}

/* ------------------------------------------------------------------ */
/* Signal, Broadcast                                                   */
/* ------------------------------------------------------------------ */

enum { WAITERS = 5 };

Test(cond, signal_wakes_one_waiter)
{
	goro_mutex mu = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_mutex_locker(&mu));
	goro_chan *out = goro_chan_new(struct report, WAITERS);
	for (int i = 0; i < WAITERS; i++)
		start_waiter((struct waiter_args){ &c, out, INT64_MAX, NULL, mutex_held });
	cr_assert_eq(blocked_count(WR_COND), WAITERS);

	for (int woken = 1; woken <= WAITERS; woken++) {
		goro_cond_signal(&c);
		cr_assert_eq(waiter_result(out), GORO_OK);
		/* Exactly one: the others stay parked. */
		EVENTUALLY(blocked_count(WR_COND) == WAITERS - woken);
		cr_assert(nothing_yet(out), "one Signal woke more than one waiter");
	}
	GOROUTINES_BACK_TO(1);
}

Test(cond, broadcast_wakes_every_waiter)
{
	goro_mutex mu = { 0 };
	goro_cond c = { .L = goro_mutex_locker(&mu) }; /* setting L directly works too */
	goro_chan *out = goro_chan_new(struct report, WAITERS);
	for (int i = 0; i < WAITERS; i++)
		start_waiter((struct waiter_args){ &c, out, INT64_MAX, NULL, mutex_held });
	goro_cond_broadcast(&c);
	for (int i = 0; i < WAITERS; i++)
		cr_assert_eq(waiter_result(out), GORO_OK, "waiter %d not woken by Broadcast", i);
	GOROUTINES_BACK_TO(1);
}

Test(cond, signal_without_waiter_is_lost)
{
	goro_mutex mu = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_mutex_locker(&mu));
	goro_cond_signal(&c);
	goro_cond_broadcast(&c);
	goro_mutex_lock(&mu);
	cr_assert_eq(goro_cond_wait_until(&c, after_now(30 * GORO_MILLISECOND)), GORO_TIMEDOUT,
	             "an earlier Signal woke a later Wait");
	goro_mutex_unlock(&mu);
}

/* ------------------------------------------------------------------ */
/* The Locker is released while waiting and held again on return        */
/* ------------------------------------------------------------------ */

Test(cond, over_a_mutex)
{
	goro_mutex mu = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_mutex_locker(&mu));
	goro_chan *out = goro_chan_new(struct report, 1);
	start_waiter((struct waiter_args){ &c, out, INT64_MAX, NULL, mutex_held });
	cr_assert(goro_mutex_trylock(&mu), "Wait did not release the mutex");
	goro_cond_signal(&c);
	/* The waiter needs the mutex back to return. */
	cr_assert(nothing_yet(out));
	goro_mutex_unlock(&mu);
	cr_assert_eq(waiter_result(out), GORO_OK);
}

Test(cond, over_the_write_side_of_an_rwmutex)
{
	goro_rwmutex rw = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_rwmutex_locker(&rw));
	goro_chan *out = goro_chan_new(struct report, 1);
	start_waiter((struct waiter_args){ &c, out, INT64_MAX, NULL, rw_write_held });
	cr_assert(goro_rwmutex_trylock(&rw), "Wait did not release the write lock");
	goro_cond_signal(&c);
	goro_rwmutex_unlock(&rw);
	cr_assert_eq(waiter_result(out), GORO_OK);
	cr_assert(goro_rwmutex_trylock(&rw), "the waiter left the write lock held");
	goro_rwmutex_unlock(&rw);
}

Test(cond, over_the_read_side_of_an_rwmutex)
{
	goro_rwmutex rw = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_rwmutex_rlocker(&rw));
	goro_chan *out = goro_chan_new(struct report, WAITERS);
	/* Several readers wait on the same Cond, each holding a read lock
	 * until it parks. */
	for (int i = 0; i < WAITERS; i++)
		start_waiter((struct waiter_args){ &c, out, INT64_MAX, NULL, rw_read_held });
	cr_assert(goro_rwmutex_trylock(&rw), "Wait did not release the read locks");
	goro_cond_broadcast(&c);
	cr_assert(nothing_yet(out), "a reader returned from Wait while a writer held the lock");
	goro_rwmutex_unlock(&rw);
	for (int i = 0; i < WAITERS; i++)
		cr_assert_eq(waiter_result(out), GORO_OK);
	GOROUTINES_BACK_TO(1);
	cr_assert(goro_rwmutex_trylock(&rw), "the readers left the lock held");
	goro_rwmutex_unlock(&rw);
}

/* ------------------------------------------------------------------ */
/* wait_until, wait_ctx                                                */
/* ------------------------------------------------------------------ */

Test(cond, wait_until_times_out_with_the_lock_held)
{
	goro_mutex mu = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_mutex_locker(&mu));
	goro_mutex_lock(&mu);
	int64_t deadline = after_now(30 * GORO_MILLISECOND);
	cr_assert_eq(goro_cond_wait_until(&c, deadline), GORO_TIMEDOUT);
	cr_assert_geq(goro_now(), deadline, "gave up before the deadline");
	cr_assert_not(goro_mutex_trylock(&mu), "returned without the mutex");
	goro_mutex_unlock(&mu);

	/* Through the helper too, with the read side. */
	goro_rwmutex rw = { 0 };
	goro_cond rc;
	goro_cond_init(&rc, goro_rwmutex_rlocker(&rw));
	goro_chan *out = goro_chan_new(struct report, 1);
	start_waiter((struct waiter_args){ &rc, out, after_now(30 * GORO_MILLISECOND), NULL,
	                                   rw_read_held });
	cr_assert_eq(waiter_result(out), GORO_TIMEDOUT);
}

Test(cond, wait_until_signaled_in_time)
{
	goro_mutex mu = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_mutex_locker(&mu));
	goro_chan *out = goro_chan_new(struct report, 1);
	start_waiter((struct waiter_args){ &c, out, SOON, NULL, mutex_held });
	goro_cond_signal(&c);
	cr_assert_eq(waiter_result(out), GORO_OK);
}

Test(cond, wait_ctx_reports_the_context_error_with_the_lock_held)
{
	goro_mutex mu = { 0 };
	goro_cond c;
	goro_cond_init(&c, goro_mutex_locker(&mu));
	goro_chan *canceled = goro_chan_new(struct report, 1),
	          *expired = goro_chan_new(struct report, 1),
	          *signaled = goro_chan_new(struct report, 1);
	goro_ctx *cctx = goro_with_cancel(goro_background());
	goro_ctx *tctx = goro_with_timeout(goro_background(), 50 * GORO_MILLISECOND);
	goro_ctx *live = goro_with_cancel(goro_background());

	start_waiter((struct waiter_args){ &c, canceled, INT64_MAX, goro_ctx_retain(cctx),
	                                   mutex_held });
	start_waiter((struct waiter_args){ &c, expired, INT64_MAX, goro_ctx_retain(tctx),
	                                   mutex_held });
	goro_cancel(cctx);
	cr_assert_eq(waiter_result(canceled), GORO_CANCELED);
	cr_assert_eq(waiter_result(expired), GORO_DEADLINE_EXCEEDED);

	/* Those that gave up do not absorb a later Signal. */
	start_waiter((struct waiter_args){ &c, signaled, INT64_MAX, goro_ctx_retain(live),
	                                   mutex_held });
	goro_cond_signal(&c);
	cr_assert_eq(waiter_result(signaled), GORO_OK);

	goro_mutex_lock(&mu);
	cr_assert_eq(goro_cond_wait_ctx(&c, cctx), GORO_CANCELED, "a done ctx must not block");
	cr_assert_not(goro_mutex_trylock(&mu));
	goro_mutex_unlock(&mu);
	goro_ctx_release(cctx);
	goro_ctx_release(tctx);
	goro_ctx_release(live);
	GOROUTINES_BACK_TO(1);
}

/* ------------------------------------------------------------------ */
/* The classic pattern: predicate loop, no lost wake-up                  */
/* ------------------------------------------------------------------ */

enum { PINGPONG = SCALED(5000) };

struct turn {
	goro_mutex mu;
	goro_cond c;
	int turn;  /* whose turn: 0 or 1 */
	int moves; /* guarded by mu */
};

struct player_args {
	struct turn *t;
	int me;
	goro_chan *done;
};

static void player(void *p)
{
	struct player_args *a = p;
	struct turn *t = a->t;
	for (int i = 0; i < PINGPONG; i++) {
		goro_mutex_lock(&t->mu);
		while (t->turn != a->me)
			goro_cond_wait(&t->c);
		t->moves++;
		t->turn = !a->me;
		goro_cond_signal(&t->c);
		goro_mutex_unlock(&t->mu);
	}
	goro_send(a->done, 1);
}

/* Two goroutines take turns; a lost wake-up leaves both waiting. */
Test(cond, ping_pong_loses_no_wakeup)
{
	struct turn *t = goro_new(struct turn);
	goro_cond_init(&t->c, goro_mutex_locker(&t->mu));
	goro_chan *done = goro_chan_new(int, 2);
	goro_go(player, &(struct player_args){ t, 0, done });
	goro_go(player, &(struct player_args){ t, 1, done });
	recv_status(done);
	recv_status(done);
	cr_assert_eq(t->moves, 2 * PINGPONG);
	goro_free(t);
}

/* A bounded queue with one Cond per condition, many producers/consumers. */
enum { QCAP = 4, PRODUCERS = 4, CONSUMERS = 4, ITEMS_EACH = SCALED(2000) };

struct queue {
	goro_mutex mu;
	goro_cond not_empty, not_full;
	int items[QCAP];
	int head, len;
	long sum_in, sum_out;
};

struct qargs {
	struct queue *q;
	int base;
	goro_chan *done;
};

static void producer(void *p)
{
	struct qargs *a = p;
	struct queue *q = a->q;
	for (int i = 0; i < ITEMS_EACH; i++) {
		int v = a->base + i;
		goro_mutex_lock(&q->mu);
		while (q->len == QCAP)
			goro_cond_wait(&q->not_full);
		q->items[(q->head + q->len++) % QCAP] = v;
		q->sum_in += v;
		goro_cond_signal(&q->not_empty);
		goro_mutex_unlock(&q->mu);
	}
	goro_send(a->done, 1);
}

static void consumer(void *p)
{
	struct qargs *a = p;
	struct queue *q = a->q;
	for (int i = 0; i < ITEMS_EACH; i++) {
		goro_mutex_lock(&q->mu);
		while (q->len == 0)
			goro_cond_wait(&q->not_empty);
		int v = q->items[q->head];
		q->head = (q->head + 1) % QCAP;
		q->len--;
		q->sum_out += v;
		goro_cond_signal(&q->not_full);
		goro_mutex_unlock(&q->mu);
	}
	goro_send(a->done, 1);
}

Test(cond, bounded_queue_producers_consumers)
{
	struct queue *q = goro_new(struct queue);
	goro_cond_init(&q->not_empty, goro_mutex_locker(&q->mu));
	goro_cond_init(&q->not_full, goro_mutex_locker(&q->mu));
	goro_chan *done = goro_chan_new(int, PRODUCERS + CONSUMERS);
	for (int i = 0; i < CONSUMERS; i++)
		goro_go(consumer, &(struct qargs){ q, 0, done });
	for (int i = 0; i < PRODUCERS; i++)
		goro_go(producer, &(struct qargs){ q, i * 1000000, done });
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
		recv_status(done);
	cr_assert_eq(q->len, 0);
	cr_assert_eq(q->sum_in, q->sum_out);
	goro_free(q);
}
