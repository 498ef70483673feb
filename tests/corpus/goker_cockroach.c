/*
 * goker_cockroach.c — GoBench GoKer blocking kernels from CockroachDB
 * (leak-corpus.md section 2), ported from the catalog's descriptions.
 *
 * Goroutine functions are named after the Go function the kernel starts
 * (Go `Stopper.RunWorker.func1` -> `stopper_run_worker_func1`; the Go
 * harness's per-bug closures `func2`, `func2.1` -> `cockroachNNNN_func2`,
 * `cockroachNNNN_func2_1`).  Where Go's test is flaky because the deadlock
 * needs one interleaving, the case forces it (a "forcing:" comment says
 * how) unless that would change the bug; such cases stay CORPUS_MAY_LEAK.
 */
#include "corpus.h"
#include "kernel.h"
#include "probe.h"

struct chan_ref {
	goro_chan *ch;
};

/* ------------------------------------------------------------------ */
/* Stopper: cockroach's util/stop, reduced to what the kernels use      */
/* ------------------------------------------------------------------ */

struct stopper {
	goro_chan *should_stop; /* closed by stopper_stop */
	goro_waitgroup stop;    /* one count per running worker */
};

struct run_worker_args {
	struct stopper *s;
	void (*f)(void *env);
	void *env;
};

static struct stopper *new_stopper(void)
{
	struct stopper *s = goro_new(struct stopper);
	s->should_stop = goro_chan_new(char, 0);
	return s;
}

/* Go: Stopper.RunWorker.func1, the goroutine of every worker. */
static void stopper_run_worker_func1(void *arg)
{
	const struct run_worker_args *a = arg;
	a->f(a->env);
	goro_waitgroup_done(&a->s->stop); /* Go: defer s.SetStopped() */
}

static void stopper_run_worker(struct stopper *s, void (*f)(void *), void *env)
{
	goro_waitgroup_add(&s->stop, 1);
	goro_go(stopper_run_worker_func1, &(struct run_worker_args){ s, f, env });
}

/* Closes ShouldStop, then waits for every worker to return. */
static void stopper_stop(struct stopper *s)
{
	goro_chan_close(s->should_stop);
	goro_waitgroup_wait(&s->stop);
}

static bool stopper_stopped(struct stopper *s)
{
	goro_case stop[] = { GORO_RECV(s->should_stop, NULL) };
	return goro_select(stop, 1, true) == 0;
}

/* ------------------------------------------------------------------ */
/* cockroach/1462 — Mixed / Channel & WaitGroup                         */
/* ------------------------------------------------------------------ */

enum { COCKROACH1462_RUNS = 100 };

struct transport1462 {
	goro_chan *events; /* int, unbuffered */
	struct stopper *stopper;
};

/* The transport's worker: checks for stop, then sends with a plain send
 * that nothing can interrupt. */
static void transport_send_events(void *env)
{
	struct transport1462 *lt = env;
	const int msg = 0;

	while (!stopper_stopped(lt->stopper))
		goro_chan_send(lt->events, &msg);
}

static void fixed_transport_send_events(void *env)
{
	struct transport1462 *lt = env;
	int msg = 0;

	for (;;) {
		goro_case cases[] = {
			GORO_SEND(lt->events, &msg),
			GORO_RECV(lt->stopper->should_stop, NULL),
		};
		if (goro_select(cases, 2, false) == 1)
			return;
	}
}

/* Go: processEventsUntil: consumes events until the stopper stops. */
static void process_events_until(void *env)
{
	struct transport1462 *lt = env;
	int msg;

	for (;;) {
		goro_case cases[] = {
			GORO_RECV(lt->events, &msg),
			GORO_RECV(lt->stopper->should_stop, NULL),
		};
		if (goro_select(cases, 2, false) == 1)
			return;
	}
}

struct sender_ref {
	void (*sender)(void *env);
};

/* One test iteration: start the transport and a consumer, then Stop.  When
 * the consumer's select picks ShouldStop while the sender is blocked, the
 * sender never calls Done and Stop's Wait never returns. */
