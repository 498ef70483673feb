/*
 * context.c — Go's context package: cancellation trees, deadlines, values.
 *
 * A context is a tracked-heap block (scanned like user data: its parent,
 * children and Done channel are real references, as in Go, where a parent's
 * children map keeps them alive).  Reference counts give C a lifetime:
 * every goro_with_* result is owned by its caller; a child holds a
 * reference to its parent; a parent's list of children is weak (children
 * unlink themselves when freed).
 *
 * Locking: ctx->lock guards err, cause, children and afterfuncs.  Cancel
 * takes one context's lock at a time (never nested): it detaches the
 * children under the lock, each retained, then cancels them unlocked.
 * Retaining may fail for a child whose last reference is being dropped
 * right now; that child is unlinking itself and needs no cancel.
 *
 * Misuse (a release too many, any use after the last release) must panic,
 * not corrupt the heap: a released context is not freed at once but marked
 * CTX_DEAD and parked in a quarantine ring of QUARANTINE records, freed
 * only when pushed out.  Every entry point checks the context it is given
 * (check_live): a dead record is still a live heap block (reading it reads
 * no freed memory), and one that left the quarantine is no heap block at
 * all (the heap's block table says so without touching it).  Only a stale
 * pointer to a block reused after QUARANTINE later releases goes unseen.
 */
#include <stdlib.h>
#include <string.h>

#include "chan/chan.h"
#include "heap/heap.h"
#include "runtime/owned.h"
#include "sched/sched.h"
#include "sched/spinlock.h"
#include "time/rtimer.h"

/* CTX_DETACHED: context.WithoutCancel; it passes values through and cuts
 * off cancellation and the deadline (never done, no deadline). */
enum ctx_kind { CTX_BACKGROUND, CTX_TODO, CTX_CANCEL, CTX_VALUE, CTX_DEAD, CTX_DETACHED };
enum { QUARANTINE = 1024 };

struct goro_ctx_afterfunc {
	struct goro_ctx_afterfunc *next;
	goro_ctx *ctx;
	goro_fn fn;
	bool stopped, ran;
	size_t argsize;
	_Alignas(16) char arg[];
};

struct goro_ctx {
	atomic_long refs;
	int kind;
	goro_ctx *parent;          /* strong reference */
	goro_ctx *cancel_parent;   /* nearest cancelable ancestor we are linked in */
	goro_spinlock lock;
	int err, cause;
	int deadline_cause;        /* WithDeadlineCause's cause, else 0 */
	goro_chan *done;
	goro_ctx *children;        /* weak: see above */
	goro_ctx *sib_next, *sib_prev;
	bool linked;
	bool has_deadline;
	int64_t deadline;
	struct goro_rtimer timer;
	const void *key;
	void *val;
	struct goro_ctx_afterfunc *afs;
};

static goro_ctx background = { .refs = 1, .kind = CTX_BACKGROUND };
static goro_ctx todo = { .refs = 1, .kind = CTX_TODO };

static bool is_static(goro_ctx *c)
{
	return c == &background || c == &todo;
}

/* Released contexts waiting to be freed (oldest at `next` once full).
 * Excluded from the leak detector's roots: they keep nothing alive. */
static struct {
	goro_spinlock lock;
	size_t next;
	goro_ctx *ring[QUARANTINE];
} quarantine GORO_RT_STATE;

/* c's last reference is gone: park it dead, free the oldest dead one. */
static void bury(goro_ctx *c)
{
	memset(c, 0, sizeof *c);
	c->kind = CTX_DEAD;
	goro__spin_lock(&quarantine.lock);
	goro_ctx *old = quarantine.ring[quarantine.next];
	quarantine.ring[quarantine.next] = c;
	quarantine.next = (quarantine.next + 1) % QUARANTINE;
	goro__spin_unlock(&quarantine.lock);
	if (old)
		goro_free(old);
}

