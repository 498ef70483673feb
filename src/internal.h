/*
 * internal.h — small things every goro source file uses.
 *
 * Naming: public symbols are goro_* (GORO_API, exported); everything else
 * is goro__* and hidden from the shared library's exports.
 */
#ifndef GORO_INTERNAL_H
#define GORO_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "goro.h"

#define GORO_HIDDEN __attribute__((visibility("hidden")))
#define GORO_NOINLINE __attribute__((noinline))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Thread-locals on the hot paths: initial-exec is one %fs-relative load
 * even in the shared library (no __tls_get_addr call). */
#define GORO_TLS __thread __attribute__((tls_model("initial-exec")))

#define GORO_CONTAINER_OF(p, T, m) ((T *)((char *)(p) - offsetof(T, m)))
#define GORO_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GORO_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define GORO_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GORO_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define GORO_TSAN 1
#endif

/* Code that reads other threads' stopped stacks or foreign memory
 * (redzones included): the leak detector's scans.  Not instrumented. */
#define GORO_NO_SANITIZE __attribute__((no_sanitize("address", "thread", "undefined")))

/* Prints "fatal error: <msg>" (Go's throw) and exits with status 2. */
/* Go's "fatal error: runtime: out of memory", saying what could not be
 * had (bytes of what) and the address-space limit when there is one. */
GORO_HIDDEN GORO_NORETURN void goro__throw_oom(const char *what, size_t bytes);
GORO_HIDDEN GORO_NORETURN void goro__throw(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Monotonic clock (real, never the fake bubble clock). */
GORO_HIDDEN int64_t goro__nanotime(void);

/* A cheap per-thread random number (wyrand): select's choice, ids. */
GORO_HIDDEN uint64_t goro__rand(void);
/* Uniform in [0, n). */
static inline uint32_t goro__randn(uint32_t n)
{
	return (uint32_t)(((goro__rand() & 0xffffffffu) * (uint64_t)n) >> 32);
}

#endif /* GORO_INTERNAL_H */
