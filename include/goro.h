/*
 * goro.h — Go's concurrency model for C, with goroutine-leak detection.
 *
 * goroutines on an M:N scheduler, channels, select, sync, time and context,
 * plus the three leak detectors of Go: goleak-style checks, synctest bubbles
 * and the GC-style goroutineleak profile.
 *
 * Conventions
 *   - Every public symbol is prefixed goro_ / GORO_.
 *   - Durations and instants are int64_t nanoseconds (goro_duration).
 *   - Calls that can give up return an int status (enum goro_status).
 *   - Misuse that Go answers with a panic (send on a closed channel, unlock
 *     of an unlocked mutex, ...) prints Go's message and the goroutine's
 *     stack, then aborts the process.
 *   - sync objects (goro_mutex, goro_rwmutex, goro_waitgroup, goro_cond,
 *     goro_once) work zero-initialised, like Go's: embed them anywhere.
 *
 * Threads: the runtime starts on the first goro call; the thread making it
 * (normally the program's main thread) becomes worker 0 and runs goroutine
 * 1 on its own stack; GORO_MAXPROCS worker threads run the rest.  A
 * goroutine never moves to another OS thread once started.  Other pthreads
 * may call goro too: they may start goroutines and use every call; a
 * blocking call there blocks that whole thread (like a cgo thread calling
 * into Go).  The thread that made the first call must live as long as goro
 * is used (it hosts worker 0: normally main's thread).  Such a thread
 * counts as able to wake goroutines (which keeps
 * the global deadlock report away) from its first goro call on: a thread
 * that will send to a goroutine later should make one early (goro_id()).
 */
#ifndef GORO_H
#define GORO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GORO_API __attribute__((visibility("default")))
/* A function that never returns: C11's _Noreturn, the standard attribute
 * in C++ (and C23).  It leads the declaration: [[...]] must. */
#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 202311L)
#define GORO_NORETURN [[noreturn]]
#else
#define GORO_NORETURN _Noreturn
#endif

#define GORO_VERSION_MAJOR 0
#define GORO_VERSION_MINOR 1

/* ------------------------------------------------------------------ */
/* Status codes                                                        */
/* ------------------------------------------------------------------ */

enum goro_status {
	GORO_OK = 0,
	GORO_CLOSED = 1,            /* receive: channel closed and drained */
	GORO_WOULDBLOCK = 2,        /* try-call: the operation would block */
	GORO_TIMEDOUT = 3,          /* an _until call reached its deadline */
	GORO_CANCELED = 4,          /* context canceled ("context canceled") */
	GORO_DEADLINE_EXCEEDED = 5, /* context deadline exceeded */
};

/* Go's text for a status ("context canceled", ...). Never NULL. */
GORO_API const char *goro_strerror(int status);

/* ------------------------------------------------------------------ */
/* Time units                                                          */
/* ------------------------------------------------------------------ */

typedef int64_t goro_duration;

#define GORO_NANOSECOND ((goro_duration)1)
#define GORO_MICROSECOND ((goro_duration)1000)
#define GORO_MILLISECOND ((goro_duration)1000000)
#define GORO_SECOND ((goro_duration)1000000000)
#define GORO_MINUTE (60 * GORO_SECOND)
#define GORO_HOUR (60 * GORO_MINUTE)

/* ------------------------------------------------------------------ */
/* Goroutines                                                          */
/* ------------------------------------------------------------------ */

typedef void (*goro_fn)(void *arg);

/*
 * goro_go(fn, &args) starts fn in a new goroutine and returns its id.
 * (The macros taking an argument object are variadic only so that a
 * compound literal's commas pass through the preprocessor.)
 * The object args points to is COPIED onto the new goroutine's stack and fn
 * receives a pointer to that copy, so nothing the parent drops stays alive
 * on its behalf (the leak detector judges reachability).  A compound
 * literal is the idiom:
 *
 *     goro_go(worker, &(struct work){ .ch = ch, .n = 3 });
 *
 * goro_go0(fn) starts fn(NULL).  The argument object may take up to a
 * quarter of the stack (16 KiB by default); larger ones panic.
 */
#ifndef __cplusplus /* C++: the templates at the end of this file */
#define goro_go(fn, ...) goro_go_((fn), (__VA_ARGS__), sizeof *(__VA_ARGS__))
#endif
#define goro_go0(fn) goro_go_((fn), NULL, 0)
GORO_API int64_t goro_go_(goro_fn fn, const void *arg, size_t argsize);

