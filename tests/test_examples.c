/*
 * test_examples.c — runs the example programs (examples/<name>.c, built
 * into GORO_EXAMPLES_DIR) as a user would, with and without --fixed, and
 * checks what they print: `nGoro = N`, the goroutineleak profile's leaked
 * goroutines (count, wait reason, function on top, `created by`) and the
 * final `leaked goroutines: N`; and that with GORO_LEAKCHECK=1 the leaky
 * versions exit with status 23 and the fixed ones with 0.
 *
 * The expectations are examples/go/EXPECTED.md's, with C names.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* A program still running after this long is killed: the test fails
 * instead of hanging. */
enum { RUN_TIMEOUT_MS = 60000 };

/* Where the programs are: the build's examples/ (tests/CMakeLists.txt
 * defines it); else derived from this binary, <build>/tests/test_examples. */
static const char *examples_dir(void)
{
	static char dir[PATH_MAX];
#ifdef GORO_EXAMPLES_DIR
	snprintf(dir, sizeof dir, "%s", GORO_EXAMPLES_DIR);
#else
	ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
	cr_assert_gt(n, 0, "readlink /proc/self/exe: %s", strerror(errno));
	dir[n] = '\0';
	for (int up = 0; up < 2; up++)
		*strrchr(dir, '/') = '\0';
	strncat(dir, "/examples", sizeof dir - strlen(dir) - 1);
#endif
	return dir;
}

/* ------------------------------------------------------------------ */
/* Running a program                                                   */
/* ------------------------------------------------------------------ */

struct run {
	int status;       /* waitpid status */
	char out[65536];  /* stdout, NUL-terminated (truncated if longer) */
	char err[65536];  /* stderr */
};

struct sink {
	int fd;
	char *buf;
	size_t len, cap;
};

