/*
 * test_rwmutex.c — sync.RWMutex: readers share, writers exclude, a pending
 * writer blocks new readers (writer preference, which makes the corpus'
 * read-write-read deadlock real), a writer's unlock admits every reader
 * queued behind it before the next writer, and waiters that give up
 * (deadline or context) leave the lock usable for everyone else.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>

#include <goro.h>

#include "death.h"
#include "waiting.h"

static int recv_status(goro_chan *c)
{
	int rc = -1;
	cr_assert_eq(goro_chan_recv_until(c, &rc, SOON), GORO_OK, "no status reported");
	return rc;
}

static bool nothing_yet(goro_chan *c)
{
	int v;
	return goro_chan_tryrecv(c, &v) == GORO_WOULDBLOCK;
}

/* Whether a new reader would be admitted right now (and leaves it as it was). */
static bool reader_admitted(goro_rwmutex *rw)
{
	if (!goro_rwmutex_tryrlock(rw))
		return false;
	goro_rwmutex_runlock(rw);
	return true;
}

/*
 * One goroutine doing one RWMutex operation, told what to do by its args:
 * takes the lock (read or write; plain, _until or _ctx), reports the
 * status on `out`, then holds the lock until `release` is closed (if set).
 */
enum op { OP_RLOCK, OP_LOCK };

struct locker_args {
	goro_rwmutex *rw;
	enum op op;
	int64_t deadline; /* INT64_MAX: no deadline */
	goro_ctx *ctx;    /* the goroutine owns one reference */
	goro_chan *out;
	goro_chan *release;
};

static void rw_locker(void *p)
{
	struct locker_args *a = p;
	int rc;
	if (a->ctx)
		rc = a->op == OP_LOCK ? goro_rwmutex_lock_ctx(a->rw, a->ctx)
		                      : goro_rwmutex_rlock_ctx(a->rw, a->ctx);
	else if (a->deadline != INT64_MAX)
		rc = a->op == OP_LOCK ? goro_rwmutex_lock_until(a->rw, a->deadline)
		                      : goro_rwmutex_rlock_until(a->rw, a->deadline);
	else if (a->op == OP_LOCK)
		goro_rwmutex_lock(a->rw), rc = GORO_OK;
	else
		goro_rwmutex_rlock(a->rw), rc = GORO_OK;
	goro_ctx_release(a->ctx);
	goro_send(a->out, rc);
	if (rc != GORO_OK)
		return;
	if (a->release) {
		int v;
		goro_chan_recv(a->release, &v);
	}
	if (a->op == OP_LOCK)
		goro_rwmutex_unlock(a->rw);
	else
		goro_rwmutex_runlock(a->rw);
}

static int wait_reason_of(enum op op)
{
	return op == OP_LOCK ? WR_RWMUTEX_LOCK : WR_RWMUTEX_RLOCK;
}

/* Starts a locker and waits until it is queued (or, on a slow machine,
 * already done: a short deadline may pass first). */
static int64_t start_queued(struct locker_args a)
{
	int64_t id = goro_go(rw_locker, &a);
	EVENTUALLY(blocked_in(id, wait_reason_of(a.op)) || goro_chan_len(a.out) > 0);
	return id;
}

/* Starts a locker that must get the lock at once (it may hold it). */
static void start_holding(struct locker_args a)
{
	goro_go(rw_locker, &a);
	cr_assert_eq(recv_status(a.out), GORO_OK);
}

/* ------------------------------------------------------------------ */
/* Readers share, writers exclude                                      */
/* ------------------------------------------------------------------ */

enum { READERS = 16 };

