/*
 * test_context.c — Go's context package in goro: Background, cancellation
 * trees (with value contexts in between), causes, deadlines, values,
 * AfterFunc, reference counting, select on Done, and the seed article's
 * Canceled example.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <goro.h>

#include "heap/heap.h" /* goro__heap_stats: nothing leaks */
#include "waiting.h"

#define MS GORO_MILLISECOND

/* Done has been closed (a receive would not block and reports !ok). */
static bool is_closed(goro_chan *done)
{
	char v;
	return done && goro_chan_tryrecv(done, &v) == GORO_CLOSED;
}

static bool is_done(goro_ctx *ctx)
{
	return is_closed(goro_ctx_done(ctx)) && goro_ctx_err(ctx) != 0;
}

/* Not done: Done open (or nil) and no error. */
static bool is_live(goro_ctx *ctx)
{
	goro_chan *d = goro_ctx_done(ctx);
	char v;
	return (!d || goro_chan_tryrecv(d, &v) == GORO_WOULDBLOCK) && goro_ctx_err(ctx) == 0;
}

/* ------------------------------------------------------------------ */
/* Background                                                          */
/* ------------------------------------------------------------------ */

static const char key_a, key_b, key_c;

Test(context, background_is_never_done)
{
	goro_ctx *contexts[] = { goro_background(), goro_todo() };
	for (int i = 0; i < 2; i++) {
		goro_ctx *bg = contexts[i];
		cr_assert_null(goro_ctx_done(bg), "Background's Done is nil, like Go's");
		cr_assert_eq(goro_ctx_err(bg), 0);
		cr_assert_eq(goro_ctx_cause(bg), 0);
		cr_assert_not(goro_ctx_deadline(bg, NULL));
		cr_assert_null(goro_ctx_value(bg, &key_a));
		/* Retain and release are no-ops on it. */
		cr_assert_eq(goro_ctx_retain(bg), bg);
		goro_ctx_release(bg);
		goro_ctx_release(bg);
		cr_assert(is_live(bg));
	}
	cr_assert_eq(goro_background(), goro_background());
	cr_assert_neq(goro_background(), goro_todo());
}

Test(context, status_strings_are_gos)
{
	cr_assert_str_eq(goro_strerror(GORO_CANCELED), "context canceled");
	cr_assert_str_eq(goro_strerror(GORO_DEADLINE_EXCEEDED), "context deadline exceeded");
	cr_assert_not_null(goro_strerror(12345));
}

/* ------------------------------------------------------------------ */
/* WithCancel                                                          */
/* ------------------------------------------------------------------ */

Test(context, with_cancel_closes_done)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_chan *done = goro_ctx_done(ctx);
	cr_assert_not_null(done);
	cr_assert(is_live(ctx));
	cr_assert_not(goro_ctx_deadline(ctx, NULL));
	goro_cancel(ctx);
	cr_assert(is_closed(done), "Done not closed by cancel");
	cr_assert_eq(goro_ctx_done(ctx), done, "Done is the same channel every time");
	cr_assert_eq(goro_ctx_err(ctx), GORO_CANCELED);
	cr_assert_eq(goro_ctx_cause(ctx), GORO_CANCELED, "the default cause is the error");
	goro_cancel(ctx); /* cancel is idempotent */
	cr_assert_eq(goro_ctx_err(ctx), GORO_CANCELED);
	goro_ctx_release(ctx);
}

/* A three-level tree with value contexts in between:
 *
 *   root (cancel)
 *   ├── v1 (value) ── mid (cancel) ── v2 (value) ──┬── leaf (cancel)
 *   │                                              └── tleaf (timeout 1 h)
 *   └── side (cancel)
 */
struct tree {
	goro_ctx *root, *v1, *mid, *v2, *leaf, *tleaf, *side;
};

static struct tree tree_new(void)
{
	struct tree t;
	t.root = goro_with_cancel(goro_background());
	t.v1 = goro_with_value(t.root, &key_a, "a");
	t.mid = goro_with_cancel(t.v1);
	t.v2 = goro_with_value(t.mid, &key_b, "b");
	t.leaf = goro_with_cancel(t.v2);
	t.tleaf = goro_with_timeout(t.v2, GORO_HOUR);
	t.side = goro_with_cancel(t.root);
	return t;
}

