/*
 * context_x.c — Go 1.27.3's src/context/x_test.go (with afterfunc_test's
 * ideas covered by the AfterFunc tests here).  Parts about Go's custom
 * Context implementations (otherContext, customDoneContext,
 * customCauseContext) and String() have no goro counterpart: goro
 * contexts are one concrete type (README.md lists those tests).
 */
#include "go.h"

#define SHORT (1 * GORO_MILLISECOND)
#define VERY_LONG (1000 * GORO_HOUR)

static bool is_done(goro_ctx *c)
{
	goro_chan *d = goro_ctx_done(c);
	return d && goro_chan_tryrecv(d, NULL) == GORO_CLOSED;
}

Test(context_x, TestBackground)
{
	goro_ctx *c = goro_background();
	cr_assert_not_null(c, "Background returned nil");
	cr_assert(!is_done(c), "<-c.Done() should block");
	cr_assert_eq(goro_ctx_err(c), 0);
}

Test(context_x, TestTODO)
{
	goro_ctx *c = goro_todo();
	cr_assert_not_null(c, "TODO returned nil");
	cr_assert(!is_done(c), "<-c.Done() should block");
}

Test(context_x, TestWithCancel)
{
	goro_ctx *c1 = goro_with_cancel(goro_background());
	goro_ctx *c2 = goro_with_cancel(c1);
	goro_ctx *contexts[] = { c1, c2 };
	for (int i = 0; i < 2; i++) {
		cr_assert_not_null(goro_ctx_done(contexts[i]), "c[%d].Done() == nil", i);
		cr_assert_eq(goro_ctx_err(contexts[i]), 0, "c[%d].Err() != nil", i);
		cr_assert(!is_done(contexts[i]), "<-c[%d].Done() should block", i);
	}
	goro_cancel(c1); /* propagates synchronously */
	for (int i = 0; i < 2; i++) {
		cr_assert(is_done(contexts[i]), "<-c[%d].Done() blocked, but shouldn't have", i);
		cr_assert_eq(goro_ctx_err(contexts[i]), GORO_CANCELED);
	}
	goro_ctx_release(c2);
	goro_ctx_release(c1);
}

static void test_deadline(goro_ctx *c, const char *name)
{
	int rc = goro_chan_recv_until(goro_ctx_done(c), NULL, SOON);
	cr_assert_eq(rc, GORO_CLOSED, "%s: context not timed out", name);
	cr_assert_eq(goro_ctx_err(c), GORO_DEADLINE_EXCEEDED, "%s: c.Err() == %d", name,
	             goro_ctx_err(c));
}

Test(context_x, TestDeadline)
{
	goro_ctx *c = goro_with_deadline(goro_background(), goro_now() + SHORT);
	test_deadline(c, "WithDeadline");
	goro_ctx_release(c);
	goro_ctx *p = goro_with_deadline(goro_background(), goro_now() + SHORT);
	c = goro_with_deadline(p, goro_now() + VERY_LONG);
	test_deadline(c, "WithDeadline+WithDeadline");
	goro_ctx_release(c);
	goro_ctx_release(p);
	c = goro_with_deadline(goro_background(), goro_now() - SHORT);
	test_deadline(c, "WithDeadline+inthepast");
	goro_ctx_release(c);
	c = goro_with_deadline(goro_background(), goro_now());
	test_deadline(c, "WithDeadline+now");
	goro_ctx_release(c);
}

Test(context_x, TestTimeout)
{
	goro_ctx *c = goro_with_timeout(goro_background(), SHORT);
	test_deadline(c, "WithTimeout");
	goro_ctx_release(c);
	goro_ctx *p = goro_with_timeout(goro_background(), SHORT);
	c = goro_with_timeout(p, VERY_LONG);
	test_deadline(c, "WithTimeout+WithTimeout");
	goro_ctx_release(c);
	goro_ctx_release(p);
}

Test(context_x, TestCanceledTimeout)
{
	goro_ctx *p = goro_with_timeout(goro_background(), GORO_SECOND);
	goro_ctx *c = goro_with_timeout(p, VERY_LONG);
	goro_cancel(c);
	cr_assert(is_done(c), "<-c.Done() blocked, but shouldn't have");
	cr_assert_eq(goro_ctx_err(c), GORO_CANCELED);
	goro_ctx_release(c);
	goro_ctx_release(p);
}

