/*
 * test_trace.c — goroutine stacks: unwinding, symbolisation and Go's
 * output formats (debug=2, debug=1, goleak, gzip'd profile.proto).
 *
 * Must be built with -g: the assertions read function names and line
 * numbers back through DWARF.  Snapshots are hand-made from pcs of the
 * functions below, so the expected text is computed from their addresses
 * and __LINE__ values, independently of the formatters.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <zlib.h>

#include "trace/cfi.h"
#include "trace/tabalign.h"
#include "goro.h"
#include "trace/trace.h"
#include "trace/unwind.h"

static volatile int sink; /* keeps calls from becoming tail calls */

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define QSORT_IS_GLIBCS 0 /* the sanitizer intercepts it */
#else
#define QSORT_IS_GLIBCS 1
#endif

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static const char *func_at(const uintptr_t *pcs, int i)
{
	struct goro_sym s;
	goro__symbolize(goro__frame_pc(pcs, i), &s);
	return s.func;
}

static int find_frame(const uintptr_t *pcs, int n, const char *func)
{
	for (int i = 0; i < n; i++)
		if (strcmp(func_at(pcs, i), func) == 0)
			return i;
	return -1;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Runs fn on a memory stream and returns what it wrote (caller frees). */
#define CAPTURE(buf, call)                                                  \
	do {                                                                \
		size_t capture_len_;                                        \
		FILE *out = open_memstream(&(buf), &capture_len_);          \
		cr_assert_not_null(out);                                    \
		call;                                                       \
		fclose(out);                                                \
	} while (0)

/* Replaces every run of tabs by one tab (alignment is tested apart). */
static void squeeze_tabs(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++)
		if (!(*r == '\t' && w > s && w[-1] == '\t'))
			*w++ = *r;
	*w = '\0';
}

/* ------------------------------------------------------------------ */
/* functions whose pcs the tests use                                   */
/* ------------------------------------------------------------------ */

static uintptr_t captured_ra;

__attribute__((noinline)) static void capture_ra(void)
{
	captured_ra = (uintptr_t)__builtin_return_address(0);
	sink++;
}

/* Stand-ins for a goroutine body and the function that started it. */
static int worker_line, worker2_line, gather_line, long_line;

__attribute__((noinline)) static void leak_worker(void)
{
	worker_line = __LINE__; capture_ra();
	sink++;
}

__attribute__((noinline)) static void leak_worker2(void)
{
	worker2_line = __LINE__; capture_ra();
	sink++;
}

__attribute__((noinline)) static void leak_gather(void)
{
	gather_line = __LINE__; capture_ra();
	sink++;
}

__attribute__((noinline)) static void
a_function_with_a_rather_long_name_for_alignment(void)
{
	long_line = __LINE__; capture_ra();
	sink++;
}

/* The pcs a parked goroutine would have: return addresses in the user
 * functions, runtime frames (goro_ internals) above and below them. */
static uintptr_t pc_worker, pc_worker2, pc_gather, pc_long;
static uintptr_t pc_rt_top, pc_rt_bottom;

static void collect_pcs(void)
{
	leak_worker();
	pc_worker = captured_ra;
	leak_worker2();
	pc_worker2 = captured_ra;
	leak_gather();
	pc_gather = captured_ra;
	a_function_with_a_rather_long_name_for_alignment();
	pc_long = captured_ra;
	pc_rt_top = (uintptr_t)goro__unwind_here + 4;
	pc_rt_bottom = (uintptr_t)goro__symbolize + 8;
}

static struct goro_gsnap snap(int64_t id, const char *state,
                              const uintptr_t *pcs, int n)
{
	struct goro_gsnap g = { .id = id, .npcs = n };
	snprintf(g.state, sizeof g.state, "%s", state);
	if (n > 0)
		memcpy(g.pcs, pcs, (size_t)n * sizeof pcs[0]);
	return g;
}

/* The leaked Gather goroutine of the article, in C. */
static struct goro_gsnap gather_snap(int64_t id)
{
	const uintptr_t pcs[] = { pc_rt_top, pc_worker, pc_rt_bottom };
	struct goro_gsnap g = snap(id, "chan send", pcs, 3);
	g.leaked = true;
	g.create_pc = pc_gather;
	g.parent_id = 7;
	return g;
}

static const char *file_of(uintptr_t fn)
{
	struct goro_sym s;
	cr_assert(goro__symbolize(fn, &s));
	return s.file;
}

/* ------------------------------------------------------------------ */
/* unwinding                                                           */
/* ------------------------------------------------------------------ */

static struct goro_regs regs_of(const ucontext_t *uc)
{
	const greg_t *r = uc->uc_mcontext.gregs;
	return (struct goro_regs){
		.rip = (uintptr_t)r[REG_RIP], .rsp = (uintptr_t)r[REG_RSP],
		.rbp = (uintptr_t)r[REG_RBP], .rbx = (uintptr_t)r[REG_RBX],
		.r12 = (uintptr_t)r[REG_R12], .r13 = (uintptr_t)r[REG_R13],
		.r14 = (uintptr_t)r[REG_R14], .r15 = (uintptr_t)r[REG_R15],
	};
}

/* Both unwinders from the same registers must agree frame for frame. */
static void assert_unwinders_agree(const struct goro_regs *regs, int max)
{
	uintptr_t fast[GORO_MAX_FRAMES], slow[GORO_MAX_FRAMES];
	bool tf = false, ts = false;
	int nf = goro__unwind_regs(regs, fast, max, &tf);
	int ns = goro__unwind_regs_libunwind(regs, slow, max, &ts);

	cr_assert_eq(nf, ns, "memoised rules: %d frames, libunwind: %d", nf,
	             ns);
	cr_assert_eq(tf, ts);
	for (int i = 0; i < nf; i++)
		cr_assert_eq(fast[i], slow[i], "frame %d: %s vs %s", i,
		             func_at(fast, i), func_at(slow, i));
}

static uintptr_t qs_pcs[GORO_MAX_FRAMES];
static int qs_n;
static bool qs_truncated, qs_checked;

