/*
 * test_deadlines.c — the _until and _ctx variants of every blocking call:
 * channel send and receive, select, Mutex, RWMutex (both sides), WaitGroup
 * and Cond.  Each gives up with GORO_TIMEDOUT at its deadline or with the
 * context's error once the context is done, succeeds when its event comes
 * first, and leaves no goroutine (and no armed wake-up) behind.
 *
 * The tests are table-driven: one row per blocking operation, one test per
 * way of ending the wait.  Each row's operation runs in a goroutine (the
 * "blocker") that reports the status; the test body plays the other side.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>

#include <goro.h>

#include "waiting.h"

#define MS GORO_MILLISECOND

enum { VALUE = 42, WRONG_VALUE = 1000 };

/* Everything a row may need; zeroed per run. */
struct fixture {
	goro_chan *c, *c2;
	goro_mutex mu;
	goro_rwmutex rw;
	goro_waitgroup wg;
	goro_mutex cond_mu;
	goro_cond cond;
};

struct op {
	const char *name;
	int reason;      /* wait reason while it blocks */
	int ok_status;   /* what it returns when its event comes */
	void (*setup)(struct fixture *f);      /* main: make the call block */
	int (*until)(struct fixture *f, int64_t deadline);
	int (*ctx)(struct fixture *f, goro_ctx *ctx);
	void (*release)(struct fixture *f);    /* main: the event (NULL: none) */
	void (*teardown)(struct fixture *f, int rc); /* main: undo setup */
};

/* --- channel send: unbuffered, nobody receiving --------------------- */

static void send_setup(struct fixture *f) { f->c = goro_chan_new(int, 0); }
static int send_until(struct fixture *f, int64_t dl) { return goro_chan_send_until(f->c, &(int){ VALUE }, dl); }
static int send_ctx(struct fixture *f, goro_ctx *x) { return goro_chan_send_ctx(f->c, &(int){ VALUE }, x); }
static void send_release(struct fixture *f)
{
	int v = 0;
	cr_assert_eq(goro_chan_recv_until(f->c, &v, SOON), GORO_OK);
	cr_assert_eq(v, VALUE, "the sent value was not delivered");
}

/* --- channel send: buffer full --------------------------------------- */

static void sendfull_setup(struct fixture *f)
{
	f->c = goro_chan_new(int, 1);
	goro_send(f->c, 1);
}
static void sendfull_release(struct fixture *f)
{
	int v = 0;
	cr_assert_eq(goro_chan_recv_until(f->c, &v, SOON), GORO_OK);
	cr_assert_eq(v, 1);
}
static void sendfull_teardown(struct fixture *f, int rc)
{
	int v = 0;
	if (rc == GORO_OK) {
		cr_assert_eq(goro_chan_recv_until(f->c, &v, SOON), GORO_OK);
		cr_assert_eq(v, VALUE, "the sent value was not buffered");
	}
	cr_assert_eq(goro_chan_tryrecv(f->c, &v), rc == GORO_OK ? GORO_WOULDBLOCK : GORO_OK,
	             "a send that gave up left a value (or took one)");
}

/* --- channel receive ------------------------------------------------- */

static void recv_setup(struct fixture *f) { f->c = goro_chan_new(int, 0); }
static int check_value(int rc, int v) { return rc == GORO_OK && v != VALUE ? WRONG_VALUE : rc; }
static int recv_until(struct fixture *f, int64_t dl)
{
	int v = 0;
	int rc = goro_chan_recv_until(f->c, &v, dl);
	return check_value(rc, v);
}
static int recv_ctx(struct fixture *f, goro_ctx *x)
{
	int v = 0;
	int rc = goro_chan_recv_ctx(f->c, &v, x);
	return check_value(rc, v);
}
static void recv_release(struct fixture *f)
{
	cr_assert_eq(goro_chan_send_until(f->c, &(int){ VALUE }, SOON), GORO_OK);
}

/* Closing releases a receiver too: it reports GORO_CLOSED. */
static void recvclose_release(struct fixture *f) { goro_chan_close(f->c); }

/* --- receive from the nil channel: only the deadline/ctx ends it ---- */

