/*
 * detect.c — the goroutineleak detector (see leak.h for the rules): the
 * analysis, and the request that runs it in a fork snapshot of the
 * process or, as a fallback, with the world stopped (snapshot.h).
 *
 * The analysis runs without allocating and without a lock a stopped
 * thread could hold (malloc's, stdio's...), in both engines.  Buffers (the
 * goroutine table and its index, the mark stack, the maps text) are mapped
 * once, up front, MAP_PRIVATE: a fork child's writes stay its own.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "chan/chan.h"
#include "arch/context.h"
#include "heap/heap.h"
#include "leak/leak.h"
#include "leak/livecache.h"
#include "leak/snapshot.h"
#include "leak/stackwalk.h"
#include "net/offload.h"
#include "trace/ehframe.h"
#include "runtime/owned.h"
#include "runtime/stw.h"
#include "sched/gsnap.h"
#include "sched/sched.h"

extern char __start_goro_rt_state[] __attribute__((weak, visibility("hidden")));
extern char __stop_goro_rt_state[] __attribute__((weak, visibility("hidden")));

enum role { R_ROOT = 0, R_CANDIDATE, R_REVIVED };
enum { MAPS_BUF = 64 << 20, MAX_EXCL = 1 << 20 };
/* Frames recorded per goroutine for pointers into its stack; deeper
 * frames fall into the conservative region above the last one. */
enum { SPANS_PER_G = 128 };
#define HUGE_MAPPING ((uintptr_t)16 << 30) /* sanitizer shadow and the like */

struct range {
	uintptr_t lo, hi;
};

/*
 * A goroutine stack as an object: C lets goroutines point into each
 * other's frames, and an object on a stack extends from its address up,
 * so a pointer p into the stack makes [p, top) reachable — not the deeper
 * frames, which nothing reached.  `from` is the lowest address made
 * reachable so far (top: none); a root goroutine's stack is reachable
 * from its stack pointer.
 */
/*
 * What the analysis needs of a goroutine is copied here when the goroutine
 * list is walked: records sit one per stack, each on its own page, and
 * every later pass that touched them again paid a TLB and a cache miss
 * per goroutine — most of the time of a large run.
 */
enum { GENTRY_OBJS = 2 };

struct gentry {
	struct goro_g *g;
	int64_t id;       /* g->id: a fork run's verdicts name it */
	uintptr_t sp;     /* where its live stack starts */
	uintptr_t from;   /* the lowest address of its stack reached so far */
	uintptr_t top_from; /* [top_from, top) queued, conservatively */
	uint8_t role;
	bool physical;    /* running on a signalled worker: a root */
	bool at_safepoint; /* stopped inside a switch: no parked frame at g->sp */
	bool started;
	bool walked;      /* spans[] describe its frames */
	uint32_t span0;   /* its frames: d->spans[span0, span0 + nspan) */
	uint16_t nspan;
	bool blocked;     /* a program goroutine in G_WAITING for a candidate reason */
	bool was_leaked;  /* g->leaked before this run */
	uint8_t wait_reason;
	uint8_t nobjs;    /* objects it waits on, GENTRY_OBJS + 1: more */
	void *objs[GENTRY_OBJS];
};

struct detector {
	struct gentry *gs;
	size_t ng, gcap;
	/* gs by record address (open addressing, gs index + 1; 0: empty):
	 * the record itself is never written, so a fork child copies no
	 * page per goroutine. */
	uint32_t *index;
	unsigned index_bits;
	struct goro_leak_verdict *verdicts; /* analyse's result (in stack) */
	size_t nverdicts;
	struct range *stack;      /* mark stack */
	size_t top, scap;
	bool overflow;
	char *maps;               /* /proc/self/maps text */
	struct range *excl;
	size_t nexcl;
	struct gentry *main_entry;
	struct goro_heap_cursor heap_cursor;
	struct goro_frame_span *spans; /* frames of walked stacks */
	size_t nspans, spancap;
	/* The requesting goroutine, as captured before the stop (its frames
	 * below the API entry are goro's own: not roots). */
	struct {
		struct goro_g *g;
		uintptr_t pc, sp, internal_top;
		uintptr_t val[GORO_CFI_NSAVED], loc[GORO_CFI_NSAVED];
	} self;
	size_t nconservative; /* stacks some frame of which was not described */
	uintptr_t last_conservative_pc, last_conservative_where;
	uint8_t last_conservative_why;
};

static _Atomic int64_t last_pause;

int64_t goro__leak_last_pause(void)
{
	return atomic_load(&last_pause);
}

/* ---- buffers ------------------------------------------------------- */

static void *map_buf(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* A fork snapshot's child gets these zeroed and unshared: nothing in
	 * them is read before it is written, and sharing them would make the
	 * kernel copy their page tables at the fork and each page the child
	 * writes (best effort: Linux 4.14). */
	(void)madvise(p, bytes, MADV_WIPEONFORK);
	goro__owned_add(p, bytes, OWNED_OTHER, 0);
	return p;
}

/*
 * Mapped once and never unmapped (an unmapped range would stay registered
 * as goro's and could hide user memory mapped there later); virtual space
 * only, touched as used, given back with MADV_DONTNEED.
 */