static int unwinding_compare(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	if (qs_n == 0)
		qs_n = goro__unwind_here(qs_pcs, GORO_MAX_FRAMES, 0,
		                         &qs_truncated);
	if (!qs_checked) {
		/* Registers of this frame, unwound while it is still live. */
		ucontext_t uc;
		getcontext(&uc);
		struct goro_regs regs = regs_of(&uc);
		assert_unwinders_agree(&regs, GORO_MAX_FRAMES);
		assert_unwinders_agree(&regs, 3);
		qs_checked = true;
	}
	return (x > y) - (x < y);
}

__attribute__((noinline)) static void sort_with_unwind(void)
{
	int v[] = { 3, 1, 2, 5, 4 };
	qsort(v, 5, sizeof v[0], unwinding_compare);
	sink += v[0];
}

Test(unwind, through_glibc_qsort_callback)
{
#if defined(__SANITIZE_THREAD__)
	cr_skip_test("TSan intercepts qsort: its frames, not glibc's, sit in between");
#endif
	sort_with_unwind();
	cr_assert_gt(qs_n, 3);
	cr_assert_str_eq(func_at(qs_pcs, 0), "goro__unwind_here",
	                 "skip 0 keeps goro__unwind_here's own frame");
	int cmp = find_frame(qs_pcs, qs_n, "unwinding_compare");
	int caller = find_frame(qs_pcs, qs_n, "sort_with_unwind");
	cr_assert_eq(cmp, 1);
	cr_assert_gt(caller, cmp + 1, "qsort's frames lie between");

	/* glibc's qsort frames, built without frame pointers, lie between.
	 * A sanitizer runtime replaces qsort with its own: skip the check. */
	bool libc_between = false;
	for (int i = cmp + 1; i < caller; i++) {
		struct goro_sym s;
		goro__symbolize(goro__frame_pc(qs_pcs, i), &s);
		libc_between |= strstr(s.module, "/libc.so") != NULL;
	}
	cr_assert(libc_between || !QSORT_IS_GLIBCS,
	          "glibc frames sit between the callback and its caller");
	cr_assert_not(qs_truncated);
	cr_assert(qs_checked);
}

__attribute__((noinline)) static int unwind_with_skip(uintptr_t *pcs,
                                                      bool *truncated)
{
	int n = goro__unwind_here(pcs, GORO_MAX_FRAMES, 1, truncated);
	sink++;
	return n;
}

Test(unwind, skip_drops_frames_from_the_top)
{
	uintptr_t pcs[GORO_MAX_FRAMES];
	bool truncated;
	int n = unwind_with_skip(pcs, &truncated);

	cr_assert_gt(n, 1);
	/* pcs[0] is now a return address: look up the call before it. */
	struct goro_sym s;
	goro__symbolize(pcs[0] - 1, &s);
	cr_assert_str_eq(s.func, "unwind_with_skip");
}

__attribute__((noinline)) static int recurse_then_unwind(int depth,
                                                         uintptr_t *pcs,
                                                         int max,
                                                         bool *truncated)
{
	int n;

	if (depth == 0)
		n = goro__unwind_here(pcs, max, 0, truncated);
	else
		n = recurse_then_unwind(depth - 1, pcs, max, truncated);
	sink++;
	return n;
}

__attribute__((noinline)) static void recurse_then_compare(int depth)
{
	if (depth == 0) {
		ucontext_t uc;
		getcontext(&uc);
		struct goro_regs regs = regs_of(&uc);
		assert_unwinders_agree(&regs, GORO_MAX_FRAMES);
		assert_unwinders_agree(&regs, 10);
	} else {
		recurse_then_compare(depth - 1);
	}
	sink++;
}

Test(unwind, memoised_rules_match_libunwind_on_deep_stacks)
{
	recurse_then_compare(5);
	recurse_then_compare(2 * GORO_MAX_FRAMES);
}

Test(unwind, deep_stack_is_truncated_at_max)
{
	uintptr_t pcs[GORO_MAX_FRAMES];
	bool truncated = false;
	int n = recurse_then_unwind(2 * GORO_MAX_FRAMES, pcs, GORO_MAX_FRAMES,
	                            &truncated);

	cr_assert_eq(n, GORO_MAX_FRAMES);
	cr_assert(truncated);
	for (int i = 1; i < n; i++)
		cr_assert_str_eq(func_at(pcs, i), "recurse_then_unwind");
}

Test(unwind, exactly_max_frames_is_not_truncated)
{
	uintptr_t all[GORO_MAX_FRAMES];
	bool truncated;
	int total = goro__unwind_here(all, GORO_MAX_FRAMES, 0, &truncated);
	cr_assert_not(truncated);

	/* The same stack seen with room for exactly its frames. */
	uintptr_t pcs[GORO_MAX_FRAMES];
	int n = goro__unwind_here(pcs, total, 0, &truncated);
	cr_assert_eq(n, total);
	cr_assert_not(truncated);
	n = goro__unwind_here(pcs, total - 1, 0, &truncated);
	cr_assert_eq(n, total - 1);
	cr_assert(truncated);
}

/* A context parked three calls deep, as a blocked goroutine is. */
static ucontext_t main_uc, parked_uc;

__attribute__((noinline)) static void park_deep3(void)
{
	swapcontext(&parked_uc, &main_uc);
	sink++;
}

__attribute__((noinline)) static void park_deep2(void)
{
	park_deep3();
	sink++;
}

__attribute__((noinline)) static void park_deep1(void)
{
	park_deep2();
	sink++;
}

/* Marked like goro's goroutine trampoline: no frame above this one. */
static void park_entry(void)
{
	__asm__ volatile(".cfi_undefined rip");
	park_deep1();
	sink++;
}

