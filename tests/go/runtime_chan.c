/*
 * runtime_chan.c — Go 1.27.3's src/runtime/chan_test.go (channels and
 * select), ported to goro.  Not applicable here (README.md says why):
 * TestShrinkStackDuringBlockedSend, TestNoShrinkStackWhileParking,
 * TestSelectStackAdjust (Go's stack shrinking by the GC).
 */
#include "go.h"

/* ---- TestChan --------------------------------------------------------- */

struct flag_recv {
	goro_chan *c;
	atomic_int *flag;
};

static void recv_then_flag(void *p)
{
	struct flag_recv *a = p;
	int v;
	goro_chan_recv(a->c, &v);
	atomic_store(a->flag, 1);
}

static void send_then_flag(void *p)
{
	struct flag_recv *a = p;
	goro_send(a->c, 0);
	atomic_store(a->flag, 1);
}

struct closed_recv {
	goro_chan *c, *done;
};

static void recv_expect_closed(void *p)
{
	struct closed_recv *a = p;
	int v = 7;
	bool ok = goro_chan_recv(a->c, &v);
	goro_send(a->done, (bool)(v == 0 && !ok));
}

struct sender {
	goro_chan *c;
	int n;
};

static void send_n(void *p)
{
	struct sender *a = p;
	for (int i = 0; i < a->n; i++)
		goro_send(a->c, i);
}

enum { CHAN_P = 4, CHAN_L = 1000 };

struct counter {
	goro_chan *c, *done;
};

static void recv_count(void *p)
{
	struct counter *a = p;
	int *recv = goro_calloc(CHAN_L, sizeof *recv);
	for (int i = 0; i < CHAN_L; i++) {
		int v;
		goro_chan_recv(a->c, &v);
		cr_assert(v >= 0 && v < CHAN_L, "received %d", v);
		recv[v]++;
	}
	goro_send(a->done, recv);
}

