/*
 * check.c — the comparison rules of Go's goroutineleak test harness
 * (runtime/goroutineleakprofile_test.go), applied to goro's reports.
 *
 * Go's makeTest requires every listed leak and rejects anything unlisted;
 * makeFlakyTest only rejects the unlisted.  Go matches regexes on
 * "<started function> [<wait reason>]"; here the started function must be
 * equal and the wait reason one of the '|'-separated alternatives.  Unlike
 * Go, counts are checked too: a case lists how many goroutines of each kind
 * it leaves behind.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

/* Go's wait reasons a leaked goroutine can have (leak-corpus.md legend). */
static const char *const known_reasons[] = {
	"chan send",           "chan receive",         "select",
	"chan send (nil chan)", "chan receive (nil chan)", "select (no cases)",
	"sync.WaitGroup.Wait", "sync.Cond.Wait",
	/* Not durable in synctest: a mutex can be released from outside. */
	"sync.Mutex.Lock",     "sync.RWMutex.Lock",    "sync.RWMutex.RLock",
};
enum { NDURABLE_REASONS = 8 };

const char *corpus_mode_name(int mode)
{
	switch (mode) {
	case CORPUS_MUST_LEAK: return "MUST_LEAK";
	case CORPUS_MAY_LEAK: return "MAY_LEAK";
	case CORPUS_NO_LEAK: return "NO_LEAK";
	case CORPUS_FALSE_NEGATIVE: return "FALSE_NEGATIVE";
	}
	return "?";
}

int corpus_nexpect(const struct corpus_case *c)
{
	int n = 0;
	while (n < CORPUS_MAX_EXPECT && c->expect[n].start_function)
		n++;
	return n;
}

int corpus_min_expected(const struct corpus_case *c)
{
	int total = 0;
	for (int k = 0; k < corpus_nexpect(c); k++)
		total += c->expect[k].count == CORPUS_ANY ? 1 : c->expect[k].count;
	return total;
}

/* Whether `reason` is one of the '|'-separated alternatives. */
static bool reason_matches(const char *alternatives, const char *reason)
{
	size_t len = strlen(reason);
	const char *p = alternatives;

	for (;;) {
		const char *bar = strchr(p, '|');
		size_t alen = bar ? (size_t)(bar - p) : strlen(p);
		if (alen == len && strncmp(p, reason, len) == 0)
			return true;
		if (!bar)
			return false;
		p = bar + 1;
	}
}

static int find_known(const char *reason, size_t len)
{
	for (size_t i = 0; i < sizeof known_reasons / sizeof *known_reasons; i++)
		if (strlen(known_reasons[i]) == len &&
		    strncmp(known_reasons[i], reason, len) == 0)
			return (int)i;
	return -1;
}

/* Calls visit on each alternative of a wait_reason; false if any fails. */
static bool each_alternative(const char *alternatives,
                             bool (*visit)(const char *s, size_t len))
{
	const char *p = alternatives;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t alen = bar ? (size_t)(bar - p) : strlen(p);
		if (!visit(p, alen))
			return false;
		if (!bar)
			return true;
		p = bar + 1;
	}
}

static bool is_known(const char *s, size_t len)
{
	return find_known(s, len) >= 0;
}

static bool is_durable(const char *s, size_t len)
{
	int i = find_known(s, len);
	return i >= 0 && i < NDURABLE_REASONS;
}

/* A bounded string builder: output past the end is dropped, not overrun. */
struct text {
	char *buf;
	size_t size, len;
};

static void put(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	if (t->len >= t->size)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
}

/* Reported goroutines no expectation allows, grouped by name and reason. */
enum { MAX_UNEXPECTED = 32 };
struct unexpected {
	struct corpus_seen kind[MAX_UNEXPECTED];
	int count[MAX_UNEXPECTED];
	int nkinds;
	int overflow; /* goroutines of kinds beyond MAX_UNEXPECTED */
};

static void add_unexpected(struct unexpected *u, const struct corpus_seen *s)
{
	for (int i = 0; i < u->nkinds; i++) {
		if (strcmp(u->kind[i].start_function, s->start_function) == 0 &&
		    strcmp(u->kind[i].wait_reason, s->wait_reason) == 0) {
			u->count[i]++;
			return;
		}
	}
	if (u->nkinds == MAX_UNEXPECTED) {
		u->overflow++;
		return;
	}
	u->kind[u->nkinds] = *s;
	u->count[u->nkinds++] = 1;
}

static bool count_ok(int mode, int want, int got)
{
	if (mode == CORPUS_MUST_LEAK)
		return want == CORPUS_ANY ? got >= 1 : got == want;
	/* MAY_LEAK: allowed, not required. */
	return want == CORPUS_ANY || got <= want;
}

