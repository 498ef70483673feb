/*
 * death.h — testing behaviour that ends the process: Go's panics (abort),
 * fatal errors and deadlock reports (exit status 2), stack overflows.
 *
 * Why a fresh process: the process that dies cannot check what it printed
 * after abort() or _Exit(2) (Criterion's cr_redirect_stderr reads the
 * captured text back in that same process), and goro's runtime cannot be
 * forked (the child would keep only the forking thread, not the workers).
 * So the test re-executes its own binary with GORO_TEST_SCENARIO=<name>.
 * A constructor of the test file runs that scenario instead of Criterion's
 * main.  goro starts on first use, so the scenario's first goro call makes
 * the main thread goroutine 1, exactly like a goro program's main(); a
 * scenario that returns ends with exit(0), like returning from main.  The
 * test then asserts on the exit status and on everything written to stderr.
 *
 * The same mechanism runs a workload under settings goro reads once at
 * start-up (death_run_env: GORO_MAXPROCS=1, GORO_STACK_GUARDS=0, ...).
 *
 * Use (in a test file):
 *
 *     static void sc_close_twice(void) { ... }
 *     DEATH_SCENARIOS({ "close_twice", sc_close_twice }, ...)
 *
 *     Test(chan_panic, close_twice) {
 *         struct death d;
 *         death_run("close_twice", &d);
 *         death_assert_signal(&d, SIGABRT);
 *         death_assert_stderr_has(&d, "panic: close of closed channel");
 *     }
 */
#ifndef GORO_TEST_DEATH_H
#define GORO_TEST_DEATH_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* A scenario that has not died after this many seconds is killed by
 * SIGALRM, so a missing panic fails the test instead of hanging it.
 * GORO_TEST_ALARM=<seconds> overrides it (slow sanitizer builds). */
enum { DEATH_ALARM_SECONDS = 30 };

struct death_scenario {
	const char *name;
	void (*fn)(void);
};

struct death {
	int status;      /* waitpid status of the scenario process */
	char err[65536]; /* its stderr, NUL-terminated (truncated if longer) */
	size_t len;
};

/* Registers the file's scenarios and the constructor that runs one of
 * them when this binary was started by death_run. */
#define DEATH_SCENARIOS(...)                                                   \
	static const struct death_scenario death_scenarios_[] = { __VA_ARGS__ }; \
	__attribute__((constructor)) static void death_dispatch_(void)          \
	{                                                                      \
		death_dispatch(death_scenarios_,                                   \
		               sizeof death_scenarios_ / sizeof death_scenarios_[0]); \
	}

static inline void death_dispatch(const struct death_scenario *s, size_t n)
{
	const char *want = getenv("GORO_TEST_SCENARIO");
	if (!want)
		return;
	const char *alarm_env = getenv("GORO_TEST_ALARM");
	alarm(alarm_env ? (unsigned)atoi(alarm_env) : DEATH_ALARM_SECONDS);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s[i].name, want) == 0) {
			s[i].fn();
			/* Returning is returning from main: exit(0) while the
			 * workers and any blocked goroutines are still there. */
			exit(0);
		}
	}
	fprintf(stderr, "death.h: unknown scenario %s\n", want);
	_exit(99);
}

/* Runs scenario `name` in a new process and collects its stderr.
 * extra_env: NULL, or one more "NAME=value" for the scenario (e.g. a goro
 * setting, which must be in place before the runtime starts). */
static inline void death_run_env(const char *name, const char *extra_env, struct death *d)
{
	int pipefd[2];
	cr_assert_eq(pipe(pipefd), 0, "pipe: %s", strerror(errno));

	size_t nenv = 0;
	while (environ[nenv])
		nenv++;
	char **env = calloc(nenv + 3, sizeof *env);
	cr_assert_not_null(env);
	char var[256];
	snprintf(var, sizeof var, "GORO_TEST_SCENARIO=%s", name);
	/* Our variables replace inherited ones (getenv takes the first). */
	size_t extra_len = extra_env ? (size_t)(strchr(extra_env, '=') - extra_env) + 1 : 0;
	size_t k = 0;
	for (size_t i = 0; i < nenv; i++) {
		if (strncmp(environ[i], "GORO_TEST_SCENARIO=", 19) == 0)
			continue;
		/* Criterion's sandbox (BoxFort) marks its workers with BXFI_*;
		 * the scenario process must not take itself for one. */
		if (strncmp(environ[i], "BXFI_", 5) == 0)
			continue;
		if (extra_env && strncmp(environ[i], extra_env, extra_len) == 0)
			continue;
		env[k++] = environ[i];
	}
	env[k++] = var;
	if (extra_env)
		env[k++] = (char *)extra_env;
	env[k] = NULL;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[1]);
	char *argv[] = { (char *)name, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(pipefd[1]);
	cr_assert_eq(rc, 0, "posix_spawn: %s", strerror(rc));

	/* Read to EOF before waiting: a full pipe would block the child. */
	d->len = 0;
	for (;;) {
		char buf[4096];
		ssize_t r = read(pipefd[0], buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		cr_assert_geq(r, 0, "reading the scenario's stderr: %s", strerror(errno));
		if (r == 0)
			break;
		size_t room = sizeof d->err - 1 - d->len;
		size_t take = (size_t)r < room ? (size_t)r : room;
		memcpy(d->err + d->len, buf, take);
		d->len += take;
	}
	d->err[d->len] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &d->status, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
}

static inline void death_run(const char *name, struct death *d)
{
	death_run_env(name, NULL, d);
}

static inline void death_assert_signal(const struct death *d, int sig)
{
	cr_assert(WIFSIGNALED(d->status) && WTERMSIG(d->status) == sig,
	          "expected death by signal %d (%s); got %s %d; stderr:\n%s", sig,
	          strsignal(sig), WIFSIGNALED(d->status) ? "signal" : "exit status",
	          WIFSIGNALED(d->status) ? WTERMSIG(d->status) : WEXITSTATUS(d->status),
	          d->err);
}

static inline void death_assert_exit(const struct death *d, int code)
{
	cr_assert(WIFEXITED(d->status) && WEXITSTATUS(d->status) == code,
	          "expected exit status %d; got %s %d; stderr:\n%s", code,
	          WIFSIGNALED(d->status) ? "signal" : "exit status",
	          WIFSIGNALED(d->status) ? WTERMSIG(d->status) : WEXITSTATUS(d->status),
	          d->err);
}

static inline void death_assert_stderr_has(const struct death *d, const char *needle)
{
	cr_assert(strstr(d->err, needle) != NULL, "stderr lacks \"%s\"; stderr:\n%s", needle,
	          d->err);
}

static inline void death_assert_stderr_lacks(const struct death *d, const char *needle)
{
	cr_assert(strstr(d->err, needle) == NULL, "stderr has \"%s\"; stderr:\n%s", needle,
	          d->err);
}

/* The text from `needle` on (for ordered checks), NULL if absent. */
static inline const char *death_stderr_from(const struct death *d, const char *needle)
{
	return strstr(d->err, needle);
}

#endif /* GORO_TEST_DEATH_H */