typedef struct goro_go_options {
	size_t stack_size; /* 0: the default (GORO_STACK_SIZE or 64 KiB) */
} goro_go_options;

GORO_API int64_t goro_go_opts(goro_fn fn, const void *arg, size_t argsize,
                              const goro_go_options *opts);

GORO_API int64_t goro_id(void);            /* current goroutine's id */
GORO_API int goro_num_goroutine(void);     /* runtime.NumGoroutine() */
GORO_API void goro_yield(void);            /* runtime.Gosched() */
GORO_NORETURN GORO_API void goro_exit(void);   /* runtime.Goexit() */
GORO_API int goro_maxprocs(void);          /* number of worker threads */

/* Go's panic: prints "panic: <msg>" and the stack, then aborts. */
GORO_NORETURN GORO_API void goro_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------------ */
/* Channels                                                            */
/* ------------------------------------------------------------------ */

/* A channel is a pointer, like Go's chan. NULL is the nil channel. */
typedef struct goro_chan goro_chan;

GORO_API goro_chan *goro_chan_make(size_t elemsize, size_t cap);
#define goro_chan_new(T, cap) goro_chan_make(sizeof(T), (cap))
/* Frees a channel nobody uses any more; panics if goroutines wait on it. */
GORO_API void goro_chan_free(goro_chan *c);

GORO_API void goro_chan_send(goro_chan *c, const void *elem);
/* Returns Go's ok: false when c is closed and drained (elem is zeroed). */
GORO_API bool goro_chan_recv(goro_chan *c, void *elem);
GORO_API void goro_chan_close(goro_chan *c);
GORO_API size_t goro_chan_len(goro_chan *c);
GORO_API size_t goro_chan_cap(goro_chan *c);
GORO_API size_t goro_chan_elemsize(goro_chan *c);

/* Non-blocking: GORO_OK or GORO_WOULDBLOCK (try-recv also GORO_CLOSED). */
GORO_API int goro_chan_trysend(goro_chan *c, const void *elem);
GORO_API int goro_chan_tryrecv(goro_chan *c, void *elem);

/* Typed helpers: goro_send(ch, 42) checks the element size. */
#ifndef __cplusplus
#define goro_send(c, v)                                                   \
	__extension__({                                                   \
		__typeof__(v) goro_send_tmp_ = (v);                       \
		goro_chan_send_sized_((c), &goro_send_tmp_, sizeof goro_send_tmp_); \
	})
#endif
GORO_API void goro_chan_send_sized_(goro_chan *c, const void *elem, size_t n);

/* for v := range ch:   goro_range(ch, v) { ... }   (v an lvalue) */
#define goro_range(c, var) while (goro_chan_recv((c), &(var)))

/* ------------------------------------------------------------------ */
/* select                                                              */
/* ------------------------------------------------------------------ */

enum { GORO_CASE_RECV = 0, GORO_CASE_SEND = 1 };

typedef struct goro_case {
	goro_chan *chan; /* NULL: a case that is never ready */
	int dir;         /* GORO_CASE_RECV or GORO_CASE_SEND */
	void *elem;      /* value to send / where to receive (may be NULL) */
	bool ok;         /* receive: Go's ok, set when this case is chosen */
} goro_case;

#ifndef __cplusplus
#define GORO_RECV(c, p) ((goro_case){ .chan = (c), .dir = GORO_CASE_RECV, .elem = (p) })
#define GORO_SEND(c, p) ((goro_case){ .chan = (c), .dir = GORO_CASE_SEND, .elem = (void *)(p) })
#endif

enum {
	GORO_SELECT_DEFAULT = -1,  /* no case ready and has_default */
	GORO_SELECT_TIMEDOUT = -2, /* _until: the deadline passed */
	GORO_SELECT_CANCELED = -3, /* _ctx: the context is done */
};

/*
 * Blocks until one case can proceed and runs it; returns its index.  Among
 * several ready cases one is chosen uniformly at random, as in Go.  With
 * has_default, returns GORO_SELECT_DEFAULT instead of blocking.  n == 0
 * without default blocks forever (Go's select {}).
 */
GORO_API int goro_select(goro_case *cases, int n, bool has_default);

/* ------------------------------------------------------------------ */
/* Instants and deadlines                                              */
/* ------------------------------------------------------------------ */

/* Monotonic instant in ns. Inside a synctest bubble: the fake clock. */
GORO_API int64_t goro_now(void);
/* Wall clock, ns since the Unix epoch (fake inside a bubble, from
 * 2000-01-01 00:00:00 UTC). */
GORO_API int64_t goro_walltime(void);
GORO_API goro_duration goro_since(int64_t t);

