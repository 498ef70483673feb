/*
 * goker_syncthing.c — GoBench GoKer blocking kernel syncthing/4829
 * (leak-corpus.md section 2): an RLock under the same RWMutex's Lock.
 */
#include "corpus.h"

/* Go: nat.Mapping. */
struct mapping {
	goro_rwmutex mut;
	int ext_addresses; /* guarded by mut */
	int notified;      /* guarded by mut */
};

/* Go: Mapping.notify: reads the addresses under mut.RLock. */
static void mapping_notify(struct mapping *m)
{
	goro_rwmutex_rlock(&m->mut);
	m->notified = m->ext_addresses;
	goro_rwmutex_runlock(&m->mut);
}

/* Go: Mapping.clearAddresses: notifies with mut locked for writing. */
static void mapping_clear_addresses(struct mapping *m)
{
	goro_rwmutex_lock(&m->mut);
	m->ext_addresses = 0;
	mapping_notify(m);
	goro_rwmutex_unlock(&m->mut);
}

static void syncthing4829_func2(void *arg)
{
	(void)arg;
	mapping_clear_addresses(goro_new(struct mapping));
}

static void syncthing4829_case(void)
{
	goro_go0(syncthing4829_func2);
}

CORPUS_CASE(goker_syncthing_4829) {
	.id = "GOKER-syncthing/4829",
	.run = syncthing4829_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "syncthing4829_func2", "sync.RWMutex.RLock", 1 } },
	.note = "clearAddresses holds m.mut.Lock and calls notify, which RLocks "
	        "it (Go: func2 [RWMutex.RLock], deterministic)",
};