Test(runtime_chan, TestChan, .timeout = 300)
{
	const int N = 20; /* -short */
	for (int cap = 0; cap < N; cap++) {
		{
			/* Receive from an empty chan blocks. */
			goro_chan *c = goro_chan_new(int, cap);
			atomic_int recv1 = 0, recv2 = 0;
			goro_go(recv_then_flag, &(struct flag_recv){ c, &recv1 });
			goro_go(recv_then_flag, &(struct flag_recv){ c, &recv2 });
			goro_sleep(GORO_MILLISECOND);
			cr_assert(!atomic_load(&recv1) && !atomic_load(&recv2),
			          "chan[%d]: receive from empty chan", cap);
			int v;
			cr_assert_eq(goro_chan_tryrecv(c, &v), GORO_WOULDBLOCK,
			             "chan[%d]: receive from empty chan", cap);
			goro_send(c, 0);
			goro_send(c, 0);
			EVENTUALLY(atomic_load(&recv1) && atomic_load(&recv2));
		}
		{
			/* Send to a full chan blocks. */
			goro_chan *c = goro_chan_new(int, cap);
			for (int i = 0; i < cap; i++)
				goro_send(c, i);
			atomic_int sent = 0;
			goro_go(send_then_flag, &(struct flag_recv){ c, &sent });
			goro_sleep(GORO_MILLISECOND);
			cr_assert(!atomic_load(&sent), "chan[%d]: send to full chan", cap);
			int z = 0, v;
			cr_assert_eq(goro_chan_trysend(c, &z), GORO_WOULDBLOCK,
			             "chan[%d]: send to full chan", cap);
			goro_chan_recv(c, &v);
			EVENTUALLY(atomic_load(&sent));
		}
		{
			/* Receive 0 from a closed chan. */
			goro_chan *c = goro_chan_new(int, cap);
			for (int i = 0; i < cap; i++)
				goro_send(c, i);
			goro_chan_close(c);
			for (int i = 0; i < cap; i++) {
				int v = -1;
				goro_chan_recv(c, &v);
				cr_assert_eq(v, i, "chan[%d]: received %d, expected %d", cap, v, i);
			}
			int v = 5;
			goro_chan_recv(c, &v);
			cr_assert_eq(v, 0, "chan[%d]: received %d, expected 0", cap, v);
			v = 5;
			bool ok = goro_chan_recv(c, &v);
			cr_assert(v == 0 && !ok, "chan[%d]: received %d/%d, expected 0/false", cap, v, ok);
		}
		{
			/* close unblocks a receive. */
			goro_chan *c = goro_chan_new(int, cap);
			goro_chan *done = goro_chan_new(bool, 0);
			goro_go(recv_expect_closed, &(struct closed_recv){ c, done });
			goro_sleep(GORO_MILLISECOND);
			goro_chan_close(c);
			bool good = false;
			goro_chan_recv(done, &good);
			cr_assert(good, "chan[%d]: received non zero from closed chan", cap);
		}
		{
			/* 100 integers in FIFO order, twice (recv and recv2). */
			goro_chan *c = goro_chan_new(int, cap);
			for (int round = 0; round < 2; round++) {
				goro_go(send_n, &(struct sender){ c, 100 });
				for (int i = 0; i < 100; i++) {
					int v = -1;
					bool ok = goro_chan_recv(c, &v);
					cr_assert(ok, "chan[%d]: receive failed, expected %d", cap, i);
					cr_assert_eq(v, i, "chan[%d]: received %d, expected %d", cap, v, i);
				}
			}
			/* 1000 integers from 4 goroutines: what is sent is received. */
			for (int p = 0; p < CHAN_P; p++)
				goro_go(send_n, &(struct sender){ c, CHAN_L });
			goro_chan *done = goro_chan_new(int *, 0);
			for (int p = 0; p < CHAN_P; p++)
				goro_go(recv_count, &(struct counter){ c, done });
			int recv[CHAN_L] = { 0 };
			for (int p = 0; p < CHAN_P; p++) {
				int *part;
				goro_chan_recv(done, &part);
				for (int k = 0; k < CHAN_L; k++)
					recv[k] += part[k];
				goro_free(part);
			}
			for (int k = 0; k < CHAN_L; k++)
				cr_assert_eq(recv[k], CHAN_P, "chan[%d]: received %d values of %d, expected %d",
				             cap, recv[k], k, CHAN_P);
		}
		{
			/* len/cap. */
			goro_chan *c = goro_chan_new(int, cap);
			cr_assert(goro_chan_len(c) == 0 && goro_chan_cap(c) == (size_t)cap,
			          "chan[%d]: bad len/cap", cap);
			for (int i = 0; i < cap; i++)
				goro_send(c, i);
			cr_assert(goro_chan_len(c) == (size_t)cap && goro_chan_cap(c) == (size_t)cap,
			          "chan[%d]: bad len/cap", cap);
		}
	}
}

/* ---- TestNonblockRecvRace --------------------------------------------- */

static void nonblock_recv(void *p)
{
	goro_chan *c = *(goro_chan **)p;
	int v;
	if (goro_chan_tryrecv(c, &v) == GORO_WOULDBLOCK)
		cr_assert_fail("chan is not ready");
}

Test(runtime_chan, TestNonblockRecvRace)
{
	const int n = 100; /* -short */
	for (int i = 0; i < n; i++) {
		goro_chan *c = goro_chan_new(int, 1);
		goro_send(c, 1);
		goro_go(nonblock_recv, &c);
		goro_chan_close(c);
		int v;
		goro_chan_recv(c, &v);
	}
	goro_sleep(10 * GORO_MILLISECOND); /* let the last checks run */
}

/* ---- TestNonblockSelectRace, TestNonblockSelectRace2 ------------------ */

struct two_chans {
	goro_chan *c1, *c2, *done;
};

static void select_two_or_default(void *p)
{
	struct two_chans *a = p;
	int v;
	goro_case cs[2] = { GORO_RECV(a->c1, &v), GORO_RECV(a->c2, &v) };
	bool ready = goro_select(cs, 2, true) != GORO_SELECT_DEFAULT;
	goro_send(a->done, ready);
}