static void cockroach1462_func2(void *arg)
{
	void (*sender)(void *) = ((const struct sender_ref *)arg)->sender;
	struct stopper *s = new_stopper();
	struct transport1462 *lt = goro_new(struct transport1462);

	lt->events = goro_chan_new(int, 0);
	lt->stopper = s;
	stopper_run_worker(s, sender, lt);
	stopper_run_worker(s, process_events_until, lt);
	stopper_stop(s);
}

static void cockroach1462_case(void)
{
	for (int i = 0; i < COCKROACH1462_RUNS; i++)
		goro_go(cockroach1462_func2, &(struct sender_ref){ transport_send_events });
}

static void cockroach1462_fixed_case(void)
{
	for (int i = 0; i < COCKROACH1462_RUNS; i++)
		goro_go(cockroach1462_func2,
		        &(struct sender_ref){ fixed_transport_send_events });
}

CORPUS_CASE(goker_cockroach_1462) {
	.id = "GOKER-cockroach/1462",
	.run = cockroach1462_case,
	.mode = CORPUS_MAY_LEAK,
	.expect = {
		{ "stopper_run_worker_func1", "chan send", CORPUS_ANY },
		{ "cockroach1462_func2", "sync.WaitGroup.Wait", CORPUS_ANY },
	},
	.note = "the consumer returns on ShouldStop while the event sender is "
	        "blocked in a plain send; Stop then waits forever for the sender. "
	        "Needs the consumer's select to pick ShouldStop (random): not "
	        "forced, 100 runs (Go: Stopper.RunWorker.func1 [chan send], "
	        "func2 [WaitGroup.Wait], flaky)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(goker_cockroach_1462_fixed) {
	.id = "GOKER-cockroach/1462/fixed",
	.run = cockroach1462_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "the sender selects on ShouldStop too",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* cockroach/2448 — Communication / Channel                             */
/* ------------------------------------------------------------------ */

/* The membership-change callback, applied on the MultiRaft loop. */
struct raft_callback {
	goro_chan *applied; /* closed once applied (fixed case waits on it) */
};

struct raft_event {
	bool membership_change; /* carries a callback to run */
	struct raft_callback cb;
};

struct multi_raft {
	goro_chan *events;        /* raft_event: read only by store_process_raft */
	goro_chan *callback_chan; /* raft_callback: read only by state_start */
	goro_chan *stopper;       /* closed to stop both loops */
	goro_chan *applied;       /* see raft_callback */
	bool async_callbacks;     /* the fix */
};

struct multi_raft_ref {
	struct multi_raft *m;
};

/* Go: MultiRaft.sendEvent. */
static bool multi_raft_send_event(struct multi_raft *m, struct raft_event *e)
{
	goro_case cases[] = {
		GORO_SEND(m->events, e),
		GORO_RECV(m->stopper, NULL),
	};
	return goro_select(cases, 2, false) == 0;
}

/* Go: the callback of EventMembershipChangeCommitted: hands work back to
 * the MultiRaft loop. */
static void membership_change_callback(struct multi_raft *m, struct raft_callback cb)
{
	goro_case cases[] = {
		GORO_SEND(m->callback_chan, &cb),
		GORO_RECV(m->stopper, NULL),
	};
	goro_select(cases, 2, false);
}

/* Go: state.handleWriteResponse.  forcing: it commits two events in a
 * row, so the MultiRaft loop is always sending the second while the store
 * runs the first one's callback (Go's loop gets there through its default
 * branch only sometimes). */
static bool state_handle_write_response(struct multi_raft *m)
{
	struct raft_event commit = {
		.membership_change = true,
		.cb = { .applied = m->applied },
	};
	struct raft_event next = { .membership_change = false };
	return multi_raft_send_event(m, &commit) && multi_raft_send_event(m, &next);
}

/* Go: state.start, the MultiRaft loop. */
static void state_start(void *arg)
{
	struct multi_raft *m = ((const struct multi_raft_ref *)arg)->m;
	struct raft_callback cb;

	if (!state_handle_write_response(m))
		return;
	for (;;) {
		goro_case cases[] = {
			GORO_RECV(m->stopper, NULL),
			GORO_RECV(m->callback_chan, &cb),
		};
		if (goro_select(cases, 2, false) == 0)
			return;
		goro_chan_close(cb.applied);
	}
}

struct callback_args {
	struct multi_raft *m;
	struct raft_callback cb;
};

/* The fix: a callback runs on a goroutine of its own. */
static void store_run_callback(void *arg)
{
	const struct callback_args *a = arg;
	membership_change_callback(a->m, a->cb);
}

/* Go: Store.processRaft, the store loop: runs each event's callback. */
static void store_process_raft(void *arg)
{
	struct multi_raft *m = ((const struct multi_raft_ref *)arg)->m;
	struct raft_event e;

	for (;;) {
		goro_case cases[] = {
			GORO_RECV(m->events, &e),
			GORO_RECV(m->stopper, NULL),
		};
		if (goro_select(cases, 2, false) == 1)
			return;
		if (!e.membership_change)
			continue;
		if (m->async_callbacks)
			goro_go(store_run_callback, &(struct callback_args){ m, e.cb });
		else
			membership_change_callback(m, e.cb);
	}
}

static struct multi_raft *new_multi_raft(bool async_callbacks)
{
	struct multi_raft *m = goro_new(struct multi_raft);
	m->events = goro_chan_new(struct raft_event, 0);
	m->callback_chan = goro_chan_new(struct raft_callback, 0);
	m->stopper = goro_chan_new(char, 0);
	m->applied = goro_chan_new(char, 0);
	m->async_callbacks = async_callbacks;
	return m;
}

static void cockroach2448_case(void)
{
	struct multi_raft *m = new_multi_raft(false);
	goro_go(state_start, &(struct multi_raft_ref){ m });
	goro_go(store_process_raft, &(struct multi_raft_ref){ m });
}

/* The store no longer runs callbacks on its own loop; once the callback
 * is applied the test stops both loops. */
static void cockroach2448_fixed_case(void)
{
	struct multi_raft *m = new_multi_raft(true);
	goro_go(state_start, &(struct multi_raft_ref){ m });
	goro_go(store_process_raft, &(struct multi_raft_ref){ m });
	kernel_wait(m->applied);
	goro_chan_close(m->stopper);
}

CORPUS_CASE(goker_cockroach_2448) {
	.id = "GOKER-cockroach/2448",
	.run = cockroach2448_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "store_process_raft", "select", 1 },
		{ "state_start", "select", 1 },
	},
	.note = "two event loops each blocked in a select sending to the other: "
	        "the store runs a callback that sends to the MultiRaft loop, which "
	        "is sending the store its next event. Forced: two events per "
	        "write response (Go: Store.processRaft [select], state.start "
	        "[select], flaky)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(goker_cockroach_2448_fixed) {
	.id = "GOKER-cockroach/2448/fixed",
	.run = cockroach2448_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "callbacks run on their own goroutine, so the store loop keeps "
	        "consuming; stopped after the callback is applied",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* cockroach/3710 — Resource / RWR deadlock                             */