static void nil_setup(struct fixture *f) { f->c = NULL; }

/* --- select over two receives; the second one gets the value ---------- */

static void select_setup(struct fixture *f)
{
	f->c = goro_chan_new(int, 0);
	f->c2 = goro_chan_new(int, 0);
}
static int select_status(int r, goro_ctx *x, goro_case *cases)
{
	if (r == GORO_SELECT_TIMEDOUT && !x)
		return GORO_TIMEDOUT;
	if (r == GORO_SELECT_CANCELED && x)
		return goro_ctx_err(x);
	if (r == 1 && cases[1].ok && *(int *)cases[1].elem == VALUE)
		return GORO_OK;
	return WRONG_VALUE + r;
}
static int select_until(struct fixture *f, int64_t dl)
{
	int a = 0, b = 0;
	goro_case cases[] = { GORO_RECV(f->c, &a), GORO_RECV(f->c2, &b) };
	return select_status(goro_select_until(cases, 2, dl), NULL, cases);
}
static int select_ctx(struct fixture *f, goro_ctx *x)
{
	int a = 0, b = 0;
	goro_case cases[] = { GORO_RECV(f->c, &a), GORO_RECV(f->c2, &b) };
	return select_status(goro_select_ctx(cases, 2, x), x, cases);
}
static void select_release(struct fixture *f)
{
	cr_assert_eq(goro_chan_send_until(f->c2, &(int){ VALUE }, SOON), GORO_OK);
}

/* --- Mutex: main holds it -------------------------------------------- */

static void mutex_setup(struct fixture *f) { goro_mutex_lock(&f->mu); }
static int mutex_until(struct fixture *f, int64_t dl)
{
	int rc = goro_mutex_lock_until(&f->mu, dl);
	if (rc == GORO_OK)
		goro_mutex_unlock(&f->mu);
	return rc;
}
static int mutex_ctx(struct fixture *f, goro_ctx *x)
{
	int rc = goro_mutex_lock_ctx(&f->mu, x);
	if (rc == GORO_OK)
		goro_mutex_unlock(&f->mu);
	return rc;
}
static void mutex_release(struct fixture *f) { goro_mutex_unlock(&f->mu); }
static void mutex_teardown(struct fixture *f, int rc)
{
	if (rc != GORO_OK)
		goro_mutex_unlock(&f->mu);
	cr_assert(goro_mutex_trylock(&f->mu), "mutex left locked");
	goro_mutex_unlock(&f->mu);
}

/* --- RWMutex write side: main holds a read lock ---------------------- */

static void wlock_setup(struct fixture *f) { goro_rwmutex_rlock(&f->rw); }
static int wlock_until(struct fixture *f, int64_t dl)
{
	int rc = goro_rwmutex_lock_until(&f->rw, dl);
	if (rc == GORO_OK)
		goro_rwmutex_unlock(&f->rw);
	return rc;
}
static int wlock_ctx(struct fixture *f, goro_ctx *x)
{
	int rc = goro_rwmutex_lock_ctx(&f->rw, x);
	if (rc == GORO_OK)
		goro_rwmutex_unlock(&f->rw);
	return rc;
}
static void wlock_release(struct fixture *f) { goro_rwmutex_runlock(&f->rw); }
static void rw_check_free(struct fixture *f)
{
	cr_assert(goro_rwmutex_trylock(&f->rw), "rwmutex left locked");
	goro_rwmutex_unlock(&f->rw);
}
static void wlock_teardown(struct fixture *f, int rc)
{
	if (rc != GORO_OK)
		goro_rwmutex_runlock(&f->rw);
	rw_check_free(f);
}

/* --- RWMutex read side: main holds the write lock -------------------- */

static void rlock_setup(struct fixture *f) { goro_rwmutex_lock(&f->rw); }
static int rlock_until(struct fixture *f, int64_t dl)
{
	int rc = goro_rwmutex_rlock_until(&f->rw, dl);
	if (rc == GORO_OK)
		goro_rwmutex_runlock(&f->rw);
	return rc;
}
static int rlock_ctx(struct fixture *f, goro_ctx *x)
{
	int rc = goro_rwmutex_rlock_ctx(&f->rw, x);
	if (rc == GORO_OK)
		goro_rwmutex_runlock(&f->rw);
	return rc;
}
static void rlock_release(struct fixture *f) { goro_rwmutex_unlock(&f->rw); }
static void rlock_teardown(struct fixture *f, int rc)
{
	if (rc != GORO_OK)
		goro_rwmutex_unlock(&f->rw);
	rw_check_free(f);
}

