/*
 * goker_etcd.c — GoBench GoKer blocking kernels from etcd (leak-corpus.md
 * section 2).  etcd/7443 is not ported: the catalog's description does not
 * say enough to reproduce its five blocked goroutines (Go does not port it
 * either, and GOLF never detects it); see tests/corpus/README.md.
 */
#include "corpus.h"
#include "kernel.h"
#include "probe.h"

/* ------------------------------------------------------------------ */
/* etcd/6857 — Communication / Channel                                  */
/* ------------------------------------------------------------------ */

struct node6857 {
	goro_chan *status; /* goro_chan * (a reply channel), unbuffered */
	goro_chan *stop;   /* char, unbuffered */
	goro_chan *done;   /* closed when node_run exits */
};

struct node_ref {
	struct node6857 *n;
};

/* Go: node.run: serves Status requests until Stop. */
static void node_run(void *arg)
{
	struct node6857 *n = ((const struct node_ref *)arg)->n;
	goro_chan *reply;
	const int status = 0;

	for (;;) {
		goro_case cases[] = {
			GORO_RECV(n->status, &reply),
			GORO_RECV(n->stop, NULL),
		};
		if (goro_select(cases, 2, false) == 1) {
			goro_chan_close(n->done);
			return;
		}
		goro_chan_send(reply, &status);
	}
}

/* Go: node.Status: a plain send, with no case on n.done. */
static void node_status(void *arg)
{
	struct node6857 *n = ((const struct node_ref *)arg)->n;
	goro_chan *reply = goro_chan_new(int, 0);
	int status;

	goro_chan_send(n->status, &reply);
	goro_chan_recv(reply, &status);
}

static void fixed_node_status(void *arg)
{
	struct node6857 *n = ((const struct node_ref *)arg)->n;
	goro_chan *reply = goro_chan_new(int, 0);
	int status;

	goro_case cases[] = {
		GORO_SEND(n->status, &reply),
		GORO_RECV(n->done, NULL),
	};
	if (goro_select(cases, 2, false) == 1)
		return;
	goro_chan_recv(reply, &status);
}

/* Go: node.Stop. */
static void node_stop(struct node6857 *n)
{
	char unit = 0;
	goro_case cases[] = {
		GORO_SEND(n->stop, &unit),
		GORO_RECV(n->done, NULL),
	};
	if (goro_select(cases, 2, false) == 1)
		return;
	kernel_wait(n->done);
}

static void etcd6857_run(goro_fn status)
{
	struct node6857 *n = goro_new(struct node6857);

	n->status = goro_chan_new(goro_chan *, 0);
	n->stop = goro_chan_new(char, 0);
	n->done = goro_chan_new(char, 0);
	goro_go(node_run, &(struct node_ref){ n });
	/* forcing: Stop completes before Status is asked (Go starts both
	 * concurrently, so Status is often served first). */
	node_stop(n);
	goro_go(status, &(struct node_ref){ n });
}

static void etcd6857_case(void)
{
	etcd6857_run(node_status);
}

static void etcd6857_fixed_case(void)
{
	etcd6857_run(fixed_node_status);
}

CORPUS_CASE(goker_etcd_6857) {
	.id = "GOKER-etcd/6857",
	.run = etcd6857_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "node_status", "chan send", 1 } },
	.note = "Status sends on the node loop's channel after Stop made the loop "
	        "exit. Forced: Stop completes first (Go: node.Status [chan send], "
	        "flaky)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(goker_etcd_6857_fixed) {
	.id = "GOKER-etcd/6857/fixed",
	.run = etcd6857_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "Status selects on n.done as well",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* etcd/6873 — Mixed / Channel & Lock                                   */
/* ------------------------------------------------------------------ */

struct watch_broadcasts {
	goro_mutex mu;
	goro_chan *updatec; /* int, capacity 1 */
	goro_chan *donec;   /* closed by the coalescer when updatec closes */
	int coalesced;      /* guarded by mu */
	bool unlock_before_wait; /* the fix */
	/* Test hook run by stop with mu held, before it closes updatec
	 * (etcd's code has testHook variables of this kind); may be NULL. */
	void (*stop_hook)(struct watch_broadcasts *wbs);
};