/* ------------------------------------------------------------------ */
/* context                                                             */
/* ------------------------------------------------------------------ */

/*
 * Contexts are reference counted: a goro_with_* call returns one reference
 * owned by the caller; goro_ctx_release drops it (and cancels the context
 * when it was the last).  goro_background() is never freed.
 */
typedef struct goro_ctx goro_ctx;

GORO_API goro_ctx *goro_background(void);
GORO_API goro_ctx *goro_todo(void);
GORO_API goro_ctx *goro_with_cancel(goro_ctx *parent);
GORO_API goro_ctx *goro_with_deadline(goro_ctx *parent, int64_t deadline);
GORO_API goro_ctx *goro_with_timeout(goro_ctx *parent, goro_duration d);
GORO_API goro_ctx *goro_with_value(goro_ctx *parent, const void *key, void *val);
/* Go's cancel(): cancels ctx and its descendants (GORO_CANCELED). */
GORO_API void goro_cancel(goro_ctx *ctx);
/* Go's CancelCauseFunc: cause is any nonzero code of yours. */
GORO_API void goro_cancel_cause(goro_ctx *ctx, int cause);
GORO_API goro_ctx *goro_ctx_retain(goro_ctx *ctx);
GORO_API void goro_ctx_release(goro_ctx *ctx);

/* The Done channel (NULL for a context that is never done, like Go's nil). */
GORO_API goro_chan *goro_ctx_done(goro_ctx *ctx);
/* 0, GORO_CANCELED or GORO_DEADLINE_EXCEEDED. */
GORO_API int goro_ctx_err(goro_ctx *ctx);
/* context.Cause: the code given to goro_cancel_cause, else goro_ctx_err. */
GORO_API int goro_ctx_cause(goro_ctx *ctx);
GORO_API bool goro_ctx_deadline(goro_ctx *ctx, int64_t *deadline);
GORO_API void *goro_ctx_value(goro_ctx *ctx, const void *key);

/* ---- context additions (issue 13) -------------------------------- */
/* context.WithoutCancel: a context with parent's values that is never
 * canceled and has no deadline (Done NULL, Err 0), whatever parent does. */
GORO_API goro_ctx *goro_without_cancel(goro_ctx *parent);
/* context.WithDeadlineCause / WithTimeoutCause: when the deadline passes,
 * Err is GORO_DEADLINE_EXCEEDED and Cause is cause (nonzero; 0 means none). */
GORO_API goro_ctx *goro_with_deadline_cause(goro_ctx *parent, int64_t deadline, int cause);
GORO_API goro_ctx *goro_with_timeout_cause(goro_ctx *parent, goro_duration d, int cause);
/* ---- end of context additions ------------------------------------ */

/* context.AfterFunc: runs fn(copy of arg) in its own goroutine once ctx
 * is done.  goro_ctx_after_func_stop reports whether it stopped it.  The
 * returned record stays valid (it is never freed: stop may be called at
 * any time, as Go allows). */
typedef struct goro_ctx_afterfunc goro_ctx_afterfunc;
#ifndef __cplusplus
#define goro_ctx_after_func(ctx, fn, ...) \
	goro_ctx_after_func_((ctx), (fn), (__VA_ARGS__), sizeof *(__VA_ARGS__))
#endif
GORO_API goro_ctx_afterfunc *goro_ctx_after_func_(goro_ctx *ctx, goro_fn fn,
                                                  const void *arg, size_t argsize);
GORO_API bool goro_ctx_after_func_stop(goro_ctx_afterfunc *af);

/* ------------------------------------------------------------------ */
/* Deadline and context variants of every blocking call                */
/* ------------------------------------------------------------------ */
/* _until(..., deadline): GORO_TIMEDOUT once goro_now() >= deadline.     */
/* _ctx(..., ctx): goro_ctx_err(ctx) once ctx is done.                  */

GORO_API int goro_chan_send_until(goro_chan *c, const void *elem, int64_t deadline);
GORO_API int goro_chan_recv_until(goro_chan *c, void *elem, int64_t deadline);
GORO_API int goro_chan_send_ctx(goro_chan *c, const void *elem, goro_ctx *ctx);
GORO_API int goro_chan_recv_ctx(goro_chan *c, void *elem, goro_ctx *ctx);
GORO_API int goro_select_until(goro_case *cases, int n, int64_t deadline);
GORO_API int goro_select_ctx(goro_case *cases, int n, goro_ctx *ctx);

/* ------------------------------------------------------------------ */
/* sync                                                                */
/* ------------------------------------------------------------------ */

