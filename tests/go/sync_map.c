/*
 * sync_map.c — Go 1.27.3's src/sync/map_test.go against goro_map.
 * Keys and values are interned strings (equal strings, equal pointers), so
 * CompareAndSwap's value comparison means what Go's string == means.
 */
#include "go.h"

#include "heap/heap.h"

/* ---- interned short strings (Go's randValue: up to 3 letters) ---------- */

enum { ALPHA = 4, MAXLEN = 3 };
static char strings_[1 + ALPHA + ALPHA * ALPHA + ALPHA * ALPHA * ALPHA][MAXLEN + 1];
static int nstrings;

static void strings_init(void)
{
	if (nstrings)
		return;
	for (int len = 0; len <= MAXLEN; len++) {
		int count = 1;
		for (int i = 0; i < len; i++)
			count *= ALPHA;
		for (int c = 0; c < count; c++) {
			int x = c;
			for (int i = 0; i < len; i++, x /= ALPHA)
				strings_[nstrings][i] = (char)('a' + x % ALPHA);
			nstrings++;
		}
	}
}

static const char *rand_value(unsigned *seed)
{
	return strings_[rand_r(seed) % nstrings];
}

/* ---- the reference: Go's RWMutexMap (a plain map under a lock) -------- */

struct ref_map {
	const char *k[512];
	void *v[512];
	int n;
};

static int ref_find(struct ref_map *r, const void *k)
{
	for (int i = 0; i < r->n; i++)
		if (r->k[i] == k)
			return i;
	return -1;
}

static void ref_del(struct ref_map *r, int i)
{
	r->k[i] = r->k[r->n - 1];
	r->v[i] = r->v[r->n - 1];
	r->n--;
}

enum op { LOAD, STORE, LOAD_OR_STORE, LOAD_AND_DELETE, DELETE, SWAP, CAS, CAD, CLEAR, NOPS };

struct call {
	enum op op;
	const char *k, *v;
};

struct result {
	void *value;
	bool ok;
};

static struct result apply_map(goro_map *m, const struct call *c)
{
	struct result r = { NULL, false };
	switch (c->op) {
	case LOAD: r.ok = goro_map_load(m, c->k, &r.value); break;
	case STORE: goro_map_store(m, c->k, (void *)c->v); break;
	case LOAD_OR_STORE: r.ok = goro_map_load_or_store(m, c->k, (void *)c->v, &r.value); break;
	case LOAD_AND_DELETE: r.ok = goro_map_load_and_delete(m, c->k, &r.value); break;
	case DELETE: goro_map_delete(m, c->k); break;
	case SWAP: r.ok = goro_map_swap(m, c->k, (void *)c->v, &r.value); break;
	case CAS:
		if (goro_map_compare_and_swap(m, c->k, (void *)c->v, (void *)strings_[1])) {
			goro_map_delete(m, c->k);
			r = (struct result){ (void *)c->v, true };
		}
		break;
	case CAD:
		if (goro_map_compare_and_delete(m, c->k, (void *)c->v) && !goro_map_load(m, c->k, NULL))
			r.ok = true;
		break;
	case CLEAR: goro_map_clear(m); break;
	default: break;
	}
	return r;
}

static struct result apply_ref(struct ref_map *m, const struct call *c)
{
	struct result r = { NULL, false };
	int i = ref_find(m, c->k);
	switch (c->op) {
	case LOAD:
		if (i >= 0)
			r = (struct result){ m->v[i], true };
		break;
	case STORE:
	case SWAP:
		if (i >= 0) {
			if (c->op == SWAP)
				r = (struct result){ m->v[i], true };
			m->v[i] = (void *)c->v;
		} else {
			m->k[m->n] = c->k;
			m->v[m->n++] = (void *)c->v;
		}
		break;
	case LOAD_OR_STORE:
		if (i >= 0) {
			r = (struct result){ m->v[i], true };
		} else {
			m->k[m->n] = c->k;
			m->v[m->n++] = (void *)c->v;
			r.value = (void *)c->v;
		}
		break;
	case LOAD_AND_DELETE:
	case DELETE:
		if (i >= 0) {
			if (c->op == LOAD_AND_DELETE)
				r = (struct result){ m->v[i], true };
			ref_del(m, i);
		}
		break;
	case CAS:
		if (i >= 0 && m->v[i] == c->v) {
			ref_del(m, i);
			r = (struct result){ (void *)c->v, true };
		}
		break;
	case CAD:
		if (i >= 0 && m->v[i] == c->v) {
			ref_del(m, i);
			r.ok = true;
		}
		break;
	case CLEAR: m->n = 0; break;
	default: break;
	}
	return r;
}