Test(rwmutex, many_readers_hold_it_at_once)
{
	goro_rwmutex rw = { 0 };
	goro_chan *in = goro_chan_new(int, READERS), *release = goro_chan_new(int, 0);
	/* Each reader holds until release is closed, so all READERS statuses
	 * arriving means they all hold it together. */
	for (int i = 0; i < READERS; i++)
		goro_go(rw_locker, &(struct locker_args){ &rw, OP_RLOCK, INT64_MAX, NULL, in, release });
	for (int i = 0; i < READERS; i++)
		cr_assert_eq(recv_status(in), GORO_OK, "reader %d could not join the others", i);
	cr_assert(goro_rwmutex_tryrlock(&rw), "one more reader is welcome");
	goro_rwmutex_runlock(&rw);
	cr_assert_not(goro_rwmutex_trylock(&rw), "a writer got in while readers held it");
	cr_assert_eq(goro_rwmutex_lock_until(&rw, after_now(20 * GORO_MILLISECOND)), GORO_TIMEDOUT);

	goro_chan_close(release);
	GOROUTINES_BACK_TO(1);
	cr_assert(goro_rwmutex_trylock(&rw), "readers left it locked");
	goro_rwmutex_unlock(&rw);
}

Test(rwmutex, writer_excludes_readers_and_writers)
{
	goro_rwmutex rw = { 0 };
	goro_rwmutex_lock(&rw);
	cr_assert_not(goro_rwmutex_trylock(&rw));
	cr_assert_not(goro_rwmutex_tryrlock(&rw));
	cr_assert_eq(goro_rwmutex_rlock_until(&rw, after_now(20 * GORO_MILLISECOND)), GORO_TIMEDOUT);
	cr_assert_eq(goro_rwmutex_lock_until(&rw, after_now(20 * GORO_MILLISECOND)), GORO_TIMEDOUT);
	goro_rwmutex_unlock(&rw);
	cr_assert(goro_rwmutex_tryrlock(&rw));
	cr_assert_not(goro_rwmutex_trylock(&rw), "a writer got in while a reader held it");
	goro_rwmutex_runlock(&rw);
	cr_assert(goro_rwmutex_trylock(&rw));
	goro_rwmutex_unlock(&rw);
}

/* ------------------------------------------------------------------ */
/* Writer preference                                                   */
/* ------------------------------------------------------------------ */

/* Reader A holds; writer W waits; reader B cannot get in past W; once A
 * leaves, W gets it, and B only after W. */
Test(rwmutex, pending_writer_blocks_new_readers)
{
	goro_rwmutex rw = { 0 };
	goro_chan *a_out = goro_chan_new(int, 1), *w_out = goro_chan_new(int, 1),
	          *b_out = goro_chan_new(int, 1);
	goro_chan *a_release = goro_chan_new(int, 0), *w_release = goro_chan_new(int, 0);

	start_holding((struct locker_args){ &rw, OP_RLOCK, INT64_MAX, NULL, a_out, a_release });
	start_queued((struct locker_args){ &rw, OP_LOCK, INT64_MAX, NULL, w_out, w_release });

	cr_assert_not(reader_admitted(&rw), "tryrlock got in past a pending writer");
	cr_assert_eq(goro_rwmutex_rlock_until(&rw, after_now(30 * GORO_MILLISECOND)), GORO_TIMEDOUT,
	             "a new reader got in past a pending writer");
	start_queued((struct locker_args){ &rw, OP_RLOCK, INT64_MAX, NULL, b_out, NULL });
	cr_assert(nothing_yet(w_out) && nothing_yet(b_out));

	goro_chan_close(a_release); /* A unlocks: W, not B, is next */
	cr_assert_eq(recv_status(w_out), GORO_OK, "the pending writer did not get the lock");
	cr_assert(nothing_yet(b_out), "reader B got in while the writer held the lock");

	goro_chan_close(w_release);
	cr_assert_eq(recv_status(b_out), GORO_OK, "reader B never got in after the writer");
	GOROUTINES_BACK_TO(1);
	cr_assert(goro_rwmutex_trylock(&rw));
	goro_rwmutex_unlock(&rw);
}

/* The corpus' RWR deadlock: a goroutine holding a read lock asks for it
 * again while a writer is pending; the second RLock can never succeed
 * (it is stuck behind the writer, which waits for the first RLock). */
struct rwr_args {
	goro_rwmutex *rw;
	goro_chan *locked;     /* first RLock done */
	goro_chan *go_again;   /* the writer is pending: try again */
	goro_chan *second_rc;
};