/* Not reentrant; fair under contention (Go's starvation mode). */
typedef struct goro_mutex {
	uint32_t state;
	uint32_t sema;
} goro_mutex;

GORO_API void goro_mutex_lock(goro_mutex *m);
GORO_API bool goro_mutex_trylock(goro_mutex *m);
GORO_API void goro_mutex_unlock(goro_mutex *m);
GORO_API int goro_mutex_lock_until(goro_mutex *m, int64_t deadline);
GORO_API int goro_mutex_lock_ctx(goro_mutex *m, goro_ctx *ctx);

/* Writer-preferring: a pending Lock blocks new RLock calls. */
typedef struct goro_rwmutex {
	uint32_t state; /* writer | writer pending | readers pending | readers */
	uint32_t pad_;
} goro_rwmutex;

GORO_API void goro_rwmutex_lock(goro_rwmutex *rw);
GORO_API bool goro_rwmutex_trylock(goro_rwmutex *rw);
GORO_API void goro_rwmutex_unlock(goro_rwmutex *rw);
GORO_API void goro_rwmutex_rlock(goro_rwmutex *rw);
GORO_API bool goro_rwmutex_tryrlock(goro_rwmutex *rw);
GORO_API void goro_rwmutex_runlock(goro_rwmutex *rw);
GORO_API int goro_rwmutex_lock_until(goro_rwmutex *rw, int64_t deadline);
GORO_API int goro_rwmutex_rlock_until(goro_rwmutex *rw, int64_t deadline);
GORO_API int goro_rwmutex_lock_ctx(goro_rwmutex *rw, goro_ctx *ctx);
GORO_API int goro_rwmutex_rlock_ctx(goro_rwmutex *rw, goro_ctx *ctx);

/* Go's sync.Locker: what a Cond locks. */
typedef struct goro_locker {
	void (*lock)(void *obj);
	void (*unlock)(void *obj);
	void *obj;
} goro_locker;

GORO_API goro_locker goro_mutex_locker(goro_mutex *m);
GORO_API goro_locker goro_rwmutex_locker(goro_rwmutex *rw);  /* Lock/Unlock */
GORO_API goro_locker goro_rwmutex_rlocker(goro_rwmutex *rw); /* RLock/RUnlock */

typedef struct goro_waitgroup {
	uint64_t state; /* counter << 32 | waiters */
	uint32_t sema;
	uint32_t bubble; /* synctest bubble id after the first Add, else 0 */
} goro_waitgroup;

GORO_API void goro_waitgroup_add(goro_waitgroup *wg, int delta);
GORO_API void goro_waitgroup_done(goro_waitgroup *wg);
GORO_API void goro_waitgroup_wait(goro_waitgroup *wg);
GORO_API int goro_waitgroup_wait_until(goro_waitgroup *wg, int64_t deadline);
GORO_API int goro_waitgroup_wait_ctx(goro_waitgroup *wg, goro_ctx *ctx);
/* Go 1.25's wg.Go(f): Add(1), start fn(copy of args), Done when it returns. */
#ifndef __cplusplus
#define goro_waitgroup_go(wg, fn, ...) \
	goro_waitgroup_go_((wg), (fn), (__VA_ARGS__), sizeof *(__VA_ARGS__))
#endif
GORO_API int64_t goro_waitgroup_go_(goro_waitgroup *wg, goro_fn fn,
                                    const void *arg, size_t argsize);

/* sync.Cond; set L before use (goro_cond_init or c.L = ...). */
typedef struct goro_cond {
	goro_locker L;
} goro_cond;

GORO_API void goro_cond_init(goro_cond *c, goro_locker L);
GORO_API void goro_cond_wait(goro_cond *c);
GORO_API int goro_cond_wait_until(goro_cond *c, int64_t deadline);
GORO_API int goro_cond_wait_ctx(goro_cond *c, goro_ctx *ctx);
GORO_API void goro_cond_signal(goro_cond *c);
GORO_API void goro_cond_broadcast(goro_cond *c);

typedef struct goro_once {
	uint32_t done;
	uint32_t pad_;
	goro_mutex m;
} goro_once;

GORO_API void goro_once_do(goro_once *o, goro_fn fn, void *arg);

/* ---- sync: OnceFunc, OnceValue(s), Pool, Map ---------------------- */

