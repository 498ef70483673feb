/*
 * goker_serving.c — GoBench GoKer blocking kernel serving/2137
 * (leak-corpus.md section 2): a bounded channel and a lock, waited on in
 * the wrong order.
 */
#include "corpus.h"
#include "kernel.h"
#include "probe.h"

enum { SERVING2137_REQUESTS = 2 };

/* Go: queue.Breaker: tokens in two bounded channels. */
struct breaker {
	goro_chan *pending_requests; /* char, capacity queueDepth+maxConcurrency */
	goro_chan *active_requests;  /* char, capacity maxConcurrency */
};

/* A request whose work waits on a lock the test holds. */
struct request2137 {
	goro_mutex *lock;
	goro_chan *accepted; /* bool, capacity 1 */
};

static struct breaker *new_breaker(size_t queue_depth, size_t max_concurrency)
{
	struct breaker *b = goro_new(struct breaker);
	b->pending_requests = goro_chan_new(char, queue_depth + max_concurrency);
	b->active_requests = goro_chan_new(char, max_concurrency);
	return b;
}

/* Go: Breaker.Maybe: queue, wait for an active slot, run the thunk. */
static bool breaker_maybe(struct breaker *b, void (*thunk)(void *env), void *env)
{
	char token = 0;
	goro_case enqueue[] = { GORO_SEND(b->pending_requests, &token) };

	if (goro_select(enqueue, 1, true) == GORO_SELECT_DEFAULT)
		return false; /* overloaded */
	goro_chan_send(b->active_requests, &token);
	thunk(env);
	goro_chan_recv(b->active_requests, &token);
	goro_chan_recv(b->pending_requests, &token);
	return true;
}

static void request_thunk(void *env)
{
	struct request2137 *r = env;
	goro_mutex_lock(r->lock);
	goro_mutex_unlock(r->lock);
}

struct concurrent_request_args {
	struct breaker *b;
	struct request2137 *r;
	goro_waitgroup *start;
};

/* Go: Breaker.concurrentRequest.func1. */
static void breaker_concurrent_request_func1(void *arg)
{
	const struct concurrent_request_args *a = arg;
	goro_waitgroup_done(a->start);
	bool ok = breaker_maybe(a->b, request_thunk, a->r);
	goro_chan_send(a->r->accepted, &ok);
}

/* Go: Breaker.concurrentRequest: a request held on its locked lock. */
static struct request2137 *breaker_concurrent_request(struct breaker *b)
{
	struct request2137 *r = goro_new(struct request2137);
	goro_waitgroup *start = goro_new(goro_waitgroup);

	r->lock = goro_new(goro_mutex);
	r->accepted = goro_chan_new(bool, 1);
	goro_mutex_lock(r->lock);
	goro_waitgroup_add(start, 1);
	goro_go(breaker_concurrent_request_func1,
	        &(struct concurrent_request_args){ b, r, start });
	goro_waitgroup_wait(start);
	return r;
}

/* Go: func2: releases each request and waits for its verdict. */
static void serving2137_func2(void *arg)
{
	(void)arg;
	struct breaker *b = new_breaker(1, 1);
	struct request2137 *reqs[SERVING2137_REQUESTS];
	bool ok;

	reqs[0] = breaker_concurrent_request(b);
	/* forcing: the first request owns the only active slot before the
	 * second one exists (Go lets them race for it). */
	corpus_wait_chan_len(b->active_requests, 1);
	reqs[1] = breaker_concurrent_request(b);
	/* The request that is not active is released first: it is still
	 * queued behind the active one, which waits on its own lock. */
	for (int i = SERVING2137_REQUESTS - 1; i >= 0; i--) {
		goro_mutex_unlock(reqs[i]->lock);
		goro_chan_recv(reqs[i]->accepted, &ok);
	}
}

static void serving2137_case(void)
{
	goro_go0(serving2137_func2);
}

CORPUS_CASE(goker_serving_2137) {
	.id = "GOKER-serving/2137",
	.run = serving2137_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "breaker_concurrent_request_func1", "chan send", 1 },
		{ "breaker_concurrent_request_func1", "sync.Mutex.Lock", 1 },
		{ "serving2137_func2", "chan receive", 1 },
	},
	.note = "the active request waits on its lock, the queued one on the "
	        "full active channel, and the test waits for the queued one's "
	        "verdict before releasing the active one. Forced: request 0 takes "
	        "the slot, release order 1, 0 (Go: Breaker.concurrentRequest.func1 "
	        "[chan send], Breaker.concurrentRequest.func1 [Mutex.Lock], func2 "
	        "[chan receive], flaky)",
};