static void tree_free(struct tree *t)
{
	goro_ctx *all[] = { t->tleaf, t->leaf, t->v2, t->mid, t->v1, t->side, t->root };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		goro_ctx_release(all[i]);
}

Test(context, cancel_propagates_to_every_descendant_before_returning)
{
	struct tree t = tree_new();
	goro_ctx *all[] = { t.root, t.v1, t.mid, t.v2, t.leaf, t.tleaf, t.side };
	for (size_t i = 0; i < 7; i++)
		cr_assert(is_live(all[i]), "context %zu done before any cancel", i);
	goro_cancel(t.root);
	/* Go: by the time cancel returns, every descendant's Done is closed. */
	for (size_t i = 0; i < 7; i++) {
		cr_assert(is_done(all[i]), "descendant %zu not done when cancel returned", i);
		cr_assert_eq(goro_ctx_err(all[i]), GORO_CANCELED,
		             "descendant %zu: err %d (a parent's cancel, even over a deadline)", i,
		             goro_ctx_err(all[i]));
	}
	cr_assert_eq(goro_ctx_done(t.v2), goro_ctx_done(t.mid), "a value ctx's Done is its parent's");
	tree_free(&t);
}

Test(context, cancel_of_a_child_leaves_the_parent)
{
	struct tree t = tree_new();
	goro_cancel(t.mid);
	cr_assert(is_done(t.mid) && is_done(t.v2) && is_done(t.leaf) && is_done(t.tleaf));
	cr_assert(is_live(t.root), "a child's cancel canceled its parent");
	cr_assert(is_live(t.v1));
	cr_assert(is_live(t.side), "a child's cancel canceled its sibling");
	goro_cancel(t.root);
	cr_assert(is_done(t.side));
	tree_free(&t);
}

Test(context, child_of_a_canceled_parent_is_born_canceled)
{
	goro_ctx *p = goro_with_cancel(goro_background());
	goro_cancel_cause(p, 7);
	goro_ctx *v = goro_with_value(p, &key_a, NULL);
	goro_ctx *c = goro_with_cancel(v);
	cr_assert(is_done(c));
	cr_assert_eq(goro_ctx_err(c), GORO_CANCELED);
	cr_assert_eq(goro_ctx_cause(c), 7, "the parent's cause is inherited");
	goro_ctx_release(c);
	goro_ctx_release(v);
	goro_ctx_release(p);
}

/*
 * Children created while their parent is being canceled, from goroutines
 * on every worker: once goro_cancel has returned, every child is done,
 * whether it was linked before the cancel or born after it.
 */
enum { RACERS = 8, RACER_CHILDREN = SCALED(2000) };

static atomic_bool race_canceled; /* set after goro_cancel(root) returned */

struct racer_args {
	goro_ctx *root; /* owned reference */
	goro_chan *out;
};

static void racer(void *p)
{
	struct racer_args *a = p;
	goro_ctx **kids = malloc(RACER_CHILDREN * sizeof *kids);
	int n = 0, not_done = 0;
	while (n < RACER_CHILDREN) {
		goro_ctx *parent = n % 3 == 0 ? goro_with_value(a->root, &key_a, NULL)
		                              : goro_ctx_retain(a->root);
		kids[n++] = goro_with_cancel(parent);
		goro_ctx_release(parent);
		if (n % 64 == 0)
			goro_yield();
	}
	while (!atomic_load(&race_canceled)) /* no cr_assert off the test's goroutine */
		goro_sleep(GORO_MILLISECOND);
	for (int i = 0; i < n; i++) {
		if (!is_done(kids[i]) || goro_ctx_err(kids[i]) != GORO_CANCELED)
			not_done++;
		goro_ctx_release(kids[i]);
	}
	free(kids);
	goro_ctx_release(a->root);
	goro_send(a->out, not_done);
}

Test(context, cancel_races_with_child_creation)
{
	goro_ctx *root = goro_with_cancel(goro_background());
	goro_chan *out = goro_chan_new(int, RACERS);
	for (int i = 0; i < RACERS; i++)
		goro_go(racer, &(struct racer_args){ goro_ctx_retain(root), out });
	goro_yield();
	goro_cancel(root);
	atomic_store(&race_canceled, true);
	for (int i = 0; i < RACERS; i++) {
		int not_done = -1;
		cr_assert_eq(goro_chan_recv_until(out, &not_done, SOON), GORO_OK);
		cr_assert_eq(not_done, 0, "%d children of a canceled root were not done", not_done);
	}
	goro_ctx_release(root);
	GOROUTINES_BACK_TO(1);
}

