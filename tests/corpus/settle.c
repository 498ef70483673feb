/*
 * settle.c — the only timing-dependent part of the corpus drivers.
 *
 * Go's harness yields ten times or sleeps before it takes the leak profile;
 * goro's driver does the same, adaptively: it samples goro_num_goroutine()
 * until it stops changing.  A goroutine that is still on its way to its
 * final block when the detector runs is a root, not a leak, so settling too
 * early can only hide an expected leak (a MUST_LEAK mismatch), never invent
 * one: the driver then retries (corpus_settle_more) for a while before it
 * reports the mismatch.  The cases avoid long sleeps and timers: everything
 * they start finishes or blocks within a few scheduler rounds.
 */
#include "settle.h"

/* Hang guards, not timing assertions: run() returns at once, except
 * GOLF-C7, which hands over 55,000 goroutines (slow under valgrind). */
#define CORPUS_RUN_LIMIT (60 * GORO_SECOND)
#define CORPUS_SETTLE_LIMIT (200 * GORO_MILLISECOND)
#define CORPUS_SETTLE_TICK (2 * GORO_MILLISECOND)
/* Unchanged samples in a row that count as settled (about 10 ms). */
#define CORPUS_SETTLE_STABLE 5
/* How long a MUST_LEAK case may take to show all its leaks. */
#define CORPUS_RETRY_LIMIT (2 * GORO_SECOND)

/* Set by corpus_settle; read by corpus_settle_more (driver goroutine only). */
static int64_t retry_deadline;

struct case_start {
	const struct corpus_case *c;
	goro_chan *done; /* closed when run() returns */
};

/*
 * The case runs on its own goroutine rather than on the driver's so that
 * its locals (channels, sync objects) die with that goroutine's stack: on
 * goroutine 1 they would linger in dead stack slots below live frames,
 * where a conservative stack scan could find them and hide the leak.
 */
static void corpus_case_goroutine(void *arg)
{
	const struct case_start *s = arg;
	s->c->run();
	goro_chan_close(s->done);
}

bool corpus_run(const struct corpus_case *c)
{
	goro_chan *done = goro_chan_new(char, 0);
	char unused;

	goro_go(corpus_case_goroutine, &(struct case_start){ .c = c, .done = done });
	int status = goro_chan_recv_until(done, &unused,
	                                  goro_now() + CORPUS_RUN_LIMIT);
	/* done is not freed: after a timeout the case may still close it. */
	return status != GORO_TIMEDOUT;
}

void corpus_settle(void)
{
	const int64_t deadline = goro_now() + CORPUS_SETTLE_LIMIT;
	retry_deadline = goro_now() + CORPUS_RETRY_LIMIT;
	int last = goro_num_goroutine();
	int stable = 0;

	while (stable < CORPUS_SETTLE_STABLE && goro_now() < deadline) {
		/* Yields let runnable goroutines reach their blocking point on
		 * a busy scheduler; the sleep lets other threads run theirs. */
		for (int i = 0; i < 8; i++)
			goro_yield();
		goro_sleep(CORPUS_SETTLE_TICK);
		int n = goro_num_goroutine();
		stable = n == last ? stable + 1 : 0;
		last = n;
	}
}

bool corpus_settle_more(void)
{
	if (goro_now() >= retry_deadline)
		return false;
	goro_sleep(CORPUS_SETTLE_TICK);
	return true;
}
