/*
 * test_gdb.c — tools/gdb/goro-gdb.py, driven through gdb against
 * gdb_target (see gdb_target.c for what it parks where).
 *
 * Checked on every kind of inferior the extension must handle: a process
 * run under gdb (stopped at a breakpoint), a process gdb attaches to, and a
 * kernel core dump; and with the script loaded by `source`, from the
 * program's .debug_gdb_scripts section, and from libgoro.so's -gdb.py file.
 *
 * Each gdb session is a batch run; before each command the session echoes
 * a marker line "@@ <name>", so a check looks only at that command's output
 * (section()).  The goroutine ids come from the program's globals, printed
 * by gdb itself ("@@ ids"), since the order ids are handed out in is not
 * what is tested here.
 *
 * Skipped, saying why, when gdb (with Python) is missing or ptrace is not
 * allowed; the core-dump test is skipped when the kernel pipes cores to a
 * helper instead of writing them to the working directory.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef GDB_TARGET
#error "the build defines GDB_TARGET, GDB_TARGET_SHARED and GORO_GDB_SCRIPT"
#endif

/* A gdb session (or the target itself) that takes longer is killed: a
 * broken extension must fail the test, not hang it. */
enum { SESSION_ALARM_SECONDS = 120 };

/* ------------------------------------------------------------------ */
/* Running programs                                                    */
/* ------------------------------------------------------------------ */

struct child_opts {
	const char *cwd;   /* NULL: ours */
	bool core_dumps;   /* RLIMIT_CORE unlimited */
};

/* The environment every child gets: two workers (gdb_target needs a second
 * one for its spinning goroutine) and no debuginfod network lookups. */
static void child_setup(const struct child_opts *o)
{
	setenv("GORO_MAXPROCS", "2", 1);
	unsetenv("DEBUGINFOD_URLS");
	if (o && o->cwd && chdir(o->cwd) != 0)
		_exit(126);
	if (o && o->core_dumps) {
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
		setrlimit(RLIMIT_CORE, &rl);
	}
	alarm(SESSION_ALARM_SECONDS);
}

/* Reads fd to EOF into a NUL-terminated malloc'd string. */
static char *read_all(int fd)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	for (;;) {
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* Starts argv with stdout and stderr on a pipe; returns the read end. */
static pid_t spawn_piped(char *const argv[], const struct child_opts *o, int *out_fd)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		child_setup(o);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	*out_fd = fds[0];
	return pid;
}

/* Runs argv to completion; returns everything it printed. */
static char *run(char *const argv[], const struct child_opts *o, int *status)
{
	int fd;
	pid_t pid = spawn_piped(argv, o, &fd);
	char *out = read_all(fd);
	close(fd);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (status)
		*status = st;
	return out;
}

static bool has_gdb_with_python(void)
{
	char *argv[] = { "gdb", "-batch", "-nx", "-ex", "python print('py' + 'thon-ok')", NULL };
	int status;
	char *out = run(argv, NULL, &status);
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) != 127 && strstr(out, "python-ok");
	free(out);
	return ok;
}

static void require_gdb(void)
{
	if (!has_gdb_with_python())
		cr_skip_test("gdb with Python support is not installed: "
		             "the gdb extension cannot be tested");
}

/* gdb's words for "this environment forbids ptrace". */
static void skip_if_ptrace_denied(const char *out)
{
	if (strstr(out, "ptrace: Operation not permitted") ||
	    strstr(out, "Could not attach to process") ||
	    strstr(out, "Couldn't get registers: Operation not permitted"))
		cr_skip_test("ptrace is not permitted here: cannot test on a live process");
}

/* ------------------------------------------------------------------ */
/* gdb sessions                                                        */
/* ------------------------------------------------------------------ */

struct session {
	char *argv[128];
	int argc;
};

