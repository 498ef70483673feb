/*
 * test_synctest_assert.c — the asserting form of synctest bubbles: it must
 * fail the current Criterion test with Go's report, and pass quietly when
 * the bubble is clean.
 */
#include <criterion/criterion.h>

#include <goro.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct out_arg {
	goro_chan *out;
};

static void sender(void *arg)
{
	int v = 1;
	goro_chan_send(((struct out_arg *)arg)->out, &v);
}

static void leaky_root(void *arg)
{
	(void)arg;
	goro_go(sender, &(struct out_arg){ goro_chan_new(int, 0) });
	goro_synctest_wait();
}

static void clean_root(void *arg)
{
	(void)arg;
	goro_go(sender, &(struct out_arg){ goro_chan_new(int, 1) });
	goro_synctest_wait();
}

Test(synctest_assert, clean_bubble_passes)
{
	GORO_SYNCTEST_ASSERT(clean_root, &(char){ 0 });
}

/* The plain-C failing form: report on stderr, exit status 1. */
Test(synctest_assert, plain_form_reports_and_exits_1)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		goro_bubble_result res;
		if (goro_synctest_run(&res, leaky_root, &(char){ 0 }) != GORO_BUBBLE_OK)
			goro_synctest_fail_(&res, "test.c", 42);
		_exit(0);
	}
	close(fds[1]);
	char buf[8192];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof buf - 1 && (r = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	int st;
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d", st);
	cr_assert_not_null(strstr(buf, "test.c:42: synctest bubble failed"), "%s", buf);
	cr_assert_not_null(strstr(buf, "deadlock: main bubble goroutine has exited but "
	                               "blocked goroutines remain"), "%s", buf);
	cr_assert_not_null(strstr(buf, "[chan send (durable), synctest bubble"), "%s", buf);
}

/* The failure hook: called with the report and location instead of the
 * default exit; when it returns, the caller goes on. */
struct hook_seen {
	int calls;
	int line;
	char file[64];
	bool has_report;
};

static void record_failure(const char *report, const char *file, int line, void *ctx)
{
	struct hook_seen *h = ctx;
	h->calls++;
	h->line = line;
	snprintf(h->file, sizeof h->file, "%s", file);
	h->has_report = strstr(report, "blocked goroutines remain") != NULL;
}

Test(synctest_assert, failure_hook_replaces_exit)
{
	struct hook_seen h = { 0 };
	goro_set_test_fail(record_failure, &h);
	goro_bubble_result res;
	cr_assert_eq(goro_synctest_run(&res, leaky_root, &(char){ 0 }), GORO_BUBBLE_LEAKED);
	goro_synctest_fail_(&res, "hooked.c", 7);   /* returns: the hook did */
	goro_bubble_result_free(&res);
	cr_assert_eq(h.calls, 1);
	cr_assert_eq(h.line, 7);
	cr_assert_str_eq(h.file, "hooked.c");
	cr_assert(h.has_report);
	goro_set_test_fail(NULL, NULL);
}