/* ------------------------------------------------------------------ */

struct store3710 {
	goro_rwmutex mu;
	int raft_log_size;
};

struct store3710_ref {
	struct store3710 *s;
};

/* Called with s->mu read-locked, and read-locks it again. */
static void store_enqueue_raft_update_check(struct store3710 *s)
{
	goro_rwmutex_rlock(&s->mu);
	(void)s->raft_log_size;
	goro_rwmutex_runlock(&s->mu);
}

/* Go: Store.ForceRaftLogScanAndProcess. */
static void store_force_raft_log_scan_and_process(void *arg)
{
	struct store3710 *s = ((const struct store3710_ref *)arg)->s;

	goro_rwmutex_rlock(&s->mu);
	/* forcing: processRaft's Lock arrives between the two RLocks. */
	corpus_wait_writer_pending(&s->mu);
	store_enqueue_raft_update_check(s);
	goro_rwmutex_runlock(&s->mu);
}

/* Go: Store.processRaft.func1. */
static void store_process_raft_func1(void *arg)
{
	struct store3710 *s = ((const struct store3710_ref *)arg)->s;

	goro_rwmutex_lock(&s->mu);
	s->raft_log_size++;
	goro_rwmutex_unlock(&s->mu);
}

static void cockroach3710_case(void)
{
	struct store3710 *s = goro_new(struct store3710);

	goro_go(store_force_raft_log_scan_and_process, &(struct store3710_ref){ s });
	/* forcing: the writer comes after the first RLock. */
	corpus_wait_rwmutex_held(&s->mu);
	goro_go(store_process_raft_func1, &(struct store3710_ref){ s });
}

