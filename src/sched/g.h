/*
 * g.h — the goroutine record (Go's g) and the waiter record (Go's sudog).
 *
 * Every detector reads these: the dumps print state, wait reason, waiting
 * time and creation site; synctest counts durably blocked goroutines; the
 * leak profile scans stacks from the saved sp and judges a blocked goroutine
 * by the objects in its waiter list.
 *
 * State machine (g->state):
 *
 *   G_RUNNABLE --(a worker switches to it)--> G_RUNNING
 *   G_RUNNING  --(goro__park)-------------> G_WAITING
 *   G_RUNNING  --(yield)------------------> G_RUNNABLE
 *   G_WAITING  --(goro__ready: a waker claimed it)--> G_RUNNABLE
 *   G_RUNNING  --(return / goro_exit)-----> G_DEAD   (record reused later)
 *   G_WAITING  --(synctest releases a leaked bubble)--> G_DEAD
 *
 * A waker sets G_RUNNABLE while it still holds the lock of the object the
 * goroutine waited on, before the goroutine is queued: a leak detector that
 * stops the world in between sees a runnable goroutine (a root), never a
 * "blocked" one whose wake-up is already decided.
 *
 * Ownership: the record lives at the top of the goroutine's own stack
 * mapping (goroutine 1 and the schedulers' g0 are static/worker records).
 * Only the home worker's thread runs a goroutine, so fields touched only by
 * the running goroutine need no lock; fields others read concurrently
 * (state, wait_reason, waiting) are written before the state change that
 * publishes them.
 */
#ifndef GORO_G_H
#define GORO_G_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

enum goro_gstate {
	G_IDLE = 0,  /* record not in use */
	G_RUNNABLE,  /* in a run queue (or about to be) */
	G_RUNNING,   /* executing on its worker */
	G_WAITING,   /* parked; wait_reason says on what */
	G_DEAD,      /* finished */
};

/* Go's waitReason strings, same order as goro__wait_reason_str. */
enum goro_wait_reason {
	WR_NONE = 0,
	WR_CHAN_SEND,          /* "chan send" */
	WR_CHAN_RECV,          /* "chan receive" */
	WR_SELECT,             /* "select" */
	WR_CHAN_SEND_NIL,      /* "chan send (nil chan)" */
	WR_CHAN_RECV_NIL,      /* "chan receive (nil chan)" */
	WR_SELECT_NO_CASES,    /* "select (no cases)" */
	WR_MUTEX,              /* "sync.Mutex.Lock" */
	WR_RWMUTEX_LOCK,       /* "sync.RWMutex.Lock" */
	WR_RWMUTEX_RLOCK,      /* "sync.RWMutex.RLock" */
	WR_WAITGROUP,          /* "sync.WaitGroup.Wait" */
	WR_COND,               /* "sync.Cond.Wait" */
	WR_SLEEP,              /* "sleep" */
	WR_IO,                 /* "IO wait" */
	WR_SYSCALL,            /* "syscall" */
	WR_SYNCTEST_WAIT,      /* "synctest.Wait" */
	WR_SYNCTEST_RUN,       /* "synctest.Run" */
	WR_COUNT
};

GORO_HIDDEN const char *goro__wait_reason_str(int reason);
/* Candidates of the leak profile: blocked on a channel or a sync object. */
GORO_HIDDEN bool goro__wait_reason_is_leak_candidate(int reason);

struct goro_g;
struct goro_worker;
struct goro_stack;
struct goro_bubble;
struct goro_spinlock;

/*
 * A goroutine's membership in one wait queue (Go's sudog).  It lives on the
 * waiting goroutine's stack: the goroutine is parked, so the frame is
 * stable until it resumes, and nothing is allocated per wait.
 * Protected by the lock of the object whose queue it is in.
 */
