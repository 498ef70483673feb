/*
 * Attribution when a goroutine's own frame is gone, and goro's internal
 * frames out of user-facing output (frames.h).
 *
 * Built with -O2 -foptimize-sibling-calls (tests/CMakeLists.txt): each
 * goroutine below ends in the blocking goro call, which becomes a tail
 * call, so no frame of the goroutine's function is left on its stack.
 * Every test first checks that this happened (the precondition), then what
 * the user sees: the start function named as the goroutine's function, the
 * creation site, the blocking call as the leaf of profile samples, and
 * none of switch_to, goro__park, goro__claimwait_park, lock_slow, g_entry.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goro.h"
#include "sched/gsnap.h"
#include "trace/trace.h"

struct tc_arg {
	goro_chan *c;
	goro_mutex *m;
};

__attribute__((noinline)) static void tail_recv(void *p)
{
	struct tc_arg *a = p;
	goro_chan_recv(a->c, NULL);
}

__attribute__((noinline)) static void tail_send(void *p)
{
	struct tc_arg *a = p;
	int v = 1;
	goro_chan_send(a->c, &v);
}

__attribute__((noinline)) static void tail_lock(void *p)
{
	struct tc_arg *a = p;
	goro_mutex_lock(a->m);
}

static const char *const internal_names[] = {
	"switch_to", "goro__park", "goro__claimwait_park", "lock_slow", "g_entry",
	"park_on", "chan_recv", "goro__ctx_start", "goro__sema_wait",
};

static char *capture(void (*write)(FILE *, void *), void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	write(f, arg);
	fclose(f);
	return buf;
}

static void write_profile(FILE *f, void *arg)
{
	const int *debug = arg;
	cr_assert_eq(goro_profile_write("goroutine", f, *debug), 0);
}

static void assert_no_internal_frames(const char *text)
{
	for (size_t i = 0; i < sizeof internal_names / sizeof internal_names[0]; i++) {
		char pat[64];
		snprintf(pat, sizeof pat, "%s(", internal_names[i]);
		cr_assert_null(strstr(text, pat), "internal frame %s shown:\n%s",
		               internal_names[i], text);
		snprintf(pat, sizeof pat, "\t%s+", internal_names[i]);
		cr_assert_null(strstr(text, pat), "internal frame %s shown:\n%s",
		               internal_names[i], text);
	}
}

/* The precondition: no frame of goroutine id's stack is the user's. */
static void assert_tail_called(int64_t id)
{
	int n;
	struct goro_gsnap *s = goro__gsnap_all(&n);
	bool found = false;
	for (int i = 0; i < n; i++) {
		if (s[i].id != id)
			continue;
		found = true;
		for (int k = 0; k < s[i].npcs; k++) {
			struct goro_sym sym;
			goro__symbolize(goro__frame_pc(s[i].pcs, k), &sym);
			cr_assert(sym.internal, "goroutine %ld still has the frame %s: "
			          "no tail call (compiler flags?)", (long)id, sym.func);
		}
	}
	free(s);
	cr_assert(found);
}

/* TSan instruments every function's exit (__tsan_func_exit after the
 * call), so the compiler cannot make the last call a tail call: the
 * situation these tests are about never arises there. */
#if defined(__SANITIZE_THREAD__)
#define SKIP_WITHOUT_TAIL_CALLS() cr_skip_test("TSan's function-exit hooks prevent tail calls")
#else
#define SKIP_WITHOUT_TAIL_CALLS() ((void)0)
#endif

static void wait_parked(void)
{
	goro_sleep(20 * GORO_MILLISECOND);
}

Test(attribution, tail_called_goroutines_named_by_start_function)
{
	SKIP_WITHOUT_TAIL_CALLS();
	static goro_mutex mu;
	goro_mutex_lock(&mu);              /* held: tail_lock blocks */
	struct tc_arg r = { goro_chan_new(int, 0), NULL }, s = { goro_chan_new(int, 0), NULL },
	              l = { NULL, &mu };
	int64_t idr = goro_go(tail_recv, &r);
	int64_t ids = goro_go(tail_send, &s);
	int64_t idl = goro_go(tail_lock, &l);
	wait_parked();
	assert_tail_called(idr);
	assert_tail_called(idl);

	/* goleak's text */
	char *rep = NULL;
	goro_leak_opts *o = goro_leak_opts_new();
	goro_leak_max_wait(o, 200 * GORO_MILLISECOND);
	cr_assert_eq(goro_leak_find(o, &rep), 3);
	cr_assert_not_null(strstr(rep, "with tail_recv on top of the stack"), "%s", rep);
	cr_assert_not_null(strstr(rep, "with tail_lock on top of the stack"), "%s", rep);
	cr_assert_not_null(strstr(rep, "with tail_send on top of the stack"), "%s", rep);
	cr_assert_null(strstr(rep, "with ? on top"), "%s", rep);
	cr_assert_not_null(strstr(rep, "created by attribution_tail_called_goroutines"), "%s", rep);
	assert_no_internal_frames(rep);
	/* IgnoreTopFunction matches the start function */
	goro_leak_ignore_top_function(o, "tail_recv");
	goro_leak_ignore_top_function(o, "tail_lock");
	goro_leak_ignore_top_function(o, "tail_send");
	cr_assert_eq(goro_leak_find(o, NULL), 0);
	goro_leak_opts_free(o);
	free(rep);

	/* the dump: user frames only */
	int debug = 2;
	char *dump = capture(write_profile, &debug);
	assert_no_internal_frames(dump);
	cr_assert_not_null(strstr(dump, "tail_recv()\n"), "%s", dump);
	cr_assert_not_null(strstr(dump, "tail_lock()\n"), "%s", dump);
	free(dump);

	/* the count profile: the blocking call is each sample's leaf */
	debug = 1;
	char *prof = capture(write_profile, &debug);
	assert_no_internal_frames(prof);
	const char *recv = strstr(prof, "\tgoro_chan_recv+");
	cr_assert_not_null(recv, "%s", prof);
	cr_assert_not_null(strstr(recv, "\ttail_recv+"), "leaf then the start function:\n%s", prof);
	const char *lock = strstr(prof, "\tgoro_mutex_lock+");
	cr_assert_not_null(lock, "%s", prof);
	cr_assert_not_null(strstr(lock, "\ttail_lock+"), "%s", prof);
	cr_assert_not_null(strstr(prof, "\tgoro_chan_send+"), "%s", prof);
	free(prof);

	goro_mutex_unlock(&mu);
	goro_chan_close(r.c);
	goro_chan_close(s.c);
	(void)ids;
}

/* The goroutineleak profile's records name the start function too. */
Test(attribution, leakprof_names_tail_called_goroutine)
{
	SKIP_WITHOUT_TAIL_CALLS();
	struct tc_arg r = { goro_chan_new(int, 0), NULL };
	int64_t id = goro_go(tail_recv, &r);
	r.c = NULL; /* nothing reachable holds the channel but the goroutine */
	wait_parked();
	assert_tail_called(id);
	goro_leaked *l;
	int n = goro_leakprof_find(&l);
	cr_assert_eq(n, 1);
	cr_assert_eq(l[0].id, id);
	cr_assert_str_eq(l[0].function, "tail_recv");
	cr_assert_str_eq(l[0].start_function, "tail_recv");
	cr_assert_str_eq(l[0].wait_reason, "chan receive");
	goro_leakprof_free(l);
}