/*
 * sync.OnceFunc / OnceValue / OnceValues: fn runs once, on the first call;
 * every call returns what that one returned.  Embeddable, no allocation:
 *
 *     static goro_once_value config = GORO_ONCE_VALUE(load_config, "app.toml");
 *     struct config *c = goro_once_value_get(&config);
 *
 * After the first call the wrapper forgets fn and arg (Go drops f).
 * OnceValues' second result is an int error code (Go's (T, error)).
 */
typedef struct goro_once_func {
	goro_fn fn;
	void *arg;
	goro_once once_;
} goro_once_func;
typedef struct goro_once_value {
	void *(*fn)(void *arg);
	void *arg;
	void *value_;
	goro_once once_;
} goro_once_value;
typedef struct goro_once_values {
	void *(*fn)(void *arg, int *err);
	void *arg;
	void *value_;
	int err_;
	goro_once once_;
} goro_once_values;
#define GORO_ONCE_FUNC(f, a) ((goro_once_func){ .fn = (f), .arg = (a) })
#define GORO_ONCE_VALUE(f, a) ((goro_once_value){ .fn = (f), .arg = (a) })
#define GORO_ONCE_VALUES(f, a) ((goro_once_values){ .fn = (f), .arg = (a) })
GORO_API void goro_once_func_call(goro_once_func *f);
GORO_API void *goro_once_value_get(goro_once_value *v);
GORO_API void *goro_once_values_get(goro_once_values *v, int *err);

/*
 * sync.Pool: a per-worker cache of interchangeable objects.  Zero is an
 * empty pool; new_fn (Go's New) makes an object when the pool is empty
 * (without it, get returns NULL).  Put(NULL) does nothing.  Unlike Go's,
 * a goro_pool never drops objects on its own (no collector would free
 * them): goro_pool_destroy hands every cached object to release (may be
 * NULL) and empties the pool; it must not race with get or put.
 */
typedef struct goro_pool {
	void *(*new_fn)(void *arg);
	void *new_arg;
	void *locals_;
} goro_pool;
GORO_API void *goro_pool_get(goro_pool *p);
GORO_API void goro_pool_put(goro_pool *p, void *x);
GORO_API void goro_pool_destroy(goro_pool *p, void (*release)(void *x));

/*
 * sync.Map: a concurrent map of void * keys to void * values, built for
 * read-mostly use (Go's read-only + dirty maps: loads of existing keys
 * take no lock).  Keys compare by address unless hash and equal are set
 * (goro_map_hash_string / goro_map_equal_string for C strings).  Keys and
 * values are the caller's: the map stores the pointers.  NULL is a valid
 * value.  Zero (or the two functions set) is an empty map; goro_map_destroy
 * frees its storage (no call may race with it).
 */
typedef struct goro_map {
	uint64_t (*hash)(const void *key);
	bool (*equal)(const void *a, const void *b);
	void *impl_;
} goro_map;
GORO_API uint64_t goro_map_hash_string(const void *key);
GORO_API bool goro_map_equal_string(const void *a, const void *b);
/* Load: true and *value (may be NULL) if key is present. */
GORO_API bool goro_map_load(goro_map *m, const void *key, void **value);
GORO_API void goro_map_store(goro_map *m, const void *key, void *value);
/* LoadOrStore: true (loaded) and *actual = the existing value, else stores
 * value and *actual = value. */
GORO_API bool goro_map_load_or_store(goro_map *m, const void *key, void *value,
                                     void **actual);
GORO_API bool goro_map_load_and_delete(goro_map *m, const void *key, void **value);
GORO_API void goro_map_delete(goro_map *m, const void *key);
/* Swap: stores value; true and *previous if the key was present. */
GORO_API bool goro_map_swap(goro_map *m, const void *key, void *value, void **previous);
/* CompareAndSwap / CompareAndDelete: values compare as pointers. */
GORO_API bool goro_map_compare_and_swap(goro_map *m, const void *key, void *old,
                                        void *new_value);
GORO_API bool goro_map_compare_and_delete(goro_map *m, const void *key, void *old);
/* Range: calls fn for each key until it returns false (Go's rules: no
 * snapshot; fn may call any map function). */
GORO_API void goro_map_range(goro_map *m, bool (*fn)(const void *key, void *value, void *arg),
                             void *arg);
GORO_API void goro_map_clear(goro_map *m);
GORO_API void goro_map_destroy(goro_map *m);
/* ---- end of sync additions ---------------------------------------- */

/* ------------------------------------------------------------------ */
/* time                                                                */
/* ------------------------------------------------------------------ */

GORO_API void goro_sleep(goro_duration d);

/*
 * time.Timer with Go 1.23 semantics: its channel (element: int64_t, the
 * instant it fired) never yields a stale value after Stop or Reset.
 */