/* --- WaitGroup: counter 1 --------------------------------------------- */

static void wg_setup(struct fixture *f) { goro_waitgroup_add(&f->wg, 1); }
static int wg_until(struct fixture *f, int64_t dl) { return goro_waitgroup_wait_until(&f->wg, dl); }
static int wg_ctx(struct fixture *f, goro_ctx *x) { return goro_waitgroup_wait_ctx(&f->wg, x); }
static void wg_release(struct fixture *f) { goro_waitgroup_done(&f->wg); }
static void wg_teardown(struct fixture *f, int rc)
{
	if (rc != GORO_OK)
		goro_waitgroup_done(&f->wg);
	cr_assert_eq(goro_waitgroup_wait_until(&f->wg, goro_now()), GORO_OK);
}

/* --- Cond: the blocker waits holding cond_mu; returns holding it ------ */

static void cond_setup(struct fixture *f)
{
	goro_cond_init(&f->cond, goro_mutex_locker(&f->cond_mu));
}
/* Wait must return with the lock re-held, whatever the reason. */
static int cond_finish(struct fixture *f, int rc)
{
	bool held = !goro_mutex_trylock(&f->cond_mu);
	if (!held)
		rc = WRONG_VALUE;
	goro_mutex_unlock(&f->cond_mu);
	return rc;
}
static int cond_until(struct fixture *f, int64_t dl)
{
	goro_mutex_lock(&f->cond_mu);
	return cond_finish(f, goro_cond_wait_until(&f->cond, dl));
}
static int cond_ctx(struct fixture *f, goro_ctx *x)
{
	goro_mutex_lock(&f->cond_mu);
	return cond_finish(f, goro_cond_wait_ctx(&f->cond, x));
}
static void cond_release(struct fixture *f) { goro_cond_signal(&f->cond); }

static const struct op ops[] = {
	{ "chan send", WR_CHAN_SEND, GORO_OK, send_setup, send_until, send_ctx, send_release, NULL },
	{ "chan send (full)", WR_CHAN_SEND, GORO_OK, sendfull_setup, send_until, send_ctx,
	  sendfull_release, sendfull_teardown },
	{ "chan recv", WR_CHAN_RECV, GORO_OK, recv_setup, recv_until, recv_ctx, recv_release, NULL },
	{ "chan recv (closed)", WR_CHAN_RECV, GORO_CLOSED, recv_setup, recv_until, recv_ctx,
	  recvclose_release, NULL },
	{ "chan recv (nil chan)", WR_CHAN_RECV_NIL, GORO_OK, nil_setup, recv_until, recv_ctx, NULL,
	  NULL },
	{ "select", WR_SELECT, GORO_OK, select_setup, select_until, select_ctx, select_release,
	  NULL },
	{ "mutex", WR_MUTEX, GORO_OK, mutex_setup, mutex_until, mutex_ctx, mutex_release,
	  mutex_teardown },
	{ "rwmutex lock", WR_RWMUTEX_LOCK, GORO_OK, wlock_setup, wlock_until, wlock_ctx,
	  wlock_release, wlock_teardown },
	{ "rwmutex rlock", WR_RWMUTEX_RLOCK, GORO_OK, rlock_setup, rlock_until, rlock_ctx,
	  rlock_release, rlock_teardown },
	{ "waitgroup", WR_WAITGROUP, GORO_OK, wg_setup, wg_until, wg_ctx, wg_release, wg_teardown },
	{ "cond", WR_COND, GORO_OK, cond_setup, cond_until, cond_ctx, cond_release, NULL },
};
enum { NOPS = sizeof ops / sizeof ops[0] };

/* ------------------------------------------------------------------ */
/* The blocker                                                         */
/* ------------------------------------------------------------------ */