static struct detector *detector_get(void)
{
	static struct detector d GORO_RT_STATE;
	if (!d.stack) {
		d.scap = (size_t)1 << 28; /* 4 GiB of virtual space */
		d.gcap = (size_t)1 << 26; /* 64 Mi goroutines */
		d.stack = map_buf(d.scap * sizeof *d.stack);
		d.gs = map_buf(d.gcap * sizeof *d.gs);
		d.maps = map_buf(MAPS_BUF);
		d.excl = map_buf(MAX_EXCL * sizeof *d.excl);
		d.spancap = (size_t)1 << 28;
		d.spans = map_buf(d.spancap * sizeof *d.spans);
		d.index = map_buf(2 * d.gcap * sizeof *d.index);
		if (!d.stack || !d.gs || !d.maps || !d.excl || !d.spans || !d.index)
			return NULL;
	}
	d.nspans = 0;
	d.nconservative = 0;
	d.top = 0;
	d.ng = 0;
	d.nverdicts = 0;
	d.nexcl = 0;
	d.overflow = false;
	d.main_entry = NULL;
	d.heap_cursor = (struct goro_heap_cursor){ 0 };
	return &d;
}

/* ---- the mark ------------------------------------------------------ */

static void push(struct detector *d, uintptr_t lo, uintptr_t hi)
{
	if (hi <= lo)
		return;
	if (d->top == d->scap) {
		d->overflow = true;
		return;
	}
	d->stack[d->top++] = (struct range){ lo, hi };
}

/* Makes [p, from) reachable, from the range's end the last time. */
static void reach_range(struct detector *d, uintptr_t p, uintptr_t *from)
{
	if (p >= *from)
		return;
	push(d, p, *from);
	*from = p;
}

static struct goro_g *requester_g; /* d->self.g, for walkable() */
/* GORO_LEAK_LIVENESS=0: every stack word by word (diagnostics). */
static bool liveness_off;

/* Its frames can be walked: parked by a switch, or the requester as
 * captured before the stop. */
static bool walkable(const struct gentry *e)
{
	if (liveness_off)
		return false;
	if (e->g == requester_g)
		return true;
	return e->started && !e->physical && !e->at_safepoint;
}

static void walk_spans(struct detector *d, struct gentry *e);

/*
 * A pointer p into e's stack makes the object at p reachable.  An object
 * on a stack lies within one frame, from its address up: [p, cfa) of the
 * frame holding p — not the frames above, whose dead words nothing
 * reached.  Stacks the walk cannot describe fall back to [p, top).
 */
static void reach_stack(struct detector *d, struct gentry *e, uintptr_t p)
{
	if (p < e->sp)
		return; /* below the stack pointer: no object lives there */
	if (p < e->from)
		e->from = p; /* the lowest address reached: for obj_reachable */
	if (!walkable(e)) {
		reach_range(d, p, &e->top_from);
		return;
	}
	if (!e->walked)
		walk_spans(d, e);
	struct goro_frame_span *sp = &d->spans[e->span0];
	for (int i = 0; i < e->nspan; i++) {
		if (p >= sp[i].sp && p < sp[i].cfa) {
			reach_range(d, p, &sp[i].from);
			return;
		}
	}
	reach_range(d, p, &e->top_from); /* above the frames described */
}

struct live_sink {
	struct detector *d;
	struct gentry *e;
};

static void debug_mark(uintptr_t at, uintptr_t v, const char *what);
static int64_t debug_g; /* GORO_LEAK_DEBUG_G: print this goroutine's live words */

static void push_live(void *arg, uintptr_t lo, uintptr_t hi)
{
	struct live_sink *k = arg;
	if (unlikely(debug_g) && k->e->g->id == debug_g)
		debug_mark(lo, hi, "live words up to");
	push(k->d, lo, hi);
	if (lo < k->e->from)
		k->e->from = lo;
}

/* Walks e's frames (liveness unless spans_only), recording them. */
static void walk_stack(struct detector *d, struct gentry *e, bool spans_only)
{
	struct live_sink sink = { d, e };
	struct goro_stack_walk w = {
		.lo = (uintptr_t)e->g->stack_lo, .hi = (uintptr_t)e->g->stack_hi,
		.spans_only = spans_only, .live = push_live, .arg = &sink,
		.maxspans = SPANS_PER_G,
	};
	if (d->nspans + SPANS_PER_G <= d->spancap) {
		e->span0 = (uint32_t)d->nspans;
		w.spans = &d->spans[d->nspans];
	} else {
		w.maxspans = 0;
	}
	if (e->g == d->self.g) {
		w.internal_top = d->self.internal_top;
		goro__stack_walk_from(&w, d->self.pc, true, d->self.sp, d->self.val, d->self.loc);
	} else {
		goro__stack_walk_parked(&w, e->sp);
	}
	e->nspan = (uint16_t)w.nspans;
	d->nspans += (size_t)w.nspans;
	e->walked = true;
	if (unlikely(debug_g) && e->g->id == debug_g && !spans_only)
		for (int i = 0; i < w.nspans; i++)
			debug_mark(w.spans[i].pc, w.spans[i].sp,
			           w.spans[i].status == GORO_LIVE_EXACT ? "frame (exact) sp" : "frame (whole) sp");
	if (w.conservative && !spans_only) {
		d->nconservative++;
		d->last_conservative_pc = w.conservative_pc;
		d->last_conservative_why = w.conservative_why;
		d->last_conservative_where = w.conservative_where;
	}
}

static void walk_spans(struct detector *d, struct gentry *e)
{
	walk_stack(d, e, true);
}

/* A root or revived goroutine: its live words are roots. */
static void scan_stack_of(struct detector *d, struct gentry *e)
{
	if (!walkable(e)) {
		reach_range(d, e->sp, &e->top_from); /* running, or not started */
		if (e->sp < e->from)
			e->from = e->sp;
		return;
	}
	walk_stack(d, e, false);
}

/* ---- the goroutine index ------------------------------------------ */

static size_t index_slot(const struct detector *d, const struct goro_g *g)
{
	return (size_t)(((uintptr_t)g >> 6) * 0x9E3779B97F4A7C15ull >> (64 - d->index_bits));
}

