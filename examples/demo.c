/*
 * demo.c — `make demo`: the article's walkthrough.
 *
 * For every scenario the leaky code runs once, the way the article's main
 * does, and each of the article's tools shows the leak in turn:
 *   1. runtime.NumGoroutine after 50 ms,
 *   2. the goleak-style check (goro_leak_find),
 *   3. synctest (goro_synctest_run of the article's synctest.Test body),
 *   4. the goroutineleak profile (its leaked goroutines, like printLeaks).
 * Then the fixed code goes through the same four checks.
 *
 * All scenarios share this process, so each section looks only at what it
 * started: NumGoroutine is counted from a baseline, goleak ignores the
 * goroutines that existed before (IgnoreCurrent), and the profile shows
 * only goroutines no earlier section reported.  The exit status is 0 when
 * every tool saw every leak and no fix leaked.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <goro.h>

#include "print_leaks.h"
#include "scenarios.h"

/* ------------------------------------------------------------------ */
/* What the article's mains pass to printLeaks                         */
/* ------------------------------------------------------------------ */

static int ret11(void) { return 11; }
static int ret22(void) { return 22; }
static int ret33(void) { return 33; }

static void run_gather(void *arg)
{
	gather((const int_func[]){ ret11, ret22, ret33 }, 3);
}

static void run_gather_fixed(void *arg)
{
	gather_fixed((const int_func[]){ ret11, ret22, ret33 }, 3);
}

static void run_range_over_chan(void *arg)
{
	range_over_chan((const int[]){ 11, 22, 33, 44 }, 4, 2);
}

static void run_range_over_chan_fixed(void *arg)
{
	range_over_chan_fixed((const int[]){ 11, 22, 33, 44 }, 4, 2);
}

static void run_double_send(void *arg)
{
	goro_chan_recv(double_send(), NULL);
}

static void run_double_send_fixed(void *arg)
{
	goro_chan_recv(double_send_fixed(), NULL);
}

static void run_early_return(void *arg)
{
	early_return();
}

static void run_early_return_fixed(void *arg)
{
	early_return_fixed();
}

static void run_canceled(void *arg)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_cancel(ctx); // Immediately cancel the context
	canceled(ctx);
	goro_ctx_release(ctx);
}

static void run_canceled_fixed(void *arg)
{
	goro_ctx *ctx = goro_with_cancel(goro_background());
	goro_cancel(ctx);
	canceled_fixed(ctx);
	goro_ctx_release(ctx);
}

static const int three_items[] = { 11, 22, 33 };

static void run_take_first(void *arg)
{
	goro_go(take_first, &(struct take_first_args){ three_items, 3 });
}

static void run_take_first_fixed(void *arg)
{
	goro_go(take_first_fixed, &(struct take_first_args){ three_items, 3 });
}

static void run_take_first_nil(void *arg)
{
	goro_go(take_first, &(struct take_first_args){ NULL, 0 });
}

static void run_take_first_nil_fixed(void *arg)
{
	goro_go(take_first_fixed, &(struct take_first_args){ NULL, 0 });
}

static void run_orphans(void *arg)
{
	orphans();
}

static void run_orphans_fixed(void *arg)
{
	orphans_fixed();
}

struct scenario {
	const char *title;
	const char *problem; /* why the article's code leaks */
	const char *fix;     /* the article's fix */
	goro_fn run, run_fixed;
	/* The article's synctest body sleeps this long before Wait (its
	 * Canceled test: "Give time for operations to settle"). */
	goro_duration settle;
	/* Whether it leaks depends on timing in goro (see racy_note). */
	bool racy;
};

static const struct scenario scenarios[] = {
	{ .title = "Gather",
	  .problem = "Gather starts one goroutine per function; each blocks sending its result\n"
	             "on an unbuffered channel that the caller never reads.",
	  .fix = "a buffer for every result",
	  .run = run_gather, .run_fixed = run_gather_fixed },
	{ .title = "Range over channel",
	  .problem = "Two workers range over a channel the sender never closes: once the four\n"
	             "items are taken, both wait for a fifth forever.",
	  .fix = "close(ch) after the last send",
	  .run = run_range_over_chan, .run_fixed = run_range_over_chan_fixed },
	{ .title = "Double send",
	  .problem = "On the error path the child sends nil and then its result; the caller\n"
	             "receives once, so the second send blocks forever.",
	  .fix = "return after sending nil",
	  .run = run_double_send, .run_fixed = run_double_send_fixed },
	{ .title = "Early return",
	  .problem = "The parent returns on an error before receiving its child's result; the\n"
	             "child's send on the unbuffered channel blocks forever.",
	  .fix = "a buffered channel",
	  .run = run_early_return, .run_fixed = run_early_return_fixed },
	{ .title = "Cancel/Timeout",
	  .problem = "The parent's context is canceled, so it returns without receiving; the\n"
	             "child's send blocks forever.",
	  .fix = "a buffered channel",
	  .run = run_canceled, .run_fixed = run_canceled_fixed,
	  .settle = GORO_SECOND, .racy = true },
	{ .title = "Take first (three items)",
	  .problem = "The parent takes the first of three results; the other two children\n"
	             "block in their sends forever.",
	  .fix = "a buffer for every result",
	  .run = run_take_first, .run_fixed = run_take_first_fixed },
	{ .title = "Take first (nil input)",
	  .problem = "With no items the parent waits for a result that never comes.",
	  .fix = "return early on empty input",
	  .run = run_take_first_nil, .run_fixed = run_take_first_nil_fixed },
	{ .title = "Orphans",
	  .problem = "The client starts a Worker and never stops it: its two run goroutines\n"
	             "wait in their select forever.",
	  .fix = "stop the worker (Go: defer w.Stop())",
	  .run = run_orphans, .run_fixed = run_orphans_fixed },
};

