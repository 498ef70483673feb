/*
 * result.c — inside a test's process: failed assertions, skips and logs.
 *
 * A failed cr_assert prints its message and ends the process with _exit(1)
 * from whichever thread it runs on: a goroutine's assertion must fail the
 * test, and no other thread can be relied on to notice (the main goroutine
 * may be blocked forever on what the failed goroutine would have done).
 * _exit rather than exit: the runtime's threads are still running, and
 * atexit handlers must not run under them from an arbitrary goroutine.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/logging.h>

#include "minicriterion.h"

/* Set once, before the test starts, then only read. */
static struct mc_result *result;

void mc_result_attach(struct mc_result *r)
{
	result = r;
}

int mc_result_failures(void)
{
	return result ? atomic_load(&result->failures) : 0;
}

/* Fills the result's reason, the first line of `text`, if no other
 * thread did first. */
static void claim_reason(const char *file, int line, const char *kind, const char *text)
{
	if (!result || atomic_exchange(&result->claimed, true))
		return;
	snprintf(result->reason, sizeof result->reason, "%s:%d: %s failed: %.*s", file, line,
	         kind, (int)strcspn(text, "\n"), text);
}

/* The user's message, or NULL: fmt is "-" followed by the user's format.
 * On the heap: messages quote whole stderr captures (death.h), and
 * goroutine stacks are small. */
static char *format_message(const char *fmt, va_list ap)
{
	char *msg;
	if (!fmt[1] || vasprintf(&msg, fmt + 1, ap) < 0)
		return NULL;
	return msg;
}

/*
 * Prints, and records, one failure:
 *     file:line: Assertion failed: message
 *         expression: (a) == (b)
 *         values: 3, 4
 * The expression is the message when the assertion has none.
 */
static void report(const char *kind, const char *file, int line, const char *expr,
                   const char *va, const char *vb, const char *fmt, va_list ap)
{
	char *msg = format_message(fmt, ap);
	const char *text = msg && msg[0] ? msg : expr;
	if (result)
		atomic_fetch_add(&result->failures, 1);
	claim_reason(file, line, kind, text);
	/* One fprintf each, so that concurrent failures do not interleave. */
	if (va && vb && text == expr)
		fprintf(stderr, "%s:%d: %s failed: %s\n    values: %s, %s\n", file, line, kind,
		        text, va, vb);
	else if (va && vb)
		fprintf(stderr, "%s:%d: %s failed: %s\n    expression: %s\n    values: %s, %s\n",
		        file, line, kind, text, expr, va, vb);
	else if (text != expr)
		fprintf(stderr, "%s:%d: %s failed: %s\n    expression: %s\n", file, line, kind,
		        text, expr);
	else
		fprintf(stderr, "%s:%d: %s failed: %s\n", file, line, kind, text);
	free(msg);
}

void mc_assert_failed(const char *file, int line, const char *expr, const char *va,
                      const char *vb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("Assertion", file, line, expr, va, vb, fmt, ap);
	va_end(ap);
	_exit(1);
}

void mc_expect_failed(const char *file, int line, const char *expr, const char *va,
                      const char *vb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("Expectation", file, line, expr, va, vb, fmt, ap);
	va_end(ap);
}

/* Like a test that returns: the process ends normally, via exit. */
void mc_skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = format_message(fmt, ap);
	va_end(ap);
	if (result && !atomic_exchange(&result->claimed, true)) {
		result->skipped = true;
		snprintf(result->reason, sizeof result->reason, "%s", msg ? msg : "skipped");
	}
	free(msg);
	exit(mc_result_failures() ? 1 : 0);
}

void mc_log(const char *level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	flockfile(stderr); /* one line, even with other threads writing */
	fprintf(stderr, "[----] %s: ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}

void mc_show_int(char *buf, size_t size, long long v)
{
	snprintf(buf, size, "%lld", v);
}

void mc_show_uint(char *buf, size_t size, unsigned long long v)
{
	snprintf(buf, size, "%llu", v);
}

void mc_show_float(char *buf, size_t size, long double v)
{
	snprintf(buf, size, "%Lg", v);
}

void mc_show_ptr(char *buf, size_t size, const void *v)
{
	snprintf(buf, size, "%p", v);
}
