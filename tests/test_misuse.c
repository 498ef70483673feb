/*
 * test_misuse.c — misuse gets Go's panic text (or a clear error), never
 * silent corruption, a spin or a bare segfault (issue 15's table): nil
 * pointers passed to the API, use after free of contexts, channels and
 * timers, WaitGroup reuse, bad select cases, bad ports and stack sizes.
 * Each scenario runs in a fresh process (death.h) and its stderr and
 * status are checked exactly.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/resource.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <goro.h>
#include <goro_net.h>

#include "death.h"
#include "waiting.h" /* TEST_UNDER_TSAN */

/* ---- nil pointer dereferences: Go's run-time panic ----------------- */

static void nil_mutex(void *arg)
{
	goro_mutex_lock(arg);
}

static void nil_waitgroup(void *arg)
{
	goro_waitgroup_add(arg, 1);
}

static void nil_timer(void *arg)
{
	goro_timer_stop(arg);
}

static void nil_select(void *arg)
{
	goro_select(arg, 3, false);
}

static void nil_offload(void *arg)
{
	goro_offload(NULL, arg);
}

static void nil_call(void *arg)
{
	((void (*)(void))arg)();
}

/* Runs f(NULL) in a new goroutine; main waits (forever: f must panic). */
static void in_goroutine(goro_fn f)
{
	goro_go0(f);
	goro_chan_recv(goro_chan_new(int, 0), NULL);
}

static void sc_nil_mutex(void) { in_goroutine(nil_mutex); }
static void sc_nil_waitgroup(void) { in_goroutine(nil_waitgroup); }
static void sc_nil_timer(void) { in_goroutine(nil_timer); }
static void sc_nil_select(void) { in_goroutine(nil_select); }
static void sc_nil_offload(void) { in_goroutine(nil_offload); }
static void sc_nil_call(void) { in_goroutine(nil_call); }
static void sc_nil_in_main(void)
{
	goro_yield(); /* started, as in a goro program's main (its constructor) */
	nil_mutex(NULL);
}

/* ---- use after release / free --------------------------------------- */

static void sc_ctx_release_twice(void)
{
	goro_ctx *c = goro_with_cancel(goro_background());
	goro_ctx_release(c);
	goro_ctx_release(c);
}

static void sc_ctx_cancel_after_release(void)
{
	goro_ctx *c = goro_with_cancel(goro_background());
	goro_ctx_release(c);
	goro_ctx *other = goro_with_cancel(goro_background());
	goro_cancel(c);
	goro_ctx_release(other);
}

/* Many contexts released twice in a row, past the quarantine: once freed
 * for good the block is no heap block, which is caught as well. */
static void sc_ctx_release_twice_late(void)
{
	goro_ctx *first = goro_with_cancel(goro_background());
	goro_ctx_release(first);
	for (int i = 0; i < 10000; i++)
		goro_ctx_release(goro_with_value(goro_background(), &i, NULL));
	goro_ctx_release(first);
}

static void sc_chan_free_twice(void)
{
	goro_chan *c = goro_chan_new(int, 1);
	goro_chan_free(c);
	goro_chan_free(c);
}

static void sc_send_after_free(void)
{
	goro_chan *c = goro_chan_new(int, 1);
	goro_chan_free(c);
	goro_send(c, 1);
}

static void sc_timer_free_twice(void)
{
	goro_timer *t = goro_timer_new(GORO_SECOND);
	goro_timer_free(t);
	goro_timer_free(t);
}

static void sc_timer_stop_after_free(void)
{
	goro_timer *t = goro_timer_new(GORO_SECOND);
	goro_timer_free(t);
	goro_timer_stop(t);
}

/* ---- sync and select -------------------------------------------------- */

static goro_waitgroup reused_wg;

static void wg_waiter(void *arg)
{
	goro_waitgroup_wait(&reused_wg);
}

/* GORO_MAXPROCS=1: the waiter is released by Done but cannot run before
 * main's next Add, which starts a new round under the old Wait. */
static void sc_waitgroup_reused(void)
{
	goro_waitgroup_add(&reused_wg, 1);
	goro_go0(wg_waiter);
	goro_sleep(20 * GORO_MILLISECOND); /* the waiter parks in Wait */
	goro_waitgroup_done(&reused_wg);
	goro_waitgroup_add(&reused_wg, 1);
	goro_sleep(GORO_SECOND);
}

static void sc_select_bad_dir(void)
{
	goro_chan *c = goro_chan_new(int, 1);
	int v = 0;
	goro_case cases[] = { GORO_RECV(c, &v), { .chan = c, .dir = 7, .elem = &v } };
	goro_select(cases, 2, true);
}