/* Reads what is there; false at EOF. */
static bool drain(struct sink *s)
{
	char tmp[4096];
	ssize_t r = read(s->fd, tmp, sizeof tmp);
	if (r < 0 && errno == EINTR)
		return true;
	if (r <= 0)
		return false;
	size_t take = (size_t)r < s->cap - 1 - s->len ? (size_t)r : s->cap - 1 - s->len;
	memcpy(s->buf + s->len, tmp, take);
	s->len += take;
	s->buf[s->len] = '\0';
	return true;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs examples/<name> with argv[1..] = args (NULL-terminated) and, if
 * not NULL, one more environment variable "NAME=value". */
static void run_example(const char *name, const char *const *args, const char *extra_env,
                        struct run *r)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", examples_dir(), name);
	cr_assert_eq(access(path, X_OK), 0, "%s: %s (build the examples first)", path,
	             strerror(errno));

	char *argv[8] = { path };
	int argc = 1;
	for (; args && args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	argv[argc] = NULL;

	size_t nenv = 0;
	while (environ[nenv])
		nenv++;
	char **env = calloc(nenv + 2, sizeof *env);
	cr_assert_not_null(env);
	size_t k = 0;
	size_t name_len = extra_env ? (size_t)(strchr(extra_env, '=') - extra_env) + 1 : 0;
	for (size_t i = 0; i < nenv; i++)
		if (!extra_env || strncmp(environ[i], extra_env, name_len) != 0)
			env[k++] = environ[i];
	if (extra_env)
		env[k++] = (char *)extra_env;
	env[k] = NULL;

	int out[2], err[2];
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	pid_t pid;
	int rc = posix_spawn(&pid, path, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(out[1]);
	close(err[1]);
	cr_assert_eq(rc, 0, "posix_spawn %s: %s", path, strerror(rc));

	/* Read both pipes to EOF before waiting: a full pipe would block it. */
	struct sink sinks[2] = { { out[0], r->out, 0, sizeof r->out },
	                         { err[0], r->err, 0, sizeof r->err } };
	r->out[0] = r->err[0] = '\0';
	bool open[2] = { true, true };
	int64_t deadline = now_ms() + RUN_TIMEOUT_MS;
	while (open[0] || open[1]) {
		struct pollfd p[2] = { { open[0] ? out[0] : -1, POLLIN, 0 },
		                       { open[1] ? err[0] : -1, POLLIN, 0 } };
		int left = (int)(deadline - now_ms());
		if (left <= 0 || poll(p, 2, left) == 0) {
			kill(pid, SIGKILL);
			break;
		}
		for (int i = 0; i < 2; i++)
			if (p[i].revents)
				open[i] = drain(&sinks[i]);
	}
	close(out[0]);
	close(err[0]);
	while (waitpid(pid, &r->status, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	cr_assert(!WIFSIGNALED(r->status) || WTERMSIG(r->status) != SIGKILL,
	          "%s ran for more than %d ms; stdout:\n%s", name, RUN_TIMEOUT_MS, r->out);
}

/* ------------------------------------------------------------------ */
/* Reading what printLeaks printed                                     */
/* ------------------------------------------------------------------ */

/* One leaked goroutine as the profile's debug=2 block shows it. */
struct leaked_block {
	char reason[48];     /* "chan send" from "[chan send (leaked)]" */
	char function[128];  /* the first frame's function */
	char created_by[128];
};

enum { MAX_BLOCKS = 16 };

struct output {
	int ngoro;           /* nGoro = N; -1 if missing */
	int nleaked_line;    /* leaked goroutines: N; -1 if missing */
	int nblocks;
	struct leaked_block blocks[MAX_BLOCKS];
};

static void parse_block(const char *b, size_t len, struct leaked_block *out)
{
	char block[4096];
	snprintf(block, sizeof block, "%.*s", (int)len, b);
	memset(out, 0, sizeof *out);
	const char *open = strchr(block, '[');
	const char *tag = strstr(block, " (leaked)");
	if (open && tag && tag > open)
		snprintf(out->reason, sizeof out->reason, "%.*s", (int)(tag - open - 1), open + 1);
	const char *frame = strchr(block, '\n');
	if (frame) {
		frame++;
		snprintf(out->function, sizeof out->function, "%.*s", (int)strcspn(frame, "(\n"),
		         frame);
	}
	const char *created = strstr(block, "\ncreated by ");
	if (created) {
		created += strlen("\ncreated by ");
		snprintf(out->created_by, sizeof out->created_by, "%.*s",
		         (int)strcspn(created, " \n"), created);
	}
}

static void parse_output(const char *text, struct output *o)
{
	memset(o, 0, sizeof *o);
	o->ngoro = o->nleaked_line = -1;
	const char *p = strstr(text, "nGoro = ");
	if (p)
		o->ngoro = atoi(p + strlen("nGoro = "));
	p = strstr(text, "leaked goroutines: ");
	if (p)
		o->nleaked_line = atoi(p + strlen("leaked goroutines: "));
	/* The blocks: "goroutine N [... (leaked)]:" up to the empty line. */
	for (p = text; (p = strstr(p, "goroutine ")) != NULL;) {
		const char *end = strstr(p, "\n\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eol = strchr(p, '\n');
		bool header = (p == text || p[-1] == '\n') && eol && memmem(p, (size_t)(eol - p),
		                                                            "(leaked)]:", 10);
		if (header && o->nblocks < MAX_BLOCKS)
			parse_block(p, len, &o->blocks[o->nblocks++]);
		p += len ? len : 1;
	}
}

/* ------------------------------------------------------------------ */
/* Expectations                                                        */
/* ------------------------------------------------------------------ */

struct want {
	int count; /* leaked goroutines (also nGoro) */
	const char *reason;
	const char *function;
	const char *created_by;
};

static void assert_leaky_output(const char *name, const struct run *r, const struct want *w)
{
	cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
	          "%s: status %#x; stderr:\n%s", name, r->status, r->err);
	struct output o;
	parse_output(r->out, &o);
	cr_assert_eq(o.ngoro, w->count, "%s: nGoro %d, want %d; stdout:\n%s", name, o.ngoro,
	             w->count, r->out);
	cr_assert_eq(o.nblocks, w->count, "%s: %d leaked goroutines shown, want %d; stdout:\n%s",
	             name, o.nblocks, w->count, r->out);
	cr_assert_eq(o.nleaked_line, w->count, "%s: stdout:\n%s", name, r->out);
	for (int i = 0; i < o.nblocks; i++) {
		const struct leaked_block *b = &o.blocks[i];
		cr_assert_str_eq(b->reason, w->reason, "%s: stdout:\n%s", name, r->out);
		cr_assert_str_eq(b->function, w->function, "%s: top frame; stdout:\n%s", name,
		                 r->out);
		cr_assert_str_eq(b->created_by, w->created_by, "%s: stdout:\n%s", name, r->out);
	}
}

static void assert_clean_output(const char *name, const struct run *r)
{
	cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
	          "%s: status %#x; stderr:\n%s", name, r->status, r->err);
	struct output o;
	parse_output(r->out, &o);
	cr_assert_eq(o.ngoro, 0, "%s: stdout:\n%s", name, r->out);
	cr_assert_eq(o.nblocks, 0, "%s: stdout:\n%s", name, r->out);
	cr_assert_eq(o.nleaked_line, 0, "%s: stdout:\n%s", name, r->out);
}

/*
 * Canceled leaks only when its select takes ctx.Done().  Go keeps the new
 * child in the parent's run queue until the parent blocks, so it always
 * leaks there; goro may start the child at once on an idle worker, and if
 * it reaches its send before the parent's select, the select picks one of
 * the two ready cases at random.  Such a run leaks nothing (nGoro = 0);
 * it is allowed, and the program is run again.
 */
enum { RACY_TRIES = 50 };

static bool is_racy(const char *name)
{
	return strcmp(name, "canceled") == 0;
}

static bool leaked_this_time(const struct run *r)
{
	struct output o;
	parse_output(r->out, &o);
	return o.ngoro != 0;
}

static void expect_leaky(const char *name, const char *const *args, const struct want *w)
{
	struct run *r = malloc(sizeof *r);
	cr_assert_not_null(r);
	for (int try = 0;; try++) {
		run_example(name, args, NULL, r);
		if (!is_racy(name) || leaked_this_time(r) || try == RACY_TRIES)
			break;
		assert_clean_output(name, r);
	}
	assert_leaky_output(name, r, w);
	free(r);
}

static void expect_clean(const char *name, const char *const *args)
{
	struct run *r = malloc(sizeof *r);
	cr_assert_not_null(r);
	run_example(name, args, NULL, r);
	assert_clean_output(name, r);
	free(r);
}

/* ------------------------------------------------------------------ */
/* The programs' output                                                */
/* ------------------------------------------------------------------ */

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

Test(examples, gather)
{
	expect_leaky("gather", NULL, &(struct want){ 3, "chan send", "gather_func1", "gather" });
}

Test(examples, gather_fixed)
{
	expect_clean("gather", ARGS("--fixed"));
}

Test(examples, range_over_chan)
{
	expect_leaky("range_over_chan", NULL,
	             &(struct want){ 2, "chan receive", "range_over_chan_func1", "range_over_chan" });
}

Test(examples, range_over_chan_fixed)
{
	expect_clean("range_over_chan", ARGS("--fixed"));
}

Test(examples, double_send)
{
	expect_leaky("double_send", NULL,
	             &(struct want){ 1, "chan send", "double_send_func1", "double_send" });
}

Test(examples, double_send_fixed)
{
	expect_clean("double_send", ARGS("--fixed"));
}

Test(examples, early_return)
{
	expect_leaky("early_return", NULL,
	             &(struct want){ 1, "chan send", "early_return_func1", "early_return" });
}

Test(examples, early_return_fixed)
{
	expect_clean("early_return", ARGS("--fixed"));
}

Test(examples, canceled)
{
	expect_leaky("canceled", NULL, &(struct want){ 1, "chan send", "canceled_func1", "canceled" });
}

Test(examples, canceled_fixed)
{
	expect_clean("canceled", ARGS("--fixed"));
}

Test(examples, take_first_three_items)
{
	expect_leaky("take_first", NULL,
	             &(struct want){ 2, "chan send", "take_first_func1", "take_first" });
}

/* TakeFirst(nil): the parent itself waits forever (Go: created by
 * main.main.func1, the closure that says `go TakeFirst(items)`). */
Test(examples, take_first_nil)
{
	expect_leaky("take_first", ARGS("--items", "0"),
	             &(struct want){ 1, "chan receive", "take_first", "main_func1" });
}

Test(examples, take_first_one_item_does_not_leak)
{
	expect_clean("take_first", ARGS("--items", "1"));
}

Test(examples, take_first_fixed)
{
	expect_clean("take_first", ARGS("--fixed"));
	expect_clean("take_first", ARGS("--fixed", "--items", "0"));
}

Test(examples, orphans)
{
	expect_leaky("orphans", NULL,
	             &(struct want){ 2, "select", "worker_run", "worker_start_func1" });
}

Test(examples, orphans_fixed)
{
	expect_clean("orphans", ARGS("--fixed"));
}

Test(examples, a_bad_flag_is_a_usage_error)
{
	struct run *r = malloc(sizeof *r);
	cr_assert_not_null(r);
	run_example("gather", ARGS("--items", "3"), NULL, r);
	cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 2, "status %#x", r->status);
	cr_assert(strstr(r->err, "usage: ") != NULL, "stderr:\n%s", r->err);
	free(r);
}

/* ------------------------------------------------------------------ */
/* GORO_LEAKCHECK=1: the at-exit check                                 */
/* ------------------------------------------------------------------ */

struct program {
	const char *name;
	const char *const *args;
};

static const char *const no_args[] = { NULL };

static const struct program leaky_programs[] = {
	{ "gather", no_args },       { "range_over_chan", no_args },
	{ "double_send", no_args },  { "early_return", no_args },
	{ "canceled", no_args },     { "take_first", no_args },
	{ "take_first", (const char *const[]){ "--items", "0", NULL } },
	{ "orphans", no_args },
};

static const char *const fixed_args[] = { "--fixed", NULL };

static const struct program fixed_programs[] = {
	{ "gather", fixed_args },      { "range_over_chan", fixed_args },
	{ "double_send", fixed_args }, { "early_return", fixed_args },
	{ "canceled", fixed_args },    { "take_first", fixed_args },
	{ "take_first", (const char *const[]){ "--fixed", "--items", "0", NULL } },
	{ "orphans", fixed_args },
};

static int exit_status(const struct run *r)
{
	return WIFEXITED(r->status) ? WEXITSTATUS(r->status) : 128 + WTERMSIG(r->status);
}

Test(examples_leakcheck, leaky_programs_exit_with_status_23)
{
	struct run *r = malloc(sizeof *r);
	cr_assert_not_null(r);
	for (size_t i = 0; i < sizeof leaky_programs / sizeof leaky_programs[0]; i++) {
		const struct program *p = &leaky_programs[i];
		for (int try = 0;; try++) {
			run_example(p->name, p->args, "GORO_LEAKCHECK=1", r);
			if (!is_racy(p->name) || leaked_this_time(r) || try == RACY_TRIES)
				break;
			cr_assert_eq(exit_status(r), 0, "%s: a run that leaked nothing; stderr:\n%s",
			             p->name, r->err);
		}
		cr_assert_eq(exit_status(r), 23, "%s %s: exit status %d, want 23; stderr:\n%s",
		             p->name, p->args[0] ? p->args[0] : "", exit_status(r), r->err);
		/* The check shows what leaked, as a debug=2 dump. */
		cr_assert(strstr(r->err, " (leaked)]:\n") != NULL, "%s: stderr:\n%s", p->name,
		          r->err);
	}
	free(r);
}

Test(examples_leakcheck, fixed_programs_exit_with_status_0)
{
	struct run *r = malloc(sizeof *r);
	cr_assert_not_null(r);
	for (size_t i = 0; i < sizeof fixed_programs / sizeof fixed_programs[0]; i++) {
		const struct program *p = &fixed_programs[i];
		run_example(p->name, p->args, "GORO_LEAKCHECK=1", r);
		cr_assert_eq(exit_status(r), 0, "%s --fixed: exit status %d; stderr:\n%s", p->name,
		             exit_status(r), r->err);
	}
	free(r);
}
