/*
 * signals.h — routing process signals to the signal thread (signals.c).
 */
#ifndef GORO_SIGNALS_H
#define GORO_SIGNALS_H

#include "internal.h"

/* From now on signo's handler only queues it; fn(signo) then runs on the
 * signal thread (an ordinary thread: anything but blocking forever is
 * fine).  0, or -1 (a bad signal number, sigaction's errno). */
GORO_HIDDEN int goro__signal_route(int signo, void (*fn)(int));

#endif /* GORO_SIGNALS_H */