static char k1, k2, k3; /* Go's key1 / key2(1) / key2(3): distinct keys */

static void check_values(goro_ctx *c, const char *nm, const char *v1, const char *v2,
                         const char *v3)
{
	const void *keys[3] = { &k1, &k2, &k3 };
	const char *want[3] = { v1, v2, v3 };
	for (int i = 0; i < 3; i++) {
		const char *got = goro_ctx_value(c, keys[i]);
		cr_assert(got == want[i] || (got && want[i] && strcmp(got, want[i]) == 0),
		          "%s.Value(k%d) = %s want %s", nm, i + 1, got ? got : "nil",
		          want[i] ? want[i] : "nil");
	}
}

Test(context_x, TestValues)
{
	check_values(goro_background(), "c0", NULL, NULL, NULL);
	goro_ctx *c1 = goro_with_value(goro_background(), &k1, "c1k1");
	check_values(c1, "c1", "c1k1", NULL, NULL);
	goro_ctx *c2 = goro_with_value(c1, &k2, "c2k2");
	check_values(c2, "c2", "c1k1", "c2k2", NULL);
	goro_ctx *c3 = goro_with_value(c2, &k3, "c3k3");
	check_values(c3, "c3", "c1k1", "c2k2", "c3k3");
	goro_ctx *c4 = goro_with_value(c3, &k1, NULL);
	check_values(c4, "c4", NULL, "c2k2", "c3k3");
	goro_ctx *o4 = goro_with_value(c4, &k3, NULL);
	check_values(o4, "o4", NULL, "c2k2", NULL);
	goro_ctx_release(o4);
	goro_ctx_release(c4);
	goro_ctx_release(c3);
	goro_ctx_release(c2);
	goro_ctx_release(c1);
}

/* ---- TestSimultaneousCancels ------------------------------------------ */

struct cancel_one {
	goro_ctx *c;
	goro_waitgroup *wg;
};

static void cancel_it(void *p)
{
	struct cancel_one *a = p;
	goro_cancel(a->c);
	goro_waitgroup_done(a->wg);
}

Test(context_x, TestSimultaneousCancels)
{
	enum { MAX = 100 + 4 };
	goro_ctx *m[MAX];
	int n = 0, q = 0;
	m[n++] = goro_with_cancel(goro_background());
	while (q < n && n < 100) { /* a tree of contexts, 4 children each */
		goro_ctx *parent = m[q++];
		for (int i = 0; i < 4; i++)
			m[n++] = goro_with_cancel(parent);
	}
	/* All the cancels at once, in a shuffled order. */
	unsigned seed = 7;
	for (int i = n - 1; i > 0; i--) {
		int j = rand_r(&seed) % (i + 1);
		goro_ctx *t = m[i];
		m[i] = m[j];
		m[j] = t;
	}
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, n);
	for (int i = 0; i < n; i++)
		goro_go(cancel_it, &(struct cancel_one){ m[i], &wg });
	for (int i = 0; i < n; i++)
		cr_assert_eq(goro_chan_recv_until(goro_ctx_done(m[i]), NULL, SOON), GORO_CLOSED,
		             "timed out waiting for <-ctx.Done()");
	cr_assert_eq(goro_waitgroup_wait_until(&wg, SOON), GORO_OK,
	             "timed out waiting for cancel functions");
	for (int i = 0; i < n; i++)
		goro_ctx_release(m[i]);
}

/* ---- TestInterlockedCancels ------------------------------------------- */

struct interlock {
	goro_ctx *parent, *child;
};

static void cancel_child_after_parent(void *p)
{
	struct interlock *a = p;
	goro_chan_recv(goro_ctx_done(a->parent), NULL);
	goro_cancel(a->child);
}

Test(context_x, TestInterlockedCancels)
{
	goro_ctx *parent = goro_with_cancel(goro_background());
	goro_ctx *child = goro_with_cancel(parent);
	goro_go(cancel_child_after_parent, &(struct interlock){ parent, child });
	goro_cancel(parent);
	cr_assert_eq(goro_chan_recv_until(goro_ctx_done(child), NULL, SOON), GORO_CLOSED,
	             "timed out waiting for child.Done()");
	goro_sleep(GORO_MILLISECOND); /* the canceling goroutine returns */
	goro_ctx_release(child);
	goro_ctx_release(parent);
}

/* ---- TestLayersCancel, TestLayersTimeout ------------------------------ */

