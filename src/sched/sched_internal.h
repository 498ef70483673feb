/*
 * sched_internal.h — what the scheduler's own files share (not for the
 * other subsystems: they use sched.h).
 */
#ifndef GORO_SCHED_INTERNAL_H
#define GORO_SCHED_INTERNAL_H

#include "sched/sched.h"

GORO_HIDDEN void goro__switch_first(struct goro_worker *w, struct goro_g *self);
GORO_HIDDEN GORO_NORETURN void goro__switch_dead(struct goro_worker *w, struct goro_g *g);
GORO_HIDDEN void goro__run_from_g0(struct goro_worker *w, struct goro_g *next);
GORO_HIDDEN struct goro_g *goro__find_runnable(struct goro_worker *w);
GORO_HIDDEN void goro__foreign_park(struct goro_g *g);
GORO_HIDDEN void goro__foreign_wake(struct goro_g *g);
GORO_HIDDEN struct goro_g *goro__foreign_g(void);

/* allg: the all-goroutines set (allg.c). */
GORO_HIDDEN void goro__allg_add(struct goro_g *g);
GORO_HIDDEN void goro__allg_remove(struct goro_g *g);

/* Queues (sched.h): w's newq (any thread), w's runnext (w's thread). */
GORO_HIDDEN void goro__newq_put(struct goro_worker *w, struct goro_g *g);
GORO_HIDDEN void goro__runnext_put(struct goro_worker *w, struct goro_g *g);

/* Worker-side: placing a new goroutine, the scheduler loop. */
GORO_HIDDEN void goro__place_new(struct goro_g *g);
GORO_HIDDEN GORO_NORETURN void goro__schedule_loop(struct goro_worker *w);

/* The monitor (monitor.c): started with the workers; told when a worker
 * leaves epoll (it sleeps while they all do); stalls counted so far. */
GORO_HIDDEN void goro__monitor_start(void);
GORO_HIDDEN void goro__monitor_worker_woke(void);

/* Thread-local state (worker.c). */
GORO_HIDDEN extern GORO_TLS struct goro_g *goro__tls_foreign_g;

#endif /* GORO_SCHED_INTERNAL_H */