struct blocker_args {
	const struct op *op;
	struct fixture *f;
	int64_t deadline; /* used when ctx is NULL */
	goro_ctx *ctx;    /* owned reference, or NULL */
	goro_chan *out;   /* status, then whether it returned before the deadline */
};

static void blocker(void *p)
{
	struct blocker_args *a = p;
	int rc = a->ctx ? a->op->ctx(a->f, a->ctx) : a->op->until(a->f, a->deadline);
	int early = !a->ctx && rc == GORO_TIMEDOUT && goro_now() < a->deadline;
	goro_ctx_release(a->ctx);
	goro_send(a->out, rc);
	goro_send(a->out, early);
}

struct run {
	struct fixture *f;
	goro_chan *out;
	int64_t id;
};

/* Sets the op up and starts its blocker; with wait_blocked, returns once
 * the blocker has parked (or, if its deadline is short, already returned). */
static struct run start(const struct op *op, int64_t deadline, goro_ctx *ctx, bool wait_blocked)
{
	struct run r = { goro_new(struct fixture), goro_chan_new(int, 2), 0 };
	op->setup(r.f);
	r.id = goro_go(blocker, &(struct blocker_args){ op, r.f, deadline, ctx, r.out });
	if (wait_blocked)
		EVENTUALLY(blocked_in(r.id, op->reason) || goro_chan_len(r.out) > 0);
	return r;
}

/* Collects the status, undoes the setup, checks nothing was left behind. */
static int finish(const struct op *op, struct run r)
{
	int rc = -1, early = 1;
	cr_assert_eq(goro_chan_recv_until(r.out, &rc, SOON), GORO_OK, "%s: the call never returned",
	             op->name);
	goro_chan_recv(r.out, &early);
	cr_assert_not(early, "%s: gave up before its deadline", op->name);
	if (op->teardown)
		op->teardown(r.f, rc);
	goro_free(r.f);
	GOROUTINES_BACK_TO(1);
	return rc;
}

static void expect(const struct op *op, int got, int want, const char *how)
{
	cr_assert_eq(got, want, "%s (%s): returned %d (%s), want %d (%s)", op->name, how, got,
	             goro_strerror(got), want, goro_strerror(want));
}

/* ------------------------------------------------------------------ */
/* One test per way of ending the wait                                  */
/* ------------------------------------------------------------------ */

Test(deadlines, until_times_out)
{
	for (int i = 0; i < NOPS; i++) {
		struct run r = start(&ops[i], after_now(30 * MS), NULL, true);
		expect(&ops[i], finish(&ops[i], r), GORO_TIMEDOUT, "_until, nothing happens");
	}
}

Test(deadlines, until_past_deadline_returns_at_once)
{
	for (int i = 0; i < NOPS; i++) {
		struct run r = start(&ops[i], goro_now() - GORO_SECOND, NULL, false);
		expect(&ops[i], finish(&ops[i], r), GORO_TIMEDOUT, "_until, deadline passed");
	}
}

Test(deadlines, until_succeeds_when_the_event_comes_first)
{
	for (int i = 0; i < NOPS; i++) {
		if (!ops[i].release)
			continue;
		struct run r = start(&ops[i], SOON, NULL, true);
		ops[i].release(r.f);
		expect(&ops[i], finish(&ops[i], r), ops[i].ok_status, "_until, event first");
	}
}

Test(deadlines, ctx_canceled)
{
	for (int i = 0; i < NOPS; i++) {
		goro_ctx *ctx = goro_with_cancel(goro_background());
		struct run r = start(&ops[i], INT64_MAX, goro_ctx_retain(ctx), true);
		goro_cancel(ctx);
		expect(&ops[i], finish(&ops[i], r), GORO_CANCELED, "_ctx, canceled");
		goro_ctx_release(ctx);
	}
}

/* The error, not the cause, is what the call returns. */
Test(deadlines, ctx_canceled_with_a_cause)
{
	for (int i = 0; i < NOPS; i++) {
		goro_ctx *ctx = goro_with_cancel(goro_background());
		struct run r = start(&ops[i], INT64_MAX, goro_ctx_retain(ctx), true);
		goro_cancel_cause(ctx, 77);
		expect(&ops[i], finish(&ops[i], r), GORO_CANCELED, "_ctx, canceled with a cause");
		goro_ctx_release(ctx);
	}
}

