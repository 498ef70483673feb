/*
 * goker_grpc.c — GoBench GoKer blocking kernel grpc/3017 (leak-corpus.md
 * section 2): a path that returns without unlocking.
 */
#include "corpus.h"
#include "kernel.h"

enum { GRPC3017_ROUNDS = 10 };

struct lb_cache_client_conn;

/* A SubConn waiting for its deletion timer (Go: subConnCacheEntry). */
struct sub_conn_entry {
	struct lb_cache_client_conn *ccc;
	int sc;
	goro_timer *timer;   /* the pending deletion (time.AfterFunc) */
	bool abort_deleting; /* guarded by ccc->mu */
	/* Forcing hooks: closed when the deletion callback starts / ends. */
	goro_chan *fired;
	goro_chan *finished;
};

/* Go: lbCacheClientConn, reduced to one address. */
struct lb_cache_client_conn {
	goro_mutex mu;
	struct sub_conn_entry *cached; /* the address's entry, guarded by mu */
	int next_sc;                   /* guarded by mu */
	bool unlock_on_abort;          /* the fix */
};

struct entry_ref {
	struct sub_conn_entry *entry;
};

/* The deletion.  The bug: when the entry was re-used meanwhile it returns
 * with ccc.mu still locked. */
static void sub_conn_entry_delete(struct sub_conn_entry *entry)
{
	struct lb_cache_client_conn *ccc = entry->ccc;

	goro_mutex_lock(&ccc->mu);
	if (entry->abort_deleting) {
		if (ccc->unlock_on_abort)
			goro_mutex_unlock(&ccc->mu);
		return;
	}
	ccc->cached = NULL;
	goro_mutex_unlock(&ccc->mu);
}

/* Go: lbCacheClientConn.RemoveSubConn.func1, the deletion timer's callback. */
static void lb_cache_client_conn_remove_sub_conn_func1(void *arg)
{
	struct sub_conn_entry *entry = ((const struct entry_ref *)arg)->entry;

	goro_chan_close(entry->fired);
	sub_conn_entry_delete(entry);
	goro_chan_close(entry->finished);
}

/* Go: entry.cancel: a deletion already running is told to give up. */
static void sub_conn_entry_cancel(struct sub_conn_entry *entry)
{
	if (!goro_timer_stop(entry->timer))
		entry->abort_deleting = true;
}

/* Go: lbCacheClientConn.NewSubConn: re-uses a cached SubConn. */
static int lb_cache_client_conn_new_sub_conn(struct lb_cache_client_conn *ccc)
{
	int sc;

	goro_mutex_lock(&ccc->mu);
	struct sub_conn_entry *entry = ccc->cached;
	if (entry) {
		/* forcing: the deletion timer fires while we hold mu, so Stop
		 * fails and the callback finds abort_deleting set (Go needs the
		 * 1 ns timer to fire in exactly this window). */
		kernel_wait(entry->fired);
		sub_conn_entry_cancel(entry);
		ccc->cached = NULL;
		sc = entry->sc;
	} else {
		sc = ++ccc->next_sc;
	}
	goro_mutex_unlock(&ccc->mu);
	/* forcing: the aborted deletion runs before the caller goes on, so
	 * it wins mu over the next RemoveSubConn. */
	if (entry)
		kernel_wait(entry->finished);
	return sc;
}

/* Go: lbCacheClientConn.RemoveSubConn: caches sc, deleting it later. */
static void lb_cache_client_conn_remove_sub_conn(struct lb_cache_client_conn *ccc,
                                                 int sc)
{
	goro_mutex_lock(&ccc->mu);
	if (ccc->cached) {
		goro_mutex_unlock(&ccc->mu);
		return;
	}
	struct sub_conn_entry *entry = goro_new(struct sub_conn_entry);
	entry->ccc = ccc;
	entry->sc = sc;
	entry->fired = goro_chan_new(char, 0);
	entry->finished = goro_chan_new(char, 0);
	ccc->cached = entry;
	entry->timer = goro_after_func(GORO_NANOSECOND,
	                               lb_cache_client_conn_remove_sub_conn_func1,
	                               &(struct entry_ref){ entry });
	goro_mutex_unlock(&ccc->mu);
}

struct grpc3017_args {
	struct lb_cache_client_conn *ccc;
	goro_chan *done;
	int sc;
};

static void grpc3017_func2_1(void *arg)
{
	const struct grpc3017_args *a = arg;
	int sc = a->sc;

	for (int i = 0; i < GRPC3017_ROUNDS; i++) {
		lb_cache_client_conn_remove_sub_conn(a->ccc, sc);
		sc = lb_cache_client_conn_new_sub_conn(a->ccc);
	}
	goro_chan_close(a->done);
}

static void grpc3017_func2(void *arg)
{
	bool fixed = *(const bool *)arg;
	struct lb_cache_client_conn *ccc = goro_new(struct lb_cache_client_conn);
	goro_chan *done = goro_chan_new(char, 0);

	ccc->unlock_on_abort = fixed;
	int sc = lb_cache_client_conn_new_sub_conn(ccc);
	goro_go(grpc3017_func2_1, &(struct grpc3017_args){ ccc, done, sc });
	kernel_wait(done);
}

static void grpc3017_case(void)
{
	goro_go(grpc3017_func2, &(bool){ false });
}

static void grpc3017_fixed_case(void)
{
	goro_go(grpc3017_func2, &(bool){ true });
}

CORPUS_CASE(goker_grpc_3017) {
	.id = "GOKER-grpc/3017",
	.run = grpc3017_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "grpc3017_func2", "chan receive", 1 },
		{ "grpc3017_func2_1", "sync.Mutex.Lock", 1 },
	},
	.note = "a deletion timer whose SubConn was re-used returns with ccc.mu "
	        "locked; the next RemoveSubConn blocks forever, and so does the "
	        "test waiting for it. Forced: NewSubConn waits for the timer to "
	        "fire while it holds mu, then lets that deletion finish (Go: func2 "
	        "[chan receive], func2.1 [Mutex.Lock], RemoveSubConn.func1 "
	        "[Mutex.Lock], flaky; GOLF 75%)",
};

CORPUS_CASE(goker_grpc_3017_fixed) {
	.id = "GOKER-grpc/3017/fixed",
	.run = grpc3017_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "the callback unlocks before returning on abort",
	.flags = CORPUS_SYNCTEST,
};
