/*
 * goker_kubernetes.c — GoBench GoKer blocking kernels from Kubernetes
 * (leak-corpus.md section 2).
 */
#include "corpus.h"
#include "kernel.h"
#include "probe.h"

/* ------------------------------------------------------------------ */
/* kubernetes/1321 — Mixed / Channel & Lock                             */
/* ------------------------------------------------------------------ */

enum { MUX_WATCHERS = 2 };

struct mux_watcher {
	goro_chan *result; /* int events, unbuffered */
};

/* Go: watch.Mux: distributes incoming events to its watchers. */
struct mux {
	goro_mutex lock; /* guards watchers, nwatchers */
	struct mux_watcher *watchers[MUX_WATCHERS];
	int nwatchers;
	goro_chan *incoming; /* int events, unbuffered */
};

struct mux_ref {
	struct mux *m;
};

/* Go: Mux.distribute: sends to every watcher with m.lock held. */
static void mux_distribute(struct mux *m, int event)
{
	goro_mutex_lock(&m->lock);
	for (int i = 0; i < m->nwatchers; i++)
		goro_chan_send(m->watchers[i]->result, &event);
	goro_mutex_unlock(&m->lock);
}

/* Go: NewMux.gowrap1 (`go m.loop()`). */
static void mux_loop(void *arg)
{
	struct mux *m = ((const struct mux_ref *)arg)->m;
	int event;

	goro_range(m->incoming, event)
		mux_distribute(m, event);
}

static struct mux *new_mux(void)
{
	struct mux *m = goro_new(struct mux);
	m->incoming = goro_chan_new(int, 0);
	goro_go(mux_loop, &(struct mux_ref){ m });
	return m;
}

static struct mux_watcher *mux_watch(struct mux *m)
{
	struct mux_watcher *w = goro_new(struct mux_watcher);
	w->result = goro_chan_new(int, 0);
	goro_mutex_lock(&m->lock);
	m->watchers[m->nwatchers++] = w;
	goro_mutex_unlock(&m->lock);
	return w;
}

/* Go: muxWatcher.Stop (stopWatching): needs m.lock to close w.result. */
static void mux_watcher_stop(struct mux *m, struct mux_watcher *w)
{
	goro_mutex_lock(&m->lock);
	for (int i = 0; i < m->nwatchers; i++) {
		if (m->watchers[i] == w) {
			m->watchers[i] = m->watchers[--m->nwatchers];
			goro_chan_close(w->result);
			break;
		}
	}
	goro_mutex_unlock(&m->lock);
}

/* Go: testMuxWatcherClose: stops a watcher without reading its events. */
static void test_mux_watcher_close(void *arg)
{
	(void)arg;
	struct mux *m = new_mux();
	struct mux_watcher *w = mux_watch(m);
	struct mux_watcher *w2 = mux_watch(m);
	const int event = 1;

	goro_chan_send(m->incoming, &event); /* Go: m.Action(...) */
	/* forcing: distribute holds m.lock (and waits on w.result) before
	 * Stop asks for it. */
	corpus_wait_mutex_held(&m->lock);
	mux_watcher_stop(m, w);
	mux_watcher_stop(m, w2);
}

static void kubernetes1321_case(void)
{
	goro_go0(test_mux_watcher_close);
}

CORPUS_CASE(goker_kubernetes_1321) {
	.id = "GOKER-kubernetes/1321",
	.run = kubernetes1321_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "mux_loop", "chan send", 1 },
		{ "test_mux_watcher_close", "sync.Mutex.Lock", 1 },
	},
	.note = "distribute sends to a watcher while holding m.lock; the watcher's "
	        "Stop needs m.lock to close its channel. Forced: Stop comes once "
	        "distribute holds the lock (Go: NewMux.gowrap1 [chan send], "
	        "testMuxWatcherClose [Mutex.Lock]; ported but not in Go's test "
	        "list because of a rare nil-deref race of the original)",
};