static void rwr_reader(void *p)
{
	struct rwr_args *a = p;
	goro_rwmutex_rlock(a->rw);
	goro_send(a->locked, 1);
	int v;
	goro_chan_recv(a->go_again, &v);
	int rc = goro_rwmutex_rlock_until(a->rw, goro_now() + 50 * GORO_MILLISECOND);
	goro_send(a->second_rc, rc);
	if (rc == GORO_OK)
		goro_rwmutex_runlock(a->rw);
	goro_rwmutex_runlock(a->rw);
}

Test(rwmutex, read_write_read_is_stuck)
{
	goro_rwmutex rw = { 0 };
	struct rwr_args a = { &rw, goro_chan_new(int, 1), goro_chan_new(int, 1),
	                      goro_chan_new(int, 1) };
	goro_chan *w_out = goro_chan_new(int, 1);
	goro_go(rwr_reader, &a);
	cr_assert_eq(recv_status(a.locked), 1);
	start_queued((struct locker_args){ &rw, OP_LOCK, INT64_MAX, NULL, w_out, NULL });
	goro_send(a.go_again, 1);
	cr_assert_eq(recv_status(a.second_rc), GORO_TIMEDOUT,
	             "a recursive RLock got past a pending writer");
	/* The reader then releases its first lock: the writer proceeds. */
	cr_assert_eq(recv_status(w_out), GORO_OK);
	GOROUTINES_BACK_TO(1);
	cr_assert(goro_rwmutex_trylock(&rw));
	goro_rwmutex_unlock(&rw);
}

/* ------------------------------------------------------------------ */
/* A writer's unlock admits the queued readers                          */
/* ------------------------------------------------------------------ */

enum { QUEUED_READERS = 8 };

static void readers_behind_writer(bool second_writer_first)
{
	goro_rwmutex rw = { 0 };
	goro_chan *r_out = goro_chan_new(int, QUEUED_READERS), *w2_out = goro_chan_new(int, 1);
	goro_chan *r_release = goro_chan_new(int, 0);
	goro_rwmutex_lock(&rw);

	if (second_writer_first)
		start_queued((struct locker_args){ &rw, OP_LOCK, INT64_MAX, NULL, w2_out, NULL });
	for (int i = 0; i < QUEUED_READERS; i++)
		start_queued((struct locker_args){ &rw, OP_RLOCK, INT64_MAX, NULL, r_out, r_release });
	if (!second_writer_first)
		start_queued((struct locker_args){ &rw, OP_LOCK, INT64_MAX, NULL, w2_out, NULL });
	cr_assert_eq(blocked_count(WR_RWMUTEX_RLOCK), QUEUED_READERS);

	/* Go: Unlock admits every reader that queued during the write,
	 * whenever the next writer arrived; the readers then hold it
	 * together, and the next writer waits for all of them. */
	goro_rwmutex_unlock(&rw);
	for (int i = 0; i < QUEUED_READERS; i++)
		cr_assert_eq(recv_status(r_out), GORO_OK, "queued reader %d not admitted", i);
	cr_assert(nothing_yet(w2_out), "the next writer got in while readers held the lock");

	goro_chan_close(r_release);
	cr_assert_eq(recv_status(w2_out), GORO_OK, "the next writer never got in");
	GOROUTINES_BACK_TO(1);
	cr_assert(goro_rwmutex_trylock(&rw));
	goro_rwmutex_unlock(&rw);
}

Test(rwmutex, writer_unlock_admits_all_queued_readers)
{
	readers_behind_writer(false);
}

Test(rwmutex, writer_unlock_admits_readers_before_an_earlier_queued_writer)
{
	readers_behind_writer(true);
}

/* ------------------------------------------------------------------ */
/* Giving up leaves the lock usable                                     */
/* ------------------------------------------------------------------ */

/* A writer that gives up was holding back the readers queued behind it:
 * they must be let in (with the first reader still there). */