static void test_layers(unsigned seed, bool timeout)
{
	enum { MIN_LAYERS = 30, MAX_LAYERS = 256 };
	goro_ctx *layers[MAX_LAYERS];
	int nlayers = 0;
	static char vals[MAX_LAYERS];
	char *keys[MAX_LAYERS];
	int nvals = 0, ntimers = 0;
	goro_ctx *cancels[MAX_LAYERS];
	int ncancels = 0;
	goro_ctx *ctx = goro_background();
	for (int i = 0; i < MIN_LAYERS || ntimers == 0 || ncancels == 0 || nvals == 0; i++) {
		cr_assert_lt(nlayers, MAX_LAYERS);
		switch (rand_r(&seed) % 3) {
		case 0:
			keys[nvals] = &vals[nvals];
			ctx = goro_with_value(ctx, keys[nvals], keys[nvals]);
			nvals++;
			break;
		case 1:
			ctx = goro_with_cancel(ctx);
			cancels[ncancels++] = ctx;
			break;
		case 2:
			ctx = goro_with_timeout(ctx, timeout ? SHORT : VERY_LONG);
			cancels[ncancels++] = ctx;
			ntimers++;
			break;
		}
		layers[nlayers++] = ctx;
	}
	for (int i = 0; i < nvals; i++)
		cr_assert_eq(goro_ctx_value(ctx, keys[i]), keys[i], "before cancel: wrong value");
	if (!timeout)
		cr_assert(!is_done(ctx), "ctx should not be canceled yet");
	if (timeout) {
		cr_assert_eq(goro_chan_recv_until(goro_ctx_done(ctx), NULL, SOON), GORO_CLOSED,
		             "ctx should have timed out");
	} else {
		goro_cancel(cancels[rand_r(&seed) % ncancels]);
		cr_assert(is_done(ctx), "ctx should be canceled");
	}
	for (int i = 0; i < nvals; i++)
		cr_assert_eq(goro_ctx_value(ctx, keys[i]), keys[i], "after cancel: wrong value");
	while (nlayers > 0)
		goro_ctx_release(layers[--nlayers]);
}

Test(context_x, TestLayersCancel)
{
	test_layers((unsigned)goro_walltime(), false);
}

Test(context_x, TestLayersTimeout)
{
	test_layers((unsigned)goro_walltime(), true);
}

/* ---- causes ------------------------------------------------------------- */

enum { BECAUSE = 100, PARENT_CAUSE, CHILD_CAUSE, TOO_SLOW, FINISHED_EARLY };

Test(context_x, TestWithCancelCanceledParent)
{
	goro_ctx *parent = goro_with_cancel(goro_background());
	goro_cancel_cause(parent, BECAUSE);
	goro_ctx *c = goro_with_cancel(parent);
	cr_assert(is_done(c), "child not done immediately upon construction");
	cr_assert_eq(goro_ctx_err(c), GORO_CANCELED, "child not canceled");
	cr_assert_eq(goro_ctx_cause(c), BECAUSE, "child has wrong cause");
	goro_ctx_release(c);
	goro_ctx_release(parent);
}

static void cancel_because(void *p)
{
	goro_cancel_cause(*(goro_ctx **)p, BECAUSE);
}

Test(context_x, TestWithCancelSimultaneouslyCanceledParent)
{
	for (int i = 0; i < 100; i++) {
		goro_ctx *parent = goro_with_cancel(goro_background());
		goro_go(cancel_because, &parent);
		goro_ctx *c = goro_with_cancel(parent);
		goro_chan_recv(goro_ctx_done(c), NULL);
		cr_assert_eq(goro_ctx_err(c), GORO_CANCELED, "child not canceled");
		cr_assert_eq(goro_ctx_cause(c), BECAUSE, "child has wrong cause");
		goro_ctx_release(c);
		EVENTUALLY(goro_num_goroutine() == 1); /* the canceler is gone */
		goro_ctx_release(parent);
	}
}

GO_SCENARIO(WithValueNilKey)
{
	goro_with_value(goro_background(), NULL, "bar");
}
GO_SCENARIO(WithCancelNilParent)
{
	goro_with_cancel(NULL);
}
GO_SCENARIO(WithDeadlineNilParent)
{
	goro_with_deadline(NULL, goro_now() + SHORT);
}
GO_SCENARIO(WithValueNilParent)
{
	goro_with_value(NULL, "foo", "bar");
}
GO_SCENARIO(WithoutCancelNilParent)
{
	goro_without_cancel(NULL);
}