static void add(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct session *s, const char *fmt, ...)
{
	cr_assert_lt(s->argc, 126, "too many gdb arguments");
	va_list ap;
	va_start(ap, fmt);
	cr_assert_neq(vasprintf(&s->argv[s->argc++], fmt, ap), -1);
	va_end(ap);
	s->argv[s->argc] = NULL;
}

enum load { LOAD_SOURCE, LOAD_AUTO };

/* gdb in batch mode, ignoring the user's init files.  LOAD_SOURCE: the
 * script under test is sourced and auto-loading is off (so no other copy of
 * it runs); LOAD_AUTO: everything may be auto-loaded, nothing is sourced. */
static void session_init(struct session *s, enum load how)
{
	s->argc = 0;
	add(s, "gdb");
	add(s, "-batch");
	add(s, "-nx");
	add(s, "-iex");
	add(s, "set debuginfod enabled off");
	add(s, "-iex");
	if (how == LOAD_SOURCE)
		add(s, "set auto-load python-scripts off");
	else
		add(s, "set auto-load safe-path /");
}

static void ex(struct session *s, const char *command)
{
	add(s, "-ex");
	add(s, "%s", command);
}

/* Runs command after the marker "@@ name" (see section()). */
static void cmd(struct session *s, const char *name, const char *command)
{
	add(s, "-ex");
	add(s, "echo @@ %s\\n", name);
	ex(s, command);
}

static void load_script(struct session *s)
{
	ex(s, "source " GORO_GDB_SCRIPT);
}

static void print_ids(struct session *s)
{
	cmd(s, "ids",
	    "printf \"%ld %ld %ld %ld %ld %ld %ld %ld %ld\\n\", "
	    "gdb_target_id_recv, gdb_target_id_nested, gdb_target_id_sort, "
	    "gdb_target_id_send, gdb_target_id_select, gdb_target_id_sleep, "
	    "gdb_target_id_wg, gdb_target_id_spin, gdb_target_id_unstarted");
}

/* Run the target under gdb up to its breakpoint (all goroutines placed). */
static void run_to_ready(struct session *s)
{
	ex(s, "break gdb_target_ready");
	ex(s, "run");
}

/* The output of the command run after marker `name` (empty if absent). */
static char *section(const char *out, const char *name)
{
	char marker[128];
	snprintf(marker, sizeof marker, "@@ %s\n", name);
	const char *p = strstr(out, marker);
	if (!p)
		return strdup("");
	p += strlen(marker);
	const char *end = strstr(p, "\n@@ ");
	return strndup(p, end ? (size_t)(end - p + 1) : strlen(p));
}

struct ids {
	long recv, nested, sort, send, select, sleep, wg, spin, unstarted;
};

static struct ids parse_ids(const char *out)
{
	struct ids id;
	char *text = section(out, "ids");
	int n = sscanf(text, "%ld %ld %ld %ld %ld %ld %ld %ld %ld", &id.recv, &id.nested,
	               &id.sort, &id.send, &id.select, &id.sleep, &id.wg, &id.spin,
	               &id.unstarted);
	cr_assert_eq(n, 9, "gdb did not print the goroutine ids:\n%s", out);
	free(text);
	return id;
}

/* ------------------------------------------------------------------ */
/* Reading `info goroutines`                                           */
/* ------------------------------------------------------------------ */

/* One line of `info goroutines`:
 *   [*] Id State Wait-reason... Waiting Parent Thread Function Created-by
 * Empty cells print as "-"; the wait reason may hold spaces ("chan
 * receive") and Created by is "-" or "fn at file:line", so the line is
 * split from both ends. */
struct row {
	bool current;
	char state[32], reason[64], waiting[32], parent[32], thread[32];
	char function[128], created_by[512];
};