typedef struct goro_timer goro_timer;

GORO_API goro_timer *goro_timer_new(goro_duration d);
GORO_API goro_chan *goro_timer_chan(goro_timer *t);
GORO_API bool goro_timer_stop(goro_timer *t);
GORO_API bool goro_timer_reset(goro_timer *t, goro_duration d);
GORO_API void goro_timer_free(goro_timer *t);

/* time.After: a channel that receives the instant once, after d.  The
 * channel and its timer are never freed (the caller may read the channel at
 * any time, and C has no collector): in long-running loops prefer
 * goro_timer_new + goro_timer_free, or the _until calls. */
GORO_API goro_chan *goro_after(goro_duration d);

/* time.AfterFunc: runs fn(copy of args) in its own goroutine after d. */
#ifndef __cplusplus
#define goro_after_func(d, fn, ...) \
	goro_after_func_((d), (fn), (__VA_ARGS__), sizeof *(__VA_ARGS__))
#endif
GORO_API goro_timer *goro_after_func_(goro_duration d, goro_fn fn,
                                      const void *arg, size_t argsize);

typedef struct goro_ticker goro_ticker;

GORO_API goro_ticker *goro_ticker_new(goro_duration d);
GORO_API goro_chan *goro_ticker_chan(goro_ticker *t);
GORO_API void goro_ticker_stop(goro_ticker *t);
GORO_API void goro_ticker_reset(goro_ticker *t, goro_duration d);
GORO_API void goro_ticker_free(goro_ticker *t);

/* ---- time.Tick (issue 13) ---------------------------------------- */
/* time.Tick: goro_ticker_new(d)'s channel, or NULL (Go's nil channel) when
 * d <= 0.  The ticker is never freed (no collector): for tickers a program
 * keeps forever; elsewhere use goro_ticker_new and goro_ticker_free. */
GORO_API goro_chan *goro_tick(goro_duration d);
/* ---- end of time.Tick -------------------------------------------- */


/* ------------------------------------------------------------------ */
/* Tracked heap                                                        */
/* ------------------------------------------------------------------ */
/*
 * Memory the leak detector can see: it knows every block's bounds, so it
 * can tell whether a channel or a mutex in it is still reachable.  Put the
 * state your goroutines share here (plain malloc memory is scanned as a
 * root, which keeps everything it points to alive, hiding leaks).
 */
GORO_API void *goro_malloc(size_t size);
GORO_API void *goro_calloc(size_t n, size_t size);
GORO_API void *goro_realloc(void *p, size_t size);
GORO_API void goro_free(void *p);
#define goro_new(T) ((T *)goro_calloc(1, sizeof(T)))

/* ------------------------------------------------------------------ */
/* Stacks and profiles                                                 */
/* ------------------------------------------------------------------ */

/*
 * Writes the named profile: "goroutine" or "goroutineleak" (the latter runs
 * leak detection first).  debug=0: gzip'd pprof protobuf; debug=1: counts
 * per stack; debug=2: every goroutine's stack as in a Go panic (any
 * debug > 2 is 2, as in Go's WriteTo).  Returns 0, or -1 for an unknown
 * name or a negative debug level (errno EINVAL), or GORO_LEAK_INCONCLUSIVE
 * when detection gave no verdict (the profile is written, empty, with an
 * "inconclusive: <why>" line).
 */
GORO_API int goro_profile_write(const char *name, FILE *out, int debug);
/* Number of goroutines for a profile name (index pages), -1 if unknown. */
GORO_API int goro_profile_count(const char *name);

/* Writes every goroutine's stack, debug=2 style (runtime.Stack(all)). */
GORO_API void goro_dump(FILE *out);

/* ------------------------------------------------------------------ */
/* Failing the current test                                            */
/* ------------------------------------------------------------------ */

/*
 * How GORO_LEAK_ASSERT_NONE and GORO_SYNCTEST_ASSERT fail a test: they
 * call the test-failure hook with goro's report and the assertion's
 * location.  A hook that returns lets the test go on (GoogleTest's
 * ADD_FAILURE_AT); one that does not return ends the test its framework's
 * way (cmocka's _fail, a longjmp).  No hook (the default, or fn NULL):
 * the report goes to stderr and the process exits with status 1.  In a
 * Criterion test (<criterion/criterion.h> included before goro.h) the
 * macros call cr_assert_fail instead.  Recipes: examples/testing/.
 */
typedef void (*goro_test_fail_fn)(const char *report, const char *file, int line,
                                  void *ctx);