/* Done of a canceled context wakes every goroutine blocked on it. */
struct wait_done_args {
	goro_ctx *ctx; /* owned reference */
	goro_chan *out;
};

static void wait_done(void *p)
{
	struct wait_done_args *a = p;
	char v;
	bool ok = goro_chan_recv(goro_ctx_done(a->ctx), &v);
	goro_ctx_release(a->ctx);
	goro_send(a->out, (int)ok);
}

Test(context, cancel_wakes_every_goroutine_waiting_on_done)
{
	enum { N = 20 };
	goro_ctx *root = goro_with_cancel(goro_background());
	goro_ctx *child = goro_with_value(root, &key_a, NULL);
	goro_chan *out = goro_chan_new(int, N);
	for (int i = 0; i < N; i++)
		goro_go(wait_done, &(struct wait_done_args){ goro_ctx_retain(i % 2 ? root : child), out });
	EVENTUALLY(blocked_count(WR_CHAN_RECV) == N);
	goro_cancel(root);
	for (int i = 0; i < N; i++) {
		int ok = 1;
		cr_assert_eq(goro_chan_recv_until(out, &ok, SOON), GORO_OK);
		cr_assert_not(ok, "Done delivered a value instead of being closed");
	}
	goro_ctx_release(child);
	goro_ctx_release(root);
	GOROUTINES_BACK_TO(1);
}

/* ------------------------------------------------------------------ */
/* Causes                                                              */
/* ------------------------------------------------------------------ */

enum { MY_CAUSE = 1001, OTHER_CAUSE = 1002 };

Test(context, cancel_cause)
{
	struct tree t = tree_new();
	goro_cancel_cause(t.mid, MY_CAUSE);
	cr_assert_eq(goro_ctx_err(t.mid), GORO_CANCELED, "err stays Canceled with a cause");
	cr_assert_eq(goro_ctx_cause(t.mid), MY_CAUSE);
	cr_assert_eq(goro_ctx_cause(t.v2), MY_CAUSE, "a value ctx reports its parent's cause");
	cr_assert_eq(goro_ctx_cause(t.leaf), MY_CAUSE, "children inherit the cause");
	cr_assert_eq(goro_ctx_cause(t.root), 0, "the parent is not canceled");

	/* The first cancel wins. */
	goro_cancel_cause(t.mid, OTHER_CAUSE);
	goro_cancel(t.mid);
	cr_assert_eq(goro_ctx_cause(t.mid), MY_CAUSE);

	goro_cancel(t.root);
	cr_assert_eq(goro_ctx_cause(t.root), GORO_CANCELED, "default cause = err");
	cr_assert_eq(goro_ctx_cause(t.side), GORO_CANCELED);
	cr_assert_eq(goro_ctx_cause(t.leaf), MY_CAUSE, "already canceled: cause kept");
	tree_free(&t);
}

Test(context, deadline_cause_is_the_error)
{
	goro_ctx *ctx = goro_with_timeout(goro_background(), 1 * MS);
	EVENTUALLY(is_done(ctx));
	cr_assert_eq(goro_ctx_err(ctx), GORO_DEADLINE_EXCEEDED);
	cr_assert_eq(goro_ctx_cause(ctx), GORO_DEADLINE_EXCEEDED);
	goro_cancel_cause(ctx, MY_CAUSE); /* too late */
	cr_assert_eq(goro_ctx_cause(ctx), GORO_DEADLINE_EXCEEDED);
	cr_assert_eq(goro_ctx_err(ctx), GORO_DEADLINE_EXCEEDED);
	goro_ctx_release(ctx);
}

/* ------------------------------------------------------------------ */
/* Deadlines                                                           */
/* ------------------------------------------------------------------ */