/* Canceling an ancestor (through a value context) ends the wait too. */
Test(deadlines, ctx_ancestor_canceled)
{
	static const char key = 0;
	for (int i = 0; i < NOPS; i++) {
		goro_ctx *root = goro_with_cancel(goro_background());
		goro_ctx *v = goro_with_value(root, &key, NULL);
		goro_ctx *ctx = goro_with_cancel(v);
		struct run r = start(&ops[i], INT64_MAX, goro_ctx_retain(ctx), true);
		goro_cancel(root);
		expect(&ops[i], finish(&ops[i], r), GORO_CANCELED, "_ctx, ancestor canceled");
		goro_ctx_release(ctx);
		goro_ctx_release(v);
		goro_ctx_release(root);
	}
}

Test(deadlines, ctx_deadline_exceeded)
{
	for (int i = 0; i < NOPS; i++) {
		goro_ctx *ctx = goro_with_timeout(goro_background(), 30 * MS);
		struct run r = start(&ops[i], INT64_MAX, goro_ctx_retain(ctx), true);
		expect(&ops[i], finish(&ops[i], r), GORO_DEADLINE_EXCEEDED, "_ctx, timeout");
		goro_ctx_release(ctx);
	}
}

Test(deadlines, ctx_already_done_returns_at_once)
{
	for (int i = 0; i < NOPS; i++) {
		goro_ctx *ctx = goro_with_cancel(goro_background());
		goro_cancel(ctx);
		struct run r = start(&ops[i], INT64_MAX, goro_ctx_retain(ctx), false);
		expect(&ops[i], finish(&ops[i], r), GORO_CANCELED, "_ctx, already canceled");
		goro_ctx_release(ctx);

		ctx = goro_with_deadline(goro_background(), goro_now() - GORO_SECOND);
		r = start(&ops[i], INT64_MAX, goro_ctx_retain(ctx), false);
		expect(&ops[i], finish(&ops[i], r), GORO_DEADLINE_EXCEEDED, "_ctx, already expired");
		goro_ctx_release(ctx);
	}
}

Test(deadlines, ctx_succeeds_when_the_event_comes_first)
{
	for (int i = 0; i < NOPS; i++) {
		if (!ops[i].release)
			continue;
		goro_ctx *ctx = goro_with_cancel(goro_background());
		struct run r = start(&ops[i], INT64_MAX, goro_ctx_retain(ctx), true);
		ops[i].release(r.f);
		expect(&ops[i], finish(&ops[i], r), ops[i].ok_status, "_ctx, event first");
		goro_cancel(ctx); /* afterwards: changes nothing */
		goro_ctx_release(ctx);
	}
}

/* A background context never ends the wait: only the event does. */
Test(deadlines, ctx_background_waits_for_the_event)
{
	for (int i = 0; i < NOPS; i++) {
		if (!ops[i].release)
			continue;
		struct run r = start(&ops[i], INT64_MAX, goro_background(), true);
		ops[i].release(r.f);
		expect(&ops[i], finish(&ops[i], r), ops[i].ok_status, "_ctx(background), event");
	}
}

/* ------------------------------------------------------------------ */
/* Nothing armed is left behind                                         */
/* ------------------------------------------------------------------ */

/*
 * After an _until call succeeded early, its deadline (or its context's
 * cancellation) must not reach the goroutine's next, unrelated wait.  The
 * blocker succeeds, then waits on `later` (with a far deadline); the old
 * deadline passes / the context is canceled; it must still be waiting.
 */
struct stale_args {
	const struct op *op;
	struct fixture *f;
	int64_t deadline;
	goro_ctx *ctx; /* owned reference, or NULL */
	goro_chan *out, *later;
};