GORO_API void goro_set_test_fail(goro_test_fail_fn fn, void *ctx);
/* Calls the hook (or the default) with report. */
GORO_API void goro_test_fail_(const char *report, const char *file, int line);
#if defined(CRITERION_H_)
#define GORO_TEST_FAIL_(report) cr_assert_fail("%s", (report))
#else
#define GORO_TEST_FAIL_(report) goro_test_fail_((report), __FILE__, __LINE__)
#endif

/* ------------------------------------------------------------------ */
/* goleak-style checks                                                 */
/* ------------------------------------------------------------------ */

typedef struct goro_leak_opts goro_leak_opts;

GORO_API goro_leak_opts *goro_leak_opts_new(void);
GORO_API void goro_leak_opts_free(goro_leak_opts *o);
/* goleak.IgnoreTopFunction / IgnoreAnyFunction / IgnoreCreatedBy. */
GORO_API void goro_leak_ignore_top_function(goro_leak_opts *o, const char *fn);
GORO_API void goro_leak_ignore_any_function(goro_leak_opts *o, const char *fn);
GORO_API void goro_leak_ignore_created_by(goro_leak_opts *o, const char *fn);
/* goleak.IgnoreCurrent: ignore the goroutines alive right now. */
GORO_API void goro_leak_ignore_current(goro_leak_opts *o);
/* How long to wait for goroutines that still run or sleep (default 1 s). */
GORO_API void goro_leak_max_wait(goro_leak_opts *o, goro_duration d);

/*
 * goleak.Find: waits until every other goroutine has exited or is blocked
 * (at most the max wait), then returns how many unexpected goroutines
 * remain.  If report is not NULL it receives goleak's text (malloc'd; free
 * it), or NULL when there is none.  opts may be NULL.
 */
GORO_API int goro_leak_find(const goro_leak_opts *opts, char **report);
/* goleak.VerifyNone: prints the report to stderr; false on a leak. */
GORO_API bool goro_leak_verify_none(const goro_leak_opts *opts);
/* goleak.VerifyTestMain: checks at process exit; a leak makes the exit
 * status 1 (only when the status was 0).  Takes ownership of opts. */
GORO_API void goro_leak_verify_at_exit(goro_leak_opts *opts);
/*
 * The asserting form, for the end of a test (or a fixture's teardown):
 * fails the current test through the test-failure hook when goroutines
 * leaked, with goleak's report.  opts may be NULL; pass one with
 * goro_leak_ignore_current taken at the test's start when goroutines of
 * earlier tests may still be around (runners without a process per test).
 */
#define GORO_LEAK_ASSERT_NONE(opts)                                          \
	do {                                                                 \
		char *goro_rep_ = NULL;                                      \
		if (goro_leak_find((opts), &goro_rep_) > 0)                  \
			GORO_TEST_FAIL_(goro_rep_ ? goro_rep_ : "goroutines leaked"); \
		goro_leak_report_free(goro_rep_);                            \
	} while (0)
/* Frees a report of goro_leak_find (free() does the same). */
GORO_API void goro_leak_report_free(char *report);

/* ------------------------------------------------------------------ */
/* synctest bubbles                                                    */
/* ------------------------------------------------------------------ */

enum goro_bubble_status {
	GORO_BUBBLE_OK = 0,
	/* "deadlock: main bubble goroutine has exited but blocked goroutines remain" */
	GORO_BUBBLE_LEAKED = 1,
	/* "deadlock: all goroutines in bubble are blocked" */
	GORO_BUBBLE_DEADLOCK = 2,
};

typedef struct goro_bubble_goroutine {
	int64_t id;
	char wait_reason[48];
	char function[128];   /* the goroutine's top visible function */
	char start_function[128]; /* the function goro_go started */
	char created_by[128]; /* the function that called goro_go */
	uintptr_t create_pc;
} goro_bubble_goroutine;

typedef struct goro_bubble_result {
	int status;                    /* enum goro_bubble_status */
	int64_t bubble_id;
	char *report;                  /* Go's panic text + dump; NULL if ok */
	int nblocked;                  /* goroutines released by goro */
	goro_bubble_goroutine *blocked;
} goro_bubble_result;

/*
 * synctest.Test: runs fn(copy of args) as the root of a new bubble and
 * returns when every goroutine of the bubble has exited, or on a deadlock.
 * On a deadlock the bubble's blocked goroutines are released: their stacks
 * are freed and none of their code runs again.  res may be NULL.
 */
