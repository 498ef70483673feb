/*
 * stackwalk.c — see stackwalk.h.
 */
#include "arch/context.h"
#include "leak/livecache.h"
#include "leak/stackwalk.h"

/* A word of a stopped stack (another thread's, as TSan sees it). */
GORO_NO_SANITIZE static uintptr_t load_word(uintptr_t at)
{
	return *(const uintptr_t *)at;
}

struct cursor {
	uintptr_t pc, sp;
	bool first;                          /* pc is exact, not a return address */
	uintptr_t val[GORO_CFI_NSAVED];      /* this frame's callee-saved values */
	uintptr_t loc[GORO_CFI_NSAVED];      /* where each is stored (0: nowhere) */
};

static void emit(struct goro_stack_walk *w, uintptr_t lo, uintptr_t hi)
{
	if (lo < w->lo)
		lo = w->lo;
	if (hi > w->hi)
		hi = w->hi;
	if (lo < hi && !w->spans_only)
		w->live(w->arg, lo, hi);
}

static void emit_word(struct goro_stack_walk *w, uintptr_t at)
{
	if (at)
		emit(w, at, at + sizeof(uintptr_t));
}

/* Everything from here up: a frame nothing describes. */
static void conservative_rest(struct goro_stack_walk *w, struct cursor *c)
{
	if (!w->conservative) {
		w->conservative = true;
		w->conservative_pc = c->pc;
	}
	for (int i = 0; i < GORO_CFI_NSAVED; i++)
		emit_word(w, c->loc[i]);
	emit(w, c->sp, w->hi);
	if (w->spans && w->nspans < w->maxspans)
		w->spans[w->nspans++] = (struct goro_frame_span){ c->sp, w->hi, w->hi, c->pc, 0 };
}

/* Clears the bit of the frame word at CFA + off in bits. */
static void clear_slot(uint64_t *bits, const struct goro_frame_live *l, int32_t off)
{
	int i = off / 8 - l->lo_word;
	if (off % 8 == 0 && i >= 0 && i < l->nwords)
		bits[i / 64] &= ~(1ull << (i % 64));
}

/* The frame's own live words: runs of set bits, minus the slots where it
 * saved its caller's registers and its return address (judged by the
 * register chain instead). */
static void emit_frame_words(struct goro_stack_walk *w, const struct goro_frame_live *l,
                             const struct goro_cfi_rule *r, uintptr_t cfa)
{
	uint64_t bits[GORO_LIVE_WORDS / 64];
	int nb = (l->nwords + 63) / 64;
	for (int b = 0; b < nb; b++)
		bits[b] = l->bits[b];
	clear_slot(bits, l, r->ra_off);
	for (int i = 0; i < GORO_CFI_NSAVED; i++)
		if (r->saved[i])
			clear_slot(bits, l, r->saved[i]);
	uintptr_t base = cfa + (uintptr_t)(intptr_t)(l->lo_word * 8);
	for (int b = 0; b < nb; b++) {
		uint64_t m = bits[b];
		while (m) {
			int lo = __builtin_ctzll(m);
			uint64_t rest = ~m >> lo; /* the run of ones starting at lo */
			int len = rest ? __builtin_ctzll(rest) : 64 - lo;
			uintptr_t at = base + (uintptr_t)((b * 64 + lo) * 8);
			emit(w, at, at + (uintptr_t)len * 8);
			m &= len + lo >= 64 ? 0 : ~0ull << (lo + len);
		}
	}
}

/* Registers through one frame; then the caller's view (CFI saves). */
static void follow_registers(struct goro_stack_walk *w, struct cursor *c,
                             const struct goro_frame_live *l, const struct goro_cfi_rule *r,
                             uintptr_t cfa)
{
	for (int i = 0; i < GORO_CFI_NSAVED; i++) {
		if (l->use_regs & (1u << i))
			emit_word(w, c->loc[i]);
		if (r->saved[i]) {
			uintptr_t at = cfa + (uintptr_t)(intptr_t)r->saved[i];
			c->loc[i] = at;
			c->val[i] = load_word(at);
		}
		/* Not saved here: the value is the caller's too, judged there. */
	}
}