static void sc_stack_too_big(void)
{
	goro_go_opts(nil_call, NULL, 0, &(goro_go_options){ .stack_size = SIZE_MAX });
}

static void sc_debug_port(void)
{
	goro_sleep(200 * GORO_MILLISECOND); /* the GORO_DEBUG_ADDR thread reports */
}

/* ---- address-space limits ------------------------------------------ */

static void nil_timer_parked(void *arg)
{
	goro_chan_recv(*(goro_chan **)arg, NULL);
}

static void sc_many_channels(void)
{
	for (;;)
		(void)goro_chan_new(char, 1 << 20);
}

static void echo(void *arg)
{
	goro_chan **cs = arg;
	int v;
	while (goro_chan_recv(cs[0], &v))
		goro_chan_send(cs[1], &v);
}

/* A small program: goroutines, channels, a timer, a leak check. */
static void sc_small_program(void)
{
	goro_chan *cs[2] = { goro_chan_new(int, 0), goro_chan_new(int, 0) };
	for (int i = 0; i < 8; i++)
		goro_go(echo, &cs);
	for (int i = 0; i < 1000; i++) {
		goro_chan_send(cs[0], &i);
		int v;
		goro_chan_recv(cs[1], &v);
		if (v != i)
			abort();
	}
	goro_sleep(GORO_MILLISECOND);
	goro_chan_close(cs[0]);
	fputs("small program: done\n", stderr);
}

/* The address space limited to what is mapped now plus 1 MiB, then
 * goroutines that need new stacks. */
static void sc_stacks_beyond_the_limit(void)
{
	goro_chan *never = goro_chan_new(int, 0);
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kb = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
			break;
	fclose(f);
	struct rlimit rl = { (rlim_t)(kb + 1024) << 10, (rlim_t)(kb + 1024) << 10 };
	if (kb == 0 || setrlimit(RLIMIT_AS, &rl) != 0)
		abort();
	for (int i = 0; i < 100000; i++)
		goro_go(nil_timer_parked, &never);
	fputs("all started\n", stderr);
}

DEATH_SCENARIOS({ "stacks_beyond_the_limit", sc_stacks_beyond_the_limit },
                { "many_channels", sc_many_channels },
                { "small_program", sc_small_program },{ "nil_mutex", sc_nil_mutex }, { "nil_waitgroup", sc_nil_waitgroup },
                { "nil_timer", sc_nil_timer }, { "nil_select", sc_nil_select },
                { "nil_offload", sc_nil_offload }, { "nil_call", sc_nil_call },
                { "nil_in_main", sc_nil_in_main },
                { "ctx_release_twice", sc_ctx_release_twice },
                { "ctx_cancel_after_release", sc_ctx_cancel_after_release },
                { "ctx_release_twice_late", sc_ctx_release_twice_late },
                { "chan_free_twice", sc_chan_free_twice },
                { "send_after_free", sc_send_after_free },
                { "timer_free_twice", sc_timer_free_twice },
                { "timer_stop_after_free", sc_timer_stop_after_free },
                { "waitgroup_reused", sc_waitgroup_reused },
                { "select_bad_dir", sc_select_bad_dir },
                { "stack_too_big", sc_stack_too_big }, { "debug_port", sc_debug_port })

/* Go's text for a nil dereference, the faulting goroutine's stack with
 * the function that dereferenced. */
