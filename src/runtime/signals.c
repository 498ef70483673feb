/*
 * signals.c — the runtime's signal handlers, installed at start-up:
 * SIGSEGV for stack-overflow reports (sched/overflow.c) and SIGQUIT for
 * Go's "dump every goroutine and exit 2".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched/gsnap.h"
#include "sched/sched.h"

GORO_HIDDEN void goro__signals_overflow_init(void);

void goro__signals_init(void)
{
	goro__signals_overflow_init();
}
