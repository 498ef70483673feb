/*
 * goker_hugo.c — GoBench GoKer blocking kernel hugo/3251 (leak-corpus.md
 * section 2): an AB-BA deadlock between an RWMutex and a Mutex.
 */
#include <string.h>

#include "corpus.h"
#include "probe.h"

enum { REMOTE_LOCK_URLS = 4, HUGO3251_WORKERS = 2 };

static const char hugo3251_url[] = "http://Foo.Bar/foo_Bar-Foo";

/* Go: remoteLock: one mutex per URL, in a map guarded by l.  (Go's kernel
 * keeps it in a package variable; here it is shared through the tracked
 * heap, so that the deadlock is visible to reachability.) */
struct remote_lock {
	goro_rwmutex l; /* guards urls, mus, n */
	const char *urls[REMOTE_LOCK_URLS];
	goro_mutex *mus[REMOTE_LOCK_URLS];
	int n;
};

/* Called with l held. */
static goro_mutex *remote_lock_find(struct remote_lock *rl, const char *url)
{
	for (int i = 0; i < rl->n; i++)
		if (strcmp(rl->urls[i], url) == 0)
			return rl->mus[i];
	return NULL;
}

/* Go: remoteLock.URLLock: locks the URL's mutex while holding l. */
static void remote_lock_url_lock(struct remote_lock *rl, const char *url)
{
	goro_rwmutex_lock(&rl->l);
	goro_mutex *mu = remote_lock_find(rl, url);
	if (!mu && rl->n < REMOTE_LOCK_URLS) {
		mu = goro_new(goro_mutex);
		rl->urls[rl->n] = url;
		rl->mus[rl->n++] = mu;
	}
	goro_mutex_lock(mu);
	goro_rwmutex_unlock(&rl->l);
}

/* Go: remoteLock.URLUnlock: needs l for reading. */
static void remote_lock_url_unlock(struct remote_lock *rl, const char *url)
{
	goro_rwmutex_rlock(&rl->l);
	goro_mutex *mu = remote_lock_find(rl, url);
	if (mu)
		goro_mutex_unlock(mu);
	goro_rwmutex_runlock(&rl->l);
}

struct hugo_worker_args {
	struct remote_lock *rl;
	goro_waitgroup *wg;
	void (*fetch)(struct remote_lock *rl); /* the work done under the URL lock */
};

/* Go: resGetRemote. */
static void res_get_remote(const struct hugo_worker_args *a)
{
	remote_lock_url_lock(a->rl, hugo3251_url);
	a->fetch(a->rl);
	remote_lock_url_unlock(a->rl, hugo3251_url);
}

/* A fetch that lasts until another worker holds l (forcing). */
static void fetch_until_writer(struct remote_lock *rl)
{
	corpus_wait_writer_pending(&rl->l);
}

static void fetch_at_once(struct remote_lock *rl)
{
	(void)rl;
}

/* Go: func2.1, one worker. */
static void hugo3251_func2_1(void *arg)
{
	const struct hugo_worker_args *a = arg;
	res_get_remote(a);
	goro_waitgroup_done(a->wg);
}

/* Go: func2: starts the workers and waits for them. */
static void hugo3251_func2(void *arg)
{
	(void)arg;
	struct remote_lock *rl = goro_new(struct remote_lock);
	goro_waitgroup *wg = goro_new(goro_waitgroup);

	/* The URL's mutex exists from an earlier request. */
	rl->urls[0] = hugo3251_url;
	rl->mus[0] = goro_new(goro_mutex);
	rl->n = 1;
	goro_waitgroup_add(wg, HUGO3251_WORKERS);
	/* forcing: the first worker holds the URL's mutex and fetches until
	 * the second holds l and waits for that mutex; then it needs l. */
	goro_go(hugo3251_func2_1, &(struct hugo_worker_args){ rl, wg, fetch_until_writer });
	corpus_wait_mutex_held(rl->mus[0]);
	goro_go(hugo3251_func2_1, &(struct hugo_worker_args){ rl, wg, fetch_at_once });
	goro_waitgroup_wait(wg);
}

static void hugo3251_case(void)
{
	goro_go0(hugo3251_func2);
}

CORPUS_CASE(goker_hugo_3251) {
	.id = "GOKER-hugo/3251",
	.run = hugo3251_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "hugo3251_func2", "sync.WaitGroup.Wait", 1 },
		{ "hugo3251_func2_1", "sync.Mutex.Lock", 1 },
		{ "hugo3251_func2_1", "sync.RWMutex.RLock", 1 },
	},
	.note = "URLLock locks the URL's mutex while holding l; a worker holding "
	        "the URL's mutex needs l.RLock to unlock it. Forced: 2 workers, "
	        "the second locks l while the first holds the URL (Go: 10x10 "
	        "workers, func2 [WaitGroup.Wait], func2.1 [Mutex.Lock], func2.1 "
	        "[RWMutex.RLock], flaky; GOLF 95%)",
};