static void stale_blocker(void *p)
{
	struct stale_args *a = p;
	int rc = a->ctx ? a->op->ctx(a->f, a->ctx) : a->op->until(a->f, a->deadline);
	goro_ctx_release(a->ctx);
	goro_send(a->out, rc);
	/* The next wait has a deadline of its own, so it is claimable: a
	 * stray wake-up from the finished wait would end it early. */
	int v = 0;
	int rc2 = goro_chan_recv_until(a->later, &v, SOON);
	goro_send(a->out, rc2 == GORO_OK && v == VALUE);
}

/*
 * One attempt for one op: false if the blocker's deadline d passed before
 * the event could be delivered (a very slow machine), so the caller retries
 * with a longer one.
 */
static bool stale_attempt(const struct op *op, bool by_ctx, goro_duration d)
{
	struct fixture *f = goro_new(struct fixture);
	goro_chan *out = goro_chan_new(int, 2), *later = goro_chan_new(int, 0);
	goro_ctx *ctx = by_ctx ? goro_with_cancel(goro_background()) : NULL;
	int64_t deadline = after_now(d);
	op->setup(f);
	int64_t id = goro_go(stale_blocker, &(struct stale_args){ op, f, deadline,
	                                                          goro_ctx_retain(ctx), out, later });
	EVENTUALLY(blocked_in(id, op->reason) || goro_chan_len(out) > 0);
	bool in_time = goro_chan_len(out) == 0;
	if (in_time)
		op->release(f);
	int rc = -1;
	cr_assert_eq(goro_chan_recv_until(out, &rc, SOON), GORO_OK);
	if (in_time) {
		expect(op, rc, op->ok_status, "before the stale check");
		EVENTUALLY(blocked_in(id, WR_CHAN_RECV));
		if (by_ctx)
			goro_cancel(ctx);
		else
			EVENTUALLY(goro_now() > deadline + 20 * MS);
		goro_sleep(20 * MS); /* room for a stray wake-up to land */
		cr_assert(blocked_in(id, WR_CHAN_RECV), "%s: a finished wait's %s woke the next wait",
		          op->name, by_ctx ? "context" : "deadline");
		cr_assert_eq(goro_chan_len(out), 0);
	} else {
		expect(op, rc, GORO_TIMEDOUT, "slow machine: gave up before the event");
	}
	goro_send(later, VALUE);
	int ok = 0;
	cr_assert_eq(goro_chan_recv_until(out, &ok, SOON), GORO_OK);
	cr_assert(ok, "%s: the next wait ended wrongly", op->name);
	if (op->teardown)
		op->teardown(f, rc);
	goro_ctx_release(ctx);
	goro_free(f);
	GOROUTINES_BACK_TO(1);
	return in_time;
}

static void no_stale_wakeup(bool by_ctx)
{
	for (int i = 0; i < NOPS; i++) {
		if (!ops[i].release)
			continue;
		goro_duration d = 150 * MS;
		while (!stale_attempt(&ops[i], by_ctx, d))
			d *= 2;
	}
}

Test(deadlines, finished_until_leaves_no_armed_deadline)
{
	no_stale_wakeup(false);
}

Test(deadlines, finished_ctx_wait_ignores_a_later_cancel)
{
	no_stale_wakeup(true);
}

/* Many goroutines each waiting with its own deadline; each is woken at
 * (not before) its deadline and all leave. */
struct many_args {
	goro_chan *out;
	goro_duration d;
};

static void many_until(void *p)
{
	struct many_args *a = p;
	int64_t deadline = goro_now() + a->d;
	int rc = goro_chan_recv_until(NULL, &(int){ 0 }, deadline);
	int good = rc == GORO_TIMEDOUT && goro_now() >= deadline;
	goro_send(a->out, good);
}

Test(deadlines, thousands_of_deadlines)
{
	enum { N = SCALED(5000) };
	goro_chan *out = goro_chan_new(int, N);
	for (int i = 0; i < N; i++)
		goro_go(many_until, &(struct many_args){ out, (goro_duration)(i % 50) * MS });
	for (int i = 0; i < N; i++) {
		int good = 0;
		cr_assert_eq(goro_chan_recv_until(out, &good, SOON), GORO_OK);
		cr_assert(good, "a wait ended early or with the wrong status");
	}
	GOROUTINES_BACK_TO(1);
}