enum { NSCENARIOS = sizeof scenarios / sizeof scenarios[0] };

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static bool color; /* ANSI colors: only when stdout is a terminal */

static const char *sgr(const char *code)
{
	return color ? code : "";
}

#define BOLD sgr("\033[1m")
#define RED sgr("\033[31m")
#define GREEN sgr("\033[32m")
#define CYAN sgr("\033[36m")
#define RESET sgr("\033[0m")

static void heading(int i, const char *title)
{
	char rule[80];
	int n = snprintf(rule, sizeof rule, "== %d/%d  %s ", i + 1, NSCENARIOS, title);
	while (n < 72)
		rule[n++] = '=';
	rule[n] = '\0';
	printf("\n%s%s%s%s\n", BOLD, CYAN, rule, RESET);
}

/* Prints text indented by four spaces, without its trailing empty lines. */
static void print_indented(const char *text)
{
	size_t n = strlen(text);
	while (n && text[n - 1] == '\n')
		n--;
	const char *stop = text + n;
	while (text < stop) {
		size_t len = strcspn(text, "\n");
		if (len)
			printf("    %.*s\n", (int)len, text);
		else
			putchar('\n');
		text += len;
		if (*text == '\n')
			text++;
	}
}

/* One tool's verdict: "label  N <what> goroutine(s)" in red, or
 * "no leaks" in green. */
static void verdict(const char *label, int n, const char *what)
{
	if (n)
		printf("%s%-32s%s %s%d %s goroutine%s%s\n", BOLD, label, RESET, RED, n, what,
		       n == 1 ? "" : "s", RESET);
	else
		printf("%s%-32s%s %sno leaks%s\n", BOLD, label, RESET, GREEN, RESET);
}

/* ------------------------------------------------------------------ */
/* The goroutineleak profile, without earlier sections' leaks          */
/* ------------------------------------------------------------------ */

struct id_set {
	int64_t *ids;
	int n, cap;
};

static bool id_set_has(const struct id_set *s, int64_t id)
{
	for (int i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return true;
	return false;
}

static void id_set_add(struct id_set *s, int64_t id)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->ids = realloc(s->ids, (size_t)s->cap * sizeof *s->ids);
		if (!s->ids)
			abort();
	}
	s->ids[s->n++] = id;
}

/*
 * Writes into `out` the debug=2 blocks of the goroutineleak profile that
 * contain "(leaked)" and belong to goroutines not in `seen` (earlier
 * sections' leaks stay leaked), adds those to `seen` and returns how many.
 */
static int new_leaked_blocks(FILE *out, struct id_set *seen)
{
	char *dump = NULL, *leaked = NULL;
	size_t dump_len = 0, leaked_len = 0;
	FILE *f = open_memstream(&dump, &dump_len);
	if (!f || goro_profile_write("goroutineleak", f, 2) != 0) {
		perror("goroutineleak profile");
		exit(1);
	}
	fclose(f);
	f = open_memstream(&leaked, &leaked_len);
	if (!f)
		abort();
	print_leaked_blocks(f, dump);
	fclose(f);

	int n = 0;
	for (char *block = leaked; *block;) {
		char *end = strstr(block, "\n\n");
		size_t len = end ? (size_t)(end - block) + 2 : strlen(block);
		long long id;
		if (sscanf(block, "goroutine %lld [", &id) == 1 && !id_set_has(seen, id)) {
			id_set_add(seen, id);
			fprintf(out, "%.*s", (int)len, block);
			n++;
		}
		block += len;
	}
	free(dump);
	free(leaked);
	return n;
}

/* ------------------------------------------------------------------ */
/* The four checks                                                     */
/* ------------------------------------------------------------------ */

struct counts {
	int num_goroutine, goleak, synctest, leakprof;
};

struct synctest_args {
	goro_fn run;
	goro_duration settle;
};

/* The article's synctest.Test body: the scenario, then synctest.Wait. */
static void synctest_body(void *arg)
{
	const struct synctest_args *a = arg;
	a->run(NULL);
	if (a->settle)
		goro_sleep(a->settle); // Give time for operations to settle
	goro_synctest_wait();
}