static void check_live(goro_ctx *c, const char *op)
{
	if (!c || is_static(c))
		return;
	if (goro__heap_kind(c) != GORO_HEAP_USER || c->kind == CTX_DEAD)
		goro_panic("%s: context %p used after its last goro_ctx_release (released too "
		           "many times?)", op, (void *)c);
}

GORO_API goro_ctx *goro_background(void)
{
	return &background;
}

GORO_API goro_ctx *goro_todo(void)
{
	return &todo;
}

GORO_API goro_ctx *goro_ctx_retain(goro_ctx *c)
{
	check_live(c, "goro_ctx_retain");
	if (c && !is_static(c))
		atomic_fetch_add(&c->refs, 1);
	return c;
}

static bool try_retain(goro_ctx *c)
{
	long r = atomic_load(&c->refs);
	while (r > 0)
		if (atomic_compare_exchange_weak(&c->refs, &r, r + 1))
			return true;
	return false;
}

static goro_ctx *new_ctx(goro_ctx *parent, int kind)
{
	if (!parent)
		goro_panic("cannot create context from nil parent");
	check_live(parent, "goro_with_*: the parent");
	goro_ctx *c = goro__heap_alloc_kind(sizeof *c, GORO_HEAP_USER, true);
	if (!c)
		goro__throw_oom("a context", sizeof *c);
	atomic_store(&c->refs, 1);
	c->kind = kind;
	c->parent = goro_ctx_retain(parent);
	return c;
}

/* The cancelable context whose cancellation is ours (skips values). */
static goro_ctx *cancel_ancestor(goro_ctx *c)
{
	while (c && c->kind == CTX_VALUE)
		c = c->parent;
	return c && c->kind == CTX_CANCEL ? c : NULL;
}

static void spawn_afterfunc(struct goro_ctx_afterfunc *af);
static void cancel(goro_ctx *c, int err, int cause, bool unlink);

static void unlink_from_parent(goro_ctx *c)
{
	goro_ctx *p = c->cancel_parent;
	if (!p)
		return;
	goro__spin_lock(&p->lock);
	if (c->linked) {
		if (c->sib_prev)
			c->sib_prev->sib_next = c->sib_next;
		else
			p->children = c->sib_next;
		if (c->sib_next)
			c->sib_next->sib_prev = c->sib_prev;
		c->linked = false;
	}
	goro__spin_unlock(&p->lock);
}

static void cancel(goro_ctx *c, int err, int cause, bool unlink)
{
	goro__spin_lock(&c->lock);
	if (c->err) {
		goro__spin_unlock(&c->lock);
		return;
	}
	c->err = err;
	c->cause = cause ? cause : err;
	goro_ctx *kids = NULL;
	for (goro_ctx *k = c->children; k; k = k->sib_next) {
		k->linked = false;
		if (try_retain(k)) {
			k->sib_prev = (goro_ctx *)kids; /* reuse as a private list */
			kids = k;
		}
	}
	c->children = NULL;
	struct goro_ctx_afterfunc *afs = c->afs;
	c->afs = NULL;
	goro__spin_unlock(&c->lock);

	goro_chan_close(c->done);
	while (kids) {
		goro_ctx *k = kids;
		kids = (goro_ctx *)k->sib_prev;
		k->sib_prev = NULL;
		cancel(k, err, cause, false);
		goro_ctx_release(k);
	}
	if (unlink)
		unlink_from_parent(c);
	if (c->has_deadline)
		goro__rtimer_stop(&c->timer);
	while (afs) {
		struct goro_ctx_afterfunc *next = afs->next;
		spawn_afterfunc(afs);
		afs = next;
	}
}

/* Links c under its cancelable ancestor, or cancels it now if that one is
 * already done. */
