/*
 * bench_leakprof.c — the goroutineleak profile (issue 6): how long leak
 * detection takes with many blocked goroutines, and with a big live heap.
 * Go counterparts: bench/go/leakprof.go, built with
 * GOEXPERIMENT=goroutineleakprofile.
 *
 * Shape (the same in Go): n blocked goroutines, half on channels nothing
 * references (leaked), half on channels kept in a global array (blocked
 * but reachable, so not leaked).  The rows run on goroutine 1: the
 * detector judges every other goroutine.
 */
#include <stdatomic.h>

#include "harness.h"

/* Half the parked goroutines wait on these; the array is plain malloc
 * memory, which the detector scans as a root, so they are not leaked. */
static goro_chan **kept_chans;

/* The pointer-dense heap of leakprof_heap_1g, live through this global. */
struct heap_node {
	struct heap_node *p[64]; /* 512 bytes, every word a pointer */
};
static struct heap_node *heap_root;

struct waiter_arg {
	goro_chan *ch; /* NULL: make a channel only this goroutine knows */
	goro_waitgroup *started;
};

static void waiter(void *p)
{
	struct waiter_arg *a = p;
	goro_chan *ch = a->ch ? a->ch : goro_chan_new(char, 0);
	char v;
	goro_waitgroup_done(a->started);
	goro_chan_recv(ch, &v);
}

/* Lets freshly started goroutines reach their blocking call (Go's
 * parkSettle). */
#define PARK_SETTLE (20 * GORO_MILLISECOND)

static void park_leak_shape(const char *row, long n)
{
	goro_waitgroup started = { 0 };
	long kept = n / 2;

	kept_chans = calloc((size_t)kept, sizeof *kept_chans);
	if (kept_chans == NULL)
		bench_fail(row, "out of memory");
	goro_waitgroup_add(&started, (int)n);
	for (long i = 0; i < kept; i++) {
		kept_chans[i] = goro_chan_new(char, 0);
		goro_go(waiter, &(struct waiter_arg){ .ch = kept_chans[i], .started = &started });
	}
	for (long i = kept; i < n; i++)
		goro_go(waiter, &(struct waiter_arg){ .ch = NULL, .started = &started });
	goro_waitgroup_wait(&started);
	goro_sleep(PARK_SETTLE);
}

/* xorshift64: a fixed, cheap pseudo-random sequence (same graph each run). */
static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Links bytes worth of heap_nodes from heap_root: p[0] chains them all,
 * p[1] points at a random earlier node (a graph the marker cannot walk in
 * address order), the other slots at the nodes allocated just before
 * (pointer-dense but mostly cache-friendly, so the row measures the
 * detector rather than DRAM latency).  Go's buildHeap does the same.
 */
static long build_heap(const char *row, long bytes)
{
	long n = bytes / (long)sizeof(struct heap_node);
	struct heap_node **nodes = malloc((size_t)(n ? n : 1) * sizeof *nodes);
	uint64_t rng = 0x9E3779B97F4A7C15u;

	if (nodes == NULL)
		bench_fail(row, "out of memory");
	for (long i = 0; i < n; i++) {
		struct heap_node *x = goro_calloc(1, sizeof *x);
		if (x == NULL)
			bench_fail(row, "goro_calloc failed at node %ld", i);
		x->p[0] = heap_root;
		if (i > 0)
			x->p[1] = nodes[xorshift(&rng) % (uint64_t)i];
		for (long j = 2; j < 64 && j <= i; j++)
			x->p[j] = nodes[i - j];
		nodes[i] = x;
		heap_root = x;
	}
	/* The scratch index is plain malloc memory, a root: drop it. */
	free(nodes);
	return n;
}

/* ms to write the goroutineleak profile (debug=0: detection + protobuf). */
static void leakprof_row(const bench_opts *o, const char *row, long n, long heap_bytes)
{
	FILE *devnull = fopen("/dev/null", "w");
	double s[BENCH_MAX_REPS];
	char extra[256];

	if (o->quick) {
		n = n < 2000 ? n : 2000;
		heap_bytes = heap_bytes < (8L << 20) ? heap_bytes : (8L << 20);
	}
	if (devnull == NULL)
		bench_fail(row, "cannot open /dev/null");
	park_leak_shape(row, n);
	long nodes = build_heap(row, heap_bytes);
	double pause_ms = 0;
	for (int r = 0; r < o->reps; r++) {
		int64_t t0 = bench_now_ns();
		if (goro_profile_write("goroutineleak", devnull, 0) != 0)
			bench_fail(row, "goro_profile_write(goroutineleak) failed");
		fflush(devnull);
		s[r] = bench_ms_since(t0);
		double p = (double)goro_leakprof_pause_ns() / 1e6;
		if (p > pause_ms)
			pause_ms = p; /* the longest stop-the-world pause */
	}
	fclose(devnull);
	/* A detector that misses leaks still gets timed; the count shows it. */
	snprintf(extra, sizeof extra,
	         "\"goroutines\": %ld, \"leaked\": %d, \"leaked_expected\": %ld, "
	         "\"heap_nodes\": %ld, \"pause_ms\": %.3f",
	         n, goro_leakprof_count(), n - n / 2, nodes, pause_ms);
	bench_emit(row, "ms", s, o->reps, extra);
	/* The leaked goroutines cannot be released: the process ends here. */
}

/*
 * The application's stall while one profile is taken: a goroutine ticking
 * every 1 ms records the largest gap between its ticks from just before
 * the request to a few ms after it returns (the same ticker in Go).
 */
struct ticker {
	atomic_bool stop, measuring;
	atomic_llong max_gap_ns;
};