bool corpus_check(const struct corpus_case *c, int mode,
                  const struct corpus_seen *seen, int nseen,
                  char *msg, size_t size)
{
	/* For NO_LEAK and FALSE_NEGATIVE the expectations describe nothing
	 * that may be reported. */
	bool leaks_allowed = mode == CORPUS_MUST_LEAK || mode == CORPUS_MAY_LEAK;
	int nexp = leaks_allowed ? corpus_nexpect(c) : 0;
	int got[CORPUS_MAX_EXPECT] = { 0 };
	struct unexpected u = { .nkinds = 0 };
	bool ok = true;

	for (int i = 0; i < nseen; i++) {
		const char *fn = seen[i].start_function ? seen[i].start_function : "";
		const char *why = seen[i].wait_reason ? seen[i].wait_reason : "";
		int k;
		for (k = 0; k < nexp; k++)
			if (strcmp(c->expect[k].start_function, fn) == 0 &&
			    reason_matches(c->expect[k].wait_reason, why))
				break;
		if (k < nexp)
			got[k]++;
		else
			add_unexpected(&u, &(struct corpus_seen){ fn, why });
	}

	for (int k = 0; k < nexp; k++)
		ok = ok && count_ok(mode, c->expect[k].count, got[k]);
	ok = ok && u.nkinds == 0;
	if (ok)
		return true;

	struct text t = { msg, size, 0 };
	put(&t, "%s (%s): the report does not match; %d goroutine(s) reported\n",
	    c->id, corpus_mode_name(mode), nseen);
	for (int k = 0; k < nexp; k++) {
		const struct corpus_expect *e = &c->expect[k];
		char want[32];
		if (e->count == CORPUS_ANY)
			snprintf(want, sizeof want, "%s",
			         mode == CORPUS_MUST_LEAK ? ">=1" : "any");
		else
			snprintf(want, sizeof want, "%s%d",
			         mode == CORPUS_MUST_LEAK ? "" : "<=", e->count);
		put(&t, "  %s %s [%s]: want %s, got %d\n",
		    count_ok(mode, e->count, got[k]) ? "  " : "!!",
		    e->start_function, e->wait_reason, want, got[k]);
	}
	for (int i = 0; i < u.nkinds; i++)
		put(&t, "  !! unexpected %s [%s] x%d\n", u.kind[i].start_function,
		    u.kind[i].wait_reason, u.count[i]);
	if (u.overflow)
		put(&t, "  !! ... and %d more unexpected goroutine(s)\n", u.overflow);
	put(&t, "  case: %s", c->note);
	return false;
}

bool corpus_validate(const struct corpus_case *c, char *msg, size_t size)
{
	struct text t = { msg, size, 0 };
	const char *id = c->id ? c->id : "(no id)";
	int nexp = corpus_nexpect(c);

	if (!c->id || !*c->id || !c->run || !c->note) {
		put(&t, "%s: id, run and note are required", id);
		return false;
	}
	if (c->mode < CORPUS_MUST_LEAK || c->mode > CORPUS_FALSE_NEGATIVE) {
		put(&t, "%s: bad mode %d", id, c->mode);
		return false;
	}
	for (int k = nexp; k < CORPUS_MAX_EXPECT; k++) {
		if (c->expect[k].wait_reason || c->expect[k].count) {
			put(&t, "%s: expect[%d] follows an empty entry", id, k);
			return false;
		}
	}
	for (int k = 0; k < nexp; k++) {
		const struct corpus_expect *e = &c->expect[k];
		if (!e->wait_reason || !each_alternative(e->wait_reason, is_known)) {
			put(&t, "%s: expect[%d] has an unknown wait reason \"%s\"", id,
			    k, e->wait_reason ? e->wait_reason : "(null)");
			return false;
		}
		if (e->count <= 0 && e->count != CORPUS_ANY) {
			put(&t, "%s: expect[%d] has count %d", id, k, e->count);
			return false;
		}
		if ((c->flags & CORPUS_SYNCTEST) &&
		    !each_alternative(e->wait_reason, is_durable)) {
			put(&t, "%s: a synctest case cannot leave a goroutine in %s", id,
			    e->wait_reason);
			return false;
		}
	}
	if ((c->mode == CORPUS_NO_LEAK) != (nexp == 0)) {
		put(&t, "%s: NO_LEAK cases, and only they, list no goroutines", id);
		return false;
	}
	if ((c->flags & CORPUS_SYNCTEST) &&
	    ((c->flags & CORPUS_ON_MAIN) || c->mode == CORPUS_FALSE_NEGATIVE)) {
		put(&t, "%s: ON_MAIN and FALSE_NEGATIVE cases cannot run in a bubble", id);
		return false;
	}
	return true;
}