static bool collect(const void *k, void *v, void *arg)
{
	struct ref_map *f = arg;
	cr_assert_eq(ref_find(f, k), -1, "Range visited key \"%s\" twice", (const char *)k);
	f->k[f->n] = k;
	f->v[f->n++] = v;
	return true;
}

/*
 * quick.Check's default: 100 random call sequences; each one here is up to
 * 200 calls over a small key space, so keys repeat, get deleted, come back
 * and the tables get promoted many times.
 */
Test(sync_map, TestMapMatchesRWMutex)
{
	strings_init();
	unsigned seed = 1;
	for (int round = 0; round < 100; round++) {
		goro_map m = { .hash = goro_map_hash_string, .equal = goro_map_equal_string };
		struct ref_map *ref = goro_new(struct ref_map);
		int ncalls = rand_r(&seed) % 200;
		for (int i = 0; i < ncalls; i++) {
			struct call c = { rand_r(&seed) % NOPS, rand_value(&seed), NULL };
			if (c.op == STORE || c.op == LOAD_OR_STORE || c.op == SWAP || c.op == CAS ||
			    c.op == CAD)
				c.v = rand_value(&seed);
			/* Keys compare by content in goro_map, by pointer in the
			 * reference: interned, they agree. */
			struct result got = apply_map(&m, &c), want = apply_ref(ref, &c);
			cr_assert(got.ok == want.ok && (!want.ok || got.value == want.value),
			          "round %d call %d (op %d key \"%s\"): got (%s, %d), want (%s, %d)",
			          round, i, c.op, c.k, got.value ? (char *)got.value : "nil", got.ok,
			          want.value ? (char *)want.value : "nil", want.ok);
		}
		struct ref_map *final = goro_new(struct ref_map);
		goro_map_range(&m, collect, final);
		cr_assert_eq(final->n, ref->n, "round %d: Range saw %d keys, want %d", round,
		             final->n, ref->n);
		for (int i = 0; i < ref->n; i++) {
			int j = ref_find(final, ref->k[i]);
			cr_assert(j >= 0 && final->v[j] == ref->v[i], "round %d: key \"%s\" differs",
			          round, ref->k[i]);
		}
		goro_map_destroy(&m);
		goro_free(ref);
		goro_free(final);
	}
}

/* ---- TestConcurrentRange ---------------------------------------------- */

enum { MAP_SIZE = 1 << 10 };

struct crange {
	goro_map *m;
	goro_chan *done;
	goro_waitgroup *wg;
	int64_t g;
};

/* Keys and values are integers carried in the pointers. */
#define IP(n) ((void *)(intptr_t)(n))

static void crange_worker(void *p)
{
	struct crange *a = p;
	unsigned seed = (unsigned)a->g;
	for (int64_t i = 0;; i++) {
		if (goro_chan_tryrecv(a->done, NULL) != GORO_WOULDBLOCK)
			break;
		for (int64_t n = 1; n < MAP_SIZE; n++) {
			if (rand_r(&seed) % MAP_SIZE == 0)
				goro_map_store(a->m, IP(n), IP(n * i * a->g));
			else
				goro_map_load(a->m, IP(n), NULL);
		}
		goro_yield(); /* Go preempts; here the Range needs a turn */
	}
	goro_waitgroup_done(a->wg);
}

struct seen {
	bool seen[MAP_SIZE + 1];
	int n;
};

static bool crange_visit(const void *k, void *v, void *arg)
{
	struct seen *s = arg;
	intptr_t kk = (intptr_t)k, vv = (intptr_t)v;
	cr_assert(kk >= 1 && kk <= MAP_SIZE, "Range saw key %ld", (long)kk);
	cr_assert(vv % kk == 0, "while Storing multiples of %ld, Range saw value %ld", (long)kk,
	          (long)vv);
	cr_assert(!s->seen[kk], "Range visited key %ld twice", (long)kk);
	s->seen[kk] = true;
	s->n++;
	return true;
}

Test(sync_map, TestConcurrentRange)
{
	goro_map m = { 0 };
	for (int64_t n = 1; n <= MAP_SIZE; n++)
		goro_map_store(&m, IP(n), IP(n));
	goro_chan *done = goro_chan_new(int, 0);
	goro_waitgroup wg = { 0 };
	for (int64_t g = goro_maxprocs(); g > 0; g--) {
		goro_waitgroup_add(&wg, 1);
		goro_go(crange_worker, &(struct crange){ &m, done, &wg, g });
	}
	for (int n = 16; n > 0; n--) { /* -short */
		struct seen *s = goro_new(struct seen);
		goro_map_range(&m, crange_visit, s);
		cr_assert_eq(s->n, MAP_SIZE, "Range visited %d elements of %d-element Map", s->n,
		             MAP_SIZE);
		goro_free(s);
	}
	goro_chan_close(done);
	goro_waitgroup_wait(&wg);
}