static void ticker_fn(void *arg)
{
	struct ticker *t = *(struct ticker *const *)arg;
	int64_t last = bench_now_ns();
	while (!atomic_load(&t->stop)) {
		goro_sleep(GORO_MILLISECOND);
		int64_t now = bench_now_ns();
		if (atomic_load(&t->measuring) && now - last > atomic_load(&t->max_gap_ns))
			atomic_store(&t->max_gap_ns, now - last);
		last = now;
	}
}

static void stall_row(const bench_opts *o, const char *row, long n, long heap_bytes)
{
	FILE *devnull = fopen("/dev/null", "w");
	double s[BENCH_MAX_REPS], total[BENCH_MAX_REPS], pause[BENCH_MAX_REPS];
	char extra[256];
	static struct ticker t;

	if (o->quick) {
		n = n < 2000 ? n : 2000;
		heap_bytes = heap_bytes < (8L << 20) ? heap_bytes : (8L << 20);
	}
	if (devnull == NULL)
		bench_fail(row, "cannot open /dev/null");
	park_leak_shape(row, n);
	long nodes = build_heap(row, heap_bytes);
	goro_go(ticker_fn, &(struct ticker *){ &t });
	goro_sleep(50 * GORO_MILLISECOND); /* the ticker is running */
	for (int r = 0; r < o->reps; r++) {
		atomic_store(&t.max_gap_ns, 0);
		atomic_store(&t.measuring, true);
		int64_t t0 = bench_now_ns();
		if (goro_profile_write("goroutineleak", devnull, 0) != 0)
			bench_fail(row, "goro_profile_write(goroutineleak) failed");
		fflush(devnull);
		total[r] = bench_ms_since(t0);
		goro_sleep(5 * GORO_MILLISECOND); /* a tick late across the end counts */
		atomic_store(&t.measuring, false);
		s[r] = (double)atomic_load(&t.max_gap_ns) / 1e6;
		pause[r] = (double)goro_leakprof_pause_ns() / 1e6;
		goro_sleep(20 * GORO_MILLISECOND);
	}
	atomic_store(&t.stop, true);
	fclose(devnull);
	snprintf(extra, sizeof extra,
	         "\"goroutines\": %ld, \"leaked\": %d, \"leaked_expected\": %ld, "
	         "\"heap_nodes\": %ld, \"total_ms\": %.3f, \"pause_ms\": %.3f",
	         n, goro_leakprof_count(), n - n / 2, nodes, bench_median(total, o->reps),
	         bench_median(pause, o->reps));
	bench_emit(row, "ms", s, o->reps, extra);
}

static void row_leakprof_10k_stall(const bench_opts *o)
{
	stall_row(o, "leakprof_10k_stall", 10000, 0);
}

static void row_leakprof_100k_stall(const bench_opts *o)
{
	stall_row(o, "leakprof_100k_stall", 100000, 0);
}

static void row_leakprof_1m_stall(const bench_opts *o)
{
	stall_row(o, "leakprof_1m_stall", 1000000, 0);
}

static void row_leakprof_heap_stall(const bench_opts *o)
{
	stall_row(o, "leakprof_heap_stall", 100000, 256L << 20);
}

/*
 * The debug=0 writer on 1M goroutines without detection: the goroutine
 * profile, which shares the goroutineleak profile's snapshot and protobuf
 * code (Go: pprof.Lookup("goroutine").WriteTo(w, 0), the same shape).
 */
static void row_leakprof_write_1m(const bench_opts *o)
{
	const char *row = "leakprof_write_1m";
	long n = o->quick ? 2000 : 1000000;
	FILE *devnull = fopen("/dev/null", "w");
	double s[BENCH_MAX_REPS];
	char extra[64];

	if (devnull == NULL)
		bench_fail(row, "cannot open /dev/null");
	park_leak_shape(row, n);
	for (int r = 0; r < o->reps; r++) {
		int64_t t0 = bench_now_ns();
		if (goro_profile_write("goroutine", devnull, 0) != 0)
			bench_fail(row, "goro_profile_write(goroutine) failed");
		fflush(devnull);
		s[r] = bench_ms_since(t0);
	}
	fclose(devnull);
	snprintf(extra, sizeof extra, "\"goroutines\": %ld", n);
	bench_emit(row, "ms", s, o->reps, extra);
}

static void row_leakprof_10k(const bench_opts *o)
{
	leakprof_row(o, "leakprof_10k", 10000, 0);
}

static void row_leakprof_100k(const bench_opts *o)
{
	leakprof_row(o, "leakprof_100k", 100000, 0);
}

static void row_leakprof_1m(const bench_opts *o)
{
	leakprof_row(o, "leakprof_1m", 1000000, 0);
}

static void row_leakprof_heap_1g(const bench_opts *o)
{
	leakprof_row(o, "leakprof_heap_1g", 100000, 1L << 30);
}

static const bench_row rows[] = {
	{ "leakprof_10k", row_leakprof_10k, true },
	{ "leakprof_100k", row_leakprof_100k, true },
	{ "leakprof_1m", row_leakprof_1m, true },
	{ "leakprof_heap_1g", row_leakprof_heap_1g, true },
	{ "leakprof_10k_stall", row_leakprof_10k_stall, true },
	{ "leakprof_100k_stall", row_leakprof_100k_stall, true },
	{ "leakprof_1m_stall", row_leakprof_1m_stall, true },
	{ "leakprof_heap_stall", row_leakprof_heap_stall, true },
	{ "leakprof_write_1m", row_leakprof_write_1m, true },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, rows, BENCH_NROWS(rows));
}
