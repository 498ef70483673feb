/*
 * unstoppable.h — a thread the leak detector cannot stop: it blocks the
 * stop-the-world signal (GORO_STW_SIGNAL, default SIGPWR) and keeps
 * running (spins), so every detection run meanwhile is inconclusive.
 */
#ifndef GORO_TEST_UNSTOPPABLE_H
#define GORO_TEST_UNSTOPPABLE_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

struct unstoppable {
	pthread_t thread;
	atomic_bool running, stop;
};

static inline void *unstoppable_main(void *p)
{
	struct unstoppable *u = p;
	const char *env = getenv("GORO_STW_SIGNAL");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, env ? atoi(env) : SIGPWR);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	atomic_store(&u->running, true);
	while (!atomic_load_explicit(&u->stop, memory_order_relaxed))
		; /* runnable all the time: never asleep, never stoppable */
	return NULL;
}

/* Starts the thread and returns once it blocks the signal and spins. */
static inline void unstoppable_start(struct unstoppable *u)
{
	atomic_store(&u->running, false);
	atomic_store(&u->stop, false);
	if (pthread_create(&u->thread, NULL, unstoppable_main, u) != 0)
		abort();
	while (!atomic_load(&u->running))
		sched_yield();
}

static inline void unstoppable_stop(struct unstoppable *u)
{
	atomic_store(&u->stop, true);
	pthread_join(u->thread, NULL);
}

#endif /* GORO_TEST_UNSTOPPABLE_H */