/*
 * TestIssue40999: deleted keys must not be kept.  Go counts cleanups of
 * collected keys; in C the question is whether the map frees the entries
 * of deleted keys: a churn of fresh keys must not grow the heap.
 */
Test(sync_map, TestIssue40999)
{
	goro_map m = { 0 };
	static int bias;
	goro_map_store(&m, &bias, NULL); /* len(dirty) above the miss count */
	struct goro_heap_stats before, after;
	for (int i = 0; i < 1000; i++) { /* warm up: tables at their size */
		void *p = goro_malloc(16);
		goro_map_store(&m, p, NULL);
		goro_map_delete(&m, p);
		goro_free(p);
	}
	goro__heap_stats(&before);
	enum { CHURN = 200000 };
	for (int i = 0; i < CHURN; i++) {
		void *p = goro_malloc(16);
		goro_map_store(&m, p, NULL);
		goro_map_delete(&m, p);
		goro_free(p);
	}
	goro__heap_stats(&after);
	/* A kept entry per key would be >= 24 bytes each: 4.8 MB. */
	cr_assert_lt(after.pages_in_use, before.pages_in_use + (1u << 20),
	             "heap grew from %zu to %zu bytes: deleted keys are kept",
	             before.pages_in_use, after.pages_in_use);
	goro_map_destroy(&m);
}

/* ---- TestMapRangeNestedCall ------------------------------------------- */

static goro_map nested_m;

static bool nested_inner(const void *key, void *value, void *arg)
{
	void *v;
	cr_assert(goro_map_load(&nested_m, key, &v) && v == value,
	          "Nested Range loads unexpected value");
	cr_assert(!goro_map_load_or_store(&nested_m, IP(42), "dummy", NULL),
	          "Nested Range loads unexpected value, want store a new value");
	static const char val[] = "sync.Map";
	goro_map_store(&nested_m, IP(42), (void *)val);
	cr_assert(goro_map_load_and_delete(&nested_m, IP(42), &v) && v == val,
	          "Nested Range loads unexpected value");
	return true;
}

static bool nested_outer(const void *key, void *value, void *arg)
{
	goro_map_range(&nested_m, nested_inner, NULL);
	goro_map_delete(&nested_m, key); /* on the fly */
	return true;
}

static bool count_keys(const void *key, void *value, void *arg)
{
	(*(int *)arg)++;
	return true;
}

Test(sync_map, TestMapRangeNestedCall)
{
	static const char *const vals[3] = { "hello", "world", "Go" };
	for (int i = 0; i < 3; i++)
		goro_map_store(&nested_m, IP(i), (void *)vals[i]);
	goro_map_range(&nested_m, nested_outer, NULL);
	int length = 0;
	goro_map_range(&nested_m, count_keys, &length);
	cr_assert_eq(length, 0, "Unexpected sync.Map size, got %d want 0", length);
}

Test(sync_map, TestCompareAndSwap_NonExistingKey)
{
	goro_map m = { 0 };
	cr_assert(!goro_map_compare_and_swap(&m, &m, NULL, IP(42)),
	          "CompareAndSwap on a non-existing key succeeded");
}

/* ---- TestConcurrentClear ---------------------------------------------- */

struct cclear {
	goro_map *m;
	goro_waitgroup *wg;
	int k, v, what;
};

static void cclear_member(void *p)
{
	struct cclear *a = p;
	if (a->what == 0) {
		goro_map_store(a->m, IP(a->k), IP(a->v));
	} else if (a->what == 1) {
		void *v;
		if (goro_map_load(a->m, IP(a->k), &v))
			cr_assert_eq((intptr_t)v, a->k * 10);
	} else {
		goro_map_clear(a->m);
	}
	goro_waitgroup_done(a->wg);
}

static bool must_be_empty(const void *k, void *v, void *arg)
{
	cr_assert_fail("after Clear, Map contains (%ld, %ld); expected to be empty", (long)(intptr_t)k,
	               (long)(intptr_t)v);
	return true;
}

Test(sync_map, TestConcurrentClear)
{
	goro_map m = { 0 };
	goro_waitgroup wg = { 0 };
	goro_waitgroup_add(&wg, 30);
	for (int what = 0; what < 3; what++)
		for (int i = 0; i < 10; i++)
			goro_go(cclear_member, &(struct cclear){ &m, &wg, i, i * 10, what });
	goro_waitgroup_wait(&wg);
	goro_map_clear(&m);
	goro_map_range(&m, must_be_empty, NULL);
}