#ifndef __cplusplus
#define goro_synctest_run(res, fn, ...) \
	goro_synctest_run_((fn), (__VA_ARGS__), sizeof *(__VA_ARGS__), (res))
#endif
GORO_API int goro_synctest_run_(goro_fn fn, const void *arg, size_t argsize,
                                goro_bubble_result *res);
GORO_API void goro_bubble_result_free(goro_bubble_result *res);

/*
 * The asserting form: runs the bubble and fails the current test if it
 * deadlocked or leaked, with Go's report, through the test-failure hook
 * (goro_set_test_fail: by default the report goes to stderr and the
 * process exits with status 1; in a Criterion test, cr_assert_fail).  When
 * the hook returns, the test goes on after the assertion.
 *
 *     GORO_SYNCTEST_ASSERT(test_fn, &(struct args){ ... });
 */
#if defined(CRITERION_H_)
#define GORO_SYNCTEST_FAIL_(res) cr_assert_fail("%s", (res)->report)
#else
#define GORO_SYNCTEST_FAIL_(res) goro_synctest_fail_((res), __FILE__, __LINE__)
#endif
#define GORO_SYNCTEST_ASSERT(fn, ...)                                        \
	do {                                                                 \
		goro_bubble_result goro_res_;                                \
		if (goro_synctest_run(&goro_res_, fn, __VA_ARGS__) != GORO_BUBBLE_OK) \
			GORO_SYNCTEST_FAIL_(&goro_res_);                     \
		goro_bubble_result_free(&goro_res_);                         \
	} while (0)
/* goro_test_fail_ with the bubble's report (returns if the hook does). */
GORO_API void goro_synctest_fail_(goro_bubble_result *res, const char *file, int line);
/* synctest.Wait. */
GORO_API void goro_synctest_wait(void);
/* t.Cleanup inside a bubble: runs in the bubble before run returns. */
GORO_API void goro_synctest_cleanup(goro_fn fn, void *arg);
/* Id of the caller's bubble, 0 outside one. */
GORO_API int64_t goro_synctest_bubble(void);

/* ---- synctest: the bubble's context (issue 13) ------------------- */
/* Go's t.Context() inside synctest.Test: the bubble's own context, made
 * in the bubble (its Done channel belongs to it), canceled when the root
 * function returns, just before the bubble's cleanups run.  Borrowed: it
 * stays valid until goro_synctest_run returns (goro_ctx_retain it to keep
 * it longer).  Panics outside a bubble. */
GORO_API goro_ctx *goro_synctest_context(void);
/* ---- end of the bubble's context --------------------------------- */

/* ------------------------------------------------------------------ */
/* goroutineleak profile                                               */
/* ------------------------------------------------------------------ */

typedef struct goro_leaked {
	int64_t id;
	char wait_reason[48];
	void *wait_objects[4]; /* the channels / sync objects it waits on */
	int nwait_objects;
	char function[128];    /* top visible function */
	char start_function[128]; /* the function goro_go started */
	char created_by[128];  /* the function that called goro_go */
	uintptr_t create_pc;
	int64_t parent_id;
} goro_leaked;

/*
 * No verdict: some thread could not be stopped (it blocks GORO_STW_SIGNAL
 * and keeps running) even after a few tries, so nothing could be judged.
 * Returned by goro_leakprof_find and goro_profile_write("goroutineleak").
 */
enum { GORO_LEAK_INCONCLUSIVE = -2 };

/*
 * Runs leak detection now (the world stops only to snapshot the process) and returns the number of
 * leaked goroutines, GORO_LEAK_INCONCLUSIVE, or -1 on error; *out (if not
 * NULL) receives an array of them, to release with goro_leakprof_free (it
 * lives in memory the detector does not scan, so its wait_objects never
 * hide later leaks).
 */
GORO_API int goro_leakprof_find(goro_leaked **out);
/* Why the last detection run was inconclusive (static text), NULL if it
 * gave a verdict or none ran yet. */
GORO_API const char *goro_leakprof_inconclusive(void);
GORO_API void goro_leakprof_free(goro_leaked *arr);
/* Leaked goroutines found by the last detection run (Go's Count()). */
GORO_API int goro_leakprof_count(void);
/* How long the last detection run stopped the world, in ns. */
GORO_API int64_t goro_leakprof_pause_ns(void);

#ifdef __cplusplus
}
#endif

/* Goroutine-aware I/O, offloading blocking calls, the debug endpoint. */
#include "goro_net.h"

/* C++ forms of the argument-copying macros, and lambdas. */
#ifdef __cplusplus
#include "goro_cxx.h"
#endif

#endif /* GORO_H */
