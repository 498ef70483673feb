/*
 * criterion.h — minicriterion: the part of Criterion's API that goro's
 * tests use, for builds in which libcriterion cannot run.
 *
 * Why: under ThreadSanitizer, libcriterion 2.4 does not start (its
 * sandbox cannot map its "inheritable arena" next to TSan's shadow
 * memory), yet the test suite must run under TSan.  tests/CMakeLists.txt
 * puts this directory first on the include path of TSan builds (or of
 * any build with -DGORO_MINICRITERION=ON), so the very same tests/test_*.c
 * compile against these macros and link the runner next to this header
 * (the .c files of tests/support/minicriterion) instead of libcriterion.
 *
 * What is kept from Criterion, because tests rely on it:
 *   - every test runs in a process of its own (a fork of the runner made
 *     before the test touches goro, so goro's runtime starts in the test's
 *     process, as with Criterion);
 *   - Test(suite, name, .signal/.exit_code/.timeout/.disabled/.init/.fini/
 *     .description) and their meaning;
 *   - assertions evaluate their operands once, take an optional printf
 *     message (a string literal, as with Criterion), and a failed cr_assert
 *     ends the test while a failed cr_expect lets it go on and fails it at
 *     the end.
 * What differs: a failed cr_assert ends the test's process at once with
 * status 1 (from any thread: a goroutine's failure fails the test too),
 * so .fini runs only after a test that returned.
 *
 * Internal names start with mc_ (the runner's) or MC__ (macro plumbing).
 */
#ifndef MINICRITERION_CRITERION_H
#define MINICRITERION_CRITERION_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <criterion/alloc.h>
#include <criterion/logging.h> /* Criterion's criterion.h has cr_log_* too */

/* A parameterized test's parameters (Criterion's layout and name). */
struct criterion_test_params {
	size_t size;    /* of one parameter */
	void *params;   /* array of `length` parameters */
	size_t length;
	void (*cleanup)(struct criterion_test_params *);
};

/*
 * One registered test.  The option fields carry Criterion's names so that
 * Test(s, n, .signal = SIGABRT) initialises them directly.  Registered
 * once by a constructor, never written afterwards.
 */
struct mc_test {
	const char *suite;
	const char *name;
	const char *file;
	int line;
	void (*fn)(void);                             /* a plain test */
	void (*param_fn)(void *param);                /* a parameterized one, */
	struct criterion_test_params (*params)(void); /* ... and its parameters */
	/* Criterion's options */
	void (*init)(void);
	void (*fini)(void);
	int signal;              /* the test must die of this signal */
	int exit_code;           /* the test's process must exit with this */
	double timeout;          /* seconds; 0: the runner's default */
	bool disabled;           /* listed, reported as skipped, not run */
	const char *description;
};

void mc_register(const struct mc_test *t);

/* Defines test `s::n` and registers it before main runs.  (Parameters are
 * s and n: a parameter named `suite` would replace the field in .suite.) */
