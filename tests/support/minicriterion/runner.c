/*
 * runner.c — runs each case in a process of its own and judges it.
 *
 * The runner forks before anything touches goro: goro's runtime starts on
 * first use, so it starts inside the test's process, with its worker
 * threads, as under Criterion (a forked child keeps only the forking
 * thread, so the runtime could not be forked once started).
 *
 * Waiting: SIGCHLD stays blocked in the runner, which sleeps in
 * sigtimedwait until a test process ends or the soonest deadline passes.
 * A SIGCHLD raised while the runner is busy stays pending, so no end is
 * missed between reaping and sleeping.
 *
 * Output: a test's stdout and stderr go to a memfd of its own, printed
 * when it ends, just before its verdict line, so that parallel tests
 * (--jobs) do not interleave their output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "minicriterion.h"

/* A test process.  Free when pid is 0; a slot's result is its own. */
struct slot {
	pid_t pid;
	const struct mc_case *c;
	double timeout;           /* seconds; 0: none */
	double deadline;          /* monotonic seconds; 0: none */
	bool timed_out;           /* killed for it */
	int out_fd;               /* memfd: the process's stdout and stderr */
	struct mc_result *result; /* shared with the process */
};

enum verdict { PASS, FAIL, SKIP };

static pid_t runner_pid;
static sigset_t tests_sigmask; /* the mask the runner started with */

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Inside the test's process                                           */
/* ------------------------------------------------------------------ */

static _Noreturn void run_test_process(const struct slot *s)
{
	const struct mc_test *t = s->c->test;

	sigprocmask(SIG_SETMASK, &tests_sigmask, NULL);
	/* Dies with the runner (killed by CTest's timeout, say). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != runner_pid)
		_exit(1);
	if (dup2(s->out_fd, STDOUT_FILENO) < 0 || dup2(s->out_fd, STDERR_FILENO) < 0)
		_exit(1);
	close(s->out_fd);
	/* A failed assertion ends the process with _exit: keep the lines
	 * written before it. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	mc_result_attach(s->result);

	if (t->init)
		t->init();
	if (t->param_fn)
		t->param_fn(s->c->param);
	else
		t->fn();
	if (t->fini)
		t->fini();
	/* Returning from the test is returning from main: exit, with goro's
	 * threads still there, as under Criterion. */
	exit(mc_result_failures() ? 1 : 0);
}

/* ------------------------------------------------------------------ */
/* Starting and judging                                                */
/* ------------------------------------------------------------------ */

static void start(struct slot *s, const struct mc_case *c, double default_timeout)
{
	s->c = c;
	s->timed_out = false;
	memset(s->result, 0, sizeof *s->result);
	s->timeout = c->test->timeout > 0 ? c->test->timeout : default_timeout;
	s->deadline = s->timeout > 0 ? now() + s->timeout : 0;
	/* A fresh file per test: a straggling grandchild of an earlier test
	 * cannot write into this one's output. */
	s->out_fd = memfd_create("minicriterion-output", MFD_CLOEXEC);
	if (s->out_fd < 0)
		die("minicriterion: memfd_create");
	fflush(NULL); /* nothing buffered gets written twice */
	pid_t pid = fork();
	if (pid < 0)
		die("minicriterion: fork");
	if (pid == 0)
		run_test_process(s);
	s->pid = pid;
}

/* Why exit status 66 may be TSan's: its report is in the output. */
#if defined(__SANITIZE_THREAD__)
#define MC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MC_TSAN 1
#endif
#endif

static const char *exit_hint(int code)
{
#ifdef MC_TSAN
	if (code == 66)
		return " (ThreadSanitizer's exit code: see its report above)";
#endif
	(void)code;
	return "";
}

/* Criterion's rules: the test must end as its options say, and nothing
 * may have failed on the way. */
static enum verdict judge(const struct slot *s, int status, char *why, size_t size)
{
	const struct mc_test *t = s->c->test;
	const struct mc_result *r = s->result;

	if (s->timed_out) {
		snprintf(why, size, "timed out after %g s", s->timeout);
		return FAIL;
	}
	if (atomic_load(&r->failures) > 0) {
		snprintf(why, size, "%s", r->reason[0] ? r->reason : "an expectation failed");
		return FAIL;
	}
	if (r->skipped) {
		snprintf(why, size, "%s", r->reason);
		return SKIP;
	}
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		if (sig == t->signal)
			return PASS;
		snprintf(why, size, "killed by signal %d (%s)", sig, strsignal(sig));
		if (t->signal)
			snprintf(why + strlen(why), size - strlen(why), " instead of signal %d (%s)",
			         t->signal, strsignal(t->signal));
		return FAIL;
	}
	int code = WEXITSTATUS(status);
	if (t->signal) {
		snprintf(why, size, "exited with status %d instead of dying of signal %d (%s)",
		         code, t->signal, strsignal(t->signal));
		return FAIL;
	}
	if (code == t->exit_code)
		return PASS;
	snprintf(why, size, "exited with status %d", code);
	if (t->exit_code)
		snprintf(why + strlen(why), size - strlen(why), " instead of %d", t->exit_code);
	snprintf(why + strlen(why), size - strlen(why), "%s", exit_hint(code));
	return FAIL;
}