static void index_build(struct detector *d)
{
	unsigned bits = 4;
	while (((size_t)1 << bits) < 2 * d->ng)
		bits++;
	d->index_bits = bits;
	size_t mask = ((size_t)1 << bits) - 1;
	memset(d->index, 0, sizeof *d->index << bits);
	for (size_t i = 0; i < d->ng; i++) {
		size_t s = index_slot(d, d->gs[i].g);
		while (d->index[s])
			s = (s + 1) & mask;
		d->index[s] = (uint32_t)i + 1;
	}
}

/* The entry of the goroutine whose record is g, if it was collected. */
static struct gentry *gentry_of(struct detector *d, const struct goro_g *g)
{
	size_t mask = ((size_t)1 << d->index_bits) - 1;
	for (size_t s = index_slot(d, g);; s = (s + 1) & mask) {
		uint32_t k = d->index[s];
		if (!k)
			return NULL;
		if (d->gs[k - 1].g == g)
			return &d->gs[k - 1];
	}
}

/* The goroutine whose stack contains v, if any. */
static struct gentry *stack_owner(struct detector *d, uintptr_t v)
{
	const struct goro_owned *o = goro__owned_stack(v);
	if (o) {
		uintptr_t base = o->lo + (v - o->lo) / o->stack_size * o->stack_size;
		struct goro_stack_top *top = goro__stack_top_at((char *)base, o->stack_size);
		if (v >= (uintptr_t)goro__stack_hi(&top->st))
			return NULL; /* a record: decided without touching it */
		struct goro_g *g = &top->g;
		struct gentry *e = gentry_of(d, g);
		if (!e)
			return NULL; /* a free stack */
		if (v < (uintptr_t)g->stack_lo || v >= (uintptr_t)g->stack_hi)
			return NULL; /* the record or the guard page, not the stack */
		return e;
	}
	struct gentry *m = d->main_entry;
	if (m && v >= (uintptr_t)m->g->stack_lo && v < (uintptr_t)m->g->stack_hi)
		return m;
	return NULL;
}

static void push_block(struct detector *d, void *base, size_t size)
{
	switch (goro__heap_kind(base)) {
	case GORO_HEAP_USER:
		push(d, (uintptr_t)base, (uintptr_t)base + size);
		break;
	case GORO_HEAP_CHAN: {
		const void *lo;
		size_t len;
		goro__chan_values(base, &lo, &len); /* never the wait queues */
		push(d, (uintptr_t)lo, (uintptr_t)lo + len);
		break;
	}
	default:
		break; /* NOSCAN, runtime-internal */
	}
}

/*
 * The preloaded malloc (libgoro_malloc.so), when present: its blocks are
 * tracked like goro_malloc's (marked from the roots, scanned as user data)
 * and its arena is no root.  Resolved once, before any stop.
 */
static struct preload_heap {
	bool (*find)(const void *p, void **base, size_t *size);
	bool (*mark)(const void *base);
	bool (*is_marked)(const void *base);
	void (*mark_clear)(void);
	void (*for_each_arena)(void (*fn)(void *lo, void *hi, void *arg), void *arg);
} preload GORO_RT_STATE;

static void preload_resolve(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	preload.find = (bool (*)(const void *, void **, size_t *))dlsym(RTLD_DEFAULT,
	                                                              "goro_preload_heap_find");
	preload.mark = (bool (*)(const void *))dlsym(RTLD_DEFAULT, "goro_preload_heap_mark");
	preload.is_marked =
		(bool (*)(const void *))dlsym(RTLD_DEFAULT, "goro_preload_heap_is_marked");
	preload.mark_clear = (void (*)(void))dlsym(RTLD_DEFAULT, "goro_preload_heap_mark_clear");
	preload.for_each_arena = (void (*)(void (*)(void *, void *, void *), void *))dlsym(
		RTLD_DEFAULT, "goro_preload_heap_for_each_arena");
	if (!preload.find || !preload.mark || !preload.is_marked || !preload.mark_clear ||
	    !preload.for_each_arena)
		memset(&preload, 0, sizeof preload);
}

/* GORO_LEAK_DEBUG=1: say where each object was first reached from
 * (write(2) and snprintf only: the world is stopped). */
static bool debug_marks;

static const char *debug_maps; /* the maps text, to name a mapping */

static void debug_mark(uintptr_t at, uintptr_t v, const char *what)
{
	char buf[320];
	const char *line = "", *p = debug_maps;
	int len = 0;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		char *q;
		uintptr_t lo = strtoull(p, &q, 16), hi = strtoull(q + 1, NULL, 16);
		if (at >= lo && at < hi) {
			line = p;
			len = nl ? (int)(nl - p) : (int)strlen(p);
			break;
		}
		p = nl ? nl + 1 : NULL;
	}
	int n = snprintf(buf, sizeof buf, "goro leak debug: %s %#lx reached from %#lx (%.*s)\n",
	                 what, (unsigned long)v, (unsigned long)at, len, line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf) /* truncated: snprintf returned the would-be length */
		n = (int)sizeof buf - 1;
	ssize_t r = write(2, buf, (size_t)n);
	(void)r;
}


GORO_NO_SANITIZE static void consider(struct detector *d, uintptr_t at, uintptr_t v)
{
	if (v < 4096)
		return;
	void *base;
	size_t size;
	switch (goro__heap_find_mark(&d->heap_cursor, (void *)v, &base, &size)) {
	case GORO_HEAP_NEWLY_MARKED:
		if (unlikely(debug_marks))
			debug_mark(at, (uintptr_t)base, "block");
		push_block(d, base, size);
		return;
	case GORO_HEAP_MARKED_BEFORE:
		return;
	default:
		break;
	}
	if (preload.find && preload.find((void *)v, &base, &size)) {
		if (preload.mark(base))
			push(d, (uintptr_t)base, (uintptr_t)base + size);
		return;
	}
	struct gentry *e = stack_owner(d, v);
	if (e) {
		/* Reached parts of a stack are not contiguous (live words,
		 * frame objects): reach_stack itself skips what was pushed. */
		if (unlikely(debug_marks) && v < e->from)
			debug_mark(at, v, e->g->id == 1 ? "stack of goroutine 1 at" : "stack at");
		reach_stack(d, e, v);
	}
}