Test(unwind, parked_context_from_saved_registers)
{
	static char stack[256 * 1024];
	ucontext_t co;

	cr_assert_eq(getcontext(&co), 0);
	co.uc_stack.ss_sp = stack;
	co.uc_stack.ss_size = sizeof stack;
	co.uc_link = &main_uc;
	makecontext(&co, park_entry, 0);
	cr_assert_eq(swapcontext(&main_uc, &co), 0);

	/* park_deep3 is parked: unwind from its saved registers only. */
	struct goro_regs regs = regs_of(&parked_uc);
	uintptr_t pcs[GORO_MAX_FRAMES];
	bool truncated = true;
	int n = goro__unwind_regs(&regs, pcs, GORO_MAX_FRAMES, &truncated);

	cr_assert_eq(pcs[0], regs.rip);
	/* Frame 0 is in swapcontext's caller, or in a sanitizer's
	 * swapcontext interceptor that called the real one. */
	int top = find_frame(pcs, n, "park_deep3");
	cr_assert(top == 0 || top == 1, "park_deep3 at %d", top);
	cr_assert_eq(n, top + 4, "the walk ends at the .cfi_undefined rip "
	                         "frame, got %d frames", n);
	cr_assert_str_eq(func_at(pcs, top + 1), "park_deep2");
	cr_assert_str_eq(func_at(pcs, top + 2), "park_deep1");
	cr_assert_str_eq(func_at(pcs, top + 3), "park_entry");
	cr_assert_not(truncated);

	/* The walk used the memoised rules, not only libunwind. */
	struct goro_cfi_rule rule;
	goro__cfi_rule(pcs[top + 1] - 1, &rule);
	cr_assert_eq(rule.kind, GORO_CFI_STEP);
	goro__cfi_rule(pcs[top + 3] - 1, &rule);
	cr_assert_eq(rule.kind, GORO_CFI_END);

	assert_unwinders_agree(&regs, GORO_MAX_FRAMES);
	assert_unwinders_agree(&regs, 2);

	/* Let the parked context run to completion. */
	cr_assert_eq(swapcontext(&main_uc, &parked_uc), 0);
}

Test(unwind, rule_at_function_entry)
{
	struct goro_cfi_rule r;

	/* Before the prologue: CFA = rsp + 8, return address at CFA - 8. */
	goro__cfi_rule((uintptr_t)capture_ra, &r);
	cr_assert_eq(r.kind, GORO_CFI_STEP);
	cr_assert_not(r.cfa_from_rbp);
	cr_assert_eq(r.cfa_off, 8);
	cr_assert_eq(r.ra_off, -8);
	for (int i = 0; i < GORO_CFI_NSAVED; i++)
		cr_assert_eq(r.saved[i], 0);

	goro__cfi_rule(0x10, &r);
	cr_assert_eq(r.kind, GORO_CFI_OTHER, "no module: left to libunwind");
}

Test(unwind, zero_rip_gives_no_frames)
{
	struct goro_regs regs = { 0 };
	uintptr_t pcs[4];
	bool truncated = true;

	cr_assert_eq(goro__unwind_regs(&regs, pcs, 4, &truncated), 0);
	cr_assert_not(truncated);
}

/* ------------------------------------------------------------------ */
/* symbolisation                                                       */
/* ------------------------------------------------------------------ */

static const int target_first_line = __LINE__ + 1;
__attribute__((noinline)) static int symbolize_target(int x)
{
	return x * 3 + sink;
}

Test(symbolize, known_function_name_file_line)
{
	struct goro_sym s;
	uintptr_t fn = (uintptr_t)symbolize_target;

	cr_assert(goro__symbolize(fn, &s));
	cr_assert_str_eq(s.func, "symbolize_target");
	cr_assert_eq(s.entry, fn);
	cr_assert(s.file[0] == '/', "absolute path, got %s", s.file);
	cr_assert(ends_with(s.file, "test_trace.c"), "file %s", s.file);
	cr_assert_geq(s.line, target_first_line);
	cr_assert_leq(s.line, target_first_line + 2);
	cr_assert_not(s.internal);

	char exe[PATH_MAX];
	cr_assert_not_null(realpath("/proc/self/exe", exe));
	cr_assert_str_eq(s.module, exe);
}

/* Symbolising and unwinding from a stack as small as a goroutine's, with
 * cold caches (each test runs in a fresh process): libdw's deep parsing
 * must happen elsewhere. */
static ucontext_t small_return_uc;
static struct goro_sym small_sym;
static bool small_known;
static int small_frames;

static void on_small_stack(void)
{
	uintptr_t pcs[8];
	bool truncated;

	__asm__ volatile(".cfi_undefined rip"); /* the bottom, as in goro */
	small_known = goro__symbolize((uintptr_t)symbolize_target, &small_sym);
	small_frames = goro__unwind_here(pcs, 8, 0, &truncated);
}

Test(symbolize, cold_lookups_fit_on_a_goroutine_sized_stack)
{
	static char stack[32 * 1024] __attribute__((aligned(16)));
	ucontext_t co;

	cr_assert_eq(getcontext(&co), 0);
	co.uc_stack.ss_sp = stack;
	co.uc_stack.ss_size = sizeof stack;
	co.uc_link = &small_return_uc;
	makecontext(&co, on_small_stack, 0);
	cr_assert_eq(swapcontext(&small_return_uc, &co), 0);

	cr_assert(small_known);
	cr_assert_str_eq(small_sym.func, "symbolize_target");
	cr_assert(ends_with(small_sym.file, "test_trace.c"));
	cr_assert_geq(small_frames, 2, "goro__unwind_here, on_small_stack");
}

Test(symbolize, results_are_cached_and_interned)
{
	struct goro_sym a, b;
	uintptr_t pc = (uintptr_t)symbolize_target + 1;

	goro__symbolize(pc, &a);
	goro__symbolize(pc, &b);
	cr_assert_eq(a.func, b.func);
	cr_assert_eq(a.file, b.file);
	cr_assert_eq(a.entry, (uintptr_t)symbolize_target);
}

Test(symbolize, goro_runtime_frames_are_internal)
{
	struct goro_sym s;

	cr_assert(goro__symbolize((uintptr_t)goro__unwind_here, &s));
	cr_assert_str_eq(s.func, "goro__unwind_here");
	cr_assert(s.internal);
	cr_assert(ends_with(s.file, "unwind.c"), "file %s", s.file);
}