static void propagate(goro_ctx *c)
{
	goro_ctx *p = cancel_ancestor(c->parent);
	if (!p)
		return;
	goro__spin_lock(&p->lock);
	int err = p->err, cause = p->cause;
	if (!err) {
		c->cancel_parent = p;
		c->sib_prev = NULL;
		c->sib_next = p->children;
		if (p->children)
			p->children->sib_prev = c;
		p->children = c;
		c->linked = true;
	}
	goro__spin_unlock(&p->lock);
	if (err)
		cancel(c, err, cause, false);
}

static goro_ctx *new_cancel_ctx(goro_ctx *parent)
{
	goro_ctx *c = new_ctx(parent, CTX_CANCEL);
	c->done = goro_chan_make(1, 0);
	/* The Done channel belongs to no bubble's rules beyond the creator's. */
	return c;
}

GORO_API goro_ctx *goro_with_cancel(goro_ctx *parent)
{
	goro_ctx *c = new_cancel_ctx(parent);
	propagate(c);
	return c;
}

static void on_deadline(struct goro_rtimer *t, int64_t now)
{
	(void)now;
	goro_ctx *c = t->arg;
	cancel(c, GORO_DEADLINE_EXCEEDED, c->deadline_cause, true);
}

GORO_API goro_ctx *goro_with_deadline(goro_ctx *parent, int64_t deadline)
{
	return goro_with_deadline_cause(parent, deadline, 0);
}

GORO_API goro_ctx *goro_with_deadline_cause(goro_ctx *parent, int64_t deadline, int cause)
{
	int64_t pd;
	if (goro_ctx_deadline(parent, &pd) && pd < deadline)
		return goro_with_cancel(parent); /* the parent's is sooner: Go does this */
	goro_ctx *c = new_cancel_ctx(parent);
	c->has_deadline = true;
	c->deadline = deadline;
	c->deadline_cause = cause;
	propagate(c);
	goro__rtimer_init(&c->timer, on_deadline, c);
	struct goro_timerheap *h = goro__timerheap_current();
	if (deadline <= goro__timerheap_now(h))
		cancel(c, GORO_DEADLINE_EXCEEDED, cause, true);
	else if (!goro_ctx_err(c))
		goro__rtimer_start(&c->timer, h, deadline);
	return c;
}

GORO_API goro_ctx *goro_with_timeout(goro_ctx *parent, goro_duration d)
{
	return goro_with_deadline(parent, goro__when_after(goro_now(), d));
}

GORO_API goro_ctx *goro_with_timeout_cause(goro_ctx *parent, goro_duration d, int cause)
{
	return goro_with_deadline_cause(parent, goro__when_after(goro_now(), d), cause);
}

/* context.WithoutCancel: values of parent, none of its cancellation. */
GORO_API goro_ctx *goro_without_cancel(goro_ctx *parent)
{
	return new_ctx(parent, CTX_DETACHED);
}

GORO_API goro_ctx *goro_with_value(goro_ctx *parent, const void *key, void *val)
{
	if (!key)
		goro_panic("nil key");
	goro_ctx *c = new_ctx(parent, CTX_VALUE);
	c->key = key;
	c->val = val;
	return c;
}

GORO_API void goro_cancel(goro_ctx *c)
{
	goro_cancel_cause(c, 0);
}

GORO_API void goro_cancel_cause(goro_ctx *c, int cause)
{
	check_live(c, "goro_cancel");
	if (!c || c->kind != CTX_CANCEL)
		goro_panic("goro_cancel: context is not cancelable");
	cancel(c, GORO_CANCELED, cause, true);
}

GORO_API void goro_ctx_release(goro_ctx *c)
{
	if (!c || is_static(c))
		return;
	check_live(c, "goro_ctx_release");
	long r = atomic_fetch_sub(&c->refs, 1);
	if (r > 1)
		return;
	if (r < 1)
		goro_panic("goro_ctx_release: context released too many times");
	if (c->kind == CTX_CANCEL) {
		/* Go's cancel func must run eventually; freeing does it. */
		cancel(c, GORO_CANCELED, 0, true);
		unlink_from_parent(c);
		goro__rtimer_stop(&c->timer);
		goro_chan_free(c->done);
	}
	goro_ctx_release(c->parent);
	bury(c);
}