CORPUS_CASE(goker_cockroach_3710) {
	.id = "GOKER-cockroach/3710",
	.run = cockroach3710_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "store_force_raft_log_scan_and_process", "sync.RWMutex.RLock", 1 },
		{ "store_process_raft_func1", "sync.RWMutex.Lock", 1 },
	},
	.note = "recursive RLock with a writer arriving in between: the second "
	        "RLock waits behind the writer, which waits for the first. "
	        "Forced with try-lock probes (Go: "
	        "Store.ForceRaftLogScanAndProcess [RWMutex.RLock], "
	        "Store.processRaft.func1 [RWMutex.Lock], flaky)",
};

/* ------------------------------------------------------------------ */
/* cockroach/9935 — Resource / Double locking                           */
/* ------------------------------------------------------------------ */

struct logging_t {
	goro_mutex mu;
	int entries;
};

struct logging_ref {
	struct logging_t *l;
};

/* forcing: always fails (GoKer fails at random). */
static int logging_create_file(struct logging_t *l)
{
	(void)l;
	return -1;
}

/* Go: loggingT.exit: locks l.mu. */
static void logging_exit(struct logging_t *l)
{
	goro_mutex_lock(&l->mu);
	l->entries = -1;
	goro_mutex_unlock(&l->mu);
}

/* Go: loggingT.outputLogEntry: calls exit() with l.mu held on error. */
static void logging_t_output_log_entry(void *arg)
{
	struct logging_t *l = ((const struct logging_ref *)arg)->l;

	goro_mutex_lock(&l->mu);
	if (logging_create_file(l) != 0)
		logging_exit(l);
	l->entries++;
	goro_mutex_unlock(&l->mu);
}

static void fixed_logging_t_output_log_entry(void *arg)
{
	struct logging_t *l = ((const struct logging_ref *)arg)->l;

	goro_mutex_lock(&l->mu);
	if (logging_create_file(l) != 0) {
		goro_mutex_unlock(&l->mu);
		logging_exit(l);
		return;
	}
	l->entries++;
	goro_mutex_unlock(&l->mu);
}

static void cockroach9935_case(void)
{
	goro_go(logging_t_output_log_entry,
	        &(struct logging_ref){ goro_new(struct logging_t) });
}

static void cockroach9935_fixed_case(void)
{
	goro_go(fixed_logging_t_output_log_entry,
	        &(struct logging_ref){ goro_new(struct logging_t) });
}

CORPUS_CASE(goker_cockroach_9935) {
	.id = "GOKER-cockroach/9935",
	.run = cockroach9935_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "logging_t_output_log_entry", "sync.Mutex.Lock", 1 } },
	.note = "on a createFile error outputLogEntry calls exit(), which locks "
	        "the mutex it holds. Forced: the error always happens (Go: "
	        "loggingT.outputLogEntry [Mutex.Lock], flaky)",
};