GORO_NO_SANITIZE static void scan_range(struct detector *d, uintptr_t lo, uintptr_t hi)
{
	lo = (lo + 7) & ~(uintptr_t)7;
	for (uintptr_t p = lo; p + sizeof(uintptr_t) <= hi; p += sizeof(uintptr_t)) {
		uintptr_t v = *(const uintptr_t *)p;
		/* Into the range itself (a stack's frame links and locals, a
		 * block's inner pointers): reached already, no lookup. */
		if (v - lo < hi - lo)
			continue;
		consider(d, p, v);
	}
}

static void drain(struct detector *d)
{
	while (d->top > 0) {
		struct range r = d->stack[--d->top];
		scan_range(d, r.lo, r.hi);
	}
}

/* ---- roots from the process's mappings ----------------------------- */

static void add_excl(struct detector *d, uintptr_t lo, uintptr_t hi)
{
	if (d->nexcl < MAX_EXCL && hi > lo)
		d->excl[d->nexcl++] = (struct range){ lo, hi };
}

static void add_arena(void *lo, void *hi, void *arg)
{
	add_excl(arg, (uintptr_t)lo, (uintptr_t)hi);
}

static void sift(struct range *a, size_t i, size_t n)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && a[l].lo > a[m].lo)
			m = l;
		if (l + 1 < n && a[l + 1].lo > a[m].lo)
			m = l + 1;
		if (m == i)
			return;
		struct range t = a[i];
		a[i] = a[m];
		a[m] = t;
		i = m;
	}
}

static void sort_excl(struct detector *d)
{
	size_t n = d->nexcl;
	for (size_t i = n / 2; i-- > 0;)
		sift(d->excl, i, n);
	for (size_t end = n; end > 1; end--) {
		struct range t = d->excl[0];
		d->excl[0] = d->excl[end - 1];
		d->excl[end - 1] = t;
		sift(d->excl, 0, end - 1);
	}
}

static void collect_exclusions(struct detector *d)
{
#if defined(GORO_ASAN)
	/* ASan's shadow memory and the gap between (x86-64 layout): shadow
	 * bytes, never pointers, and parts of it fault when read. */
	add_excl(d, 0x00007fff8000ULL, 0x10007fff8000ULL);
#endif
	size_t n;
	const struct goro_owned *o = goro__owned_all(&n);
	for (size_t i = 0; i < n; i++)
		add_excl(d, o[i].lo, o[i].hi);
	goro__heap_for_each_arena(add_arena, d);
	if (preload.for_each_arena)
		preload.for_each_arena(add_arena, d);
	if (__start_goro_rt_state && __stop_goro_rt_state)
		add_excl(d, (uintptr_t)__start_goro_rt_state, (uintptr_t)__stop_goro_rt_state);
	struct goro_g *m = goro__main_g();
	add_excl(d, (uintptr_t)m->stack_lo, (uintptr_t)m->stack_hi); /* goroutine 1's */
	sort_excl(d);
}

/*
 * Pushes [lo, hi) minus the (sorted) exclusions.  A gap of 16 GiB or more
 * is left out (sanitizer shadow and the like) — judged per gap, after the
 * exclusions: the kernel merges adjacent anonymous mappings into one line
 * of the maps file, so goro's own big reservations next to a malloc arena
 * would otherwise make the arena look huge and drop it from the roots.
 */
static void push_gap(struct detector *d, uintptr_t lo, uintptr_t hi)
{
	if (hi - lo < HUGE_MAPPING)
		push(d, lo, hi);
}

static void push_gaps(struct detector *d, uintptr_t lo, uintptr_t hi)
{
	for (size_t i = 0; i < d->nexcl && lo < hi; i++) {
		struct range x = d->excl[i];
		if (x.hi <= lo)
			continue;
		if (x.lo >= hi)
			break;
		if (x.lo > lo)
			push_gap(d, lo, x.lo);
		if (x.hi > lo)
			lo = x.hi;
	}
	if (lo < hi)
		push_gap(d, lo, hi);
	drain(d); /* keep the mark stack small */
}

static size_t read_maps(struct detector *d)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, d->maps + len, MAPS_BUF - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	d->maps[len] = 0;
	return len;
}

static void scan_mappings(struct detector *d)
{
	size_t len = read_maps(d);
	debug_maps = d->maps;
	char *p = d->maps, *end = d->maps + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		char *q;
		uintptr_t lo = strtoull(p, &q, 16);
		uintptr_t hi = strtoull(q + 1, &q, 16);
		bool rw = q[1] == 'r' && q[2] == 'w';
		/* Special kernel areas are never user data. */
		bool special = memmem(p, (size_t)(nl - p), "[v", 2) != NULL;
		if (rw && !special)
			push_gaps(d, lo, hi);
		p = nl + 1;
	}
}

/* ---- goroutines ---------------------------------------------------- */

/* The objects g waits on (NULL for a waiter without one). */
static void copy_waits(struct gentry *e, struct goro_g *g)
{
	for (struct goro_waiter *w = g->waiting; w; w = w->waitlink) {
		if (e->nobjs == GENTRY_OBJS) {
			e->nobjs++; /* more: may_run reads the list itself */
			return;
		}
		e->objs[e->nobjs++] = w->obj;
	}
}