#define MC__TEST_DEFINE(s, n, ...)                                           \
	static const struct mc_test mc__test_##s##__##n = {                      \
		.suite = #s, .name = #n, .file = __FILE__, .line = __LINE__,         \
		__VA_ARGS__                                                          \
	};                                                                       \
	__attribute__((constructor)) static void mc__register_##s##__##n(void)   \
	{                                                                        \
		mc_register(&mc__test_##s##__##n);                                   \
	}

#define Test(s, n, ...)                                                      \
	static void mc__fn_##s##__##n(void);                                     \
	MC__TEST_DEFINE(s, n, .fn = mc__fn_##s##__##n, __VA_ARGS__)              \
	static void mc__fn_##s##__##n(void)

/* ------------------------------------------------------------------ */
/* Failing                                                             */
/* ------------------------------------------------------------------ */

/*
 * The message of an assertion reaches these functions as "-" followed by
 * the user's format (Criterion's convention: an optional string literal),
 * so that an assertion without a message still passes a non-empty format
 * and the format is still checked against its arguments.
 * expr: the failed expression; va, vb: its operands' values (or NULL).
 */
_Noreturn void mc_assert_failed(const char *file, int line, const char *expr,
                                const char *va, const char *vb, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void mc_expect_failed(const char *file, int line, const char *expr, const char *va,
                      const char *vb, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
_Noreturn void mc_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Operand values for messages, chosen by type (a pointer shows as %p). */
void mc_show_int(char *buf, size_t size, long long v);
void mc_show_uint(char *buf, size_t size, unsigned long long v);
void mc_show_float(char *buf, size_t size, long double v);
void mc_show_ptr(char *buf, size_t size, const void *v);

#define MC__SHOW(buf, x)                                                     \
	_Generic((x),                                                            \
		_Bool: mc_show_uint, char: mc_show_int, signed char: mc_show_int,    \
		short: mc_show_int, int: mc_show_int, long: mc_show_int,             \
		long long: mc_show_int, unsigned char: mc_show_uint,                 \
		unsigned short: mc_show_uint, unsigned int: mc_show_uint,            \
		unsigned long: mc_show_uint, unsigned long long: mc_show_uint,       \
		float: mc_show_float, double: mc_show_float,                         \
		long double: mc_show_float, default: mc_show_ptr)(buf, sizeof buf, x)

/* cond must hold. */
#define MC__CHECK(fail, cond, cond_text, ...)                                \
	do {                                                                     \
		if (!(cond))                                                         \
			fail(__FILE__, __LINE__, cond_text, NULL, NULL, "-" __VA_ARGS__); \
	} while (0)

/* a op b must hold; a and b are evaluated once, and shown if it fails. */
#define MC__COMPARE(fail, op, a, b, a_text, b_text, ...)                     \
	do {                                                                     \
		__auto_type mc__a = (a);                                             \
		__auto_type mc__b = (b);                                             \
		if (!(mc__a op mc__b)) {                                             \
			char mc__va[64], mc__vb[64];                                     \
			MC__SHOW(mc__va, mc__a);                                         \
			MC__SHOW(mc__vb, mc__b);                                         \
			fail(__FILE__, __LINE__, "(" a_text ") " #op " (" b_text ")",    \
			     mc__va, mc__vb, "-" __VA_ARGS__);                           \
		}                                                                    \
	} while (0)

/* strcmp(a, b) op 0 must hold (a NULL string fails rather than crashes). */
#define MC__STRCMP(fail, op, a, b, a_text, b_text, ...)                      \
	do {                                                                     \
		const char *mc__a = (a), *mc__b = (b);                               \
		if (!mc__a || !mc__b || !(strcmp(mc__a, mc__b) op 0))                \
			fail(__FILE__, __LINE__, "strcmp(" a_text ", " b_text ") " #op " 0", \
			     mc__a ? mc__a : "(null)", mc__b ? mc__b : "(null)",         \
			     "-" __VA_ARGS__);                                           \
	} while (0)

/* memcmp(a, b, size) op 0 must hold. */
#define MC__MEMCMP(fail, op, a, b, size, text, ...)                          \
	MC__CHECK(fail, memcmp((a), (b), (size)) op 0, text, __VA_ARGS__)

/* |a - b| <= eps (Criterion's float_eq; no libm needed). */
#define MC__FLOAT_EQ(a, b, eps) ((b) - (a) <= (eps) && (a) - (b) <= (eps))

/* ------------------------------------------------------------------ */
/* Criterion's assertions                                              */
/* ------------------------------------------------------------------ */

#define cr_assert(cond, ...) MC__CHECK(mc_assert_failed, cond, #cond, __VA_ARGS__)
#define cr_assert_not(cond, ...) MC__CHECK(mc_assert_failed, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_assert_fail(...) MC__CHECK(mc_assert_failed, 0, "cr_assert_fail()", __VA_ARGS__)
#define cr_assert_eq(a, b, ...) MC__COMPARE(mc_assert_failed, ==, a, b, #a, #b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) MC__COMPARE(mc_assert_failed, !=, a, b, #a, #b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) MC__COMPARE(mc_assert_failed, <, a, b, #a, #b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) MC__COMPARE(mc_assert_failed, <=, a, b, #a, #b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) MC__COMPARE(mc_assert_failed, >, a, b, #a, #b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) MC__COMPARE(mc_assert_failed, >=, a, b, #a, #b, __VA_ARGS__)
#define cr_assert_null(p, ...) MC__CHECK(mc_assert_failed, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...) MC__CHECK(mc_assert_failed, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) MC__STRCMP(mc_assert_failed, ==, a, b, #a, #b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) MC__STRCMP(mc_assert_failed, !=, a, b, #a, #b, __VA_ARGS__)
#define cr_assert_arr_eq(a, b, size, ...)                                    \
	MC__MEMCMP(mc_assert_failed, ==, a, b, size, "memcmp(" #a ", " #b ", " #size ") == 0", __VA_ARGS__)
#define cr_assert_arr_neq(a, b, size, ...)                                   \
	MC__MEMCMP(mc_assert_failed, !=, a, b, size, "memcmp(" #a ", " #b ", " #size ") != 0", __VA_ARGS__)
#define cr_assert_float_eq(a, b, eps, ...)                                   \
	MC__CHECK(mc_assert_failed, MC__FLOAT_EQ(a, b, eps), "|" #a " - " #b "| <= " #eps, __VA_ARGS__)
#define cr_assert_float_neq(a, b, eps, ...)                                  \
	MC__CHECK(mc_assert_failed, !MC__FLOAT_EQ(a, b, eps), "|" #a " - " #b "| > " #eps, __VA_ARGS__)

#define cr_expect(cond, ...) MC__CHECK(mc_expect_failed, cond, #cond, __VA_ARGS__)
#define cr_expect_not(cond, ...) MC__CHECK(mc_expect_failed, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_expect_fail(...) MC__CHECK(mc_expect_failed, 0, "cr_expect_fail()", __VA_ARGS__)
#define cr_expect_eq(a, b, ...) MC__COMPARE(mc_expect_failed, ==, a, b, #a, #b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...) MC__COMPARE(mc_expect_failed, !=, a, b, #a, #b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...) MC__COMPARE(mc_expect_failed, <, a, b, #a, #b, __VA_ARGS__)
#define cr_expect_leq(a, b, ...) MC__COMPARE(mc_expect_failed, <=, a, b, #a, #b, __VA_ARGS__)
#define cr_expect_gt(a, b, ...) MC__COMPARE(mc_expect_failed, >, a, b, #a, #b, __VA_ARGS__)
#define cr_expect_geq(a, b, ...) MC__COMPARE(mc_expect_failed, >=, a, b, #a, #b, __VA_ARGS__)
#define cr_expect_null(p, ...) MC__CHECK(mc_expect_failed, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_expect_not_null(p, ...) MC__CHECK(mc_expect_failed, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...) MC__STRCMP(mc_expect_failed, ==, a, b, #a, #b, __VA_ARGS__)
#define cr_expect_str_neq(a, b, ...) MC__STRCMP(mc_expect_failed, !=, a, b, #a, #b, __VA_ARGS__)
#define cr_expect_arr_eq(a, b, size, ...)                                    \
	MC__MEMCMP(mc_expect_failed, ==, a, b, size, "memcmp(" #a ", " #b ", " #size ") == 0", __VA_ARGS__)
#define cr_expect_arr_neq(a, b, size, ...)                                   \
	MC__MEMCMP(mc_expect_failed, !=, a, b, size, "memcmp(" #a ", " #b ", " #size ") != 0", __VA_ARGS__)
#define cr_expect_float_eq(a, b, eps, ...)                                   \
	MC__CHECK(mc_expect_failed, MC__FLOAT_EQ(a, b, eps), "|" #a " - " #b "| <= " #eps, __VA_ARGS__)
#define cr_expect_float_neq(a, b, eps, ...)                                  \
	MC__CHECK(mc_expect_failed, !MC__FLOAT_EQ(a, b, eps), "|" #a " - " #b "| > " #eps, __VA_ARGS__)

/* Ends the test, reported as skipped (unless something failed before). */
#define cr_skip_test(...) mc_skip("-" __VA_ARGS__)

#endif /* MINICRITERION_CRITERION_H */