CORPUS_CASE(goker_cockroach_9935_fixed) {
	.id = "GOKER-cockroach/9935/fixed",
	.run = cockroach9935_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "release l.mu before exit()",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* cockroach/10214 — Resource / AB-BA deadlock                          */
/* ------------------------------------------------------------------ */

struct store10214;

struct replica10214 {
	goro_mutex raft_mu;
	goro_mutex mu;
	struct store10214 *store;
};

struct store10214 {
	goro_mutex coalesced_mu;
	int coalesced;
	struct replica10214 *replica;
};

struct store10214_ref {
	struct store10214 *s;
};

/* Go: Store.sendQueuedHeartbeats: coalescedMu, then each raftMu. */
static void store_send_queued_heartbeats(void *arg)
{
	struct store10214 *s = ((const struct store10214_ref *)arg)->s;

	goro_mutex_lock(&s->coalesced_mu);
	/* forcing: tick holds raftMu before we ask for it. */
	corpus_wait_mutex_held(&s->replica->raft_mu);
	goro_mutex_lock(&s->replica->raft_mu);
	s->coalesced = 0;
	goro_mutex_unlock(&s->replica->raft_mu);
	goro_mutex_unlock(&s->coalesced_mu);
}

/* Go: Replica.tick: raftMu and mu, then coalescedMu (via the store). */
static void replica_tick(void *arg)
{
	struct store10214 *s = ((const struct store10214_ref *)arg)->s;
	struct replica10214 *r = s->replica;

	goro_mutex_lock(&r->raft_mu);
	goro_mutex_lock(&r->mu);
	/* forcing: sendQueuedHeartbeats holds coalescedMu first. */
	corpus_wait_mutex_held(&s->coalesced_mu);
	goro_mutex_lock(&s->coalesced_mu);
	s->coalesced++;
	goro_mutex_unlock(&s->coalesced_mu);
	goro_mutex_unlock(&r->mu);
	goro_mutex_unlock(&r->raft_mu);
}

static void cockroach10214_case(void)
{
	struct store10214 *s = goro_new(struct store10214);
	s->replica = goro_new(struct replica10214);
	s->replica->store = s;
	goro_go(store_send_queued_heartbeats, &(struct store10214_ref){ s });
	goro_go(replica_tick, &(struct store10214_ref){ s });
}

CORPUS_CASE(goker_cockroach_10214) {
	.id = "GOKER-cockroach/10214",
	.run = cockroach10214_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "store_send_queued_heartbeats", "sync.Mutex.Lock", 1 },
		{ "replica_tick", "sync.Mutex.Lock", 1 },
	},
	.note = "AB-BA: coalescedMu then raftMu against raftMu then coalescedMu. "
	        "Forced: each takes its second lock once the other holds its "
	        "first (Go: Store.sendQueuedHeartbeats [Mutex.Lock], Replica.tick "
	        "[Mutex.Lock], flaky)",
};

/* ------------------------------------------------------------------ */
/* cockroach/10790 — Communication / Channel & Context                  */
/* ------------------------------------------------------------------ */

enum { REPLICA10790_CHANS = 2 };

struct replica10790 {
	goro_chan *chans[REPLICA10790_CHANS]; /* char, unbuffered */
	bool close_on_cancel;                 /* the fix */
};

struct replica10790_ref {
	struct replica10790 *r;
};

/* Go: Replica.beginCmds.func1: drains the command channels. */
static void replica_begin_cmds_func1(void *arg)
{
	struct replica10790 *r = ((const struct replica10790_ref *)arg)->r;
	for (int i = 0; i < REPLICA10790_CHANS; i++)
		kernel_wait(r->chans[i]);
}

/* Go: Replica.beginCmds: on ctx.Done it leaves a goroutine to drain the
 * channels and returns. */
static void replica_begin_cmds(struct replica10790 *r, goro_ctx *ctx)
{
	char unit;
	for (int i = 0; i < REPLICA10790_CHANS; i++) {
		goro_case cases[] = {
			GORO_RECV(r->chans[i], &unit),
			GORO_RECV(goro_ctx_done(ctx), NULL),
		};
		if (goro_select(cases, 2, false) == 1) {
			goro_go(replica_begin_cmds_func1, &(struct replica10790_ref){ r });
			return;
		}
	}
}

/* Go: the command sender: gives up on ctx.Done too; the fix closes the
 * channels when it does, so a drainer's receives return. */
static void replica_send_chans(struct replica10790 *r, goro_ctx *ctx)
{
	char unit = 1;
	for (int i = 0; i < REPLICA10790_CHANS; i++) {
		goro_case cases[] = {
			GORO_SEND(r->chans[i], &unit),
			GORO_RECV(goro_ctx_done(ctx), NULL),
		};
		if (goro_select(cases, 2, false) == 1)
			break;
	}
	if (r->close_on_cancel && goro_ctx_err(ctx))
		for (int i = 0; i < REPLICA10790_CHANS; i++)
			goro_chan_close(r->chans[i]);
}

static void cockroach10790_run(bool fixed)
{
	struct replica10790 *r = goro_new(struct replica10790);
	goro_ctx *ctx = goro_with_cancel(goro_background());

	for (int i = 0; i < REPLICA10790_CHANS; i++)
		r->chans[i] = goro_chan_new(char, 0);
	r->close_on_cancel = fixed;
	/* forcing: the context is canceled first, the sender gives up while
	 * nobody receives, then beginCmds gives up (Go runs the three
	 * concurrently). */
	goro_cancel(ctx);
	replica_send_chans(r, ctx);
	replica_begin_cmds(r, ctx);
	goro_ctx_release(ctx);
}