/* A stream whose first write unwinds the stack it is called from. */
static uintptr_t cookie_pcs[GORO_MAX_FRAMES];
static int cookie_n;

static ssize_t unwinding_write(void *cookie, const char *buf, size_t size)
{
	bool truncated;

	(void)cookie;
	(void)buf;
	if (cookie_n == 0)
		cookie_n = goro__unwind_here(cookie_pcs, GORO_MAX_FRAMES, 0,
		                             &truncated);
	return (ssize_t)size;
}

Test(symbolize, goro_static_helpers_are_internal)
{
	/* Unbuffered: tabalign.c's static helpers call the write above. */
	FILE *f = fopencookie(NULL, "w",
	                      (cookie_io_functions_t){ .write = unwinding_write });
	cr_assert_not_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	const struct goro_tabline line = { 1, { "#" }, "x" };
	goro__tab_write(f, &line, 1);
	fclose(f);

	int mine = find_frame(cookie_pcs, cookie_n, "unwinding_write");
	cr_assert_geq(mine, 0);
	struct goro_sym s;
	goro__symbolize(goro__frame_pc(cookie_pcs, mine), &s);
	cr_assert_not(s.internal, "the user's callback stays visible");

	int statics = 0;
	for (int i = mine + 1; i < cookie_n; i++) {
		goro__symbolize(goro__frame_pc(cookie_pcs, i), &s);
		if (!ends_with(s.file, "src/trace/tabalign.c"))
			continue;
		cr_assert(s.internal, "%s is goro's code", s.func);
		statics += strncmp(s.func, "goro_", 5) != 0;
	}
	cr_assert_gt(statics, 0, "a static helper (format) was on the stack");
}

Test(symbolize, libc_start_frames_are_internal)
{
	uintptr_t pcs[GORO_MAX_FRAMES];
	bool truncated;
	int n = goro__unwind_here(pcs, GORO_MAX_FRAMES, 0, &truncated);
	struct goro_sym s[3];

	/* The process's first frames: _start, __libc_start_main and the
	 * libc helper calling main (named only with libc's debug symbols). */
	cr_assert_geq(n, 3);
	for (int i = 0; i < 3; i++)
		goro__symbolize(goro__frame_pc(pcs, n - 1 - i), &s[i]);
	cr_assert_str_eq(s[0].func, "_start");
	cr_assert_str_eq(s[1].func, "__libc_start_main",
	                 "symbol version stripped");
	for (int i = 0; i < 3; i++)
		cr_assert(s[i].internal, "%s must be hidden", s[i].func);
}

Test(symbolize, unknown_pc)
{
	struct goro_sym s;

	cr_assert_not(goro__symbolize(0x10, &s));
	cr_assert_str_eq(s.func, "?");
	cr_assert_str_eq(s.file, "?");
	cr_assert_eq(s.line, 0);
	cr_assert_eq(s.entry, 0);
	cr_assert_not(goro__symbolize(0, &s));
	cr_assert_str_eq(s.func, "?");
}

static void *symbolize_many(void *arg)
{
	const uintptr_t *pcs = arg;

	for (int round = 0; round < 200; round++)
		for (int i = 0; pcs[i] != 0; i++) {
			struct goro_sym s;
			goro__symbolize(pcs[i] + (uintptr_t)(round % 7), &s);
			if (strcmp(s.func, "?") == 0)
				return (void *)1;
		}
	return NULL;
}

Test(symbolize, concurrent_lookups_agree)
{
	const uintptr_t pcs[] = {
		(uintptr_t)symbolize_target, (uintptr_t)leak_worker,
		(uintptr_t)leak_gather, (uintptr_t)goro__unwind_regs,
		(uintptr_t)qsort, (uintptr_t)unwinding_compare, 0,
	};
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, symbolize_many,
		                            (void *)pcs), 0);
	for (int i = 0; i < 4; i++) {
		void *res;
		pthread_join(t[i], &res);
		cr_assert_null(res, "every thread resolved every pc");
	}
}

/* ------------------------------------------------------------------ */
/* debug=2                                                             */
/* ------------------------------------------------------------------ */

Test(debug2, article_gather_goroutine)
{
	collect_pcs();
	const char *file = file_of((uintptr_t)leak_worker);
	cr_assert(ends_with(file, "tests/test_trace.c"), "file %s", file);
	struct goro_gsnap g = gather_snap(8);
	char *got, *want;

	CAPTURE(got, goro__fmt_goroutine(out, &g));
	cr_assert(asprintf(&want,
	                   "goroutine 8 [chan send (leaked)]:\n"
	                   "leak_worker()\n"
	                   "\t%s:%d +0x%lx\n"
	                   "created by leak_gather in goroutine 7\n"
	                   "\t%s:%d +0x%lx\n",
	                   file, worker_line,
	                   (unsigned long)(pc_worker - (uintptr_t)leak_worker),
	                   file, gather_line,
	                   (unsigned long)(pc_gather - (uintptr_t)leak_gather)) >
	          0);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
}

Test(debug2, goroutines_separated_by_blank_line)
{
	collect_pcs();
	struct goro_gsnap g[2] = { gather_snap(5), gather_snap(6) };
	char *one, *all, *want;

	CAPTURE(one, goro__fmt_goroutine(out, &g[0]));
	CAPTURE(all, goro__fmt_debug2(out, g, 2));
	cr_assert(asprintf(&want, "%s\n%s", one, one) > 0);
	/* Only the id differs between the two goroutines. */
	char *second = strstr(want + 1, "goroutine 5 ");
	cr_assert_not_null(second);
	second[10] = '6';
	cr_assert_str_eq(all, want);
	free(one);
	free(all);
	free(want);
}

static char *header_of(const struct goro_gsnap *g)
{
	char *text;

	CAPTURE(text, goro__fmt_goroutine(out, g));
	text[strcspn(text, "\n")] = '\0';
	return text;
}