static void writer_gives_up(bool by_ctx)
{
	goro_rwmutex rw = { 0 };
	goro_chan *a_out = goro_chan_new(int, 1), *w_out = goro_chan_new(int, 1),
	          *b_out = goro_chan_new(int, 1);
	goro_chan *a_release = goro_chan_new(int, 0), *b_release = goro_chan_new(int, 0);
	goro_ctx *ctx = goro_with_cancel(goro_background());

	start_holding((struct locker_args){ &rw, OP_RLOCK, INT64_MAX, NULL, a_out, a_release });
	if (by_ctx)
		start_queued((struct locker_args){ &rw, OP_LOCK, INT64_MAX, goro_ctx_retain(ctx),
		                                   w_out, NULL });
	else
		start_queued((struct locker_args){ &rw, OP_LOCK, after_now(300 * GORO_MILLISECOND),
		                                   NULL, w_out, NULL });
	start_queued((struct locker_args){ &rw, OP_RLOCK, INT64_MAX, NULL, b_out, b_release });

	if (by_ctx)
		goro_cancel(ctx);
	cr_assert_eq(recv_status(w_out), by_ctx ? GORO_CANCELED : GORO_TIMEDOUT);
	cr_assert_eq(recv_status(b_out), GORO_OK,
	             "reader queued behind a writer that gave up was never admitted");
	cr_assert(reader_admitted(&rw), "new readers still shut out after the writer left");

	goro_chan_close(a_release);
	goro_chan_close(b_release);
	GOROUTINES_BACK_TO(1);
	cr_assert(goro_rwmutex_trylock(&rw));
	goro_rwmutex_unlock(&rw);
	goro_ctx_release(ctx);
}

Test(rwmutex, writer_timeout_admits_readers_queued_behind_it)
{
	writer_gives_up(false);
}

Test(rwmutex, writer_cancel_admits_readers_queued_behind_it)
{
	writer_gives_up(true);
}

/* Of two writers waiting for a reader, one gives up: the other still gets
 * the lock when the reader leaves. */
Test(rwmutex, other_writer_still_gets_it_after_one_gives_up)
{
	goro_rwmutex rw = { 0 };
	goro_chan *a_out = goro_chan_new(int, 1), *w1_out = goro_chan_new(int, 1),
	          *w2_out = goro_chan_new(int, 1);
	goro_chan *a_release = goro_chan_new(int, 0);
	goro_ctx *ctx = goro_with_timeout(goro_background(), 100 * GORO_MILLISECOND);

	start_holding((struct locker_args){ &rw, OP_RLOCK, INT64_MAX, NULL, a_out, a_release });
	start_queued((struct locker_args){ &rw, OP_LOCK, INT64_MAX, goro_ctx_retain(ctx), w1_out,
	                                   NULL });
	start_queued((struct locker_args){ &rw, OP_LOCK, INT64_MAX, NULL, w2_out, NULL });
	cr_assert_eq(recv_status(w1_out), GORO_DEADLINE_EXCEEDED);
	cr_assert_not(reader_admitted(&rw), "the remaining pending writer must still block readers");

	goro_chan_close(a_release);
	cr_assert_eq(recv_status(w2_out), GORO_OK, "lost wake-up of the remaining writer");
	GOROUTINES_BACK_TO(1);
	cr_assert(goro_rwmutex_trylock(&rw));
	goro_rwmutex_unlock(&rw);
	goro_ctx_release(ctx);
}

/* Readers that give up while a writer holds it; the writer's unlock then
 * admits the one that stayed, and the lock is free afterwards. */
