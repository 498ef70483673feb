/*
 * bench_trace.c — stack dumps and goleak-style checks (issue 4).
 * Go counterparts: bench/go/trace.go (pprof goroutine debug=2 and
 * go.uber.org/goleak's Find).
 *
 * Every row runs on goroutine 1 (on_main): the checks judge every other
 * goroutine, and a main parked waiting for a driver would be one of them.
 */
#include "gather.h"
#include "harness.h"

/* ---- parked goroutines: n receivers on one channel ---- */

struct park {
	goro_chan *ch;         /* closing it releases every parked goroutine */
	goro_waitgroup exited; /* Done once a released goroutine returns */
};

struct parked_arg {
	goro_chan *ch;
	goro_waitgroup *started, *exited;
};

static void parked(void *p)
{
	struct parked_arg *a = p;
	char v;
	goro_waitgroup_done(a->started);
	goro_chan_recv(a->ch, &v);
	goro_waitgroup_done(a->exited);
}

/* Lets freshly started goroutines reach their blocking call (Go's
 * parkSettle). */
#define PARK_SETTLE (20 * GORO_MILLISECOND)

static void park_start(struct park *pk, long n)
{
	goro_waitgroup started = { 0 };

	pk->ch = goro_chan_new(char, 0);
	pk->exited = (goro_waitgroup){ 0 };
	goro_waitgroup_add(&started, (int)n);
	goro_waitgroup_add(&pk->exited, (int)n);
	for (long i = 0; i < n; i++)
		goro_go(parked, &(struct parked_arg){
			.ch = pk->ch, .started = &started, .exited = &pk->exited });
	goro_waitgroup_wait(&started);
	goro_sleep(PARK_SETTLE);
}

static void park_release(struct park *pk)
{
	goro_chan_close(pk->ch);
	goro_waitgroup_wait(&pk->exited);
	goro_chan_free(pk->ch);
}

/* ---- dump_100k: debug=2 dump of 100k parked goroutines, seconds ---- */

static void row_dump_100k(const bench_opts *o)
{
	long n = bench_size(o, 100000, 1000);
	FILE *devnull = fopen("/dev/null", "w");
	struct park pk;
	double s[BENCH_MAX_REPS];
	char extra[32];

	if (devnull == NULL)
		bench_fail("dump_100k", "cannot open /dev/null");
	park_start(&pk, n);
	for (int r = 0; r < o->reps; r++) {
		int64_t t0 = bench_now_ns();
		goro_dump(devnull);
		fflush(devnull);
		s[r] = bench_s_since(t0);
	}
	park_release(&pk);
	fclose(devnull);
	snprintf(extra, sizeof extra, "\"goroutines\": %ld", n);
	bench_emit("dump_100k", "s", s, o->reps, extra);
}

/* ---- verify_clean: goro_leak_find when nothing leaked, µs ---- */

/* One repetition averages this many calls: a clean find is only µs. */
#define VERIFY_CLEAN_CALLS 50

static void row_verify_clean(const bench_opts *o)
{
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++) {
		int64_t t0 = bench_now_ns();
		for (int i = 0; i < VERIFY_CLEAN_CALLS; i++) {
			int n = goro_leak_find(NULL, NULL);
			if (n != 0)
				bench_fail("verify_clean", "found %d leaks, want 0", n);
		}
		s[r] = bench_us_since(t0) / VERIFY_CLEAN_CALLS;
	}
	bench_emit("verify_clean", "us", s, o->reps, NULL);
}

/* ---- verify_leak: time until Gather's 3 leaks are reported, ms ---- */

static double verify_leak_rep(void)
{
	goro_chan *out = gather_three();
	char *report = NULL;
	int v;

	int64_t t0 = bench_now_ns();
	int n = goro_leak_find(NULL, &report);
	double ms = bench_ms_since(t0);

	if (n != 3 || report == NULL)
		bench_fail("verify_leak", "found %d leaks, want 3", n);
	free(report);
	/* Unblock the senders and wait until they have exited, so that the
	 * next repetition starts clean. */
	for (int i = 0; i < 3; i++)
		goro_chan_recv(out, &v);
	if (goro_leak_find(NULL, NULL) != 0)
		bench_fail("verify_leak", "Gather's goroutines did not exit");
	goro_chan_free(out);
	return ms;
}

static void row_verify_leak(const bench_opts *o)
{
	double s[BENCH_MAX_REPS];
	for (int r = 0; r < o->reps; r++)
		s[r] = verify_leak_rep();
	bench_emit("verify_leak", "ms", s, o->reps, NULL);
}

static const bench_row rows[] = {
	{ "dump_100k", row_dump_100k, true },
	{ "verify_clean", row_verify_clean, true },
	{ "verify_leak", row_verify_leak, true },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, rows, BENCH_NROWS(rows));
}