Test(context, with_timeout_expires)
{
	int64_t before = goro_now();
	goro_ctx *ctx = goro_with_timeout(goro_background(), 20 * MS);
	int64_t after = goro_now();
	int64_t dl = 0;
	cr_assert(goro_ctx_deadline(ctx, &dl));
	cr_assert(dl >= before + 20 * MS && dl <= after + 20 * MS, "deadline is now + d");
	/* Not done before the deadline (err is read first: if it is set, the
	 * deadline had passed by then, so by the later clock reading too). */
	int early_err = goro_ctx_err(ctx);
	cr_assert(early_err == 0 || goro_now() >= dl, "done before its deadline");
	char v;
	cr_assert_eq(goro_chan_recv_until(goro_ctx_done(ctx), &v, SOON), GORO_CLOSED,
	             "Done never closed at the deadline");
	cr_assert_geq(goro_now(), dl, "done before its deadline");
	cr_assert_eq(goro_ctx_err(ctx), GORO_DEADLINE_EXCEEDED);
	goro_ctx_release(ctx);
}

Test(context, with_deadline_in_the_past_is_done_at_once)
{
	goro_ctx *ctx = goro_with_deadline(goro_background(), goro_now() - GORO_SECOND);
	cr_assert(is_done(ctx), "a past deadline must be done on return");
	cr_assert_eq(goro_ctx_err(ctx), GORO_DEADLINE_EXCEEDED);
	goro_ctx_release(ctx);
}

Test(context, cancel_before_the_deadline)
{
	int64_t deadline = goro_now() + 100 * MS;
	goro_ctx *ctx = goro_with_deadline(goro_background(), deadline);
	goro_cancel(ctx);
	int err = goro_ctx_err(ctx);
	/* On a machine too slow to cancel within 100 ms the deadline won. */
	cr_assert(err == GORO_CANCELED || (err == GORO_DEADLINE_EXCEEDED && goro_now() >= deadline));
	EVENTUALLY(goro_now() > deadline + 20 * MS);
	goro_sleep(20 * MS);
	cr_assert_eq(goro_ctx_err(ctx), err, "the error changed after the first one");
	goro_ctx_release(ctx);
}

Test(context, child_deadline_later_than_the_parents_is_the_parents)
{
	goro_ctx *parent = goro_with_timeout(goro_background(), 30 * MS);
	goro_ctx *v = goro_with_value(parent, &key_a, NULL);
	goro_ctx *child = goro_with_timeout(v, GORO_HOUR);
	int64_t pd = 0, cd = 0;
	cr_assert(goro_ctx_deadline(parent, &pd));
	cr_assert(goro_ctx_deadline(child, &cd));
	cr_assert_eq(cd, pd, "the sooner (parent's) deadline applies");
	cr_assert(goro_ctx_deadline(v, &cd));
	cr_assert_eq(cd, pd);

	char x;
	cr_assert_eq(goro_chan_recv_until(goro_ctx_done(child), &x, SOON), GORO_CLOSED);
	cr_assert_eq(goro_ctx_err(child), GORO_DEADLINE_EXCEEDED);
	cr_assert_eq(goro_ctx_err(parent), GORO_DEADLINE_EXCEEDED);
	goro_ctx_release(child);
	goro_ctx_release(v);
	goro_ctx_release(parent);
}