static int split_words(char *line, char **words, int max)
{
	int n = 0;
	char *save;
	for (char *w = strtok_r(line, " \t", &save); w && n < max;
	     w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	return n;
}

/* words[from..to) joined by single spaces into dst. */
static void join_words(char *dst, size_t size, char **words, int from, int to)
{
	dst[0] = '\0';
	for (int i = from; i < to; i++)
		snprintf(dst + strlen(dst), size - strlen(dst), "%s%s", i > from ? " " : "",
		         words[i]);
}

/* Fills r from the cells after the id; false if there are too few. */
static bool split_row(char *cells, struct row *r)
{
	char *w[64];
	int n = split_words(cells, w, 64);
	int created = n > 0 && strcmp(w[n - 1], "-") == 0 ? 1 : 3;
	if (n < 6 + created) /* state, reason, waiting, parent, thread, function */
		return false;
	int last = n - created; /* first word of Created by */
	join_words(r->state, sizeof r->state, w, 0, 1);
	join_words(r->reason, sizeof r->reason, w, 1, last - 4);
	join_words(r->waiting, sizeof r->waiting, w, last - 4, last - 3);
	join_words(r->parent, sizeof r->parent, w, last - 3, last - 2);
	join_words(r->thread, sizeof r->thread, w, last - 2, last - 1);
	join_words(r->function, sizeof r->function, w, last - 1, last);
	join_words(r->created_by, sizeof r->created_by, w, last, n);
	return true;
}

static bool parse_row(const char *info, long id, struct row *r)
{
	char *text = strdup(info), *save;
	bool found = false;
	for (char *line = strtok_r(text, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		r->current = line[0] == '*';
		char *cells;
		if (strtol(line + r->current, &cells, 10) != id || cells == line + r->current)
			continue;
		found = split_row(cells, r);
	}
	free(text);
	return found;
}

static struct row row_of(const char *info, long id)
{
	struct row r;
	cr_assert(parse_row(info, id, &r), "no row for goroutine %ld in:\n%s", id, info);
	return r;
}

/* "1.234s", "3m07s", "2h01m": what the Waiting column shows on a live process. */
static bool is_duration(const char *s)
{
	size_t n = strlen(s);
	return n >= 2 && isdigit((unsigned char)s[0]) && strchr("smh", s[n - 1]);
}

static void expect_parked(const char *info, long id, const char *reason, long parent,
                          const char *function, bool live)
{
	struct row r = row_of(info, id);
	cr_expect_str_eq(r.state, "waiting", "goroutine %ld:\n%s", id, info);
	cr_expect_str_eq(r.reason, reason, "goroutine %ld:\n%s", id, info);
	char want_parent[32];
	snprintf(want_parent, sizeof want_parent, "%ld", parent);
	cr_expect_str_eq(r.parent, want_parent, "goroutine %ld:\n%s", id, info);
	cr_expect_str_eq(r.function, function, "goroutine %ld:\n%s", id, info);
	cr_expect(strstr(r.created_by, "gdb_target.c:"), "goroutine %ld has no creation site:\n%s",
	          id, info);
	cr_expect(!r.current, "goroutine %ld is parked, not current:\n%s", id, info);
	if (live)
		cr_expect(is_duration(r.waiting), "goroutine %ld: waiting '%s'", id, r.waiting);
	else
		cr_expect_str_eq(r.waiting, "?", "goroutine %ld: no current time in a core", id);
}

/* The goroutines every mode of gdb_target parks the same way. */
static void expect_parked_goroutines(const char *info, struct ids id, bool live)
{
	expect_parked(info, id.recv, "chan receive", 1, "receiver", live);
	expect_parked(info, id.nested, "chan receive", id.recv, "nested_receiver", live);
	expect_parked(info, id.sort, "sync.Mutex.Lock", 1, "sort_under_lock", live);
	expect_parked(info, id.send, "chan send", 1, "sender", live);
	expect_parked(info, id.select, "select", 1, "selector", live);
	expect_parked(info, id.sleep, "sleep", 1, "sleeper", live);
	expect_parked(info, id.wg, "sync.WaitGroup.Wait", 1, "wg_waiter", live);
	cr_expect(strstr(row_of(info, id.nested).created_by, "receiver at "),
	          "goroutine %ld was created by receiver:\n%s", id.nested, info);
	cr_expect(strstr(row_of(info, id.recv).created_by, "main at "),
	          "goroutine %ld was created by main:\n%s", id.recv, info);
}

/* The spinner is the current goroutine of worker 1's thread. */
static void expect_spinning(const char *info, struct ids id)
{
	struct row r = row_of(info, id.spin);
	cr_expect(r.current, "the spinning goroutine is marked current:\n%s", info);
	cr_expect_str_eq(r.state, "running");
	cr_expect_str_neq(r.thread, "-", "a running goroutine names its thread:\n%s", info);
}

static void expect_has(const char *text, const char *what, const char *where)
{
	cr_expect(strstr(text, what), "%s: expected \"%s\" in:\n%s", where, what, text);
}

static void expect_lacks(const char *text, const char *what, const char *where)
{
	cr_expect(!strstr(text, what), "%s: unexpected \"%s\" in:\n%s", where, what, text);
}

/* gdb's complaints when an unwind or the script goes wrong. */
static void expect_clean(const char *text, const char *where)
{
	expect_lacks(text, "Python Exception", where);
	expect_lacks(text, "corrupt stack", where);
	expect_lacks(text, "Backtrace stopped", where);
}

/* The goroutine blocked in a mutex inside qsort's comparator: its stack
 * runs through libc back to the goroutine's own function. */
static void expect_sort_backtrace(const char *bt)
{
	expect_has(bt, "#0  goro__ctx_switch", "goroutine bt (qsort)");
	expect_has(bt, "goro_mutex_lock", "goroutine bt (qsort)");
	expect_has(bt, "compare_blocking", "goroutine bt (qsort)");
	expect_has(bt, "qsort", "goroutine bt (qsort)");
	expect_has(bt, "sort_under_lock", "goroutine bt (qsort)");
	expect_has(bt, "goro__ctx_start", "goroutine bt (qsort)");
	expect_clean(bt, "goroutine bt (qsort)");
}

/* Commands common to the live and core sessions (ids must be printed). */
static void add_goroutine_commands(struct session *s)
{
	cmd(s, "info", "info goroutines");
	cmd(s, "bt-sort", "goroutine gdb_target_id_sort bt");
	cmd(s, "bt-recv", "goroutine gdb_target_id_recv bt");
	/* A variable of a parked frame, read through its DWARF location. */
	cmd(s, "frame-recv", "goroutine gdb_target_id_recv frame function recv_forever");
	/* Frame #1's registers must be the ones the switch frame saved
	 * (layout: src/arch/switch_x86_64.S), or every caller's callee-saved
	 * variables would be wrong. */
	cmd(s, "regs",
	    "goroutine gdb_target_id_recv printf \"%lx %lx %lx %lx %lx %lx %lx %lx\\n\", "
	    "$r15, $r14, $r13, $r12, $rbx, $rbp, $pc, $sp");
	ex(s, "set $switch_frame = (long *)$goro_g(gdb_target_id_recv)->sp");
	cmd(s, "switch-frame",
	    "printf \"%lx %lx %lx %lx %lx %lx %lx %lx\\n\", $switch_frame[1], $switch_frame[2], "
	    "$switch_frame[3], $switch_frame[4], $switch_frame[5], $switch_frame[6], "
	    "$switch_frame[7], (long)($switch_frame + 8)");
	cmd(s, "bt-spin", "goroutine gdb_target_id_spin bt");
	cmd(s, "bt-1", "goroutine 1 bt");
	cmd(s, "missing", "goroutine 999999 bt");
	/* The user's own selection survives the goroutine commands. */
	cmd(s, "after", "bt 1");
}

static void expect_goroutine_commands(const char *out)
{
	expect_sort_backtrace(section(out, "bt-sort"));
	char *recv = section(out, "bt-recv");
	expect_has(recv, "goro_chan_recv", "goroutine bt (receive)");
	expect_has(recv, "recv_forever", "goroutine bt (receive)");
	expect_has(recv, "receiver", "goroutine bt (receive)");
	expect_clean(recv, "goroutine bt (receive)");
	/* gdb says "tag=tag@entry=4242" when it also knows the entry value. */
	char *frame = section(out, "frame-recv");
	cr_expect(strstr(frame, "tag=4242") || strstr(frame, "tag=tag@entry=4242"),
	          "goroutine frame (receive): tag should be 4242 in:\n%s", frame);
	char *regs = section(out, "regs"), *saved = section(out, "switch-frame");
	cr_expect(strlen(saved) > 16, "the switch frame was not printed:\n%s", out);
	cr_expect_str_eq(regs, saved, "frame #1 registers\n%sdiffer from the switch frame\n%s",
	                 regs, saved);
	char *spin = section(out, "bt-spin");
	expect_has(spin, "#0  spin (", "goroutine bt (running)");
	expect_clean(spin, "goroutine bt (running)");
	expect_has(section(out, "missing"), "no goroutine 999999", "unknown goroutine");
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

TestSuite(gdb, .timeout = 600);

Test(gdb, live_process)
{
	require_gdb();
	struct session s;
	session_init(&s, LOAD_SOURCE);
	run_to_ready(&s);
	load_script(&s);
	print_ids(&s);
	add_goroutine_commands(&s);
	cmd(&s, "bt-unstarted", "goroutine gdb_target_id_unstarted bt");
	cmd(&s, "all", "goroutine all bt 1");
	ex(&s, "kill");
	add(&s, "--args");
	add(&s, "%s", GDB_TARGET);
	add(&s, "run");
	char *out = run(s.argv, NULL, NULL);
	skip_if_ptrace_denied(out);

	struct ids id = parse_ids(out);
	char *info = section(out, "info");
	expect_parked_goroutines(info, id, true);
	expect_spinning(info, id);
	struct row main_row = row_of(info, 1);
	cr_expect(main_row.current, "goroutine 1 is at the breakpoint:\n%s", info);
	cr_expect_str_eq(main_row.state, "running");
	cr_expect_str_eq(row_of(info, id.unstarted).state, "runnable");

	expect_goroutine_commands(out);
	expect_has(section(out, "bt-1"), "gdb_target_ready", "goroutine 1 bt (running)");
	char *unstarted = section(out, "bt-unstarted");
	expect_has(unstarted, "has not started", "goroutine bt (unstarted)");
	expect_has(unstarted, "never_started", "goroutine bt (unstarted)");
	expect_has(section(out, "after"), "#0  gdb_target_ready", "selection restored");
	char header[128];
	snprintf(header, sizeof header, "goroutine %ld [waiting, sync.Mutex.Lock]:", id.sort);
	expect_has(section(out, "all"), header, "goroutine all");
}

Test(gdb, attached_process)
{
	require_gdb();
	char *target[] = { GDB_TARGET, "attach", NULL };
	int fd;
	pid_t pid = spawn_piped(target, NULL, &fd);
	FILE *f = fdopen(fd, "r");
	char line[256] = "";
	bool ready = fgets(line, sizeof line, f) && strcmp(line, "ready\n") == 0;
	if (!ready) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		cr_assert_fail("gdb_target attach did not get ready: %s", line);
	}

	struct session s;
	session_init(&s, LOAD_SOURCE);
	add(&s, "-p");
	add(&s, "%d", (int)pid);
	load_script(&s);
	print_ids(&s);
	add_goroutine_commands(&s);
	ex(&s, "detach");
	char *out = run(s.argv, NULL, NULL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fclose(f);
	skip_if_ptrace_denied(out);

	struct ids id = parse_ids(out);
	char *info = section(out, "info");
	expect_parked_goroutines(info, id, true);
	expect_spinning(info, id);
	/* Goroutine 1 parked on the main thread's own stack. */
	struct row main_row = row_of(info, 1);
	cr_expect_str_eq(main_row.state, "waiting", "%s", info);
	cr_expect_str_eq(main_row.reason, "chan receive", "%s", info);
	expect_goroutine_commands(out);
	char *bt1 = section(out, "bt-1");
	expect_has(bt1, "goro_chan_recv", "goroutine 1 bt (parked)");
	expect_has(bt1, " main (", "goroutine 1 bt (parked)");
	expect_clean(bt1, "goroutine 1 bt (parked)");
}

/* The core file the kernel wrote in dir, a fresh directory where nothing
 * else is written (the name depends on core_pattern and core_uses_pid). */
static char *find_core(const char *dir)
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	char *found = NULL;
	for (struct dirent *e; !found && (e = readdir(d)) != NULL;)
		if (e->d_name[0] != '.')
			cr_assert_neq(asprintf(&found, "%s/%s", dir, e->d_name), -1);
	closedir(d);
	return found;
}

static void skip_unless_cores_land_in_cwd(void)
{
	FILE *f = fopen("/proc/sys/kernel/core_pattern", "r");
	char pattern[256] = "";
	if (f) {
		if (!fgets(pattern, sizeof pattern, f))
			pattern[0] = '\0';
		fclose(f);
	}
	if (pattern[0] == '|' || pattern[0] == '/')
		cr_skip_test("core dumps go to '%.*s', not to the working directory",
		             (int)strcspn(pattern, "\n"), pattern);
}

Test(gdb, core_dump)
{
	require_gdb();
	skip_unless_cores_land_in_cwd();
	char dir[] = "/tmp/goro-gdb-test-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char *target[] = { GDB_TARGET, "abort", NULL };
	struct child_opts o = { .cwd = dir, .core_dumps = true };
	int status;
	char *target_out = run(target, &o, &status);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	          "gdb_target abort did not abort:\n%s", target_out);
	char *core = find_core(dir);
	if (!core || !WCOREDUMP(status)) {
		if (core)
			unlink(core);
		rmdir(dir);
		cr_skip_test("the kernel wrote no core file (RLIMIT_CORE, core_pattern, or a "
		             "sanitizer that turns core dumps off)");
	}

	struct session s;
	session_init(&s, LOAD_SOURCE);
	load_script(&s);
	print_ids(&s);
	add_goroutine_commands(&s);
	add(&s, "%s", GDB_TARGET);
	add(&s, "%s", core);
	char *out = run(s.argv, NULL, NULL);
	unlink(core);
	rmdir(dir);

	struct ids id = parse_ids(out);
	char *info = section(out, "info");
	expect_parked_goroutines(info, id, false);
	expect_spinning(info, id);
	cr_expect(row_of(info, 1).current, "goroutine 1 called abort:\n%s", info);
	expect_goroutine_commands(out);
	char *bt1 = section(out, "bt-1");
	expect_has(bt1, "abort", "goroutine 1 bt (core)");
	expect_has(bt1, " main (", "goroutine 1 bt (core)");
}

/* `info goroutines` works in a session that never sourced the script. */
static void expect_autoloaded(const char *program)
{
	require_gdb();
	struct session s;
	session_init(&s, LOAD_AUTO);
	run_to_ready(&s);
	print_ids(&s);
	cmd(&s, "info", "info goroutines");
	cmd(&s, "bt-sort", "goroutine gdb_target_id_sort bt");
	ex(&s, "kill");
	add(&s, "--args");
	add(&s, "%s", program);
	add(&s, "run");
	char *out = run(s.argv, NULL, NULL);
	skip_if_ptrace_denied(out);
	struct ids id = parse_ids(out);
	expect_parked_goroutines(section(out, "info"), id, true);
	expect_sort_backtrace(section(out, "bt-sort"));
}

/* Static linking: the script is in the program's .debug_gdb_scripts. */
Test(gdb, autoload_from_program)
{
	expect_autoloaded(GDB_TARGET);
}

/* Shared library: gdb finds libgoro.so.X.Y.Z-gdb.py next to the library. */
Test(gdb, autoload_from_shared_library)
{
	expect_autoloaded(GDB_TARGET_SHARED);
}