static void cockroach10790_case(void)
{
	cockroach10790_run(false);
}

static void cockroach10790_fixed_case(void)
{
	cockroach10790_run(true);
}

CORPUS_CASE(goker_cockroach_10790) {
	.id = "GOKER-cockroach/10790",
	.run = cockroach10790_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "replica_begin_cmds_func1", "chan receive", 1 } },
	.note = "beginCmds returns on ctx.Done leaving a goroutine to drain "
	        "command channels whose sender gave up too. Forced: cancel, "
	        "sender, beginCmds in that order (Go: Replica.beginCmds.func1 "
	        "[chan receive], flaky)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(goker_cockroach_10790_fixed) {
	.id = "GOKER-cockroach/10790/fixed",
	.run = cockroach10790_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "the sender closes the channels on the cancellation path",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* cockroach/13197 — Communication / Channel & Context                  */
/* ------------------------------------------------------------------ */

struct tx {
	goro_ctx *ctx; /* canceled by commit or rollback */
};

struct tx_ref {
	struct tx *tx;
};

/* Go: Tx.awaitDone: finishes the transaction once its context is done. */
static void tx_await_done(void *arg)
{
	struct tx *tx = ((const struct tx_ref *)arg)->tx;
	kernel_recv_done(tx->ctx);
	goro_ctx_release(tx->ctx);
}

/* Go: DB.begin. */
static struct tx *db_begin(goro_ctx *parent)
{
	struct tx *tx = goro_new(struct tx);
	tx->ctx = goro_with_cancel(parent);
	goro_go(tx_await_done, &(struct tx_ref){ tx });
	return tx;
}

static void tx_commit(struct tx *tx)
{
	goro_cancel(tx->ctx);
}

/* The transaction is neither committed nor rolled back. */
static void cockroach13197_case(void)
{
	db_begin(goro_background());
}

static void cockroach13197_fixed_case(void)
{
	tx_commit(db_begin(goro_background()));
}

CORPUS_CASE(goker_cockroach_13197) {
	.id = "GOKER-cockroach/13197",
	.run = cockroach13197_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "tx_await_done", "chan receive", 1 } },
	.note = "a transaction never committed: awaitDone waits on the Done "
	        "channel of a context nobody can cancel any more (Go: "
	        "Tx.awaitDone [chan receive], deterministic)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(goker_cockroach_13197_fixed) {
	.id = "GOKER-cockroach/13197/fixed",
	.run = cockroach13197_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "commit cancels the transaction's context",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* cockroach/13755 — Communication / Channel & Context                  */
/* ------------------------------------------------------------------ */

struct rows {
	goro_ctx *ctx;
	goro_mutex mu; /* guards closed */
	bool closed;
};

struct rows_ref {
	struct rows *rs;
};

static void rows_close(struct rows *rs)
{
	goro_mutex_lock(&rs->mu);
	rs->closed = true;
	goro_mutex_unlock(&rs->mu);
	goro_cancel(rs->ctx);
}

/* Go: Rows.awaitDone: closes the rows once the context is done. */
static void rows_await_done(void *arg)
{
	struct rows *rs = ((const struct rows_ref *)arg)->rs;
	kernel_recv_done(rs->ctx);
	rows_close(rs);
}

/* Go: Rows.initContextClose. */
static struct rows *rows_init_context_close(goro_ctx *parent)
{
	struct rows *rs = goro_new(struct rows);
	rs->ctx = goro_with_cancel(parent);
	goro_go(rows_await_done, &(struct rows_ref){ rs });
	return rs;
}

/* The rows are never closed. */
static void cockroach13755_case(void)
{
	rows_init_context_close(goro_background());
}

static void cockroach13755_fixed_case(void)
{
	rows_close(rows_init_context_close(goro_background()));
}

CORPUS_CASE(goker_cockroach_13755) {
	.id = "GOKER-cockroach/13755",
	.run = cockroach13755_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "rows_await_done", "chan receive", 1 } },
	.note = "rows never closed: awaitDone waits on a context nobody cancels "
	        "(Go: Rows.awaitDone [chan receive], deterministic)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(goker_cockroach_13755_fixed) {
	.id = "GOKER-cockroach/13755/fixed",
	.run = cockroach13755_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "the client closes the rows, which cancels the context",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* cockroach/18101 — Communication / Channel & Context                  */