static void collect_one(struct goro_g *g, void *arg)
{
	struct detector *d = arg;
	if (d->ng == d->gcap) {
		d->overflow = true;
		return;
	}
	struct gentry *e = &d->gs[d->ng++];
	*e = (struct gentry){ .g = g, .id = g->id, .sp = (uintptr_t)g->sp, .from = (uintptr_t)g->stack_hi,
	                      .top_from = (uintptr_t)g->stack_hi,
	                      .started = g->started, .was_leaked = g->leaked,
	                      .wait_reason = g->wait_reason };
	e->blocked = !g->system && atomic_load(&g->state) == G_WAITING &&
	             goro__wait_reason_is_leak_candidate(g->wait_reason);
	if (e->blocked)
		copy_waits(e, g);
}

/* Where the stack of each goroutine running on a stopped worker starts. */
static void place_physical(struct detector *d)
{
	for (int i = 0; i < goro__sched.nworkers; i++) {
		struct goro_worker *w = &goro__sched.workers[i];
		void *sp;
		struct goro_g *g;
		bool signaled;
		if (!goro__stw_worker_pos(w, &sp, &g, &signaled) || !g)
			continue;
		/* Trust the record only if it is one we collected (a lookup, not
		 * a dereference: the worker may have recorded it mid-change). */
		struct gentry *e = gentry_of(d, g);
		if (!e)
			continue;
		/* Not started: its first frame and copied arguments, from g->sp. */
		if (e->started)
			e->sp = (uintptr_t)sp;
		/* Running user code when stopped (or the requester): a root. */
		e->physical = signaled || w == goro__curw();
		e->at_safepoint = e->started && !e->physical;
	}
}

static void classify(struct detector *d)
{
	struct goro_g *self = goro__getg();
	for (size_t i = 0; i < d->ng; i++) {
		struct gentry *e = &d->gs[i];
		if (e->g == goro__main_g())
			d->main_entry = e;
		bool candidate = e->blocked && !e->physical && e->g != self;
		e->role = candidate ? R_CANDIDATE : R_ROOT;
		/* The requester: below its public API entry lie goro's own frames
		 * (the detector's); nothing of the user's lives there. */
		if (e->g == d->self.g && d->self.g)
			e->sp = d->self.internal_top ? d->self.internal_top : d->self.sp;
	}
}

/* Is the object a blocked goroutine waits on reachable? */
static bool obj_reachable(struct detector *d, void *obj)
{
	void *base;
	if (goro__heap_find(obj, &base, NULL))
		return goro__heap_is_marked(base);
	if (preload.find && preload.find(obj, &base, NULL))
		return preload.is_marked(base);
	struct gentry *e = stack_owner(d, (uintptr_t)obj);
	if (e)
		return (uintptr_t)obj >= e->from;
	return true; /* a global or plain malloc memory: a root */
}

static bool may_run(struct detector *d, const struct gentry *e)
{
	switch (e->wait_reason) {
	case WR_CHAN_SEND_NIL:
	case WR_CHAN_RECV_NIL:
	case WR_SELECT_NO_CASES:
		return false; /* blocked by definition (Go) */
	default:
		break;
	}
	if (e->nobjs == 0)
		return true; /* nothing to judge by: keep it (soundness) */
	if (e->nobjs > GENTRY_OBJS) { /* a long list: read it in place */
		for (struct goro_waiter *w = e->g->waiting; w; w = w->waitlink)
			if (!w->obj || obj_reachable(d, w->obj))
				return true;
		return false;
	}
	for (int i = 0; i < e->nobjs; i++)
		if (!e->objs[i] || obj_reachable(d, e->objs[i]))
			return true;
	return false;
}

static void push_root(uintptr_t lo, uintptr_t hi, void *arg)
{
	push(arg, lo, hi);
}

static void mark_all(struct detector *d)
{
	goro__owned_index_stacks();
	goro__heap_mark_clear();
	if (preload.mark_clear)
		preload.mark_clear();
	collect_exclusions(d);
	scan_mappings(d);
	goro__offload_roots(push_root, d); /* helper stacks: their live parts */
	drain(d);
	for (size_t i = 0; i < d->ng; i++) {
		if (d->gs[i].role == R_ROOT) {
			if (unlikely(debug_marks))
				debug_mark(d->gs[i].sp, (uintptr_t)d->gs[i].g->id, "root goroutine");
			scan_stack_of(d, &d->gs[i]);
		}
	}
	drain(d);
	for (bool progress = true; progress;) {
		progress = false;
		for (size_t i = 0; i < d->ng; i++) {
			struct gentry *e = &d->gs[i];
			if (e->role == R_CANDIDATE && may_run(d, e)) {
				if (unlikely(debug_marks))
					debug_mark(0, (uintptr_t)e->g->id, "revived goroutine");
				e->role = R_REVIVED;
				scan_stack_of(d, e);
				progress = true;
			}
		}
		drain(d);
	}
}

/* Goroutine 1 is never reported: a main parked for good (select {}) is
 * the program's design, and a fully blocked program is the global deadlock
 * report's business. */
static bool is_leaked(const struct detector *d, const struct gentry *e,
                      const struct goro_leak_run *run)
{
	return e->role == R_CANDIDATE && !run->inconclusive && e != d->main_entry;
}

/*
 * The verdicts: every goroutine whose leaked flag is or was set, parked in
 * the (empty) mark stack.  Nothing is written to the records themselves:
 * in a fork snapshot every write to a record's page would copy the page
 * (one per goroutine), and the parent decides anyway.
 */
