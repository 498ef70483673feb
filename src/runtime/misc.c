/*
 * misc.c — clocks, the per-thread random generator, status texts.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/random.h>
#include <time.h>

#include "internal.h"

int64_t goro__nanotime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* wyrand: one multiply per number; seeded per thread from getrandom. */
static GORO_TLS uint64_t rng_state;

uint64_t goro__rand(void)
{
	if (unlikely(rng_state == 0)) {
		if (getrandom(&rng_state, sizeof rng_state, GRND_NONBLOCK) != sizeof rng_state)
			rng_state = (uint64_t)goro__nanotime() ^ (uint64_t)(uintptr_t)&rng_state;
		rng_state |= 1;
	}
	rng_state += 0xa0761d6478bd642fULL;
	__uint128_t m = (__uint128_t)rng_state * (rng_state ^ 0xe7037ed1a0b428dbULL);
	return (uint64_t)(m >> 64) ^ (uint64_t)m;
}

GORO_API const char *goro_strerror(int status)
{
	switch (status) {
	case GORO_OK: return "ok";
	case GORO_CLOSED: return "channel closed";
	case GORO_WOULDBLOCK: return "operation would block";
	case GORO_TIMEDOUT: return "deadline reached";
	case GORO_CANCELED: return "context canceled";
	case GORO_DEADLINE_EXCEEDED: return "context deadline exceeded";
	default: return "unknown goro status";
	}
}