Test(debug2, header_markers_in_go_order)
{
	collect_pcs();
	struct goro_gsnap g = gather_snap(10);
	char *h;

	g.leaked = false;
	g.durable = true;
	g.bubble_id = 1;
	h = header_of(&g);
	cr_assert_str_eq(h, "goroutine 10 [chan send (durable), synctest "
	                    "bubble 1]:");
	free(h);

	/* runtime.goroutineheader prints the minutes before the bubble. */
	g.wait_minutes = 5;
	h = header_of(&g);
	cr_assert_str_eq(h, "goroutine 10 [chan send (durable), 5 minutes, "
	                    "synctest bubble 1]:");
	free(h);

	g = gather_snap(3);
	g.wait_minutes = 1;
	h = header_of(&g);
	cr_assert_str_eq(h, "goroutine 3 [chan send (leaked), 1 minutes]:");
	free(h);

	g = gather_snap(4);
	g.leaked = false;
	snprintf(g.state, sizeof g.state, "select (no cases)");
	h = header_of(&g);
	cr_assert_str_eq(h, "goroutine 4 [select (no cases)]:");
	free(h);
}

Test(debug2, unknown_frames_truncation_and_no_creator)
{
	collect_pcs();
	const uintptr_t pcs[] = { 0x10, pc_worker };
	struct goro_gsnap g = snap(2, "running", pcs, 2);
	g.truncated = true;
	char *got, *want;

	CAPTURE(got, goro__fmt_goroutine(out, &g));
	cr_assert(asprintf(&want,
	                   "goroutine 2 [running]:\n"
	                   "?()\n"
	                   "\t?:0 +0x10\n"
	                   "leak_worker()\n"
	                   "\t%s:%d +0x%lx\n"
	                   "...additional frames elided...\n",
	                   file_of((uintptr_t)leak_worker), worker_line,
	                   (unsigned long)(pc_worker -
	                                   (uintptr_t)leak_worker)) > 0);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
}

Test(debug2, created_by_without_parent_id)
{
	collect_pcs();
	struct goro_gsnap g = gather_snap(9);
	g.parent_id = 0;
	char *got;

	CAPTURE(got, goro__fmt_goroutine(out, &g));
	cr_assert_not_null(strstr(got, "\ncreated by leak_gather\n\t"), "%s",
	                   got);
	free(got);
}

Test(debug2, only_internal_frames_are_all_shown)
{
	collect_pcs();
	const uintptr_t pcs[] = { pc_rt_top, pc_rt_bottom };
	struct goro_gsnap g = snap(1, "running", pcs, 2);
	char *got;

	CAPTURE(got, goro__fmt_goroutine(out, &g));
	cr_assert_not_null(strstr(got, "\ngoro__unwind_here()\n\t"), "%s", got);
	cr_assert_not_null(strstr(got, "\ngoro__symbolize()\n\t"), "%s", got);
	free(got);
}

/* ------------------------------------------------------------------ */
/* debug=1                                                             */
/* ------------------------------------------------------------------ */

/* "#\t0xPC\tfunc+0xOFF\tfile:line\n" for a return address ra in fn. */
static char *frame_line(uintptr_t ra, uintptr_t fn, const char *name,
                        int line)
{
	char *s;
	cr_assert(asprintf(&s, "#\t0x%lx\t%s+0x%lx\t%s:%d\n",
	                   (unsigned long)(ra - 1), name,
	                   (unsigned long)(ra - 1 - fn), file_of(fn), line) > 0);
	return s;
}

/* The "@" line: the blocking call's entry (op), then the user frames'
 * pcs as stored; the hidden frames are left out. */
static char *at_line(const struct goro_gsnap *g, int64_t count, uintptr_t op)
{
	char *s, *next;
	cr_assert(asprintf(&s, "%ld @ 0x%lx", (long)count, (unsigned long)op) > 0);
	for (int i = 0; i < g->npcs; i++) {
		struct goro_sym sym;
		goro__symbolize(goro__frame_pc(g->pcs, i), &sym);
		if (sym.internal)
			continue;
		cr_assert(asprintf(&next, "%s 0x%lx", s,
		                   (unsigned long)g->pcs[i]) > 0);
		free(s);
		s = next;
	}
	cr_assert(asprintf(&next, "%s\n", s) > 0);
	free(s);
	return next;
}

/* The leaf frame line of the blocking call fn (at its entry). */
static char *op_line(uintptr_t fn, const char *name)
{
	struct goro_sym sym;
	char *s;
	cr_assert(goro__symbolize(fn, &sym));
	cr_assert(asprintf(&s, "#\t0x%lx\t%s+0x0\t%s:%d\n", (unsigned long)fn, name,
	                   sym.file, sym.line) > 0);
	return s;
}

Test(debug1, groups_by_stack_most_frequent_first)
{
	collect_pcs();
	const uintptr_t pcs_b[] = { pc_rt_top, pc_worker2, pc_long,
		                    pc_rt_bottom };
	const uintptr_t pcs_c[] = { pc_rt_top, pc_worker2 };
	struct goro_gsnap g[5] = {
		snap(11, "chan receive", pcs_b, 4), gather_snap(12),
		snap(13, "select", pcs_c, 2), gather_snap(14), gather_snap(15),
	};
	char *got;

	CAPTURE(got, goro__fmt_debug1(out, "goroutineleak", g, 5));
	squeeze_tabs(got);

	uintptr_t send = (uintptr_t)goro_chan_send, recv = (uintptr_t)goro_chan_recv,
	          sel = (uintptr_t)goro_select;
	char *a_at = at_line(&g[1], 3, send), *b_at = at_line(&g[0], 1, recv),
	     *c_at = at_line(&g[2], 1, sel);
	char *op_send = op_line(send, "goro_chan_send"),
	     *op_recv = op_line(recv, "goro_chan_recv"), *op_sel = op_line(sel, "goro_select");
	char *w = frame_line(pc_worker, (uintptr_t)leak_worker, "leak_worker",
	                     worker_line);
	char *w2 = frame_line(pc_worker2, (uintptr_t)leak_worker2,
	                      "leak_worker2", worker2_line);
	char *l = frame_line(
		pc_long, (uintptr_t)a_function_with_a_rather_long_name_for_alignment,
		"a_function_with_a_rather_long_name_for_alignment", long_line);
	char *want;
	/* Ties (B and C, once each) keep their order of first appearance;
	 * each stack leads with its blocking call (frames.h). */
	cr_assert(asprintf(&want,
	                   "goroutineleak profile: total 5\n"
	                   "%s%s%s\n"
	                   "%s%s%s%s\n"
	                   "%s%s%s\n",
	                   a_at, op_send, w, b_at, op_recv, w2, l, c_at, op_sel, w2) > 0);
	free(op_send);
	free(op_recv);
	free(op_sel);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
	free(a_at);
	free(b_at);
	free(c_at);
	free(w);
	free(w2);
	free(l);
}