static void check_nil_panic(const char *scenario, long long goid, const char *frame)
{
#if defined(__SANITIZE_ADDRESS__)
	/* The ASan build has UBSan too, which reports a member access through
	 * NULL itself, before the access faults. */
	if (strcmp(scenario, "nil_call") != 0 && strcmp(scenario, "nil_offload") != 0)
		cr_skip_test("UBSan reports the null member access first");
#endif
	struct death d;
	death_run(scenario, &d);
	death_assert_signal(&d, SIGABRT);
	const char *p = death_stderr_from(
		&d, "panic: runtime error: invalid memory address or nil pointer dereference\n"
		    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x");
	cr_assert_not_null(p, "no Go nil-pointer panic; stderr:\n%s", d.err);
	char want[64];
	snprintf(want, sizeof want, "\ngoroutine %lld [running]:\n", goid);
	const char *g = strstr(p, want);
	cr_assert_not_null(g, "no \"%s\" after the panic; stderr:\n%s", want + 1, d.err);
	cr_assert_not_null(strstr(g, frame), "the stack lacks %s; stderr:\n%s", frame, d.err);
}

Test(nil_deref, mutex_lock) { check_nil_panic("nil_mutex", 2, "nil_mutex("); }
Test(nil_deref, waitgroup_add) { check_nil_panic("nil_waitgroup", 2, "nil_waitgroup("); }
Test(nil_deref, timer_stop) { check_nil_panic("nil_timer", 2, "nil_timer("); }
Test(nil_deref, select_cases) { check_nil_panic("nil_select", 2, "nil_select("); }
Test(nil_deref, offload_fn) { check_nil_panic("nil_offload", 2, "nil_offload("); }
Test(nil_deref, call_through_nil_function_pointer)
{
	check_nil_panic("nil_call", 2, "nil_call(");
}
Test(nil_deref, in_goroutine_1) { check_nil_panic("nil_in_main", 1, "sc_nil_in_main("); }

static void check_panic(const char *scenario, const char *env, const char *text)
{
	struct death d;
	death_run_env(scenario, env, &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d, text);
	death_assert_stderr_has(&d, "\ngoroutine 1 [running]:\n");
}

Test(use_after_free, ctx_release_twice)
{
	check_panic("ctx_release_twice", NULL,
	            "panic: goro_ctx_release: context 0x");
	check_panic("ctx_release_twice", NULL,
	            "used after its last goro_ctx_release (released too many times?)");
}

Test(use_after_free, ctx_cancel_after_release_never_cancels_another)
{
	check_panic("ctx_cancel_after_release", NULL, "panic: goro_cancel: context 0x");
}

Test(use_after_free, ctx_release_twice_after_the_quarantine)
{
	check_panic("ctx_release_twice_late", NULL, "panic: goro_ctx_release: context 0x");
}

Test(use_after_free, chan_free_twice)
{
	check_panic("chan_free_twice", NULL,
	            "panic: goro_chan_free: channel 0x");
	check_panic("chan_free_twice", NULL, "is not a live channel (used after goro_chan_free, "
	                                     "or freed twice)");
}

Test(use_after_free, send_after_free)
{
	check_panic("send_after_free", NULL, "panic: send: channel 0x");
}

Test(use_after_free, timer_free_twice)
{
	check_panic("timer_free_twice", NULL, "panic: goro_timer_free: timer 0x");
}

Test(use_after_free, timer_stop_after_free)
{
	check_panic("timer_stop_after_free", NULL, "panic: goro_timer_stop: timer 0x");
}

Test(sync_misuse, waitgroup_reused_before_wait_returned)
{
	struct death d;
	death_run_env("waitgroup_reused", "GORO_MAXPROCS=1", &d);
	death_assert_signal(&d, SIGABRT);
	death_assert_stderr_has(&d,
	                        "panic: sync: WaitGroup is reused before previous Wait has returned\n");
	death_assert_stderr_has(&d, "wg_waiter(");
}

Test(select_misuse, invalid_direction_panics)
{
	check_panic("select_bad_dir", NULL,
	            "panic: goro_select: invalid direction 7 in case 1 (GORO_CASE_RECV or "
	            "GORO_CASE_SEND)\n");
}

Test(stack_size, huge_goro_go_opts_stack_panics)
{
	check_panic("stack_too_big", NULL, "panic: goro_go_opts: stack_size 18446744073709551615 "
	                                   "is larger than the maximum of 1073741824 bytes");
}

Test(stack_size, bad_GORO_STACK_SIZE_is_reported)
{
	struct death d;
	death_run_env("debug_port", "GORO_STACK_SIZE=99999999999M", &d);
	death_assert_exit(&d, 0);
	death_assert_stderr_has(&d, "goro: GORO_STACK_SIZE=99999999999M: not a size of at most "
	                            "1G (bytes, or with a K or M suffix); using the default 64K\n");
}

Test(ports, listen_rejects_ports_beyond_65535)
{
	const char *bad[] = { "127.0.0.1:131073", "127.0.0.1:65536", "127.0.0.1:-1",
	                      "[::1]:99999", ":4294967297" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		cr_assert_eq(goro_net_listen(bad[i]), -1, "%s was listened on", bad[i]);
		cr_assert_eq(errno, EINVAL, "%s: errno %d", bad[i], errno);
		cr_assert_eq(goro_net_dial(bad[i]), -1, "%s was dialed", bad[i]);
	}
	int fd = goro_net_listen("127.0.0.1:0");
	cr_assert_geq(fd, 0, "port 0 must still work: %s", strerror(errno));
	close(fd);
}

Test(ports, GORO_DEBUG_ADDR_with_an_invalid_port)
{
	struct death d;
	death_run_env("debug_port", "GORO_DEBUG_ADDR=:99999", &d);
	death_assert_exit(&d, 0);
	death_assert_stderr_has(&d, "goro: GORO_DEBUG_ADDR=:99999: cannot serve /debug/pprof: "
	                            "address :99999: invalid port\n");
}

Test(profiles, debug_above_2_is_2_and_negative_is_EINVAL)
{
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	FILE *fa = open_memstream(&a, &alen), *fb = open_memstream(&b, &blen);
	cr_assert_eq(goro_profile_write("goroutine", fa, 99), 0);
	cr_assert_eq(goro_profile_write("goroutine", fb, 2), 0);
	fclose(fa);
	fclose(fb);
	cr_assert(strncmp(a, "goroutine 1 [running]:\n", 23) == 0, "debug=99:\n%s", a);
	cr_assert(strncmp(b, "goroutine 1 [running]:\n", 23) == 0, "debug=2:\n%s", b);
	free(a);
	free(b);
	errno = 0;
	cr_assert_eq(goro_profile_write("goroutine", stderr, -1), -1);
	cr_assert_eq(errno, EINVAL);
}

/* death_run, in a process whose address space is limited to kb KiB from
 * its start (ulimit -v): the limit must be set before goro's constructor. */
static void run_limited(const char *scenario, long kb, struct death *d)
{
	int pipefd[2];
	cr_assert_eq(pipe(pipefd), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { (rlim_t)kb << 10, (rlim_t)kb << 10 };
		char var[128];
		snprintf(var, sizeof var, "GORO_TEST_SCENARIO=%s", scenario);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		putenv(var);
		unsetenv("BXFI_MAP");
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(99);
		execl("/proc/self/exe", scenario, (char *)NULL);
		_exit(98);
	}
	close(pipefd[1]);
	d->len = 0;
	ssize_t r;
	while ((r = read(pipefd[0], d->err + d->len, sizeof d->err - 1 - d->len)) > 0 ||
	       (r < 0 && errno == EINTR))
		if (r > 0)
			d->len += (size_t)r;
	d->err[d->len] = 0;
	close(pipefd[0]);
	while (waitpid(pid, &d->status, 0) < 0)
		cr_assert_eq(errno, EINTR);
}

Test(address_space, out_of_memory_is_a_true_message_and_exit_2)
{
#if defined(TEST_UNDER_TSAN) || defined(__SANITIZE_ADDRESS__)
	cr_skip_test("the sanitizers reserve terabytes of shadow memory");
#endif
	struct death d;
	run_limited("many_channels", 300000, &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(&d, "fatal error: runtime: out of memory: cannot allocate 10486");
	death_assert_stderr_has(&d, " bytes for a channel (Cannot allocate memory); the address "
	                            "space is limited to ");
	death_assert_stderr_has(&d, "MiB (ulimit -v)\n");
	death_assert_stderr_has(&d, "goroutine 1 [running]:\n");
}

/* ulimit -v 100000: a small program runs (the heap, the registry and the
 * stacks start small) or, when this binary's libraries leave too little,
 * ends with Go's out-of-memory message and status 2; never a spin or a
 * bare fault. */
Test(address_space, a_small_program_runs_under_100_MB)
{
#if defined(TEST_UNDER_TSAN) || defined(__SANITIZE_ADDRESS__)
	cr_skip_test("the sanitizers reserve terabytes of shadow memory");
#endif
	struct death d;
	run_limited("small_program", 100000, &d);
	if (WIFEXITED(d.status) && WEXITSTATUS(d.status) == 2) {
		death_assert_stderr_has(&d, "fatal error: runtime: out of memory: cannot allocate ");
		death_assert_stderr_has(&d, "MiB (ulimit -v)\n");
		return;
	}
	death_assert_exit(&d, 0);
	death_assert_stderr_has(&d, "small program: done\n");
}

/* Too small for more stacks: the message, then exit 2 (the fatal path
 * takes no lock it may hold: no spin). */
Test(address_space, too_small_a_limit_is_a_message_and_exit_2)
{
#if defined(TEST_UNDER_TSAN) || defined(__SANITIZE_ADDRESS__)
	cr_skip_test("the sanitizers reserve terabytes of shadow memory");
#endif
	struct death d;
	death_run("stacks_beyond_the_limit", &d);
	death_assert_exit(&d, 2);
	death_assert_stderr_has(&d, "fatal error: runtime: out of memory: cannot allocate 65536 "
	                            "bytes for a goroutine stack (Cannot allocate memory); the "
	                            "address space is limited to ");
	death_assert_stderr_lacks(&d, "all started");
}