/* ------------------------------------------------------------------ */

enum { RESTORE_SPANS = 10 };

struct restore_args {
	goro_ctx *ctx; /* a reference of restore's own */
};

/* Go: restore.func1 (splitAndScatter): plain sends, no ctx case. */
static void restore_func1(void *arg)
{
	goro_chan *ready_for_import = ((const struct chan_ref *)arg)->ch;
	for (int span = 0; span < RESTORE_SPANS; span++)
		goro_chan_send(ready_for_import, &span);
	goro_chan_close(ready_for_import);
}

/* Go: restore: imports spans until the context is done. */
static void restore(void *arg)
{
	goro_ctx *ctx = ((const struct restore_args *)arg)->ctx;
	goro_chan *ready_for_import = goro_chan_new(int, 0);
	int span;

	goro_go(restore_func1, &(struct chan_ref){ ready_for_import });
	while (goro_chan_recv(ready_for_import, &span)) {
		/* Importing the span fails: the context is canceled. */
		kernel_recv_done(ctx);
		break;
	}
	goro_ctx_release(ctx);
}

static void cockroach18101_case(void)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_go(restore, &(struct restore_args){ goro_ctx_retain(ctx) });
	goro_cancel(ctx);
	goro_ctx_release(ctx);
}

CORPUS_CASE(goker_cockroach_18101) {
	.id = "GOKER-cockroach/18101",
	.run = cockroach18101_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "restore_func1", "chan send", 1 } },
	.note = "restore returns once its context is canceled; the span "
	        "producer keeps doing plain sends nobody receives (Go: "
	        "restore.func1 [chan send], flaky; here restore always imports "
	        "one span, then sees the cancellation)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* cockroach/24808 — Communication / Channel                            */
/* ------------------------------------------------------------------ */

struct compactor {
	goro_chan *ch; /* suggestions (int), capacity 1 */
	struct stopper *stopper;
};

/* The compactor's loop, started by Start after its send. */
static void compactor_loop(void *env)
{
	struct compactor *c = env;
	int suggestion;

	for (;;) {
		goro_case cases[] = {
			GORO_RECV(c->stopper->should_stop, NULL),
			GORO_RECV(c->ch, &suggestion),
		};
		if (goro_select(cases, 2, false) == 0)
			return;
	}
}

/* Go: Compactor.Start: signals a suggestion with a blocking send before
 * its consumer loop runs. */
static void compactor_start(struct compactor *c)
{
	const int suggestion = 1;
	goro_chan_send(c->ch, &suggestion);
	stopper_run_worker(c->stopper, compactor_loop, c);
}

static void cockroach24808_func2(void *arg)
{
	(void)arg;
	struct compactor *c = goro_new(struct compactor);
	const int queued = 1;

	c->stopper = new_stopper();
	c->ch = goro_chan_new(int, 1);
	goro_chan_send(c->ch, &queued); /* a suggestion is already pending */
	compactor_start(c);
	stopper_stop(c->stopper); /* Go: defer stopper.Stop() */
}

static void cockroach24808_case(void)
{
	goro_go0(cockroach24808_func2);
}

CORPUS_CASE(goker_cockroach_24808) {
	.id = "GOKER-cockroach/24808",
	.run = cockroach24808_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "cockroach24808_func2", "chan send", 1 } },
	.note = "Start sends on the compactor's full cap-1 channel before the "
	        "loop that drains it exists (Go: func2 [chan send], "
	        "deterministic)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* cockroach/35073 — Communication / Channel                            */
/* ------------------------------------------------------------------ */

enum { ROW_CHANNEL_BUF = 16 };

enum consumer_status { NEED_MORE_ROWS, DRAIN_REQUESTED, CONSUMER_CLOSED };

struct row_channel {
	int consumer_status;  /* enum consumer_status, atomic */
	goro_chan *data_chan; /* int rows, capacity ROW_CHANNEL_BUF */
};

/* Go: RowChannel.Push: a blocking send while the consumer wants rows. */
static int row_channel_push(struct row_channel *rc)
{
	int status = __atomic_load_n(&rc->consumer_status, __ATOMIC_ACQUIRE);
	const int row = 0;
	if (status == NEED_MORE_ROWS)
		goro_chan_send(rc->data_chan, &row);
	return status;
}