static int verdicts(struct detector *d, struct goro_leak_run *run)
{
	struct goro_leak_verdict *v = (struct goro_leak_verdict *)d->stack;
	size_t k = 0;
	int n = 0;
	for (size_t i = 0; i < d->ng; i++) {
		struct gentry *e = &d->gs[i];
		bool leaked = is_leaked(d, e, run);
		if (leaked || e->was_leaked) {
			/* Field by field over zeroes: padding copied from
			 * registers would be a stale pointer in the parent's
			 * malloc memory, which the next run scans. */
			memset(&v[k], 0, sizeof v[k]);
			v[k].g = e->g;
			v[k].id = e->id;
			v[k].leaked = leaked;
			k++;
		}
		n += leaked;
	}
	d->verdicts = v;
	d->nverdicts = k;
	return n;
}

/*
 * The whole analysis, with the world stopped or in a fork snapshot (the
 * same code for both: it reads the image, allocates nothing, takes no lock
 * a stopped thread could hold, and writes only the detector's buffers and
 * goro's mark bits).  Returns the leaked count; the verdicts in d.
 */
static int analyse(struct detector *d, struct goro_leak_run *run)
{
	int64_t t0 = goro__nanotime();
	goro__for_each_g(collect_one, d);
	if (d->overflow) {
		run->inconclusive = true;
		run->why = "more goroutines than the detector's table holds";
		return verdicts(d, run);
	}
	index_build(d);
	place_physical(d);
	classify(d);
	mark_all(d);
	if (d->overflow) { /* mark stack full: cannot be sure */
		run->inconclusive = true;
		run->why = "the mark stack overflowed";
	}
	int n = verdicts(d, run);
	run->analysis_ns = goro__nanotime() - t0;
	return n;
}

/* ---- applying verdicts --------------------------------------------- */

/*
 * Sets or clears g->leaked per verdict and lists the leaked goroutines.
 * check: the verdicts come from a snapshot and the world ran since, so a
 * record must still hold the goroutine judged (same id) and, to be marked
 * leaked, still be blocked — always true of a goroutine nothing can reach,
 * checked anyway because a report must never name one that runs.  Dropped
 * verdicts are counted in run->stale (and keep g->leaked as it was).
 * World stopped (no check) or the stop lock held (gsnap readers excluded).
 */
static int apply(struct goro_leak_verdict *v, size_t n, bool check, struct goro_leak_run *run)
{
	int leaked = 0;
	for (size_t i = 0; i < n; i++) {
		struct goro_g *g = v[i].g;
		bool ok = !check || (atomic_load(&g->state) == G_WAITING &&
		                     __atomic_load_n(&g->id, __ATOMIC_RELAXED) == v[i].id);
		if (!ok) {
			run->stale += v[i].leaked;
			v[i].g = NULL;
			continue;
		}
		if (g->leaked != v[i].leaked)
			g->leaked = v[i].leaked;
		leaked += v[i].leaked;
	}
	return leaked;
}

/* run->leaked from applied verdicts (world running: it allocates). */
static void list_leaked(struct goro_leak_run *run, const struct goro_leak_verdict *v, size_t n,
                        int nleaked)
{
	if (nleaked <= 0)
		return;
	run->leaked = malloc((size_t)nleaked * sizeof *run->leaked);
	if (!run->leaked)
		return;
	for (size_t i = 0; i < n; i++)
		if (v[i].g && v[i].leaked)
			run->leaked[run->nleaked++] = v[i].g;
}

/* An inconclusive run reports nothing and clears every earlier verdict. */
static void all_cleared(struct goro_leak_verdict *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i].leaked = false;
}

/*
 * The requesting goroutine's registers here, before the stop: its stack is
 * walked from this point up (its frames below the public API entry,
 * GORO_REQUEST_BEGIN's request_sp, are goro's own: not roots).  Call
 * from a frame that stays alive until the analysis has read the stack.
 */
static void capture_requester(struct detector *d)
{
	struct goro_regs r;
	struct goro_g *g = goro__getg();
	d->self.g = NULL;
	requester_g = NULL;
	if (!g || g->is_g0 || !g->stack_lo)
		return; /* a foreign thread: its stack is scanned as a mapping */
	goro__arch_capture_regs(&r);
	d->self.pc = r.rip;
	d->self.sp = r.rsp;
	d->self.val[GORO_CFI_RBP] = r.rbp;
	d->self.val[GORO_CFI_RBX] = r.rbx;
	d->self.val[GORO_CFI_R12] = r.r12;
	d->self.val[GORO_CFI_R13] = r.r13;
	d->self.val[GORO_CFI_R14] = r.r14;
	d->self.val[GORO_CFI_R15] = r.r15;
	for (int i = 0; i < GORO_CFI_NSAVED; i++)
		d->self.loc[i] = (uintptr_t)&d->self.val[i];
	d->self.internal_top = g->request_sp ? (uintptr_t)g->request_sp + 2 * sizeof(void *) : 0;
	d->self.g = g;
	requester_g = g;
}

/* ---- the stop-the-world engine ------------------------------------- */

#define UNSTOPPED_WHY \
	"a thread could not be stopped (it blocks the stop signal, GORO_STW_SIGNAL, and keeps running)"
#define QUIET_RAN_WHY "a thread that blocks the stop signal ran during the analysis"