/* ------------------------------------------------------------------ */
/* kubernetes/5316 — Communication / Channel                            */
/* ------------------------------------------------------------------ */

struct request_fn_args {
	goro_chan *ch;     /* char: success */
	goro_chan *err_ch; /* int: the error */
	goro_chan *done_after_timeout; /* closed once finishRequest gave up */
	bool fail;
};

/* Go: finishRequest.func1: runs the request and reports its outcome. */
static void finish_request_func1(void *arg)
{
	const struct request_fn_args *a = arg;
	const int err = -1;

	/* The request's work outlasts the timeout (Go: it sleeps 2 ms
	 * against a 1 us timeout); here it lasts until finishRequest gave up,
	 * whatever the scheduling. */
	kernel_wait(a->done_after_timeout);
	if (a->fail)
		goro_chan_send(a->err_ch, &err);
	else
		kernel_signal(a->ch);
}

/* Go: finishRequest: waits for the result, an error or the timeout. */
static void finish_request(goro_duration timeout, size_t cap, goro_chan *slow)
{
	goro_chan *ch = goro_chan_new(char, cap);
	goro_chan *err_ch = goro_chan_new(int, cap);
	char ok;
	int err;
	int64_t at;

	goro_go(finish_request_func1,
	        &(struct request_fn_args){ ch, err_ch, slow, true });
	goro_case cases[] = {
		GORO_RECV(ch, &ok),
		GORO_RECV(err_ch, &err),
		GORO_RECV(goro_after(timeout), &at),
	};
	goro_select(cases, 3, false);
}

static void kubernetes5316_func2(void *arg)
{
	size_t cap = *(const size_t *)arg;
	goro_chan *slow = goro_chan_new(char, 0);

	finish_request(GORO_MICROSECOND, cap, slow);
	goro_chan_close(slow);
}

static void kubernetes5316_case(void)
{
	goro_go(kubernetes5316_func2, &(size_t){ 0 });
}

static void kubernetes5316_fixed_case(void)
{
	goro_go(kubernetes5316_func2, &(size_t){ 1 });
}

CORPUS_CASE(goker_kubernetes_5316) {
	.id = "GOKER-kubernetes/5316",
	.run = kubernetes5316_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "finish_request_func1", "chan send", 1 } },
	.note = "finishRequest times out and returns; the request goroutine then "
	        "sends its outcome on an unbuffered channel nobody reads (Go: "
	        "finishRequest.func1 [chan send], deterministic)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(goker_kubernetes_5316_fixed) {
	.id = "GOKER-kubernetes/5316/fixed",
	.run = kubernetes5316_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "result and error channels of capacity 1",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* kubernetes/11298 — Communication / Channel & Condition Variable      */
/* ------------------------------------------------------------------ */

struct notifier {
	goro_mutex lock;
	goro_cond cond; /* L = &lock */
	int notifications;
};

struct after_args {
	void (*f)(void *env);
	void *env;
	goro_chan *ch; /* closed when f returns */
};

/* Go: After.func1. */
static void after_func1(void *arg)
{
	const struct after_args *a = arg;
	a->f(a->env);
	goro_chan_close(a->ch);
}

/* Go: After(f): runs f on a goroutine; the channel closes when it returns. */
static goro_chan *after(void (*f)(void *env), void *env)
{
	goro_chan *ch = goro_chan_new(char, 0);
	goro_go(after_func1, &(struct after_args){ f, env, ch });
	return ch;
}

/* Go: n.cond.Wait, run through After while serviceLoop holds n.lock. */
static void notifier_wait(void *env)
{
	struct notifier *n = env;
	goro_cond_wait(&n->cond);
}

/* Go: notifier.Notify: needs n.lock to Signal. */
static void notifier_notify(struct notifier *n)
{
	goro_mutex_lock(&n->lock);
	n->notifications++;
	goro_cond_signal(&n->cond);
	goro_mutex_unlock(&n->lock);
}