/* Copies the test's captured output to the runner's stderr. */
static void replay_output(int fd)
{
	char buf[65536];
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, stderr);
}

static void print_verdict(const struct mc_case *c, enum verdict v, const char *why)
{
	static const char *const tag[] = { [PASS] = "PASS", [FAIL] = "FAIL", [SKIP] = "SKIP" };
	const struct mc_test *t = c->test;

	fprintf(stderr, "[%s] %s::%s", tag[v], t->suite, t->name);
	if (c->param)
		fprintf(stderr, "[%zu]", c->index);
	if (v != PASS)
		fprintf(stderr, ": %s", why);
	fputc('\n', stderr);
}

static void count(struct mc_tally *tally, enum verdict v)
{
	if (v == PASS)
		tally->passed++;
	else if (v == FAIL)
		tally->failed++;
	else
		tally->skipped++;
}

static void finish(struct slot *s, int status, struct mc_tally *tally)
{
	char why[1024] = "";
	enum verdict v = judge(s, status, why, sizeof why);

	replay_output(s->out_fd);
	close(s->out_fd);
	print_verdict(s->c, v, why);
	count(tally, v);
	s->pid = 0;
}

/* ------------------------------------------------------------------ */
/* Waiting                                                             */
/* ------------------------------------------------------------------ */

/* Judges every test process that ended; returns how many. */
static int reap(struct slot *slots, int nslots, struct mc_tally *tally)
{
	int reaped = 0, status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < nslots; i++) {
			if (slots[i].pid == pid) {
				finish(&slots[i], status, tally);
				reaped++;
				break;
			}
		}
	}
	return reaped;
}

/* Sleeps until a SIGCHLD or the soonest deadline. */
static void wait_event(const struct slot *slots, int nslots)
{
	sigset_t chld;
	double soonest = 0;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (int i = 0; i < nslots; i++)
		if (slots[i].pid && slots[i].deadline && !slots[i].timed_out &&
		    (!soonest || slots[i].deadline < soonest))
			soonest = slots[i].deadline;
	if (!soonest) {
		sigwaitinfo(&chld, NULL);
		return;
	}
	double left = soonest - now();
	if (left <= 0)
		return;
	struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
	sigtimedwait(&chld, NULL, &ts);
}

static void kill_overdue(struct slot *slots, int nslots)
{
	double t = now();

	for (int i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];
		if (s->pid && s->deadline && !s->timed_out && t >= s->deadline) {
			kill(s->pid, SIGKILL);
			s->timed_out = true;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The run                                                             */
/* ------------------------------------------------------------------ */

static struct slot *free_slot(struct slot *slots, int nslots)
{
	for (int i = 0; i < nslots; i++)
		if (!slots[i].pid)
			return &slots[i];
	abort(); /* the caller counts running slots */
}

static struct slot *make_slots(int n)
{
	struct slot *slots = calloc((size_t)n, sizeof *slots);
	struct mc_result *results = mmap(NULL, (size_t)n * sizeof *results,
	                                 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!slots || results == MAP_FAILED)
		die("minicriterion");
	for (int i = 0; i < n; i++)
		slots[i].result = &results[i];
	return slots;
}

static void free_slots(struct slot *slots, int n)
{
	munmap(slots[0].result, (size_t)n * sizeof *slots[0].result);
	free(slots);
}

void mc_run(const struct mc_plan *plan, int jobs, double default_timeout,
            struct mc_tally *tally)
{
	struct slot *slots = make_slots(jobs);
	size_t next = 0;
	int running = 0;
	sigset_t chld;

	runner_pid = getpid();
	signal(SIGCHLD, SIG_DFL); /* SIG_IGN would reap for us */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &tests_sigmask);

	for (;;) {
		while (running < jobs && next < plan->ncases) {
			const struct mc_case *c = &plan->cases[next++];
			if (c->test->disabled) {
				print_verdict(c, SKIP, "disabled");
				count(tally, SKIP);
				continue;
			}
			start(free_slot(slots, jobs), c, default_timeout);
			running++;
		}
		if (running == 0)
			break;
		int ended = reap(slots, jobs, tally);
		running -= ended;
		if (ended == 0) {
			wait_event(slots, jobs);
			kill_overdue(slots, jobs);
		}
	}

	sigprocmask(SIG_SETMASK, &tests_sigmask, NULL);
	free_slots(slots, jobs);
}
