/*
 * stackwalk.c — see stackwalk.h.
 */
#include "arch/context.h"
#include "leak/livecache.h"
#include "leak/stackwalk.h"

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
		w->spans[w->nspans++] = (struct goro_frame_span){ c->sp, w->hi, w->hi };
}

static bool is_save_slot(const struct goro_cfi_rule *r, uintptr_t cfa, uintptr_t at)
{
	if (at == cfa + (uintptr_t)(intptr_t)r->ra_off)
		return true;
	for (int i = 0; i < GORO_CFI_NSAVED; i++)
		if (r->saved[i] && at == cfa + (uintptr_t)(intptr_t)r->saved[i])
			return true;
	return false;
}

/* The frame's own live words: runs of set bits, minus the slots where it
 * saved its caller's registers and its return address (judged by the
 * register chain instead). */
static void emit_frame_words(struct goro_stack_walk *w, const struct goro_frame_live *l,
                             const struct goro_cfi_rule *r, uintptr_t cfa)
{
	uintptr_t run = 0;
	for (int i = 0; i < l->nwords; i++) {
		uintptr_t at = cfa + (uintptr_t)(intptr_t)((l->lo_word + i) * 8);
		bool live = ((l->bits[i / 64] >> (i % 64)) & 1) && !is_save_slot(r, cfa, at);
		if (live && !run)
			run = at;
		else if (!live && run) {
			emit(w, run, at);
			run = 0;
		}
	}
	if (run)
		emit(w, run, cfa + (uintptr_t)(intptr_t)((l->lo_word + l->nwords) * 8));
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
			c->val[i] = *(const uintptr_t *)at;
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
	if (w->spans && w->nspans < w->maxspans)
		w->spans[w->nspans++] = (struct goro_frame_span){ c->sp, cfa, cfa };
	if (!w->spans_only) {
		const struct goro_frame_live *l = &internal_frame;
		if (cfa > w->internal_top) {
			int32_t rsp_off = (int32_t)(c->sp - cfa);
			int32_t rbp_off = (int32_t)(c->val[GORO_CFI_RBP] - cfa);
			l = goro__livecache_live(c->pc, rsp_off, r.cfa_from_rbp, rbp_off, lo, hi);
		}
		if (l->status != GORO_LIVE_EXACT) {
			if (!w->conservative) {
				w->conservative = true;
				w->conservative_pc = c->pc;
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
				c->val[i] = *(const uintptr_t *)(cfa + (uintptr_t)(intptr_t)r.saved[i]);
	}
	c->pc = *(const uintptr_t *)(cfa + (uintptr_t)(intptr_t)r.ra_off);
	c->sp = cfa;
	c->first = false;
	return c->pc != 0;
}

static void walk(struct goro_stack_walk *w, struct cursor *c)
{
	w->conservative = false;
	w->conservative_pc = 0;
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
	struct goro_regs regs;
	struct cursor c = { .first = false };
	goro__ctx_regs((const void *)sp, &regs);
	goro__ctx_reg_slots((const void *)sp, c.loc);
	c.pc = regs.rip;
	c.sp = regs.rsp;
	c.val[GORO_CFI_RBP] = regs.rbp;
	c.val[GORO_CFI_RBX] = regs.rbx;
	c.val[GORO_CFI_R12] = regs.r12;
	c.val[GORO_CFI_R13] = regs.r13;
	c.val[GORO_CFI_R14] = regs.r14;
	c.val[GORO_CFI_R15] = regs.r15;
	walk(w, &c);
}