Test(context_x, TestWithValueChecksKey)
{
	struct death d;
	go_run_scenario(WithValueNilKey, &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, "panic: nil key");
}

Test(context_x, TestInvalidDerivedFail)
{
	static const char *const names[] = { "WithCancelNilParent", "WithDeadlineNilParent",
		                             "WithValueNilParent", "WithoutCancelNilParent" };
	for (int i = 0; i < 4; i++) {
		struct death d;
		death_run(names[i], &d);
		death_assert_signal(&d, SIGABRT);
		death_assert_stderr_has(&d, "panic: cannot create context from nil parent");
	}
}

/* TestCause's table: each case builds a context and says Err and Cause. */
struct cause_case {
	const char *name;
	goro_ctx *ctx;
	goro_ctx *extra[3]; /* to release */
	int err, cause;
};

#define FOREVER (1000000 * GORO_SECOND)

static struct cause_case cause_case(int i)
{
	struct cause_case c = { 0 };
	goro_ctx *a, *b;
	switch (i) {
	case 0: c = (struct cause_case){ "Background", goro_background(), {0}, 0, 0 }; break;
	case 1: c = (struct cause_case){ "TODO", goro_todo(), {0}, 0, 0 }; break;
	case 2:
		a = goro_with_cancel(goro_background());
		goro_cancel(a);
		c = (struct cause_case){ "WithCancel", a, {0}, GORO_CANCELED, GORO_CANCELED };
		break;
	case 3:
		a = goro_with_cancel(goro_background());
		goro_cancel_cause(a, PARENT_CAUSE);
		c = (struct cause_case){ "WithCancelCause", a, {0}, GORO_CANCELED, PARENT_CAUSE };
		break;
	case 4:
		a = goro_with_cancel(goro_background());
		goro_cancel_cause(a, 0);
		c = (struct cause_case){ "WithCancelCause nil", a, {0}, GORO_CANCELED, GORO_CANCELED };
		break;
	case 5:
		a = goro_with_cancel(goro_background());
		b = goro_with_cancel(a);
		goro_cancel_cause(a, PARENT_CAUSE);
		goro_cancel_cause(b, CHILD_CAUSE);
		c = (struct cause_case){ "parent cause before child", b, { a }, GORO_CANCELED,
			                 PARENT_CAUSE };
		break;
	case 6:
		a = goro_with_cancel(goro_background());
		b = goro_with_cancel(a);
		goro_cancel_cause(b, CHILD_CAUSE);
		goro_cancel_cause(a, PARENT_CAUSE);
		c = (struct cause_case){ "parent cause after child", b, { a }, GORO_CANCELED,
			                 CHILD_CAUSE };
		break;
	case 7:
		a = goro_with_cancel(goro_background());
		b = goro_with_cancel(a);
		goro_cancel_cause(a, PARENT_CAUSE);
		goro_cancel(b);
		c = (struct cause_case){ "parent cause before nil", b, { a }, GORO_CANCELED,
			                 PARENT_CAUSE };
		break;
	case 8:
		a = goro_with_cancel(goro_background());
		b = goro_with_cancel(a);
		goro_cancel(b);
		goro_cancel_cause(a, PARENT_CAUSE);
		c = (struct cause_case){ "parent cause after nil", b, { a }, GORO_CANCELED,
			                 GORO_CANCELED };
		break;
	case 9:
		a = goro_with_cancel(goro_background());
		b = goro_with_cancel(a);
		goro_cancel(a);
		goro_cancel_cause(b, CHILD_CAUSE);
		c = (struct cause_case){ "child cause after nil", b, { a }, GORO_CANCELED,
			                 GORO_CANCELED };
		break;
	case 10:
		a = goro_with_cancel(goro_background());
		b = goro_with_cancel(a);
		goro_cancel_cause(b, CHILD_CAUSE);
		goro_cancel(a);
		c = (struct cause_case){ "child cause before nil", b, { a }, GORO_CANCELED,
			                 CHILD_CAUSE };
		break;
	case 11:
		a = goro_with_timeout(goro_background(), 0);
		goro_cancel(a);
		c = (struct cause_case){ "WithTimeout", a, {0}, GORO_DEADLINE_EXCEEDED,
			                 GORO_DEADLINE_EXCEEDED };
		break;
	case 12:
		a = goro_with_timeout(goro_background(), FOREVER);
		goro_cancel(a);
		c = (struct cause_case){ "WithTimeout canceled", a, {0}, GORO_CANCELED, GORO_CANCELED };
		break;
	case 13:
		a = goro_with_timeout_cause(goro_background(), 0, TOO_SLOW);
		goro_cancel(a);
		c = (struct cause_case){ "WithTimeoutCause", a, {0}, GORO_DEADLINE_EXCEEDED, TOO_SLOW };
		break;
	case 14:
		a = goro_with_timeout_cause(goro_background(), FOREVER, TOO_SLOW);
		goro_cancel(a);
		c = (struct cause_case){ "WithTimeoutCause canceled", a, {0}, GORO_CANCELED,
			                 GORO_CANCELED };
		break;
	case 15:
		a = goro_with_cancel(goro_background());
		b = goro_with_timeout_cause(a, 0, TOO_SLOW);
		goro_cancel_cause(a, FINISHED_EARLY);
		c = (struct cause_case){ "WithTimeoutCause stacked", b, { a }, GORO_DEADLINE_EXCEEDED,
			                 TOO_SLOW };
		break;
	case 16:
		a = goro_with_cancel(goro_background());
		b = goro_with_timeout_cause(a, FOREVER, TOO_SLOW);
		goro_cancel_cause(a, FINISHED_EARLY);
		c = (struct cause_case){ "WithTimeoutCause stacked canceled", b, { a }, GORO_CANCELED,
			                 FINISHED_EARLY };
		break;
	case 17:
		a = goro_without_cancel(goro_background());
		c = (struct cause_case){ "WithoutCancel", a, {0}, 0, 0 };
		break;
	case 18:
		a = goro_with_cancel(goro_background());
		b = goro_without_cancel(a);
		goro_cancel_cause(a, FINISHED_EARLY);
		c = (struct cause_case){ "WithoutCancel canceled", b, { a }, 0, 0 };
		break;
	case 19:
		a = goro_with_timeout_cause(goro_background(), 0, TOO_SLOW);
		b = goro_without_cancel(a);
		goro_cancel(a);
		c = (struct cause_case){ "WithoutCancel timeout", b, { a }, 0, 0 };
		break;
	default: c.name = NULL; break;
	}
	return c;
}