static const struct goro_frame_live internal_frame = {
	.status = GORO_LIVE_EXACT, .use_regs = 0, .thru_regs = 0x3f, .nwords = 0,
};

/* One frame; false when the walk ends. */
static bool step(struct goro_stack_walk *w, struct cursor *c)
{
	struct goro_cfi_rule r;
	uintptr_t lo, hi;
	uintptr_t lookup = c->first ? c->pc : c->pc - 1;
	if (!goro__livecache_rule(lookup, &r, &lo, &hi) || r.kind == GORO_CFI_OTHER) {
		conservative_rest(w, c);
		return false;
	}
	if (r.kind == GORO_CFI_END)
		return false; /* the stack's first frame: what lies above is dead */
	uintptr_t base = r.cfa_from_rbp ? c->val[GORO_CFI_RBP] : c->sp;
	uintptr_t cfa = base + (uintptr_t)(intptr_t)r.cfa_off;
	if (cfa <= c->sp || cfa > w->hi) {
		conservative_rest(w, c);
		return false;
	}
	struct goro_frame_span *span = NULL;
	if (w->spans && w->nspans < w->maxspans) {
		span = &w->spans[w->nspans++];
		*span = (struct goro_frame_span){ c->sp, cfa, cfa, c->pc, 0 };
	}
	if (!w->spans_only) {
		const struct goro_frame_live *l = &internal_frame;
		if (cfa > w->internal_top) {
			int32_t rsp_off = (int32_t)(c->sp - cfa);
			int32_t rbp_off = (int32_t)(c->val[GORO_CFI_RBP] - cfa);
			l = goro__livecache_live(c->pc, rsp_off, r.cfa_from_rbp, rbp_off, lo, hi);
		}
		if (span)
			span->status = l->status;
		if (l->status != GORO_LIVE_EXACT) {
			if (!w->conservative) {
				w->conservative = true;
				w->conservative_pc = c->pc;
				w->conservative_why = l->why;
				w->conservative_where = l->where;
			}
			emit(w, c->sp, cfa + GORO_LIVE_ABOVE * sizeof(uintptr_t));
			for (int i = 0; i < GORO_CFI_NSAVED; i++)
				emit_word(w, c->loc[i]);
		} else {
			emit_frame_words(w, l, &r, cfa);
		}
		follow_registers(w, c, l, &r, cfa);
	} else {
		for (int i = 0; i < GORO_CFI_NSAVED; i++)
			if (r.saved[i])
				c->val[i] = load_word(cfa + (uintptr_t)(intptr_t)r.saved[i]);
	}
	c->pc = load_word(cfa + (uintptr_t)(intptr_t)r.ra_off);
	c->sp = cfa;
	c->first = false;
	return c->pc != 0;
}

static void walk(struct goro_stack_walk *w, struct cursor *c)
{
	w->conservative = false;
	w->conservative_pc = 0;
	w->conservative_why = 0;
	w->conservative_where = 0;
	w->nspans = 0;
	for (int depth = 0; depth < 4096 && c->sp < w->hi; depth++)
		if (!step(w, c))
			return;
}

void goro__stack_walk_from(struct goro_stack_walk *w, uintptr_t pc, bool ret_addr, uintptr_t sp,
                           const uintptr_t regval[GORO_CFI_NSAVED],
                           const uintptr_t regloc[GORO_CFI_NSAVED])
{
	struct cursor c = { .pc = pc, .sp = sp, .first = !ret_addr };
	for (int i = 0; i < GORO_CFI_NSAVED; i++) {
		c.val[i] = regval[i];
		c.loc[i] = regloc[i];
	}
	walk(w, &c);
}

void goro__stack_walk_parked(struct goro_stack_walk *w, uintptr_t sp)
{
	struct cursor c = { .first = false };
	goro__ctx_reg_slots((const void *)sp, c.loc);
	for (int i = 0; i < GORO_CFI_NSAVED; i++)
		c.val[i] = load_word(c.loc[i]);
	c.pc = load_word(goro__ctx_pc_slot((const void *)sp));
	c.sp = sp + GORO_CTX_FRAME_SIZE;
	walk(w, &c);
}