static struct counts check(goro_fn run, goro_duration settle, struct id_set *seen)
{
	struct counts c;
	char *text = NULL;
	size_t len = 0;

	int base = goro_num_goroutine();
	goro_leak_opts *opts = goro_leak_opts_new();
	goro_leak_ignore_current(opts); /* earlier sections' leaks */
	run(NULL);
	goro_sleep(50 * GORO_MILLISECOND); // Give the runtime a moment to settle.

	c.num_goroutine = goro_num_goroutine() - base;
	printf("%s%-32s%s nGoro = %d\n", BOLD, "runtime.NumGoroutine, 50 ms on", RESET,
	       c.num_goroutine);

	c.goleak = goro_leak_find(opts, &text);
	goro_leak_opts_free(opts);
	verdict("goleak (goro_leak_find)", c.goleak, "unexpected");
	if (text)
		print_indented(text);
	free(text);

	goro_bubble_result r;
	goro_synctest_run(&r, synctest_body, &(struct synctest_args){ run, settle });
	c.synctest = r.status == GORO_BUBBLE_OK ? 0 : (r.nblocked ? r.nblocked : 1);
	verdict("synctest (goro_synctest_run)", c.synctest, "durably blocked");
	if (r.report)
		print_indented(r.report);
	goro_bubble_result_free(&r);

	FILE *f = open_memstream(&text, &len);
	if (!f)
		abort();
	c.leakprof = new_leaked_blocks(f, seen);
	fclose(f);
	verdict("goroutineleak profile", c.leakprof, "leaked");
	if (c.leakprof)
		print_indented(text);
	free(text);
	return c;
}

static bool all_saw_leak(const struct counts *c)
{
	return c->num_goroutine > 0 && c->goleak > 0 && c->synctest > 0 && c->leakprof > 0;
}

static bool none_saw_leak(const struct counts *c)
{
	return c->num_goroutine == 0 && c->goleak == 0 && c->synctest == 0 && c->leakprof == 0;
}

/*
 * Go keeps a new goroutine in its parent's run queue until the parent
 * blocks, so Canceled's select always finds only ctx.Done() ready and the
 * child always leaks.  goro may start the child at once on an idle worker.
 */
static const char racy_note[] =
	"(Not every run leaked: goro started the child at once on another thread,\n"
	"it sent before the parent's select, and the select took its result -\n"
	"among ready cases Go's select picks at random.  In Go the child waits in\n"
	"the parent's run queue, so the article's code always leaks.  Once more:)";

int main(void)
{
	color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	printf("%sGoroutine leaks: %d scenarios, three tools%s\n", BOLD, NSCENARIOS, RESET);
	printf("The scenarios of \"Detecting Goroutine Leaks in Go with synctest and pprof\"\n"
	       "(its seven, Take first run with both of its inputs), in C with goro: each\n"
	       "runs once as the article's main does, counted the way runtime.NumGoroutine\n"
	       "counts, then checked by goleak, synctest and the goroutineleak profile;\n"
	       "then the same with the article's fix.\n");

	struct id_set seen = { 0 };
	struct counts leaky[NSCENARIOS], fixed[NSCENARIOS];
	for (int i = 0; i < NSCENARIOS; i++) {
		const struct scenario *s = &scenarios[i];
		heading(i, s->title);
		printf("%s\n\n%s-- the article's code%s\n", s->problem, BOLD, RESET);
		leaky[i] = check(s->run, s->settle, &seen);
		for (int again = 0; s->racy && !all_saw_leak(&leaky[i]) && again < 10; again++) {
			printf("\n%s\n\n%s-- the article's code, again%s\n", racy_note, BOLD, RESET);
			leaky[i] = check(s->run, s->settle, &seen);
		}
		printf("\n%s-- fixed: %s%s\n", BOLD, s->fix, RESET);
		fixed[i] = check(s->run_fixed, s->settle, &seen);
		fflush(stdout);
	}

	bool ok = true;
	printf("\n%s%sSummary%s  (leaky code: goroutines found by NumGoroutine / goleak / "
	       "synctest / goroutineleak)\n", BOLD, CYAN, RESET);
	for (int i = 0; i < NSCENARIOS; i++) {
		bool good = all_saw_leak(&leaky[i]) && none_saw_leak(&fixed[i]);
		ok = ok && good;
		printf("  %-26s %d / %d / %d / %d   fixed: %s%s%s\n", scenarios[i].title,
		       leaky[i].num_goroutine, leaky[i].goleak, leaky[i].synctest, leaky[i].leakprof,
		       none_saw_leak(&fixed[i]) ? GREEN : RED,
		       none_saw_leak(&fixed[i]) ? "no leaks" : "LEAKS", RESET);
	}
	printf("%s\n", ok ? "Every tool found every leak, and every fix holds."
	                  : "Some tool missed a leak, or a fix leaked (see above).");
	free(seen.ids);
	return ok ? 0 : 1;
}