Test(context_x, TestCause)
{
	for (int i = 0;; i++) {
		struct cause_case c = cause_case(i);
		if (!c.name)
			break;
		cr_expect_eq(goro_ctx_err(c.ctx), c.err, "%s: ctx.Err() = %d want %d", c.name,
		             goro_ctx_err(c.ctx), c.err);
		cr_expect_eq(goro_ctx_cause(c.ctx), c.cause, "%s: Cause(ctx) = %d want %d", c.name,
		             goro_ctx_cause(c.ctx), c.cause);
		goro_ctx_release(c.ctx);
		for (int j = 0; j < 3 && c.extra[j]; j++)
			goro_ctx_release(c.extra[j]);
	}
}

static void cancel_cause_later(void *p)
{
	goro_cancel_cause(*(goro_ctx **)p, BECAUSE);
}

Test(context_x, TestCauseRace)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_go(cancel_cause_later, &ctx);
	for (;;) {
		int cause = goro_ctx_cause(ctx); /* poll: the cause is synchronized */
		if (cause) {
			cr_assert_eq(cause, BECAUSE, "Cause returned %d, want %d", cause, BECAUSE);
			break;
		}
		goro_yield();
	}
	EVENTUALLY(goro_num_goroutine() == 1);
	goro_ctx_release(ctx);
}

Test(context_x, TestWithoutCancel)
{
	static const char key[] = "key", value[] = "value";
	goro_ctx *v = goro_with_value(goro_background(), key, (void *)value);
	goro_ctx *ctx = goro_without_cancel(v);
	int64_t d = 123;
	cr_assert(!goro_ctx_deadline(ctx, &d), "ctx.Deadline() ok, want false");
	cr_assert_null(goro_ctx_done(ctx), "ctx.Done() want nil");
	cr_assert_eq(goro_ctx_err(ctx), 0, "ctx.Err() want nil");
	cr_assert_eq(goro_ctx_value(ctx, key), value, "ctx.Value(key) wrong");
	/* Beyond Go's test: a canceled, deadlined parent changes nothing. */
	goro_ctx *p = goro_with_timeout(v, SHORT);
	goro_ctx *w = goro_without_cancel(p);
	goro_ctx *child = goro_with_cancel(w);
	goro_cancel(p);
	cr_assert(!goro_ctx_deadline(w, NULL) && goro_ctx_err(w) == 0 && goro_ctx_err(child) == 0);
	cr_assert_eq(goro_ctx_value(child, key), value);
	goro_ctx_release(child);
	goro_ctx_release(w);
	goro_ctx_release(p);
	goro_ctx_release(ctx);
	goro_ctx_release(v);
}