struct wbs_ref {
	struct watch_broadcasts *wbs;
};

/* Go: newWatchBroadcasts.func1, the coalescer. */
static void new_watch_broadcasts_func1(void *arg)
{
	struct watch_broadcasts *wbs = ((const struct wbs_ref *)arg)->wbs;
	int wb;

	goro_range(wbs->updatec, wb) {
		goro_mutex_lock(&wbs->mu);
		wbs->coalesced += wb;
		goro_mutex_unlock(&wbs->mu);
	}
	goro_chan_close(wbs->donec);
}

static struct watch_broadcasts *new_watch_broadcasts(void)
{
	struct watch_broadcasts *wbs = goro_new(struct watch_broadcasts);
	wbs->updatec = goro_chan_new(int, 1);
	wbs->donec = goro_chan_new(char, 0);
	goro_go(new_watch_broadcasts_func1, &(struct wbs_ref){ wbs });
	return wbs;
}

/* Go: watchBroadcasts.update: never blocks. */
static void watch_broadcasts_update(struct watch_broadcasts *wbs, int wb)
{
	goro_case cases[] = { GORO_SEND(wbs->updatec, &wb) };
	goro_select(cases, 1, true);
}

/* Go: watchBroadcasts.stop: waits for the coalescer with mu held. */
static void watch_broadcasts_stop(void *arg)
{
	struct watch_broadcasts *wbs = ((const struct wbs_ref *)arg)->wbs;

	goro_mutex_lock(&wbs->mu);
	if (wbs->stop_hook)
		wbs->stop_hook(wbs);
	goro_chan_close(wbs->updatec);
	if (wbs->unlock_before_wait) {
		goro_mutex_unlock(&wbs->mu);
		kernel_wait(wbs->donec);
		return;
	}
	kernel_wait(wbs->donec);
	goro_mutex_unlock(&wbs->mu);
}

/* forcing: the update lands while stop holds mu, so the coalescer meets
 * the lock after receiving it (Go: update, then `go stop()`, racing the
 * coalescer for mu). */
static void update_while_stopping(struct watch_broadcasts *wbs)
{
	watch_broadcasts_update(wbs, 1);
}

static void etcd6873_run(bool fixed)
{
	struct watch_broadcasts *wbs = new_watch_broadcasts();
	wbs->unlock_before_wait = fixed;
	wbs->stop_hook = update_while_stopping;
	goro_go(watch_broadcasts_stop, &(struct wbs_ref){ wbs });
}

static void etcd6873_case(void)
{
	etcd6873_run(false);
}

static void etcd6873_fixed_case(void)
{
	etcd6873_run(true);
}

CORPUS_CASE(goker_etcd_6873) {
	.id = "GOKER-etcd/6873",
	.run = etcd6873_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "watch_broadcasts_stop", "chan receive", 1 },
		{ "new_watch_broadcasts_func1", "sync.Mutex.Lock", 1 },
	},
	.note = "stop holds wbs.mu while waiting for the coalescer to finish, "
	        "and the coalescer needs wbs.mu for a pending update. Forced: a "
	        "test hook queues the update while stop holds mu (Go: "
	        "watchBroadcasts.stop [chan receive], newWatchBroadcasts.func1 "
	        "[Mutex.Lock], flaky)",
};