/* Display column (tabs every 8) where the last field of a line starts. */
static int last_field_column(const char *line)
{
	int col = 0, last = 0;
	for (const char *p = line; *p && *p != '\n'; p++) {
		col = *p == '\t' ? (col / 8 + 1) * 8 : col + 1;
		if (*p == '\t')
			last = col;
	}
	return last;
}

Test(debug1, frame_columns_are_aligned_like_tabwriter)
{
	collect_pcs();
	const uintptr_t pcs[] = { pc_worker2, pc_long };
	struct goro_gsnap g = snap(1, "select", pcs, 2);
	char *got;

	CAPTURE(got, goro__fmt_debug1(out, "goroutine", &g, 1));
	char *first = strstr(got, "\n#\t");
	cr_assert_not_null(first);
	char *second = strstr(first + 1, "\n#\t");
	cr_assert_not_null(second);
	cr_assert_eq(last_field_column(first + 1),
	             last_field_column(second + 1), "%s", got);
	cr_assert_not_null(strstr(first, "leak_worker2+0x"));
	cr_assert_not_null(strstr(first, "\t\t"), "short name padded: %s",
	                   got);
	free(got);
}

Test(debug1, unknown_pc_prints_address_only)
{
	const uintptr_t pcs[] = { 0x10 };
	struct goro_gsnap g = snap(1, "running", pcs, 1);
	char *got;

	CAPTURE(got, goro__fmt_debug1(out, "goroutine", &g, 1));
	cr_assert_str_eq(got, "goroutine profile: total 1\n"
	                      "1 @ 0x10\n"
	                      "#\t0x10\n"
	                      "\n");
	free(got);
}

Test(debug1, empty_profile)
{
	char *got;

	CAPTURE(got, goro__fmt_debug1(out, "goroutineleak", NULL, 0));
	cr_assert_str_eq(got, "goroutineleak profile: total 0\n");
	free(got);
}

/* Expected bytes produced by Go's text/tabwriter (1, 8, 1, '\t', 0). */
Test(tabalign, matches_go_tabwriter)
{
	const struct goro_tabline lines[] = {
		{ 3, { "#", "0x4a1b24", "main.worker+0x24" }, "/src/main.go:12" },
		{ 3,
		  { "#", "0x4a1c08", "runtime/pprof.writeRuntimeProfile+0xac" },
		  "/usr/local/go/src/runtime/pprof/pprof.go:799" },
		{ 1, { "#" }, "0x1234" },
		{ 3, { "#", "0x4a1d00", "f+0x1" }, "/a.go:1" },
		{ 3,
		  { "#", "0x4a1d00000000000000",
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9+0x1" },
		  "x" },
	};
	char *got;

	CAPTURE(got, goro__tab_write(out, lines, 5));
	cr_assert_str_eq(
		got,
		"#\t0x4a1b24\tmain.worker+0x24\t\t\t/src/main.go:12\n"
		"#\t0x4a1c08\truntime/pprof.writeRuntimeProfile+0xac\t"
		"/usr/local/go/src/runtime/pprof/pprof.go:799\n"
		"#\t0x1234\n"
		"#\t0x4a1d00\t\tf+0x1\t\t/a.go:1\n"
		"#\t0x4a1d00000000000000\t\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9+0x1\tx\n");
	free(got);
}

/* ------------------------------------------------------------------ */
/* goleak                                                              */
/* ------------------------------------------------------------------ */

Test(goleak, article_report)
{
	collect_pcs();
	struct goro_gsnap g[2] = { gather_snap(8), gather_snap(9) };
	g[1].durable = true; /* markers never show in goleak's state */
	char *got, *body, *want;

	CAPTURE(got, goro__fmt_goleak(out, g, 2));
	cr_assert(asprintf(&body,
	                   "leak_worker()\n"
	                   "\t%s:%d +0x%lx\n"
	                   "created by leak_gather in goroutine 7\n"
	                   "\t%s:%d +0x%lx\n",
	                   file_of((uintptr_t)leak_worker), worker_line,
	                   (unsigned long)(pc_worker - (uintptr_t)leak_worker),
	                   file_of((uintptr_t)leak_gather), gather_line,
	                   (unsigned long)(pc_gather -
	                                   (uintptr_t)leak_gather)) > 0);
	cr_assert(asprintf(&want,
	                   "found unexpected goroutines:\n"
	                   "Goroutine 8 in state chan send, with leak_worker on "
	                   "top of the stack:\n%s\n"
	                   "Goroutine 9 in state chan send, with leak_worker on "
	                   "top of the stack:\n%s",
	                   body, body) > 0);
	cr_assert_str_eq(got, want);
	free(got);
	free(body);
	free(want);
}

Test(goleak, top_function)
{
	collect_pcs();
	struct goro_gsnap g = gather_snap(8);
	cr_assert_str_eq(goro__top_function(&g), "leak_worker");

	const uintptr_t internal_only[] = { pc_rt_top, pc_rt_bottom };
	g = snap(1, "running", internal_only, 2);
	cr_assert_str_eq(goro__top_function(&g), "?");

	g = snap(1, "running", NULL, 0);
	cr_assert_str_eq(goro__top_function(&g), "?");
}

/* ------------------------------------------------------------------ */
/* debug=0: gzip'd profile.proto                                       */
/* ------------------------------------------------------------------ */

/*
 * Our own statement of the profile.proto fields this writer uses, for
 * protoc when google/pprof's file is not in the Go module cache.
 */
static const char fallback_proto[] =
	"syntax = \"proto3\";\n"
	"package perftools.profiles;\n"
	"message Profile {\n"
	"  repeated ValueType sample_type = 1; repeated Sample sample = 2;\n"
	"  repeated Mapping mapping = 3; repeated Location location = 4;\n"
	"  repeated Function function = 5; repeated string string_table = 6;\n"
	"  int64 drop_frames = 7; int64 keep_frames = 8;\n"
	"  int64 time_nanos = 9; int64 duration_nanos = 10;\n"
	"  ValueType period_type = 11; int64 period = 12;\n"
	"  repeated int64 comment = 13; int64 default_sample_type = 14;\n"
	"}\n"
	"message ValueType { int64 type = 1; int64 unit = 2; }\n"
	"message Sample { repeated uint64 location_id = 1;\n"
	"  repeated int64 value = 2; repeated Label label = 3; }\n"
	"message Label { int64 key = 1; int64 str = 2; int64 num = 3;\n"
	"  int64 num_unit = 4; }\n"
	"message Mapping { uint64 id = 1; uint64 memory_start = 2;\n"
	"  uint64 memory_limit = 3; uint64 file_offset = 4; int64 filename = 5;\n"
	"  int64 build_id = 6; bool has_functions = 7; bool has_filenames = 8;\n"
	"  bool has_line_numbers = 9; bool has_inline_frames = 10; }\n"
	"message Location { uint64 id = 1; uint64 mapping_id = 2;\n"
	"  uint64 address = 3; repeated Line line = 4; bool is_folded = 5; }\n"
	"message Line { uint64 function_id = 1; int64 line = 2; }\n"
	"message Function { uint64 id = 1; int64 name = 2;\n"
	"  int64 system_name = 3; int64 filename = 4; int64 start_line = 5; }\n";

static bool on_path(const char *tool)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Runs cmd; returns its stdout+stderr (caller frees) and exit status. */
static char *run(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, p)) > 0)
		fwrite(buf, 1, n, out);
	fclose(out);
	*status = pclose(p);
	return text;
}