static inline __attribute__((always_inline)) void detect_stw(struct detector *d, struct goro_leak_run *run)
{
	struct goro_stw_report rep;
	goro__stw_lock();
	capture_requester(d); /* this frame stays until the analysis is done */
	int64_t t0 = goro__nanotime();
	goro__world_stop(&rep);
	/* A thread that would not stop may be mid-update anywhere: no verdict
	 * (soundness first), and no runtime lock may be taken. */
	run->inconclusive = rep.unstopped_threads > 0;
	if (run->inconclusive)
		run->why = UNSTOPPED_WHY;
	int n = 0;
	if (!run->inconclusive) {
		n = analyse(d, run);
		if (n && !goro__stw_quiet_verified()) {
			run->inconclusive = true; /* a thread we could not stop ran */
			run->why = QUIET_RAN_WHY;
		}
		if (run->inconclusive)
			all_cleared(d->verdicts, d->nverdicts);
		n = apply(d->verdicts, d->nverdicts, false, run);
	}
	goro__world_start();
	run->pause_ns = goro__nanotime() - t0;
	goro__stw_unlock();
	if (unlikely(debug_marks)) {
		char buf[256];
		int len = snprintf(buf, sizeof buf,
		                   "goro leak debug: %s, %zu stacks with frames scanned whole (last: pc %#lx, "
		                   "reason %d at %#lx), %d unstopped threads, pause %lld us\n",
		                   run->inconclusive ? "inconclusive" : "conclusive", d->nconservative,
		                   (unsigned long)d->last_conservative_pc, d->last_conservative_why,
		                   (unsigned long)d->last_conservative_where, rep.unstopped_threads,
		                   (long long)(run->pause_ns / 1000));
		ssize_t wr = write(2, buf, (size_t)len);
		(void)wr;
	}
	if (!run->inconclusive)
		list_leaked(run, d->verdicts, d->nverdicts, n);
}

/* ---- the fork snapshot engine (snapshot.h) ------------------------- */

enum { ANSWER_MAGIC = 0x676f726f6c65616bULL /* "goroleak" */ };

/*
 * The child's answer: this head, then nverdicts verdicts.  (What the
 * analysis learns about code, the stack walk's per-pc cache, lives in a
 * MAP_SHARED mapping: livecache.h.)
 */
struct answer_head {
	uint64_t magic;
	uint64_t nverdicts;
	int64_t analysis_ns;
	uint32_t inconclusive; /* 0, or 1 + index in child_why */
	uint32_t nleaked;
};

static const char *const child_why[] = {
	"more goroutines than the detector's table holds",
	"the mark stack overflowed",
};

/* In the child: analyse the image, answer, exit (snapshot.c). */
static void child_body(int wfd, void *arg)
{
	struct detector *d = arg;
	struct goro_leak_run run = { 0 };
	int n = analyse(d, &run);
	uint32_t why = !run.inconclusive ? 0 : d->ng == d->gcap ? 1 : 2;
	struct answer_head h = { ANSWER_MAGIC, d->nverdicts, run.analysis_ns, why, (uint32_t)n };
	if (goro__leak_child_send(wfd, &h, sizeof h))
		goro__leak_child_send(wfd, d->verdicts, d->nverdicts * sizeof *d->verdicts);
}

/* Parent: the answer, malloc'd verdicts in *v.  0, or -1 with errno. */
static int receive(struct goro_leak_child *c, struct detector *d, struct goro_leak_run *run,
                   struct goro_leak_verdict **v, size_t *nv)
{
	int64_t deadline = goro__nanotime() + goro__leak_child_timeout();
	struct answer_head h;
	*v = NULL;
	if (goro__leak_child_recv(c, &h, sizeof h, deadline) != 0)
		return -1;
	if (h.magic != ANSWER_MAGIC || h.nverdicts > d->gcap ||
	    h.inconclusive > GORO_ARRAY_LEN(child_why)) {
		errno = EPROTO;
		return -1;
	}
	*v = malloc((h.nverdicts ? h.nverdicts : 1) * sizeof **v);
	if (!*v) {
		errno = ENOMEM;
		return -1;
	}
	if (goro__leak_child_recv(c, *v, h.nverdicts * sizeof **v, deadline) != 0) {
		goro__free_scrubbed(*v, h.nverdicts * sizeof **v);
		*v = NULL;
		return -1;
	}
	*nv = h.nverdicts;
	run->inconclusive = h.inconclusive != 0;
	run->why = h.inconclusive ? child_why[h.inconclusive - 1] : NULL;
	run->analysis_ns = h.analysis_ns;
	return 0;
}

static int fallback(struct goro_leak_run *run, const char *why, int err)
{
	run->fallback = why;
	run->fallback_errno = err;
	return -1;
}

/*
 * Stop, fork, restart; then the child's verdicts, applied to goroutines
 * that are still the ones judged.  0, or -1 (run->fallback says why) when
 * stop-the-world must run instead.
 */
static int detect_fork(struct detector *d, struct goro_leak_run *run, int test)
{
	struct goro_leak_child c;
	if (goro__leak_child_prepare(&c, test) != 0)
		return fallback(run, "no pipe", errno);
	struct goro_stw_report rep;
	goro__stw_lock();
	capture_requester(d); /* this frame stays until the analysis is done */
	int64_t t0 = goro__nanotime();
	goro__world_stop(&rep);
	run->stop_ns = goro__nanotime() - t0;
	bool forked = false, quiet = true;
	int err = 0;
	if (rep.unstopped_threads == 0) {
		int64_t t1 = goro__nanotime();
		forked = goro__leak_child_fork(&c, child_body, d) == 0;
		run->fork_ns = goro__nanotime() - t1;
		err = errno;
		/* The image is the moment of the fork: a thread we could not
		 * signal must not have run before it. */
		quiet = !forked || goro__stw_quiet_verified();
	}
	goro__world_start();
	run->pause_ns = goro__nanotime() - t0;
	goro__stw_unlock();
	if (rep.unstopped_threads > 0 || !quiet) {
		goro__leak_child_end(&c, true);
		run->inconclusive = true; /* as stop-the-world would say */
		run->why = rep.unstopped_threads > 0 ? UNSTOPPED_WHY : QUIET_RAN_WHY;
		return 0;
	}
	if (!forked)
		return fallback(run, "fork failed", err);
	struct goro_leak_verdict *v;
	size_t nv = 0;
	if (receive(&c, d, run, &v, &nv) != 0) {
		err = errno;
		goro__leak_child_end(&c, true);
		return fallback(run, err == ETIMEDOUT ? "snapshot timed out" : "snapshot failed",
		                err);
	}
	goro__leak_child_end(&c, false);
	if (run->inconclusive)
		all_cleared(v, nv);
	goro__stw_lock(); /* g->leaked changes under it (goro__snapshot reads it) */
	int n = apply(v, nv, true, run);
	goro__stw_unlock();
	list_leaked(run, v, nv, n);
	goro__free_scrubbed(v, nv * sizeof *v); /* record pointers (gsnap.h) */
	return 0;
}