/* Go: notifier.serviceLoop, one pass: holds n.lock and waits for a
 * notification through an After helper. */
static void notifier_service_loop(struct notifier *n)
{
	goro_mutex_lock(&n->lock);
	kernel_wait(after(notifier_wait, n));
	goro_mutex_unlock(&n->lock);
}

static void kubernetes11298_func2(void *arg)
{
	(void)arg;
	struct notifier *n = goro_new(struct notifier);

	goro_cond_init(&n->cond, goro_mutex_locker(&n->lock));
	/* forcing: the notification is signalled before anyone waits, so it
	 * is lost (Go loses it only when Notify wins the race for n.lock). */
	notifier_notify(n);
	notifier_service_loop(n);
}

static void kubernetes11298_case(void)
{
	goro_go0(kubernetes11298_func2);
}

CORPUS_CASE(goker_kubernetes_11298) {
	.id = "GOKER-kubernetes/11298",
	.run = kubernetes11298_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "after_func1", "sync.Cond.Wait", 1 },
		{ "kubernetes11298_func2", "chan receive", 1 },
	},
	.note = "a lost Signal: the Cond.Wait helper started by After never wakes "
	        "and the service loop waits on its channel. Reconstructed from "
	        "the catalog's description; forced: Notify runs first (Go: "
	        "After.func1 [chan receive], After.func1 [Cond.Wait], func2 "
	        "[chan receive], flaky)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* kubernetes/13135 — Resource / AB-BA deadlock                         */
/* ------------------------------------------------------------------ */

struct watch_cache {
	goro_rwmutex lock;
	int items; /* guarded by lock */
	void (*on_event)(void *env); /* called with lock held */
	void *env;
};

struct cacher {
	goro_mutex lock;
	int events; /* guarded by lock */
	struct watch_cache *wc;
};

struct cacher_ref {
	struct cacher *c;
};

/* Go: watchCache.Replace. */
static void watch_cache_replace(struct watch_cache *wc)
{
	goro_rwmutex_lock(&wc->lock);
	wc->items = 0;
	goro_rwmutex_unlock(&wc->lock);
}

/* Go: Cacher.startCaching: the cacher lock, then the watch cache lock. */
static void cacher_start_caching(struct cacher *c)
{
	goro_mutex_lock(&c->lock);
	/* forcing: Add holds the watch cache lock before Replace asks. */
	corpus_wait_rwmutex_held(&c->wc->lock);
	watch_cache_replace(c->wc);
	goro_mutex_unlock(&c->lock);
}

/* Go: cacher.processEvent, the watch cache's onEvent: needs the cacher
 * lock. */
static void cacher_process_event(void *env)
{
	struct cacher *c = env;
	/* forcing: startCaching holds the cacher lock before we ask. */
	corpus_wait_mutex_held(&c->lock);
	goro_mutex_lock(&c->lock);
	c->events++;
	goro_mutex_unlock(&c->lock);
}

/* Go: wait.Until running startCaching (reported as Util). */
static void util(void *arg)
{
	cacher_start_caching(((const struct cacher_ref *)arg)->c);
}

/* Go: watchCache.Add: the watch cache lock, then onEvent. */
static void watch_cache_add(void *arg)
{
	struct watch_cache *wc = ((const struct cacher_ref *)arg)->c->wc;

	goro_rwmutex_lock(&wc->lock);
	wc->items++;
	wc->on_event(wc->env);
	goro_rwmutex_unlock(&wc->lock);
}

static void kubernetes13135_case(void)
{
	struct cacher *c = goro_new(struct cacher);
	c->wc = goro_new(struct watch_cache);
	c->wc->on_event = cacher_process_event;
	c->wc->env = c;
	goro_go(util, &(struct cacher_ref){ c });
	goro_go(watch_cache_add, &(struct cacher_ref){ c });
}

