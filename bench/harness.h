/*
 * harness.h — the bench row protocol every bench/bench_*.c speaks, so that
 * bench/run.py can drive them and their Go counterparts (bench/go) alike:
 *
 *     bench_X --list                    row names, one per line
 *     bench_X ROW [--reps N] [--quick]  run one row
 *
 * A row runs N repetitions and prints one JSON object per line:
 *     {"name": ROW, "value": MEDIAN, "unit": "...", "reps": N,
 *      "samples": [...], ...row-specific extra keys}
 * A row that fails prints {"name": ROW, "error": "..."} and the program
 * exits with status 1.  --quick shrinks every workload to a smoke test.
 *
 * Header-only on purpose: the build turns each bench/bench_*.c into one
 * program, with no room for a shared object file.  Everything here is
 * static; BENCH_FN keeps unused helpers from warning.
 */
#ifndef GORO_BENCH_HARNESS_H
#define GORO_BENCH_HARNESS_H

#include <goro.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BENCH_FN static __attribute__((unused))

/* Upper bound of --reps: samples live in fixed arrays on the stack. */
#define BENCH_MAX_REPS 99

typedef struct bench_opts {
	int reps;   /* repetitions; the reported value is their median */
	bool quick; /* tiny sizes, for smoke tests of the bench code itself */
} bench_opts;

typedef struct bench_row {
	const char *name;
	/* Measures o->reps repetitions and emits the result line(s). */
	void (*run)(const bench_opts *o);
	/*
	 * Run on goroutine 1 (the main thread) instead of a driver goroutine.
	 * Rows default to a driver goroutine so that, with GORO_MAXPROCS=1,
	 * everything they time shares one worker as Go's code shares one P.
	 * Leak-detector rows stay on main: a main goroutine parked waiting
	 * for a driver would itself look blocked to them.
	 */
	bool on_main;
} bench_row;

/* Workload size: full for real runs, quick for smoke tests. */
BENCH_FN long bench_size(const bench_opts *o, long full, long quick)
{
	return o->quick ? quick : full;
}

/* Monotonic clock in ns, independent of goro (and of any fake clock). */
BENCH_FN int64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ns per operation since t0. */
BENCH_FN double bench_ns_per(int64_t t0, long ops)
{
	return (double)(bench_now_ns() - t0) / (double)ops;
}

/* Elapsed time since t0 in µs, ms or s. */
BENCH_FN double bench_us_since(int64_t t0)
{
	return (double)(bench_now_ns() - t0) / 1e3;
}

BENCH_FN double bench_ms_since(int64_t t0)
{
	return (double)(bench_now_ns() - t0) / 1e6;
}

BENCH_FN double bench_s_since(int64_t t0)
{
	return (double)(bench_now_ns() - t0) / 1e9;
}

/* Peak resident set of the process in MB (ru_maxrss is VmHWM, in KiB). */
BENCH_FN double bench_peak_rss_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

BENCH_FN int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median (mean of the middle two for an even count); s is not changed. */
BENCH_FN double bench_median(const double *s, int n)
{
	double c[BENCH_MAX_REPS];
	if (n <= 0)
		return 0;
	memcpy(c, s, (size_t)n * sizeof *c);
	qsort(c, (size_t)n, sizeof *c, bench_cmp_double);
	return n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
}

/*
 * Prints one result line: the median of samples as the value.  extra is
 * NULL or more JSON members without braces, e.g. "\"p50\": 12.5".
 */
BENCH_FN void bench_emit(const char *name, const char *unit,
                         const double *samples, int n, const char *extra)
{
	printf("{\"name\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", "
	       "\"reps\": %d, \"samples\": [",
	       name, bench_median(samples, n), unit, n);
	for (int i = 0; i < n; i++)
		printf("%s%.6g", i ? ", " : "", samples[i]);
	printf("]%s%s}\n", extra ? ", " : "", extra ? extra : "");
	fflush(stdout);
}

/* Reports a failed row as the runner expects and exits with status 1. */
BENCH_FN _Noreturn __attribute__((format(printf, 2, 3)))
void bench_fail(const char *name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* The message is ours: keep it valid JSON by dropping quotes. */
	for (char *p = msg; *p; p++)
		if (*p == '"' || *p == '\\' || *p == '\n')
			*p = '\'';
	printf("{\"name\": \"%s\", \"error\": \"%s\"}\n", name, msg);
	fflush(stdout);
	exit(1);
}

/* What the driver goroutine needs; copied onto its stack by goro_go. */
struct bench_driver_arg {
	const bench_row *row;
	bench_opts opts;
	goro_waitgroup *done;
};

BENCH_FN void bench_driver(void *p)
{
	struct bench_driver_arg *a = p;
	a->row->run(&a->opts);
	goro_waitgroup_done(a->done);
}

BENCH_FN void bench_run_row(const bench_row *row, const bench_opts *o)
{
	goro_waitgroup done = { 0 };

	if (row->on_main) {
		row->run(o);
		return;
	}
	goro_waitgroup_add(&done, 1);
	goro_go(bench_driver, &(struct bench_driver_arg){
		.row = row, .opts = *o, .done = &done });
	goro_waitgroup_wait(&done);
}

BENCH_FN int bench_usage(void)
{
	fprintf(stderr, "usage: [--list | ROW [--reps N] [--quick]]\n");
	return 2;
}

/* The protocol's main(): parses argv and runs the chosen row. */
BENCH_FN int bench_main(int argc, char **argv, const bench_row *rows, int nrows)
{
	bench_opts o = { .reps = 5, .quick = false };
	const char *want = NULL;
	bool list = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list") == 0) {
			list = true;
		} else if (strcmp(argv[i], "--quick") == 0) {
			o.quick = true;
		} else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
			o.reps = atoi(argv[++i]);
			if (o.reps < 1 || o.reps > BENCH_MAX_REPS)
				return bench_usage();
		} else if (argv[i][0] != '-' && want == NULL) {
			want = argv[i];
		} else {
			return bench_usage();
		}
	}
	if (list) {
		for (int i = 0; i < nrows; i++)
			printf("%s\n", rows[i].name);
		return 0;
	}
	if (want == NULL)
		return bench_usage();
	for (int i = 0; i < nrows; i++) {
		if (strcmp(rows[i].name, want) == 0) {
			bench_run_row(&rows[i], &o);
			return 0;
		}
	}
	bench_fail(want, "unknown row");
}

#define BENCH_NROWS(rows) ((int)(sizeof(rows) / sizeof((rows)[0])))

#endif /* GORO_BENCH_HARNESS_H */