static void nonblock_select_race(bool close_c2)
{
	const int n = GO_N(1000); /* -short */
	goro_chan *done = goro_chan_new(bool, 1);
	for (int i = 0; i < n; i++) {
		goro_chan *c1 = goro_chan_new(int, 1);
		goro_chan *c2 = goro_chan_new(int, close_c2 ? 0 : 1);
		goro_send(c1, 1);
		goro_go(select_two_or_default, &(struct two_chans){ c1, c2, done });
		if (close_c2)
			goro_chan_close(c2);
		else
			goro_send(c2, 1);
		int v;
		goro_chan_tryrecv(c1, &v);
		bool ok = false;
		goro_chan_recv(done, &ok);
		cr_assert(ok, "no chan is ready (iteration %d)", i);
	}
}

Test(runtime_chan, TestNonblockSelectRace)
{
	nonblock_select_race(false);
}

Test(runtime_chan, TestNonblockSelectRace2)
{
	nonblock_select_race(true);
}

/* ---- TestSelfSelect --------------------------------------------------- */

struct self_select {
	goro_chan *c;
	goro_waitgroup *wg;
	int p, cap;
};

static void self_select(void *arg)
{
	struct self_select *a = arg;
	for (int i = 0; i < 1000; i++) {
		int v = -1, p = a->p;
		goro_case cs[2];
		int recv_idx;
		if (a->p == 0 || i % 2 == 0) {
			cs[0] = GORO_SEND(a->c, &p);
			cs[1] = GORO_RECV(a->c, &v);
			recv_idx = 1;
		} else {
			cs[0] = GORO_RECV(a->c, &v);
			cs[1] = GORO_SEND(a->c, &p);
			recv_idx = 0;
		}
		if (goro_select(cs, 2, false) == recv_idx && a->cap == 0 && v == a->p) {
			cr_assert_fail("self receive");
		}
	}
	goro_waitgroup_done(a->wg);
}

Test(runtime_chan, TestSelfSelect)
{
	int caps[] = { 0, 10 };
	for (int k = 0; k < 2; k++) {
		goro_waitgroup wg = { 0 };
		goro_waitgroup_add(&wg, 2);
		goro_chan *c = goro_chan_new(int, caps[k]);
		for (int p = 0; p < 2; p++)
			goro_go(self_select, &(struct self_select){ c, &wg, p, caps[k] });
		goro_waitgroup_wait(&wg);
	}
}

/* ---- TestSelectStress ------------------------------------------------- */

struct stress {
	goro_chan **c;
	int k, N;
	goro_waitgroup *wg;
};

static void stress_send(void *p)
{
	struct stress *a = p;
	for (int i = 0; i < a->N; i++)
		goro_send(a->c[a->k], 0);
	goro_waitgroup_done(a->wg);
}

static void stress_recv(void *p)
{
	struct stress *a = p;
	int v;
	for (int i = 0; i < a->N; i++)
		goro_chan_recv(a->c[a->k], &v);
	goro_waitgroup_done(a->wg);
}

static void stress_select(void *p)
{
	struct stress *a = p;
	int n[4] = { 0 }, zero = 0, v;
	static const int send_order[4] = { 3, 2, 0, 1 };
	goro_case cs[4];
	for (int j = 0; j < 4; j++) {
		int k = a->k == GORO_CASE_SEND ? send_order[j] : j;
		cs[j] = a->k == GORO_CASE_SEND ? GORO_SEND(a->c[k], &zero) : GORO_RECV(a->c[k], &v);
	}
	for (int i = 0; i < 4 * a->N; i++) {
		int j = goro_select(cs, 4, false);
		int k = a->k == GORO_CASE_SEND ? send_order[j] : j;
		if (++n[k] == a->N)
			cs[j].chan = NULL;
	}
	goro_waitgroup_done(a->wg);
}

Test(runtime_chan, TestSelectStress, .timeout = 300)
{
	goro_chan *c[4] = { goro_chan_new(int, 0), goro_chan_new(int, 0), goro_chan_new(int, 2),
		            goro_chan_new(int, 3) };
	const int N = GO_N(100000 / 10); /* -short */
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, 10);
	for (int k = 0; k < 4; k++) {
		goro_go(stress_send, &(struct stress){ c, k, N, &wg });
		goro_go(stress_recv, &(struct stress){ c, k, N, &wg });
	}
	goro_go(stress_select, &(struct stress){ c, GORO_CASE_SEND, N, &wg });
	goro_go(stress_select, &(struct stress){ c, GORO_CASE_RECV, N, &wg });
	cr_assert_eq(goro_waitgroup_wait_until(&wg, goro_now() + 200 * GORO_SECOND), GORO_OK,
	             "select stress deadlocked");
}