Test(rwmutex, reader_timeout_and_cancel_leave_the_lock_usable)
{
	goro_rwmutex rw = { 0 };
	goro_chan *t_out = goro_chan_new(int, 1), *c_out = goro_chan_new(int, 1),
	          *d_out = goro_chan_new(int, 1), *stay_out = goro_chan_new(int, 1);
	goro_ctx *cctx = goro_with_cancel(goro_background());
	goro_ctx *dctx = goro_with_timeout(goro_background(), 100 * GORO_MILLISECOND);
	goro_rwmutex_lock(&rw);

	start_queued((struct locker_args){ &rw, OP_RLOCK, after_now(100 * GORO_MILLISECOND), NULL,
	                                   t_out, NULL });
	start_queued((struct locker_args){ &rw, OP_RLOCK, INT64_MAX, goro_ctx_retain(cctx), c_out,
	                                   NULL });
	start_queued((struct locker_args){ &rw, OP_RLOCK, INT64_MAX, NULL, stay_out, NULL });
	start_queued((struct locker_args){ &rw, OP_RLOCK, INT64_MAX, goro_ctx_retain(dctx), d_out,
	                                   NULL });
	goro_cancel(cctx);
	cr_assert_eq(recv_status(t_out), GORO_TIMEDOUT);
	cr_assert_eq(recv_status(c_out), GORO_CANCELED);
	cr_assert_eq(recv_status(d_out), GORO_DEADLINE_EXCEEDED);
	cr_assert(nothing_yet(stay_out), "a reader got in while the writer held the lock");

	goro_rwmutex_unlock(&rw);
	cr_assert_eq(recv_status(stay_out), GORO_OK, "lost wake-up of the reader that stayed");
	GOROUTINES_BACK_TO(1);
	cr_assert(goro_rwmutex_trylock(&rw));
	goro_rwmutex_unlock(&rw);
	goro_ctx_release(cctx);
	goro_ctx_release(dctx);
}

Test(rwmutex, lockers_build_the_right_side)
{
	goro_rwmutex rw = { 0 };
	goro_locker w = goro_rwmutex_locker(&rw), r = goro_rwmutex_rlocker(&rw);
	r.lock(r.obj);
	cr_assert(reader_admitted(&rw), "the rlocker took the write side");
	cr_assert_not(goro_rwmutex_trylock(&rw));
	r.unlock(r.obj);
	w.lock(w.obj);
	cr_assert_not(reader_admitted(&rw), "the locker took the read side");
	w.unlock(w.obj);
	cr_assert(goro_rwmutex_trylock(&rw));
	goro_rwmutex_unlock(&rw);
}

/* ------------------------------------------------------------------ */
/* Misuse: Go's fatal errors                                           */
/* ------------------------------------------------------------------ */

static void sc_runlock_unlocked(void)
{
	goro_rwmutex rw = { 0 };
	goro_rwmutex_runlock(&rw);
}

static void sc_runlock_write_locked(void)
{
	goro_rwmutex rw = { 0 };
	goro_rwmutex_lock(&rw);
	goro_rwmutex_runlock(&rw);
}

static void sc_unlock_unlocked(void)
{
	goro_rwmutex rw = { 0 };
	goro_rwmutex_unlock(&rw);
}

static void sc_unlock_read_locked(void)
{
	goro_rwmutex rw = { 0 };
	goro_rwmutex_rlock(&rw);
	goro_rwmutex_unlock(&rw);
}

DEATH_SCENARIOS({ "runlock_unlocked", sc_runlock_unlocked },
                { "runlock_write_locked", sc_runlock_write_locked },
                { "unlock_unlocked", sc_unlock_unlocked },
                { "unlock_read_locked", sc_unlock_read_locked });

static void assert_fatal(const char *scenario, const char *msg)
{
	struct death d;
	death_run(scenario, &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(&d, msg);
}

Test(rwmutex_misuse, runlock_of_unlocked_is_fatal)
{
	assert_fatal("runlock_unlocked", "fatal error: sync: RUnlock of unlocked RWMutex");
}

Test(rwmutex_misuse, runlock_of_write_locked_is_fatal)
{
	assert_fatal("runlock_write_locked", "fatal error: sync: RUnlock of unlocked RWMutex");
}

Test(rwmutex_misuse, unlock_of_unlocked_is_fatal)
{
	assert_fatal("unlock_unlocked", "fatal error: sync: Unlock of unlocked RWMutex");
}

Test(rwmutex_misuse, unlock_of_read_locked_is_fatal)
{
	assert_fatal("unlock_read_locked", "fatal error: sync: Unlock of unlocked RWMutex");
}