Test(context, child_deadline_sooner_than_the_parents_is_its_own)
{
	goro_ctx *parent = goro_with_timeout(goro_background(), GORO_HOUR);
	goro_ctx *child = goro_with_timeout(parent, 10 * MS);
	int64_t pd = 0, cd = 0;
	goro_ctx_deadline(parent, &pd);
	cr_assert(goro_ctx_deadline(child, &cd));
	cr_assert_lt(cd, pd);
	char x;
	cr_assert_eq(goro_chan_recv_until(goro_ctx_done(child), &x, SOON), GORO_CLOSED);
	cr_assert_eq(goro_ctx_err(child), GORO_DEADLINE_EXCEEDED);
	cr_assert(is_live(parent), "a child's deadline canceled its parent");
	goro_ctx_release(child);
	goro_ctx_release(parent);
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

Test(context, value_lookup_through_the_chain)
{
	int one = 1, two = 2, three = 3;
	goro_ctx *a = goro_with_value(goro_background(), &key_a, &one);
	goro_ctx *cancel = goro_with_cancel(a);
	goro_ctx *b = goro_with_value(cancel, &key_b, &two);
	goro_ctx *timeout = goro_with_timeout(b, GORO_HOUR);
	goro_ctx *shadow = goro_with_value(timeout, &key_a, &three);

	cr_assert_eq(goro_ctx_value(shadow, &key_a), &three, "the nearest value wins");
	cr_assert_eq(goro_ctx_value(timeout, &key_a), &one, "through cancel contexts");
	cr_assert_eq(goro_ctx_value(shadow, &key_b), &two);
	cr_assert_null(goro_ctx_value(a, &key_b), "a parent does not see its child's values");
	cr_assert_null(goro_ctx_value(shadow, &key_c));
	/* Keys compare by address, like distinct Go key types. */
	static const char other_a = 0;
	cr_assert_null(goro_ctx_value(shadow, &other_a));

	goro_cancel(cancel);
	cr_assert_eq(goro_ctx_value(shadow, &key_b), &two, "values survive cancellation");

	goro_ctx *all[] = { shadow, timeout, b, cancel, a };
	for (int i = 0; i < 5; i++)
		goro_ctx_release(all[i]);
}

/* ------------------------------------------------------------------ */
/* AfterFunc                                                           */
/* ------------------------------------------------------------------ */

struct af_args {
	goro_chan *out;
};

static void report_id(void *p)
{
	struct af_args *a = p;
	goro_send(a->out, goro_id());
}

Test(context, after_func_runs_once_when_done_in_its_own_goroutine)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_ctx *v = goro_with_value(ctx, &key_a, NULL);
	goro_chan *out = goro_chan_new(int64_t, 4);
	goro_ctx_afterfunc *af = goro_ctx_after_func(v, report_id, &(struct af_args){ out });
	cr_assert_eq(goro_chan_len(out), 0, "ran before the context was done");
	goro_cancel(ctx);
	goro_cancel(ctx);
	int64_t id = 0;
	cr_assert_eq(goro_chan_recv_until(out, &id, SOON), GORO_OK, "AfterFunc never ran");
	cr_assert_gt(id, 1);
	cr_assert_neq(id, goro_id());
	GOROUTINES_BACK_TO(1);
	cr_assert_eq(goro_chan_len(out), 0, "AfterFunc ran twice");
	cr_assert_not(goro_ctx_after_func_stop(af), "stop after it ran reports true");
	goro_ctx_release(v);
	goro_ctx_release(ctx);
}

Test(context, after_func_on_a_deadline)
{
	goro_ctx *ctx = goro_with_timeout(goro_background(), 10 * MS);
	goro_chan *out = goro_chan_new(int64_t, 1);
	goro_ctx_after_func(ctx, report_id, &(struct af_args){ out });
	int64_t id;
	cr_assert_eq(goro_chan_recv_until(out, &id, SOON), GORO_OK);
	goro_ctx_release(ctx);
}

Test(context, after_func_stop_prevents_it)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_chan *out = goro_chan_new(int64_t, 1);
	goro_ctx_afterfunc *af = goro_ctx_after_func(ctx, report_id, &(struct af_args){ out });
	cr_assert(goro_ctx_after_func_stop(af), "stop before done reports false");
	cr_assert_not(goro_ctx_after_func_stop(af), "a second stop reports true");
	goro_cancel(ctx);
	/* Had it not been stopped, its goroutine would exist by now. */
	GOROUTINES_BACK_TO(1);
	cr_assert_eq(goro_chan_len(out), 0, "a stopped AfterFunc ran");
	goro_ctx_release(ctx);
}

Test(context, after_func_on_a_done_context_runs_at_once)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_cancel(ctx);
	goro_chan *out = goro_chan_new(int64_t, 1);
	goro_ctx_afterfunc *af = goro_ctx_after_func(ctx, report_id, &(struct af_args){ out });
	int64_t id;
	cr_assert_eq(goro_chan_recv_until(out, &id, SOON), GORO_OK);
	cr_assert_not(goro_ctx_after_func_stop(af));
	goro_ctx_release(ctx);
}

Test(context, after_func_on_background_never_runs)
{
	goro_chan *out = goro_chan_new(int64_t, 1);
	goro_ctx_afterfunc *af = goro_ctx_after_func(goro_background(), report_id,
	                                             &(struct af_args){ out });
	cr_assert_eq(goro_num_goroutine(), 1);
	cr_assert(goro_ctx_after_func_stop(af), "the first stop of a never-run AfterFunc is true");
	cr_assert_not(goro_ctx_after_func_stop(af));
}