/* ---- the request --------------------------------------------------- */

/*
 * One run at a time (the detector's buffers are shared), and requests that
 * queue up behind a run share the next one: a run that *started* after a
 * request arrived judges a state at least as recent as the request's, so
 * its result is the request's as much as its own requester's (Go's
 * requests run one cycle each; a burst of them here costs two runs, not
 * one per request).  Under detect_mu: runs, last (its leaked array owned
 * here, never scanned usefully: records are not roots).
 */
static goro_mutex detect_mu;
static _Atomic uint64_t runs; /* runs started */
static struct goro_leak_run last;

static void share_last(struct goro_leak_run *run)
{
	*run = last;
	run->leaked = NULL;
	run->nleaked = 0;
	if (last.nleaked > 0) {
		run->leaked = malloc((size_t)last.nleaked * sizeof *run->leaked);
		if (run->leaked) {
			memcpy(run->leaked, last.leaked, (size_t)last.nleaked * sizeof *run->leaked);
			run->nleaked = last.nleaked;
		}
	}
}

static void keep_last(const struct goro_leak_run *run)
{
	goro__free_scrubbed(last.leaked, (size_t)last.nleaked * sizeof *last.leaked);
	last = *run;
	last.leaked = NULL;
	last.nleaked = 0;
	if (run->nleaked > 0) {
		last.leaked = malloc((size_t)run->nleaked * sizeof *last.leaked);
		if (last.leaked) {
			memcpy(last.leaked, run->leaked, (size_t)run->nleaked * sizeof *last.leaked);
			last.nleaked = run->nleaked;
		}
	}
}

static inline __attribute__((always_inline)) void run_one(struct detector *d, struct goro_leak_run *run)
{
	const char *why;
	int test;
	run->engine = goro__leak_engine_pick(&why, &test);
	if (run->engine == GORO_LEAK_ENGINE_FORK && detect_fork(d, run, test) != 0) {
		run->engine = GORO_LEAK_ENGINE_STW;
		d = detector_get(); /* reset: fork does not use the parent's copy */
	}
	if (run->engine == GORO_LEAK_ENGINE_STW)
		detect_stw(d, run);
	atomic_store(&last_pause, run->pause_ns);
	madvise(d->stack, (size_t)64 << 20, MADV_DONTNEED);
}

int goro__leak_detect(struct goro_leak_run *run)
{
	memset(run, 0, sizeof *run);
	goro__ensure_init();
	int64_t t0 = goro__nanotime();
	uint64_t arrived = atomic_load(&runs);
	goro_mutex_lock(&detect_mu);
	if (atomic_load(&runs) > arrived) {
		share_last(run); /* a run began after we arrived and is done */
	} else {
		debug_marks = getenv("GORO_LEAK_DEBUG") != NULL;
		const char *dg = getenv("GORO_LEAK_DEBUG_G");
		debug_g = dg ? atoll(dg) : 0;
		const char *lv = getenv("GORO_LEAK_LIVENESS");
		liveness_off = lv && strcmp(lv, "0") == 0;
		preload_resolve();
		struct detector *d = detector_get();
		if (!d) {
			goro_mutex_unlock(&detect_mu);
			return -1;
		}
		goro__ehframe_refresh();
		goro__livecache_init();
		atomic_fetch_add(&runs, 1);
		run_one(d, run);
		keep_last(run);
	}
	goro_mutex_unlock(&detect_mu);
	run->total_ns = goro__nanotime() - t0;
	if (getenv("GORO_LEAK_TRACE")) /* one line per request, for measuring */
		fprintf(stderr,
		        "goro leak: %s pause %.3f ms (stop %.3f, fork %.3f), analysis %.3f ms, "
		        "total %.3f ms, %d leaked, %d stale\n",
		        run->engine == GORO_LEAK_ENGINE_FORK ? "fork" : "stw", run->pause_ns / 1e6,
		        run->stop_ns / 1e6, run->fork_ns / 1e6, run->analysis_ns / 1e6,
		        run->total_ns / 1e6, run->nleaked, run->stale);
	return run->nleaked;
}

const char *goro__leak_engine_note(const struct goro_leak_run *run, char *buf, size_t len)
{
	if (!run->fallback || len == 0)
		return "";
	const char *name = run->fallback_errno ? strerrorname_np(run->fallback_errno) : NULL;
	snprintf(buf, len, "# engine: stop-the-world (%s%s%s)\n", run->fallback,
	         name ? ": " : "", name ? name : "");
	return buf;
}

void goro__leak_run_free(struct goro_leak_run *run)
{
	/* Record pointers: never left in glibc's free chunks (gsnap.h) */
	goro__free_scrubbed(run->leaked, (size_t)run->nleaked * sizeof *run->leaked);
	run->leaked = NULL;
	run->nleaked = 0;
}
