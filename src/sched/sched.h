/*
 * sched.h — workers, run queues, park and ready.
 *
 * M:N with pinning: GORO_MAXPROCS worker threads; worker 0 is the thread
 * that loaded goro (it runs goroutine 1, the program's main, on its own
 * stack).  A goroutine runs only on its home worker once started, because
 * C code caches thread-local addresses (errno, _Thread_local) across calls:
 * migrating in mid-function would write another thread's state.
 *
 * Queues of a worker w:
 *   runnext the goroutine w's running goroutine just spawned or readied
 *           (Go's runnext): it runs next, in the current time slice, so a
 *           parent that blocks runs its newest child at once (a tree of
 *           goroutines unfolds depth-first) and a hand-off over a channel
 *           goes straight to the receiver.  The one it displaces goes to
 *           the back of runq or newq.  A tagged pointer (runq.h): thieves
 *           may take it only while it holds a goroutine that never ran.
 *   runq    started goroutines ready to run.  Only w's thread touches it.
 *   inbox   started goroutines readied by other threads.  Lock-free LIFO
 *           push by anyone; w takes all at once (exchange), which is
 *           ABA-free.  Reversed into FIFO order.
 *   newq    not-yet-started goroutines of w (spawned here, handed here by
 *           a foreign thread, or stolen).  Spinlocked, because idle
 *           workers steal from it (a goroutine may move only before its
 *           first instruction).
 * So every goroutine that never ran is in runnext or a newq, and can be
 * handed to another worker; runq and inbox hold pinned goroutines only.
 *
 * Time slices (Go's inheritTime): w->tick counts every schedule, and every
 * FAIRNESS_TICK-th one looks at the inbox, the timers, newq and runq while
 * skipping runnext; a goroutine taken from runnext does not start a slice
 * of its own, so two goroutines handing a value back and forth through
 * runnext cannot starve the rest of the worker's queues.
 *
 * Sleeping: an idle worker blocks in epoll_wait on its own epoll set (its
 * eventfd for wake-ups, later its netpoller fds), with a timeout at its
 * earliest timer.  `sleeping` is the handshake: a waker that pushes work
 * and then sees sleeping==1 claims it (1 -> 0) and writes the eventfd; the
 * worker sets sleeping=1 *before* its last look at the queues, so a push
 * is never missed.
 *
 * Global deadlock: when the last worker goes idle with no runnable
 * goroutine, no pending timer, no I/O or offloaded call in flight and no
 * foreign thread able to call in, Go's "all goroutines are asleep" fires.
 * That check runs under sched.lock, which every idle transition takes.
 */
#ifndef GORO_SCHED_H
#define GORO_SCHED_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "sched/g.h"
#include "sched/spinlock.h"
#include "sched/stack.h"
#include "time/rtimer.h"
#include "trace/trace.h"

struct goro_gqueue {
	struct goro_g *head, *tail;
};

struct goro_worker {
	int id;
	pthread_t thread;
	pid_t tid;
	struct goro_g *curg;          /* what this thread is running */
	struct goro_g g0;             /* the scheduler context */
	_Atomic uintptr_t runnext;    /* a goroutine | RUNNEXT_NEW (runq.h) */
	struct goro_gqueue runq;      /* owner only */
	atomic_int runq_len;          /* written by the owner, read by the monitor */
	_Atomic(struct goro_g *) inbox;
	goro_spinlock newq_lock;
	struct goro_gqueue newq;      /* newq_lock */
	atomic_int newq_len;          /* written under newq_lock, read without */
	atomic_int sleeping;          /* 1 while (about to be) in epoll_wait */
	atomic_uint nswitch;          /* switches so far, for the monitor */
	int epfd, evfd;
	uint32_t tick;
	struct goro_stack_cache stacks;
	int64_t id_next, id_end;      /* ids reserved for goroutines started here */
	struct goro_g *dead;          /* exited goroutine whose stack to free */
	struct goro_g *prev;          /* what ran before the last switch */
	struct goro_timerheap timers;
	char *g0_stack;               /* worker 0 only: g0's own stack */
	size_t g0_stack_size;
	char *sigstack;               /* alternate signal stack (overflow report) */
	char *thread_stack_lo, *thread_stack_hi; /* native stack bounds */
	atomic_int busy;              /* 0 only while blocked in epoll (stw.c) */
	atomic_int stw_state;         /* stw.c: running / stopped / signaled */
	void *stw_sp;                 /* where it stopped */
	struct goro_g *stw_g;         /* whose stack that is (NULL: g0) */
	struct goro_regs stw_regs;    /* registers at a cooperative safe point */
	bool stw_signaled;
};

struct goro_sched {
	int nworkers;
	struct goro_worker *workers;
	pthread_mutex_t lock;         /* idle accounting, deadlock check */
	int nidle;
	atomic_long ngoroutines;      /* live goroutines, goroutine 1 included */
	atomic_llong next_id;
	atomic_long nio;              /* goroutines parked on I/O or offload */
	atomic_int nforeign;          /* foreign threads that may call in */
	atomic_bool main_exited;      /* goroutine 1 called goro_exit */
	atomic_uint spawn_rr;         /* round robin for foreign spawns */
	atomic_bool started;
};

GORO_HIDDEN extern struct goro_sched goro__sched;