GORO_API goro_chan *goro_ctx_done(goro_ctx *c)
{
	check_live(c, "goro_ctx_done");
	while (c && c->kind == CTX_VALUE)
		c = c->parent;
	return c ? c->done : NULL;
}

GORO_API int goro_ctx_err(goro_ctx *c)
{
	check_live(c, "goro_ctx_err");
	c = cancel_ancestor(c);
	if (!c)
		return 0;
	goro__spin_lock(&c->lock);
	int err = c->err;
	goro__spin_unlock(&c->lock);
	return err;
}

GORO_API int goro_ctx_cause(goro_ctx *c)
{
	check_live(c, "goro_ctx_cause");
	c = cancel_ancestor(c);
	if (!c)
		return 0;
	goro__spin_lock(&c->lock);
	int cause = c->cause;
	goro__spin_unlock(&c->lock);
	return cause;
}

GORO_API bool goro_ctx_deadline(goro_ctx *c, int64_t *deadline)
{
	check_live(c, "goro_ctx_deadline");
	for (; c && c->kind != CTX_DETACHED; c = c->parent) {
		if (c->has_deadline) {
			if (deadline)
				*deadline = c->deadline;
			return true;
		}
	}
	return false;
}

GORO_API void *goro_ctx_value(goro_ctx *c, const void *key)
{
	check_live(c, "goro_ctx_value");
	for (; c; c = c->parent)
		if (c->kind == CTX_VALUE && c->key == key)
			return c->val;
	return NULL;
}

static void afterfunc_main(void *arg)
{
	struct goro_ctx_afterfunc *af = *(struct goro_ctx_afterfunc **)arg;
	af->fn(af->argsize ? af->arg : NULL);
}

static void spawn_afterfunc(struct goro_ctx_afterfunc *af)
{
	af->ran = true;
	goro__spawn_with(&(struct goro_spawn){ .fn = afterfunc_main, .arg = &af,
	                                        .argsize = sizeof af, .user_fn = af->fn,
	                                        .bubble = goro__getg()->bubble });
}

GORO_API goro_ctx_afterfunc *goro_ctx_after_func_(goro_ctx *ctx, goro_fn fn,
                                                  const void *arg, size_t argsize)
{
	struct goro_ctx_afterfunc *af = goro__heap_alloc_kind(sizeof *af + argsize,
	                                                      GORO_HEAP_USER, true);
	if (!af)
		goro_panic("goro: out of memory in goro_ctx_after_func");
	af->fn = fn;
	af->argsize = argsize;
	if (argsize)
		memcpy(af->arg, arg, argsize);
	check_live(ctx, "goro_ctx_after_func");
	goro_ctx *c = cancel_ancestor(ctx);
	af->ctx = c;
	if (!c)
		return af; /* never done: never runs */
	goro__spin_lock(&c->lock);
	bool done = c->err != 0;
	if (!done) {
		af->next = c->afs;
		c->afs = af;
	}
	goro__spin_unlock(&c->lock);
	if (done)
		spawn_afterfunc(af);
	return af;
}

/* context.AfterFunc's stop: true if it prevented fn from running. */
GORO_API bool goro_ctx_after_func_stop(goro_ctx_afterfunc *af)
{
	goro_ctx *c = af->ctx;
	if (!c)
		return !af->stopped ? (af->stopped = true) : false;
	goro__spin_lock(&c->lock);
	bool stopped = false;
	for (struct goro_ctx_afterfunc **p = &c->afs; *p; p = &(*p)->next) {
		if (*p == af) {
			*p = af->next;
			stopped = true;
			break;
		}
	}
	af->stopped = af->stopped || stopped;
	goro__spin_unlock(&c->lock);
	return stopped;
}