/* ------------------------------------------------------------------ */
/* Reference counting                                                  */
/* ------------------------------------------------------------------ */

static atomic_int af_count;

static void count_af(void *p)
{
	(void)p;
	atomic_fetch_add(&af_count, 1);
}

Test(context, release_of_the_last_reference_cancels)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_ctx_after_func(ctx, count_af, &(int){ 0 });
	cr_assert_eq(goro_ctx_retain(ctx), ctx);
	goro_ctx_release(ctx); /* one reference left: nothing happens */
	cr_assert(is_live(ctx), "released while references remained");
	GOROUTINES_BACK_TO(1);
	cr_assert_eq(atomic_load(&af_count), 0);
	goro_ctx_release(ctx); /* the last: Go's "always call cancel" */
	EVENTUALLY(atomic_load(&af_count) == 1);
}

Test(context, a_child_keeps_its_parent_alive)
{
	goro_ctx *parent = goro_with_cancel(goro_background());
	goro_ctx *child = goro_with_cancel(parent);
	goro_ctx_after_func(parent, count_af, &(int){ 0 });
	goro_ctx_release(parent); /* the child still holds it */
	cr_assert(is_live(child), "releasing the parent canceled the child");
	GOROUTINES_BACK_TO(1);
	cr_assert_eq(atomic_load(&af_count), 0, "the parent was canceled while its child lived");
	goro_ctx_release(child); /* frees the child, then the parent */
	EVENTUALLY(atomic_load(&af_count) == 1);
}

/* Releasing a child (its last reference) cancels it, not its parent, and
 * unlinks it: a later cancel of the parent does not touch freed memory. */
Test(context, releasing_children_then_canceling_the_parent)
{
	goro_ctx *parent = goro_with_cancel(goro_background());
	for (int i = 0; i < 100; i++) {
		goro_ctx *c = goro_with_cancel(parent);
		goro_ctx *t = goro_with_timeout(c, GORO_HOUR);
		goro_ctx_release(t);
		goro_ctx_release(c);
	}
	cr_assert(is_live(parent), "a child's release canceled its parent");
	goro_cancel(parent);
	goro_ctx_release(parent);
}

/* Retain/release balance across goroutines: each goroutine holds its own
 * reference; the context lives until the last one lets go. */
struct holder_args {
	goro_ctx *ctx; /* owned reference */
	goro_chan *release;
};

static void holder(void *p)
{
	struct holder_args *a = p;
	int v;
	goro_chan_recv(a->release, &v);
	/* Still usable here: this goroutine's reference keeps it alive. */
	if (goro_ctx_err(a->ctx) != 0)
		atomic_fetch_add(&af_count, 100);
	goro_ctx_release(a->ctx);
}

Test(context, references_held_by_goroutines)
{
	enum { HOLDERS = 10 };
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_ctx_after_func(ctx, count_af, &(int){ 0 });
	goro_chan *release = goro_chan_new(int, 0);
	for (int i = 0; i < HOLDERS; i++)
		goro_go(holder, &(struct holder_args){ goro_ctx_retain(ctx), release });
	goro_ctx_release(ctx); /* ours: the holders keep it */
	for (int i = 0; i < HOLDERS - 1; i++)
		goro_send(release, 1);
	EVENTUALLY(goro_num_goroutine() == 2);
	cr_assert_eq(atomic_load(&af_count), 0, "canceled while a holder still had a reference");
	goro_send(release, 1);
	EVENTUALLY(atomic_load(&af_count) == 1);
}

/* Heap bytes in use (goro's tracked heap, where contexts live). */
static size_t heap_in_use(void)
{
	struct goro_heap_stats st;
	goro__heap_stats(&st);
	return st.pages_in_use;
}

/* Growth allowed for n iterations that should free what they allocate:
 * far below one leaked context (or AfterFunc record) per iteration. */
static size_t leak_slack(int n)
{
	return (size_t)n * 16 + 256 * 1024;
}

/* Balanced retain/release frees everything: many trees of contexts,
 * created, canceled or not, released, leave the heap where it was. */