struct goro_waiter {
	struct goro_g *g;
	struct goro_waiter *next, *prev; /* links in the object's queue */
	struct goro_waiter *waitlink;    /* g's next waiter (select) */
	void *obj;                       /* channel or sync-object address */
	void *elem;                      /* value slot (channels) */
	int case_index;                  /* select: which case */
	bool is_select;                  /* wake needs the g->select_done claim */
	bool success;                    /* chan: value passed (false: closed) */
	bool in_queue;
	struct goro_waitq *q;            /* the queue it is (or was) in */
	struct goro_spinlock *qlock;     /* and the lock guarding that queue */
	uint32_t ticket;                 /* Cond's ticket / sema flags */
};

/* A FIFO of waiters, owned by one object and guarded by its lock. */
struct goro_waitq {
	struct goro_waiter *first, *last;
};

/* A call goro_exit makes on its way out (Go's defer, for the runtime's
 * own use: Once, wg.Go).  It lives in the frame that pushed it, which pops
 * it on a normal return; goro_exit runs the pushed ones, newest first,
 * while those frames are still intact below it. */
struct goro_exit_hook {
	struct goro_exit_hook *next;
	void (*fn)(void *arg);
	void *arg;
};

struct goro_g {
	void *sp;                  /* saved stack pointer while not running */
	struct goro_worker *w;     /* home worker once started (never changes) */
	struct goro_g *schedlink;  /* run-queue link */
	struct goro_g *schedprev;  /* newq only: the next newer (runq.h) */
	atomic_int inbox_depth;    /* inbox head: goroutines in the inbox (a hint) */
	_Atomic int state;         /* enum goro_gstate */
	uint8_t wait_reason;       /* enum goro_wait_reason while G_WAITING */
	bool started;
	bool foreign;              /* a non-worker thread parked via futex */
	atomic_bool on_cpu;        /* executing, or still saving its registers */
	bool durable;              /* synctest: this wait is durable */
	bool bubble_blocked;       /* counted in bubble->blocked (bubble lock) */
	bool leaked;               /* last leak profile found it leaked */
	int leak_index;            /* detector's index while the world is stopped */
	void *request_sp;          /* stw.h: GORO_REQUEST_BEGIN */
	_Atomic uint32_t select_done; /* claim for multi-source waits */
	int wake_status;           /* GORO_OK / GORO_TIMEDOUT / ... */
	struct goro_waiter *param; /* the waiter a waker chose (select) */
	atomic_uint foreign_wake;  /* futex word for foreign threads */

	void *arg;
	int64_t wait_since;        /* goro__nanotime() when it parked */
	struct goro_waiter *waiting; /* waiters while blocked (via waitlink) */
	struct goro_exit_hook *exit_hooks; /* run by goro_exit, newest first */

	/* Stack: usable [stack_lo, stack_hi); the record sits above stack_hi. */
	char *stack_lo, *stack_hi;
	struct goro_stack *stack;

	struct goro_bubble *bubble;
	uint32_t allg_slot;        /* its slot in the all-goroutines set (allg.c) */
	uint16_t allg_shard;

	void *tsan_fiber;          /* sanitizer bookkeeping */
	void *asan_fake_stack;
	unsigned valgrind_stack_id;

	/*
	 * Identity, fixed before the goroutine first runs.  Last, and outside
	 * the spawn's memset (GORO_G_IDENT): the monitor reads these of the
	 * goroutine holding a stalled worker without any lock (monitor.c), so
	 * spawn writes them with atomic stores and a reused record never sees
	 * a plain write racing with that read.
	 */
	int64_t id;
	int64_t parent_id;
	void *create_pc;           /* return address of the goro_go call */
	goro_fn fn;                /* start function */
	goro_fn user_fn;           /* the user's function a runtime wrapper runs */
	bool system;               /* started by the runtime for itself: hidden */
	bool is_g0;                /* a worker's scheduler context */
};

static inline void goro__exit_hook_push(struct goro_g *g, struct goro_exit_hook *h)
{
	h->next = g->exit_hooks;
	g->exit_hooks = h;
}

/* h must be the newest hook of g. */
static inline void goro__exit_hook_pop(struct goro_g *g, struct goro_exit_hook *h)
{
	g->exit_hooks = h->next;
}

/* Where the identity fields start (see struct goro_g). */
#define GORO_G_IDENT offsetof(struct goro_g, id)

#endif /* GORO_G_H */