/* ---- TestSelectFairness ----------------------------------------------- */

struct fairness {
	goro_chan *c1, *c2, *c3, *c4, *out, *done;
	goro_waitgroup *wg;
};

static void fairness_loop(void *p)
{
	struct fairness *a = p;
	for (;;) {
		unsigned char b = 0;
		goro_case in[4] = { GORO_RECV(a->c3, &b), GORO_RECV(a->c4, &b), GORO_RECV(a->c1, &b),
			            GORO_RECV(a->c2, &b) };
		goro_select(in, 4, false);
		goro_case out[2] = { GORO_SEND(a->out, &b), GORO_RECV(a->done, NULL) };
		if (goro_select(out, 2, false) == 1)
			break;
	}
	goro_waitgroup_done(a->wg);
}

Test(runtime_chan, TestSelectFairness)
{
	enum { trials = 10000 };
	goro_chan *c1 = goro_chan_new(unsigned char, trials + 1);
	goro_chan *c2 = goro_chan_new(unsigned char, trials + 1);
	for (int i = 0; i < trials + 1; i++) {
		goro_send(c1, (unsigned char)1);
		goro_send(c2, (unsigned char)2);
	}
	goro_chan *c3 = goro_chan_new(unsigned char, 0), *c4 = goro_chan_new(unsigned char, 0);
	goro_chan *out = goro_chan_new(unsigned char, 0), *done = goro_chan_new(unsigned char, 0);
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, 1);
	goro_go(fairness_loop, &(struct fairness){ c1, c2, c3, c4, out, done, &wg });
	int cnt1 = 0, cnt2 = 0;
	for (int i = 0; i < trials; i++) {
		unsigned char b = 0;
		goro_chan_recv(out, &b);
		if (b == 1)
			cnt1++;
		else if (b == 2)
			cnt2++;
		else
			cr_assert_fail("unexpected value %d on channel", b);
	}
	/* More than 10 sigma from the mean is unfair (Go's bound). */
	double mean = trials * 0.5, stddev = 50.0; /* sqrt(trials * 0.25) */
	double dev = cnt1 - mean;
	cr_assert(dev <= 10 * stddev && -dev <= 10 * stddev,
	          "unfair select: in %d trials, results were %d, %d", trials, cnt1, cnt2);
	goro_chan_close(done);
	goro_waitgroup_wait(&wg);
}

/* ---- TestChanSendInterface -------------------------------------------- */

Test(runtime_chan, TestChanSendInterface)
{
	/* A channel of pointers (Go's chan any holding *mt). */
	static int mt_a, mt_b;
	void *m = &mt_a, *m2 = &mt_b;
	goro_chan *c = goro_chan_new(void *, 1);
	goro_chan_send(c, &m);
	goro_case one[1] = { GORO_SEND(c, &m) };
	cr_assert_eq(goro_select(one, 1, true), GORO_SELECT_DEFAULT);
	goro_case two[2] = { GORO_SEND(c, &m), GORO_SEND(c, &m2) };
	cr_assert_eq(goro_select(two, 2, true), GORO_SELECT_DEFAULT);
	void *got = NULL;
	goro_chan_recv(c, &got);
	cr_assert_eq(got, m);
}

/* ---- TestPseudoRandomSend --------------------------------------------- */

struct prs {
	goro_chan *c;
	int *l, n;
	goro_mutex *m;
};

static void prs_reader(void *p)
{
	struct prs *a = p;
	for (int i = 0; i < a->n; i++) {
		goro_yield();
		goro_chan_recv(a->c, &a->l[i]);
	}
	goro_mutex_unlock(a->m);
}

