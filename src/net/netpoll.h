/*
 * netpoll.h — what the scheduler calls into the netpoller for.
 *
 * goro__netpoll_init runs once at runtime start (net_init.c) and installs
 * goro__netpoll_dispatch as the workers' goro__netpoll_hook: an idle
 * worker hands it the fd events of its epoll_pwait2.  goro__netpoll_poll
 * is the busy worker's side (called from the scheduler's periodic checks).
 */
#ifndef GORO_NET_NETPOLL_H
#define GORO_NET_NETPOLL_H

#include "sched/sched.h"

GORO_HIDDEN void goro__netpoll_init(void);
/* Wakes the goroutines waiting for the fds of these events. */
GORO_HIDDEN void goro__netpoll_dispatch(struct goro_worker *w, struct epoll_event *ev, int n);
/* Zero-timeout poll of w's epoll set (w's own thread), only while some of
 * w's goroutines wait on I/O: the fast path is one load.  True if w has
 * runnable goroutines afterwards (it readied some). */
GORO_HIDDEN bool goro__netpoll_poll(struct goro_worker *w);

#endif /* GORO_NET_NETPOLL_H */