CORPUS_CASE(goker_etcd_6873_fixed) {
	.id = "GOKER-etcd/6873/fixed",
	.run = etcd6873_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "release wbs.mu before waiting on donec",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* etcd/7902 — Mixed / Channel & Lock                                   */
/* ------------------------------------------------------------------ */

struct election {
	goro_mutex mu;       /* doRounds' lock around validate and release */
	goro_mutex nextc_mu; /* guards nextc */
	goro_chan *nextc;    /* closed by the leader to start the next round */
};

struct round_client_args {
	struct election *e;
	bool leader;
	goro_waitgroup *wg;
};

static goro_chan *election_nextc(struct election *e)
{
	goro_mutex_lock(&e->nextc_mu);
	goro_chan *c = e->nextc;
	goro_mutex_unlock(&e->nextc_mu);
	return c;
}

/* The leader's validate ends the round: it closes nextc. */
static void round_validate(struct election *e, bool leader)
{
	if (!leader)
		return;
	goro_mutex_lock(&e->nextc_mu);
	goro_chan_close(e->nextc);
	e->nextc = goro_chan_new(char, 0);
	goro_mutex_unlock(&e->nextc_mu);
}

/* A follower's release waits for the round to end. */
static void round_release(bool leader, goro_chan *rc_nextc)
{
	if (!leader)
		kernel_wait(rc_nextc);
}

/* Go: doRounds.func1: one round client, validate and release under mu. */
static void do_rounds_func1(void *arg)
{
	const struct round_client_args *a = arg;
	goro_chan *rc_nextc = election_nextc(a->e);

	goro_mutex_lock(&a->e->mu);
	round_validate(a->e, a->leader);
	round_release(a->leader, rc_nextc);
	goro_mutex_unlock(&a->e->mu);
	goro_waitgroup_done(a->wg);
}

/* Go: runElectionFunc (doRounds inlined): a follower and a leader, one
 * round, then wait for both. */
static void run_election_func(void *arg)
{
	(void)arg;
	struct election *e = goro_new(struct election);
	goro_waitgroup *wg = goro_new(goro_waitgroup);

	e->nextc = goro_chan_new(char, 0);
	goro_waitgroup_add(wg, 2);
	goro_go(do_rounds_func1, &(struct round_client_args){ e, false, wg });
	/* forcing: the follower takes mu before the leader asks for it. */
	corpus_wait_mutex_held(&e->mu);
	goro_go(do_rounds_func1, &(struct round_client_args){ e, true, wg });
	goro_waitgroup_wait(wg);
}

static void etcd7902_case(void)
{
	goro_go0(run_election_func);
}

CORPUS_CASE(goker_etcd_7902) {
	.id = "GOKER-etcd/7902",
	.run = etcd7902_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "do_rounds_func1", "chan receive", 1 },
		{ "do_rounds_func1", "sync.Mutex.Lock", 1 },
		{ "run_election_func", "sync.WaitGroup.Wait", 1 },
	},
	.note = "a follower holds mu while waiting for the round to end; only "
	        "the leader can end it, and it needs mu. Forced: the follower "
	        "locks first (Go: doRounds.func1 [chan receive], doRounds.func1 "
	        "[Mutex.Lock], runElectionFunc [WaitGroup.Wait], flaky)",
};

/* ------------------------------------------------------------------ */
/* etcd/10492 — Resource / Double locking                               */
/* ------------------------------------------------------------------ */

struct lessor {
	goro_rwmutex mu;
	/* Go: le.cp, the checkpointer callback; may call back into le. */
	void (*checkpointer)(struct lessor *le);
	int checkpoints; /* guarded by mu */
};

/* Go: lessor.Checkpoint. */
static void lessor_checkpoint(struct lessor *le)
{
	goro_rwmutex_lock(&le->mu);
	le->checkpoints++;
	goro_rwmutex_unlock(&le->mu);
}

/* Go: lessor.Renew: runs the checkpointer with le.mu held. */
static void lessor_renew(struct lessor *le)
{
	goro_rwmutex_lock(&le->mu);
	if (le->checkpointer)
		le->checkpointer(le);
	goro_rwmutex_unlock(&le->mu);
}

static void etcd10492_func2(void *arg)
{
	(void)arg;
	struct lessor *le = goro_new(struct lessor);
	le->checkpointer = lessor_checkpoint;
	lessor_renew(le);
}

static void etcd10492_case(void)
{
	goro_go0(etcd10492_func2);
}

CORPUS_CASE(goker_etcd_10492) {
	.id = "GOKER-etcd/10492",
	.run = etcd10492_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "etcd10492_func2", CORPUS_RW_SECOND_WRITER, 1 } },
	.note = "Renew holds le.mu (RWMutex) and its checkpointer callback "
	        "Locks it again; the second writer waits on the inner Mutex (Go: "
	        "func2 [Mutex.Lock], deterministic)",
};