CORPUS_CASE(goker_kubernetes_13135) {
	.id = "GOKER-kubernetes/13135",
	.run = kubernetes13135_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "util", CORPUS_RW_SECOND_WRITER, 1 },
		{ "watch_cache_add", "sync.Mutex.Lock", 1 },
	},
	.note = "AB-BA: startCaching takes the cacher lock then the watch cache's "
	        "(a second writer on its RWMutex); Add holds the watch cache's and "
	        "its onEvent callback needs the cacher's. Forced with try-lock "
	        "probes (Go: Util [Mutex.Lock], WatchCache.Add [Mutex.Lock], "
	        "flaky)",
};

/* ------------------------------------------------------------------ */
/* kubernetes/38669 — Communication / Channel                           */
/* ------------------------------------------------------------------ */

static const int init_events[] = { 1, 2 };

struct cache_watcher {
	goro_chan *input;  /* int, capacity 10 */
	goro_chan *result; /* int, unbuffered (chanSize 0) */
	goro_chan *done;   /* closed by stop */
	goro_mutex mu;     /* guards stopped */
	bool stopped;
};

struct cache_watcher_ref {
	struct cache_watcher *c;
};

/* Go: cacheWatcher.process: sends the initial events first, with plain
 * sends, before it watches its input. */
static void cache_watcher_process(void *arg)
{
	struct cache_watcher *c = ((const struct cache_watcher_ref *)arg)->c;
	int event;

	for (size_t i = 0; i < sizeof init_events / sizeof *init_events; i++)
		goro_chan_send(c->result, &init_events[i]);
	goro_range(c->input, event)
		goro_chan_send(c->result, &event);
	goro_chan_close(c->result);
}

/* Sends unless the watcher is stopped first. */
static bool cache_watcher_send(struct cache_watcher *c, int event)
{
	goro_case cases[] = {
		GORO_SEND(c->result, &event),
		GORO_RECV(c->done, NULL),
	};
	return goro_select(cases, 2, false) == 0;
}

static void fixed_cache_watcher_process(void *arg)
{
	struct cache_watcher *c = ((const struct cache_watcher_ref *)arg)->c;
	int event;

	for (size_t i = 0; i < sizeof init_events / sizeof *init_events; i++)
		if (!cache_watcher_send(c, init_events[i]))
			return;
	goro_range(c->input, event)
		if (!cache_watcher_send(c, event))
			return;
	goro_chan_close(c->result);
}

static void cache_watcher_stop(struct cache_watcher *c)
{
	goro_mutex_lock(&c->mu);
	if (!c->stopped) {
		c->stopped = true;
		goro_chan_close(c->done);
		goro_chan_close(c->input);
	}
	goro_mutex_unlock(&c->mu);
}

/* Go: newCacheWatcher, then the caller Stops it at once and never reads. */
static void kubernetes38669_run(goro_fn process)
{
	struct cache_watcher *c = goro_new(struct cache_watcher);
	c->input = goro_chan_new(int, 10);
	c->result = goro_chan_new(int, 0);
	c->done = goro_chan_new(char, 0);
	goro_go(process, &(struct cache_watcher_ref){ c });
	cache_watcher_stop(c);
}

static void kubernetes38669_case(void)
{
	kubernetes38669_run(cache_watcher_process);
}

static void kubernetes38669_fixed_case(void)
{
	kubernetes38669_run(fixed_cache_watcher_process);
}

CORPUS_CASE(goker_kubernetes_38669) {
	.id = "GOKER-kubernetes/38669",
	.run = kubernetes38669_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "cache_watcher_process", "chan send", 1 } },
	.note = "process sends the initial events on the unbuffered result "
	        "channel before watching for stop; the caller stops at once and "
	        "never reads (Go: cacheWatcher.process [chan send], "
	        "deterministic)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(goker_kubernetes_38669_fixed) {
	.id = "GOKER-kubernetes/38669/fixed",
	.run = kubernetes38669_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "every send selects on the stop channel too",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* kubernetes/58107 — Resource / RWR deadlock                           */