struct outbox {
	struct row_channel rc;
};

struct outbox_args {
	struct outbox *m;
	goro_waitgroup *wg;
};

/* Go: outbox.run: fails at startup; neither drains nor marks the consumer
 * closed. */
static void outbox_run(void *arg)
{
	const struct outbox_args *a = arg;
	goro_waitgroup_done(a->wg);
}

static void outbox_start(struct outbox *m, goro_waitgroup *wg)
{
	goro_waitgroup_add(wg, 1);
	goro_go(outbox_run, &(struct outbox_args){ m, wg });
}

static void cockroach35073_func2_1(void *arg)
{
	const struct outbox_args *a = arg;
	row_channel_push(&a->m->rc);
	goro_waitgroup_done(a->wg);
}

static void cockroach35073_func2(void *arg)
{
	(void)arg;
	struct outbox *m = goro_new(struct outbox);
	goro_waitgroup *wg = goro_new(goro_waitgroup);
	goro_waitgroup *blocked_pusher = goro_new(goro_waitgroup);

	m->rc.data_chan = goro_chan_new(int, ROW_CHANNEL_BUF);
	for (int i = 0; i < ROW_CHANNEL_BUF; i++)
		row_channel_push(&m->rc);
	goro_waitgroup_add(blocked_pusher, 1);
	goro_go(cockroach35073_func2_1, &(struct outbox_args){ m, blocked_pusher });
	outbox_start(m, wg);
	goro_waitgroup_wait(wg);
	row_channel_push(&m->rc);
}

static void cockroach35073_case(void)
{
	goro_go0(cockroach35073_func2);
}

CORPUS_CASE(goker_cockroach_35073) {
	.id = "GOKER-cockroach/35073",
	.run = cockroach35073_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "cockroach35073_func2_1", "chan send", 1 },
		{ "cockroach35073_func2", "chan send", 1 },
	},
	.note = "the outbox fails at startup without draining its full cap-16 "
	        "row channel; two producers push into it (Go: func2.1 "
	        "[chan send], func2 [chan send], deterministic)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* cockroach/35931 — Communication / Channel                            */
/* ------------------------------------------------------------------ */

enum { FLOW_INBOUND = 2 };

struct flow_registry {
	goro_mutex mu; /* guards nflows */
	int nflows;
};

struct flow {
	struct flow_registry *fr;
	goro_chan *inbound[FLOW_INBOUND]; /* RowChannels: int, capacity 1 */
};

/* Go: RowChannel.Push. */
static void row_push(goro_chan *rc)
{
	const int msg = 0;
	goro_chan_send(rc, &msg);
}

/* Go: Flow.cancel: pushes a cancellation into each inbound stream in turn
 * with blocking sends. */
static void flow_cancel(struct flow *f)
{
	int n;
	goro_mutex_lock(&f->fr->mu);
	n = f->fr->nflows > 0 ? FLOW_INBOUND : 0; /* the timed-out receivers */
	goro_mutex_unlock(&f->fr->mu);
	for (int i = 0; i < n; i++)
		row_push(f->inbound[i]);
}

static void cockroach35931_func2(void *arg)
{
	(void)arg;
	struct flow *f = goro_new(struct flow);

	f->fr = goro_new(struct flow_registry);
	for (int i = 0; i < FLOW_INBOUND; i++)
		f->inbound[i] = goro_chan_new(int, 1);
	row_push(f->inbound[0]); /* left is full and nobody reads it */
	goro_mutex_lock(&f->fr->mu);
	f->fr->nflows++; /* RegisterFlow */
	goro_mutex_unlock(&f->fr->mu);
	flow_cancel(f);
}

static void cockroach35931_case(void)
{
	goro_go0(cockroach35931_func2);
}

CORPUS_CASE(goker_cockroach_35931) {
	.id = "GOKER-cockroach/35931",
	.run = cockroach35931_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "cockroach35931_func2", "chan send", 1 } },
	.note = "Flow.cancel pushes into each inbound stream in turn; the first "
	        "is full and unread, so it never reaches the next (Go: func2 "
	        "[chan send], deterministic)",
	.flags = CORPUS_SYNCTEST,
};