/* ---- AfterFunc ---------------------------------------------------------- */

static void close_donec(void *p)
{
	goro_chan_close(*(goro_chan **)p);
}

Test(context_x, TestAfterFuncCalledAfterCancel)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_chan *donec = goro_chan_new(char, 0);
	goro_ctx_afterfunc *stop = goro_ctx_after_func(ctx, close_donec, &donec);
	cr_assert_eq(goro_chan_recv_until(donec, NULL, after_now(SHORT)), GORO_TIMEDOUT,
	             "AfterFunc called before context is done");
	goro_cancel(ctx);
	cr_assert_eq(goro_chan_recv_until(donec, NULL, SOON), GORO_CLOSED,
	             "AfterFunc not called after context is canceled");
	cr_assert(!goro_ctx_after_func_stop(stop), "stop() = true, want false");
	goro_ctx_release(ctx);
}

Test(context_x, TestAfterFuncCalledAfterTimeout)
{
	goro_ctx *ctx = goro_with_timeout(goro_background(), SHORT);
	goro_chan *donec = goro_chan_new(char, 0);
	goro_ctx_after_func(ctx, close_donec, &donec);
	cr_assert_eq(goro_chan_recv_until(donec, NULL, SOON), GORO_CLOSED,
	             "AfterFunc not called after context is canceled");
	goro_ctx_release(ctx);
}

Test(context_x, TestAfterFuncCalledImmediately)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_cancel(ctx);
	goro_chan *donec = goro_chan_new(char, 0);
	goro_ctx_after_func(ctx, close_donec, &donec);
	cr_assert_eq(goro_chan_recv_until(donec, NULL, SOON), GORO_CLOSED,
	             "AfterFunc not called for already-canceled context");
	goro_ctx_release(ctx);
}

Test(context_x, TestAfterFuncNotCalledAfterStop)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_chan *donec = goro_chan_new(char, 0);
	goro_ctx_afterfunc *stop = goro_ctx_after_func(ctx, close_donec, &donec);
	cr_assert(goro_ctx_after_func_stop(stop), "stop() = false, want true");
	goro_cancel(ctx);
	cr_assert_eq(goro_chan_recv_until(donec, NULL, after_now(SHORT)), GORO_TIMEDOUT,
	             "AfterFunc called for already-canceled context");
	cr_assert(!goro_ctx_after_func_stop(stop), "stop() = true, want false");
	goro_ctx_release(ctx);
}

static void send_donec(void *p)
{
	goro_send(*(goro_chan **)p, (char)0); /* blocks until read */
}

Test(context_x, TestAfterFuncCalledAsynchronously)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_chan *donec = goro_chan_new(char, 0);
	goro_ctx_afterfunc *stop = goro_ctx_after_func(ctx, send_donec, &donec);
	goro_cancel(ctx); /* returns although fn blocks */
	char x;
	cr_assert_eq(goro_chan_recv_until(donec, &x, SOON), GORO_OK,
	             "AfterFunc not called after context is canceled");
	goro_ctx_after_func_stop(stop);
	goro_ctx_release(ctx);
}

static void cancel_ctx(void *p)
{
	goro_cancel(*(goro_ctx **)p);
}

Test(context_x, TestContextErrDoneRace)
{
	for (int i = 0; i < 10; i++) {
		goro_ctx *ctx = goro_with_cancel(goro_background());
		goro_chan *donec = goro_ctx_done(ctx);
		goro_go(cancel_ctx, &ctx);
		while (goro_ctx_err(ctx) == 0)
			goro_yield(); /* goro does not preempt: let the canceler run */
		cr_assert_eq(goro_chan_tryrecv(donec, NULL), GORO_CLOSED,
		             "ctx.Err is non-nil, but ctx.Done is not closed");
		EVENTUALLY(goro_num_goroutine() == 1);
		goro_ctx_release(ctx);
	}
}