/* Writes the sample profile (stacks A x3, B x1) to a temp file. */
static void write_profile(char *path)
{
	collect_pcs();
	const uintptr_t pcs_b[] = { pc_rt_top, pc_worker2, pc_long,
		                    pc_rt_bottom };
	struct goro_gsnap g[4] = {
		gather_snap(5), snap(6, "chan receive", pcs_b, 4),
		gather_snap(7), gather_snap(8),
	};
	strcpy(path, "/tmp/goro_test_profile_XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	cr_assert_eq(goro__fmt_proto(f, "goroutineleak", g, 4), 0);
	cr_assert_eq(fclose(f), 0);
}

/* gunzip path into path.pb; checks the gzip framing on the way. */
static void gunzip_to(const char *path, char *raw)
{
	sprintf(raw, "%s.pb", path);
	gzFile gz = gzopen(path, "rb");
	cr_assert_not_null(gz);
	cr_assert_eq(gzdirect(gz), 0, "the profile is gzip-compressed");
	FILE *out = fopen(raw, "w");
	char buf[4096];
	int n;
	while ((n = gzread(gz, buf, sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, out);
	cr_assert_eq(n, 0);
	gzclose(gz);
	fclose(out);
}

/* Directory holding profile.proto: google/pprof's, or our fallback. */
static void proto_dir(char *dir, size_t size)
{
	int status;
	char *cache = on_path("go") ? run("go env GOMODCACHE 2>/dev/null",
	                                  &status)
	                            : NULL;
	if (cache != NULL) {
		char pattern[PATH_MAX];
		cache[strcspn(cache, "\n")] = '\0';
		snprintf(pattern, sizeof pattern,
		         "%s/github.com/google/pprof@*/proto/profile.proto", cache);
		glob_t gl;
		if (glob(pattern, 0, NULL, &gl) == 0 && gl.gl_pathc > 0) {
			snprintf(dir, size, "%s", gl.gl_pathv[gl.gl_pathc - 1]);
			*strrchr(dir, '/') = '\0';
			globfree(&gl);
			free(cache);
			return;
		}
		free(cache);
	}
	snprintf(dir, size, "/tmp/goro_test_proto_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char file[PATH_MAX + 16];
	snprintf(file, sizeof file, "%s/profile.proto", dir);
	FILE *f = fopen(file, "w");
	fputs(fallback_proto, f);
	fclose(f);
	cr_log_info("google/pprof's profile.proto is not in the module cache: "
	            "decoding with the test's own schema");
}

/* Ids found in top-level blocks named `block` ("location {" ...). */
static int collect_ids(const char *text, const char *block, uint64_t *ids,
                       int max)
{
	char head[64];
	int n = 0;
	snprintf(head, sizeof head, "\n%s {\n  id: ", block);
	for (const char *p = strstr(text, head); p; p = strstr(p + 1, head))
		if (n < max)
			ids[n++] = strtoull(p + strlen(head), NULL, 10);
	return n;
}

static void assert_ids_dense_unique(const uint64_t *ids, int n,
                                    const char *what)
{
	for (int i = 0; i < n; i++) {
		cr_assert_neq(ids[i], 0, "%s id 0", what);
		for (int j = 0; j < i; j++)
			cr_assert_neq(ids[i], ids[j], "%s ids unique", what);
	}
}

static bool has_id(const uint64_t *ids, int n, uint64_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Every "  KEY: N" line (at any depth) names an id in ids. */
static void assert_refs(const char *text, const char *key, const uint64_t *ids,
                        int n)
{
	char pat[64];
	snprintf(pat, sizeof pat, " %s: ", key);
	int refs = 0;
	for (const char *p = strstr(text, pat); p; p = strstr(p + 1, pat)) {
		uint64_t id = strtoull(p + strlen(pat), NULL, 10);
		cr_assert(has_id(ids, n, id), "%s %lu dangles", key,
		          (unsigned long)id);
		refs++;
	}
	cr_assert_gt(refs, 0, "no %s at all", key);
}

Test(proto, decodes_with_protoc)
{
	if (!on_path("protoc"))
		cr_skip_test("protoc is not installed: decode check skipped");
	char path[64], raw[80], dir[PATH_MAX], cmd[2 * PATH_MAX];
	int status;

	write_profile(path);
	gunzip_to(path, raw);
	proto_dir(dir, sizeof dir);
	snprintf(cmd, sizeof cmd,
	         "protoc --decode=perftools.profiles.Profile -I'%s' "
	         "profile.proto < '%s' 2>&1",
	         dir, raw);
	char *text = run(cmd, &status);
	cr_assert_eq(status, 0, "protoc failed:\n%s", text);

	/* string_table[0] is "", then the names the profile refers to. */
	char *first = strstr(text, "string_table: ");
	cr_assert_not_null(first);
	cr_assert(strncmp(first, "string_table: \"\"\n", 17) == 0);
	cr_assert_not_null(strstr(text, "string_table: \"goroutineleak\""));
	cr_assert_not_null(strstr(text, "string_table: \"count\""));
	cr_assert_not_null(strstr(text, "string_table: \"leak_worker\""));
	cr_assert_not_null(strstr(text, "string_table: \"leak_worker2\""));
	cr_assert_null(strstr(text, "string_table: \"goro__unwind_here\""),
	               "hidden frames are left out");
	cr_assert_not_null(strstr(text, "\nperiod: 1\n"));
	cr_assert_not_null(strstr(text, "\nperiod_type {\n"));
	cr_assert_not_null(strstr(text, "\ntime_nanos: "));
	cr_assert_not_null(strstr(text, "has_functions: true"));
	cr_assert_not_null(strstr(text, "has_line_numbers: true"));
	cr_assert_not_null(strstr(text, "  start_line: "), "Function.start_line from DWARF:\n%s", text);

	/* Two distinct stacks, each led by its blocking call (frames.h):
	 * A (3 goroutines: goro_chan_send, 1 frame), B (1: goro_chan_recv,
	 * 2 frames). */
	cr_assert_not_null(strstr(text, "sample {\n  location_id: 1\n"
	                                "  location_id: 2\n  value: 3\n}"), "%s", text);
	cr_assert_not_null(strstr(text, "sample {\n  location_id: 3\n"
	                                "  location_id: 4\n  location_id: 5\n"
	                                "  value: 1\n}"),
	                   "%s", text);
	cr_assert_not_null(strstr(text, "string_table: \"goro_chan_send\""), "%s", text);
	cr_assert_not_null(strstr(text, "string_table: \"goro_chan_recv\""), "%s", text);

	uint64_t locs[16], funcs[16], maps[256];
	int nl = collect_ids(text, "location", locs, 16);
	int nf = collect_ids(text, "function", funcs, 16);
	int nm = collect_ids(text, "mapping", maps, 256);
	cr_assert_eq(nl, 5);
	cr_assert_eq(nf, 5);
	cr_assert_gt(nm, 0);
	assert_ids_dense_unique(locs, nl, "location");
	assert_ids_dense_unique(funcs, nf, "function");
	assert_ids_dense_unique(maps, nm, "mapping");
	assert_refs(text, "location_id", locs, nl);
	assert_refs(text, "function_id", funcs, nf);
	assert_refs(text, "mapping_id", maps, nm);

	free(text);
	unlink(raw);
	unlink(path);
}

Test(proto, loads_in_go_tool_pprof_without_the_binary)
{
	if (!on_path("go"))
		cr_skip_test("go is not on PATH: pprof check skipped");
	char path[64], cmd[256], *want;
	int status;

	write_profile(path);
	snprintf(cmd, sizeof cmd, "go tool pprof -raw '%s' 2>&1", path);
	char *raw = run(cmd, &status);
	cr_assert_eq(status, 0, "pprof -raw failed:\n%s", raw);
	cr_assert_not_null(strstr(raw, "goroutineleak/count"), "%s", raw);
	cr_assert(asprintf(&want, "leak_worker %s:%d", file_of(pc_worker - 1),
	                   worker_line) > 0);
	cr_assert_not_null(strstr(raw, want), "no '%s' in:\n%s", want, raw);
	free(want);
	cr_assert(asprintf(&want, "leak_worker2 %s:%d",
	                   file_of(pc_worker2 - 1), worker2_line) > 0);
	cr_assert_not_null(strstr(raw, want), "no '%s' in:\n%s", want, raw);
	free(want);
	free(raw);

	snprintf(cmd, sizeof cmd, "go tool pprof -traces '%s' 2>&1", path);
	char *traces = run(cmd, &status);
	cr_assert_eq(status, 0, "pprof -traces failed:\n%s", traces);
	cr_assert_not_null(strstr(traces, "Type: goroutineleak"), "%s", traces);
	cr_assert_not_null(strstr(traces, "leak_worker\n"), "%s", traces);
	cr_assert_not_null(strstr(traces, "leak_worker2\n"), "%s", traces);
	cr_assert_not_null(
		strstr(traces,
		       "a_function_with_a_rather_long_name_for_alignment\n"),
		"%s", traces);
	free(traces);
	unlink(path);
}

Test(proto, empty_profile_is_valid_gzip)
{
	char path[] = "/tmp/goro_test_empty_XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	cr_assert_eq(goro__fmt_proto(f, "goroutine", NULL, 0), 0);
	fclose(f);

	gzFile gz = gzopen(path, "rb");
	char buf[4096];
	int n = gzread(gz, buf, sizeof buf);
	cr_assert_gt(n, 0, "sample types and string table are present");
	cr_assert_eq(gzdirect(gz), 0);
	gzclose(gz);
	unlink(path);
}