Test(runtime_chan, TestPseudoRandomSend)
{
	enum { n = 100 };
	int caps[] = { 0, n };
	for (int k = 0; k < 2; k++) {
		goro_chan *c = goro_chan_new(int, caps[k]);
		int l[n] = { 0 };
		goro_mutex m = { 0 };
		goro_mutex_lock(&m);
		goro_go(prs_reader, &(struct prs){ c, l, n, &m });
		for (int i = 0; i < n; i++) {
			int one = 1, zero = 0;
			goro_case cs[2] = { GORO_SEND(c, &one), GORO_SEND(c, &zero) };
			goro_select(cs, 2, false);
		}
		goro_mutex_lock(&m); /* wait */
		int n0 = 0, n1 = 0;
		for (int i = 0; i < n; i++) {
			n0 += (l[i] + 1) % 2;
			n1 += l[i];
		}
		cr_assert(n0 > n / 10 && n1 > n / 10,
		          "Want pseudorandom, got %d zeros and %d ones (chan cap %d)", n0, n1, caps[k]);
		goro_mutex_unlock(&m);
	}
}

/* ---- TestMultiConsumer ------------------------------------------------ */

enum { MC_NWORK = 23, MC_NITER = 271828 };
static const int mc_pn[] = { 2, 3, 7, 11, 13, 17, 19, 23, 27, 31 };
#define MC_NPN ((int)(sizeof mc_pn / sizeof mc_pn[0]))

struct mc {
	goro_chan *q, *r;
	goro_waitgroup *wg;
	int w;
	long *expect;
};

static void mc_worker(void *p)
{
	struct mc *a = p;
	int v;
	goro_range(a->q, v) {
		if (mc_pn[a->w % MC_NPN] == v)
			goro_yield(); /* mess with the fifo-ish nature of range */
		goro_send(a->r, v);
	}
	goro_waitgroup_done(a->wg);
}

static void mc_feeder(void *p)
{
	struct mc *a = p;
	for (int i = 0; i < MC_NITER; i++) {
		int v = mc_pn[i % MC_NPN];
		*a->expect += v;
		goro_send(a->q, v);
	}
	goro_chan_close(a->q);
	goro_waitgroup_wait(a->wg);
	goro_chan_close(a->r);
}

Test(runtime_chan, TestMultiConsumer, .timeout = 300)
{
	goro_chan *q = goro_chan_new(int, MC_NWORK * 3), *r = goro_chan_new(int, MC_NWORK * 3);
	goro_waitgroup wg = { 0 };
	long expect = 0;
	for (int i = 0; i < MC_NWORK; i++) {
		goro_waitgroup_add(&wg, 1);
		goro_go(mc_worker, &(struct mc){ q, r, &wg, i, NULL });
	}
	goro_go(mc_feeder, &(struct mc){ q, r, &wg, 0, &expect });
	long n = 0, s = 0;
	int v;
	goro_range(r, v) {
		n++;
		s += v;
	}
	cr_assert(n == MC_NITER && s == expect, "Expected sum %ld (got %ld) from %d iter (saw %ld)",
	          expect, s, MC_NITER, n);
}

/* ---- TestSelectDuplicateChannel --------------------------------------- */

struct dup {
	goro_chan *c, *d, *e;
};

static void dup_a(void *p)
{
	struct dup *a = p;
	int v;
	goro_case cs[3] = { GORO_RECV(a->c, &v), GORO_RECV(a->c, &v), GORO_RECV(a->d, &v) };
	goro_select(cs, 3, false);
	goro_send(a->e, 9);
}

static void dup_b(void *p)
{
	struct dup *a = p;
	int v;
	goro_chan_recv(a->c, &v);
}

Test(runtime_chan, TestSelectDuplicateChannel)
{
	struct dup a = { goro_chan_new(int, 0), goro_chan_new(int, 0), goro_chan_new(int, 0) };
	goro_go(dup_a, &a);
	goro_sleep(GORO_MILLISECOND); /* A queues first on c */
	goro_go(dup_b, &a);
	goro_sleep(GORO_MILLISECOND); /* B queues on c */
	goro_send(a.d, 7);            /* wakes A, which dequeues itself from c */
	int v;
	go_recv_soon(a.e, &v);
	/* Wakes B: this failed when c's queue was corrupted. */
	cr_assert_eq(goro_chan_send_until(a.c, &(int){ 8 }, SOON), GORO_OK);
}