/* ------------------------------------------------------------------ */

/* Go: workqueue.Type, reduced to a counter. */
struct work_queue {
	goro_mutex mu;
	goro_cond cond; /* L = &mu; signalled by add */
	int len;        /* guarded by mu */
};

static struct work_queue *new_work_queue(int len)
{
	struct work_queue *q = goro_new(struct work_queue);
	goro_cond_init(&q->cond, goro_mutex_locker(&q->mu));
	q->len = len;
	return q;
}

static void work_queue_get(struct work_queue *q)
{
	goro_mutex_lock(&q->mu);
	while (q->len == 0)
		goro_cond_wait(&q->cond);
	q->len--;
	goro_mutex_unlock(&q->mu);
}

static void work_queue_add(struct work_queue *q)
{
	goro_mutex_lock(&q->mu);
	q->len++;
	goro_cond_signal(&q->cond);
	goro_mutex_unlock(&q->mu);
}

struct resource_quota_controller {
	goro_rwmutex worker_lock; /* read by workers, written by Sync */
	struct work_queue *queue;
	struct work_queue *missing_usage_queue; /* its work feeds queue */
};

struct rqc_worker_args {
	struct resource_quota_controller *rq;
	struct work_queue *from;
	struct work_queue *feeds; /* may be NULL */
};

/* Go: ResourceQuotaController.worker: takes an item with workerLock
 * read-held, blocking on an empty queue. */
static void resource_quota_controller_worker(void *arg)
{
	const struct rqc_worker_args *a = arg;

	for (;;) {
		goro_rwmutex_rlock(&a->rq->worker_lock);
		work_queue_get(a->from);
		if (a->feeds)
			work_queue_add(a->feeds);
		goro_rwmutex_runlock(&a->rq->worker_lock);
	}
}

struct rqc_ref {
	struct resource_quota_controller *rq;
};

/* Go: ResourceQuotaController.Sync: resyncs under workerLock. */
static void resource_quota_controller_sync(void *arg)
{
	struct resource_quota_controller *rq = ((const struct rqc_ref *)arg)->rq;
	goro_rwmutex_lock(&rq->worker_lock);
	goro_rwmutex_unlock(&rq->worker_lock);
}

static void kubernetes58107_case(void)
{
	struct resource_quota_controller *rq =
		goro_new(struct resource_quota_controller);
	rq->queue = new_work_queue(0);
	rq->missing_usage_queue = new_work_queue(1);

	goro_go(resource_quota_controller_worker,
	        &(struct rqc_worker_args){ rq, rq->queue, NULL });
	/* forcing: the first worker read-holds workerLock (and waits for
	 * work), then Sync asks for it, then the worker that would bring the
	 * work asks for a read lock. */
	corpus_wait_rwmutex_held(&rq->worker_lock);
	goro_go(resource_quota_controller_sync, &(struct rqc_ref){ rq });
	corpus_wait_writer_pending(&rq->worker_lock);
	goro_go(resource_quota_controller_worker,
	        &(struct rqc_worker_args){ rq, rq->missing_usage_queue, rq->queue });
}

CORPUS_CASE(goker_kubernetes_58107) {
	.id = "GOKER-kubernetes/58107",
	.run = kubernetes58107_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "resource_quota_controller_worker", "sync.Cond.Wait", 1 },
		{ "resource_quota_controller_worker", "sync.RWMutex.RLock", 1 },
		{ "resource_quota_controller_sync", "sync.RWMutex.Lock", 1 },
	},
	.note = "a worker waits for work in Cond.Wait with workerLock read-held; "
	        "Sync's Lock waits for it, and the worker that would feed the "
	        "queue blocks on RLock behind Sync (writer preference). Forced "
	        "with try-lock probes (Go: worker [Cond.Wait], worker "
	        "[RWMutex.RLock], Sync [RWMutex.Lock], flaky)",
};