/* The calling thread's worker (worker.c); NULL on a foreign thread. */
GORO_HIDDEN extern GORO_TLS struct goro_worker *goro__tls_w;

/* Inline: every channel operation and spawn asks. */
static inline struct goro_worker *goro__curw(void)
{
	return goro__tls_w;
}

GORO_HIDDEN struct goro_g *goro__getg_slow(void);
/* The calling goroutine (a foreign thread gets a record on first use). */
static inline struct goro_g *goro__getg(void)
{
	struct goro_worker *w = goro__tls_w;
	if (likely(w != NULL))
		return w->curg;
	return goro__getg_slow();
}
/* A token unique to the calling thread. */
GORO_HIDDEN void *goro__thread_token(void);
/* Starts the runtime if it is not running (constructor does it early). */
GORO_HIDDEN void goro__ensure_init(void);

/*
 * Parking protocol:
 *   lock(object); enqueue waiter; goro__set_waiting(g, reason);
 *   unlock(object); goro__park();
 * A waker, holding the object's lock, dequeues the waiter and calls
 * goro__ready(g) (it may also call it after unlocking, but must set the
 * state first: see g.h).  goro__park returns once readied.
 * Because only g's home worker ever runs g, a wake-up that lands between
 * unlock and park simply finds g in its own run queue: no lost wake-up,
 * no need to hand the unlock to the scheduler as Go does.
 */
GORO_HIDDEN void goro__set_waiting(struct goro_g *g, int reason);
GORO_HIDDEN void goro__park(void);
GORO_HIDDEN void goro__ready(struct goro_g *g);

/*
 * Readying many goroutines at once (close, Broadcast, a WaitGroup reaching
 * zero): goroutines of the same home worker collect in a chain that goes
 * to its inbox in one step (one atomic, at most one wake-up) once it holds
 * READYBATCH_CHAIN goroutines — soon enough that the other workers start
 * on theirs while the waker is still collecting — and at flush().
 * init(), add() in any order, then flush().
 */
enum { READYBATCH_SLOTS = 16, READYBATCH_CHAIN = 32 };
struct goro_readychain {
	struct goro_worker *home;
	struct goro_g *first, *last; /* newest first, linked by schedlink */
	int n;
};
struct goro_readybatch {
	uint32_t used;                                 /* slots holding a chain */
	struct goro_readychain slot[READYBATCH_SLOTS]; /* by home worker id */
};
static inline void goro__readybatch_init(struct goro_readybatch *b)
{
	b->used = 0; /* the slots are filled as they are used */
}
GORO_HIDDEN void goro__readybatch_add(struct goro_readybatch *b, struct goro_g *g);
GORO_HIDDEN void goro__readybatch_flush(struct goro_readybatch *b);

/* Waits until a goroutine that is not running any more has finished
 * switching away (its saved registers and stack are then stable). */
GORO_HIDDEN void goro__wait_off_cpu(struct goro_g *g);

/* Starts a goroutine; create_pc is the caller's return address. */
GORO_HIDDEN int64_t goro__spawn(goro_fn fn, const void *arg, size_t argsize,
                                size_t stack_size, void *create_pc);
GORO_HIDDEN int64_t goro__spawn_in(goro_fn fn, const void *arg, size_t argsize,
                                   struct goro_bubble *b, void *create_pc);
/* Everything a spawn can say. */
struct goro_spawn {
	goro_fn fn;
	const void *arg;
	size_t argsize;
	size_t stack_size;          /* 0: the default */
	struct goro_bubble *bubble;
	void *create_pc;            /* NULL: no "created by" (runtime-made) */
	goro_fn user_fn;            /* the user's function behind a wrapper */
	bool system;                /* runtime-internal (goro__spawn_system) */
};
GORO_HIDDEN int64_t goro__spawn_with(const struct goro_spawn *s);
GORO_HIDDEN int64_t goro__spawn_system(goro_fn fn, const void *arg, size_t argsize);
/* The function to name a goroutine by (the user's, behind wrappers). */
GORO_HIDDEN goro_fn goro__start_fn(const struct goro_g *g);
GORO_HIDDEN GORO_NORETURN void goro__g_exit(void);

/* Runs the worker's due timers (scheduler and slow paths). */
GORO_HIDDEN void goro__run_timers(struct goro_worker *w);
/* Wakes w if it sleeps (e.g. a new earliest timer). */
GORO_HIDDEN void goro__worker_wake(struct goro_worker *w);

/* Iterates all live goroutines (allg lock held during the walk). */
GORO_HIDDEN void goro__for_each_g(void (*fn)(struct goro_g *g, void *arg), void *arg);
/* Goroutine 1's record. */
GORO_HIDDEN struct goro_g *goro__main_g(void);

/* Hooks for later subsystems (NULL when absent). */
struct epoll_event;
GORO_HIDDEN extern void (*goro__netpoll_hook)(struct goro_worker *w,
                                              struct epoll_event *ev, int n);

/* Workers the monitor found stalled so far (monitor.c). */
GORO_HIDDEN long long goro__stall_count(void);

/* Fatal report of a global deadlock (Go's text), exits with status 2. */
GORO_HIDDEN GORO_NORETURN void goro__deadlock(const char *why);

#endif /* GORO_SCHED_H */