Test(context, balanced_release_frees_every_context)
{
	enum { N = SCALED(50000) };
	for (int i = 0; i < 100; i++)
		goro_ctx_release(goro_with_cancel(goro_background())); /* warm up */
	size_t before = heap_in_use();
	for (int i = 0; i < N; i++) {
		goro_ctx *root = goro_with_cancel(goro_background());
		goro_ctx *v = goro_with_value(root, &key_a, NULL);
		goro_ctx *t = goro_with_timeout(v, GORO_HOUR);
		goro_ctx_retain(t);
		if (i % 2)
			goro_cancel(root);
		goro_ctx_release(t);
		goro_ctx_release(root); /* the children still hold it */
		goro_ctx_release(v);
		goro_ctx_release(t);
	}
	size_t after = heap_in_use();
	cr_assert_lt(after, before + leak_slack(N), "the heap grew by %zu bytes over %d trees",
	             after - before, N);
}


/* ------------------------------------------------------------------ */
/* select on Done                                                      */
/* ------------------------------------------------------------------ */

struct delayed_cancel_args {
	goro_ctx *ctx; /* owned reference */
	goro_duration d;
};

static void delayed_cancel(void *p)
{
	struct delayed_cancel_args *a = p;
	goro_sleep(a->d);
	goro_cancel(a->ctx);
	goro_ctx_release(a->ctx);
}

Test(context, select_on_done_like_ctx_done)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_chan *work = goro_chan_new(int, 0);
	int x;
	char d;
	goro_go(delayed_cancel, &(struct delayed_cancel_args){ goro_ctx_retain(ctx), 10 * MS });
	goro_case cases[] = { GORO_RECV(work, &x), GORO_RECV(goro_ctx_done(ctx), &d) };
	cr_assert_eq(goro_select(cases, 2, false), 1, "select did not see Done close");
	cr_assert_not(cases[1].ok, "a closed Done receives !ok");
	cr_assert_eq(goro_ctx_err(ctx), GORO_CANCELED);
	goro_ctx_release(ctx);

	/* Background's nil Done is never ready. */
	goro_case never[] = { GORO_RECV(goro_ctx_done(goro_background()), &d) };
	cr_assert_eq(goro_select(never, 1, true), GORO_SELECT_DEFAULT);
	GOROUTINES_BACK_TO(1);
}

/* ------------------------------------------------------------------ */
/* The seed article's Canceled example                                  */
/* ------------------------------------------------------------------ */

struct work_args {
	goro_chan *gate; /* closed when the "work" is finished */
	goro_chan *ch;
};

static void canceled_child(void *p)
{
	struct work_args *a = p;
	int res, v;
	/* res, _ := work(100): here the work ends only after the parent has
	 * given up, which makes the ordering of the article deterministic. */
	goro_chan_recv(a->gate, &v);
	res = 100;
	goro_chan_send(a->ch, &res); /* leaks if nobody receives and there is no room */
}

/* func Canceled(ctx): go work and send; select on ctx.Done() or the result. */
static int64_t canceled(goro_ctx *ctx, size_t cap, goro_chan *gate)
{
	goro_chan *ch = goro_chan_new(int, cap);
	int64_t child = goro_go(canceled_child, &(struct work_args){ gate, ch });
	int res;
	char d;
	goro_case cases[] = { GORO_RECV(goro_ctx_done(ctx), &d), GORO_RECV(ch, &res) };
	cr_assert_eq(goro_select(cases, 2, false), 0, "only Done can be ready here");
	return child;
}

Test(context, article_canceled_unbuffered_leaks_the_child)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_chan *gate = goro_chan_new(int, 0);
	goro_cancel(ctx);
	int64_t child = canceled(ctx, 0, gate);
	goro_chan_close(gate);
	/* The parent took Done; the child is stuck on its send for ever. */
	EVENTUALLY(blocked_in(child, WR_CHAN_SEND));
	cr_assert_eq(goro_num_goroutine(), 2);
	goro_ctx_release(ctx);
}

Test(context, article_canceled_buffered_fix_leaves_no_goroutine)
{
	int baseline = goro_num_goroutine();
	for (int i = 0; i < 50; i++) {
		goro_ctx *ctx = goro_with_cancel(goro_background());
		goro_chan *gate = goro_chan_new(int, 0);
		goro_cancel(ctx);
		canceled(ctx, 1, gate); /* FIX: buffered */
		goro_chan_close(gate);
		goro_ctx_release(ctx);
	}
	GOROUTINES_BACK_TO(baseline);
}
