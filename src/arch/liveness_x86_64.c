/*
 * liveness_x86_64.c — frame liveness from x86-64 machine code (see
 * leak/liveness.h for what is computed and why it is sound).
 *
 * Two passes over the instructions reachable from the resume pc, decoded
 * with capstone:
 *   forward: the stack pointer's offset from the CFA (and whether rbp is
 *            the frame pointer) at every instruction — a frame slot is
 *            named by its CFA-relative offset, whatever register reaches it;
 *   backward: live-in = use ∪ (live-out − def) to a fixpoint, over the six
 *            callee-saved registers (two lanes: "read" and "reaches a
 *            return unwritten") and the frame's words.
 * Caller-saved registers are not tracked: at a resume pc they hold what
 * the call returned, which is nowhere in memory yet.
 *
 * Kills are taken only from instructions known to overwrite their whole
 * destination (mov, lea, pop, movzx, zeroing xor...); anything else that
 * writes is treated as leaving the old value in place.
 */
#include <capstone/capstone.h>
#include <string.h>
#include <sys/mman.h>

#include "leak/liveness.h"
#include "trace/ehframe.h"

enum { MAX_NODES = 24576, HASH_SIZE = 65536, NB = GORO_LIVE_WORDS / 64, MAX_MEMS = 3 };
enum { NO_SUCC = -1, NO_ESCAPE = 0x7fff };

enum node_kind { NK_FALL, NK_JUMP, NK_COND, NK_RET, NK_STOP };

struct mem_effect {
	int16_t lo, hi; /* CFA-relative words [lo, hi) */
	bool def;
};

struct node {
	uintptr_t addr;
	int32_t succ[2];
	int32_t rsp_off; /* valid when rsp_known */
	int32_t rbp_off; /* valid when fp */
	bool rsp_known, fp, visited;
	uint8_t kind;
	bool all;        /* reads every register and word */
	uint8_t use, def;
	int16_t escape;  /* every word from here up is read */
	uint8_t nmems;
	struct mem_effect mems[MAX_MEMS];
	uint8_t live_regs, live_thru;
	uint64_t live[NB];
};

/* Scratch for one analysis: mapped once, reused (one analysis at a time:
 * the detector's serialisation). */
struct scratch {
	struct node nodes[MAX_NODES];
	int32_t hash[HASH_SIZE];
	uint8_t queued[MAX_NODES];
	int32_t stack[MAX_NODES];
	int nnodes;
};

static struct scratch *scr;
static csh handle;
static cs_insn *insn;

bool goro__arch_liveness_init(void)
{
	if (scr)
		return true;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
		return false;
	cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(handle);
	void *p = mmap(NULL, sizeof *scr, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!insn || p == MAP_FAILED)
		return false;
	scr = p;
	return true;
}

/* ---- registers ------------------------------------------------------ */

enum { REG_NONE = -1, REG_RSP = -2 };

/* The callee-saved register (GORO_CFI_*) r is part of; *full when the
 * access covers all 64 bits or is a 32-bit write (which zero-extends). */
static int callee_saved(x86_reg r, bool *full)
{
	*full = false;
	switch (r) {
	case X86_REG_RBX: *full = true; /* fallthrough */
	case X86_REG_EBX: if (r == X86_REG_EBX) *full = true; /* fallthrough */
	case X86_REG_BX: case X86_REG_BL: case X86_REG_BH: return GORO_CFI_RBX;
	case X86_REG_RBP: case X86_REG_EBP: *full = true; /* fallthrough */
	case X86_REG_BP: case X86_REG_BPL: return GORO_CFI_RBP;
	case X86_REG_R12: case X86_REG_R12D: *full = true; /* fallthrough */
	case X86_REG_R12W: case X86_REG_R12B: return GORO_CFI_R12;
	case X86_REG_R13: case X86_REG_R13D: *full = true; /* fallthrough */
	case X86_REG_R13W: case X86_REG_R13B: return GORO_CFI_R13;
	case X86_REG_R14: case X86_REG_R14D: *full = true; /* fallthrough */
	case X86_REG_R14W: case X86_REG_R14B: return GORO_CFI_R14;
	case X86_REG_R15: case X86_REG_R15D: *full = true; /* fallthrough */
	case X86_REG_R15W: case X86_REG_R15B: return GORO_CFI_R15;
	case X86_REG_RSP: case X86_REG_ESP: case X86_REG_SP: case X86_REG_SPL:
		return REG_RSP;
	default: return REG_NONE;
	}
}

/* Instructions that overwrite their whole destination operand 0. */
static bool kills_dest(unsigned id)
{
	switch (id) {
	case X86_INS_MOV: case X86_INS_MOVABS: case X86_INS_MOVZX: case X86_INS_MOVSX:
	case X86_INS_MOVSXD: case X86_INS_LEA: case X86_INS_POP:
	case X86_INS_MOVAPS: case X86_INS_MOVUPS: case X86_INS_MOVAPD: case X86_INS_MOVUPD:
	case X86_INS_MOVDQA: case X86_INS_MOVDQU: case X86_INS_MOVQ: case X86_INS_MOVD:
	case X86_INS_VMOVAPS: case X86_INS_VMOVUPS: case X86_INS_VMOVDQA:
	case X86_INS_VMOVDQU: case X86_INS_VMOVQ: case X86_INS_VMOVD:
	case X86_INS_MOVNTI: case X86_INS_MOVNTDQ: case X86_INS_MOVNTPS:
	case X86_INS_MOVSD: case X86_INS_VMOVSD:
	case X86_INS_POPCNT: case X86_INS_LZCNT: case X86_INS_TZCNT:
	case X86_INS_SHLX: case X86_INS_SHRX: case X86_INS_SARX: case X86_INS_ANDN:
	case X86_INS_MOVBE: case X86_INS_CVTTSD2SI: case X86_INS_CVTTSS2SI:
	case X86_INS_CVTSD2SI: case X86_INS_CVTSS2SI: case X86_INS_MOVMSKPD:
	case X86_INS_MOVMSKPS: case X86_INS_PMOVMSKB:
		return true;
	default:
		return false;
	}
}

/* imul's three-operand form writes its destination without reading it. */
static bool kills_dest_form(unsigned id, const cs_x86 *x)
{
	return kills_dest(id) || (id == X86_INS_IMUL && x->op_count == 3);
}

/* ---- one instruction's effects ---------------------------------------- */

struct ctx {
	uintptr_t fn_lo, fn_hi;
	uint8_t why;          /* why it gave up (GORO_LIVE_WHY_*) */
	uintptr_t where;      /* at which instruction */
	int32_t ret_node;     /* a synthetic return, target of tail calls */
	int lo_word, hi_word; /* window [lo, hi) */
	bool give_up;
};

static void give_up(struct ctx *c, uint8_t why, uintptr_t where)
{
	if (!c->give_up) {
		c->why = why;
		c->where = where;
	}
	c->give_up = true;
}

static void add_mem(struct node *n, int lo, int hi, bool def)
{
	if (n->nmems == MAX_MEMS) {
		n->all = true;
		return;
	}
	n->mems[n->nmems++] = (struct mem_effect){ (int16_t)lo, (int16_t)hi, def };
}

static int floor_div8(int32_t v)
{
	return v >= 0 ? v / 8 : -((-v + 7) / 8);
}

/* The CFA-relative offset a frame-based address has, if it is one. */
static bool frame_offset(const struct node *n, const x86_op_mem *m, int32_t *off)
{
	if (m->segment != X86_REG_INVALID)
		return false;
	if (m->base == X86_REG_RSP && n->rsp_known) {
		*off = n->rsp_off + (int32_t)m->disp;
		return true;
	}
	if (m->base == X86_REG_RBP && n->fp) {
		*off = n->rbp_off + (int32_t)m->disp;
		return true;
	}
	return false;
}

static bool frame_based(const struct node *n, const x86_op_mem *m)
{
	return m->base == X86_REG_RSP || (m->base == X86_REG_RBP && n->fp) ||
	       m->index == X86_REG_RSP;
}

static void note_escape(struct node *n, int word)
{
	if (word < n->escape)
		n->escape = (int16_t)word;
}

static void mem_operand(struct ctx *c, struct node *n, const cs_x86_op *op, bool store_kills)
{
	const x86_op_mem *m = &op->mem;
	int32_t off;
	if (!frame_based(n, m))
		return;
	if (m->base == X86_REG_RSP && !n->rsp_known) {
		give_up(c, GORO_LIVE_WHY_RSP_UNKNOWN, n->addr);
		return;
	}
	if (m->index != X86_REG_INVALID || !frame_offset(n, m, &off)) {
		n->all = true; /* an indexed frame access: any slot */
		return;
	}
	int lo = floor_div8(off), hi = floor_div8(off + op->size + 7);
	if (hi > c->hi_word)
		n->all = true; /* stack arguments beyond the window (documented limit) */
	bool read = (op->access & CS_AC_READ) || !(op->access & CS_AC_WRITE);
	if (read)
		add_mem(n, lo, hi, false);
	else if (store_kills && off % 8 == 0 && op->size % 8 == 0)
		add_mem(n, lo, hi, true);
}

static void reg_operand(struct node *n, const cs_x86_op *op, bool is_dest, bool kills)
{
	bool full;
	int r = callee_saved(op->reg, &full);
	if (r < 0)
		return;
	if (r == GORO_CFI_RBP && n->fp && !is_dest)
		return; /* the frame pointer: a frame address, not a value */
	bool read = (op->access & CS_AC_READ) || !(op->access & CS_AC_WRITE);
	if (read)
		n->use |= (uint8_t)(1u << r);
	if (is_dest && kills && full && !read)
		n->def |= (uint8_t)(1u << r);
}

static bool dest_is(const cs_x86 *x, x86_reg r)
{
	return x->op_count >= 1 && x->operands[0].type == X86_OP_REG && x->operands[0].reg == r;
}

/* A frame address copied out of rsp/rbp (mov r, rsp; lea r, [rsp+k]). */
static void frame_address_taken(struct node *n, const cs_x86 *x, unsigned id)
{
	if (dest_is(x, X86_REG_RSP))
		return; /* moving the stack pointer itself (epilogues, alloca) */
	if (id == X86_INS_LEA && x->op_count == 2 && x->operands[1].type == X86_OP_MEM) {
		int32_t off;
		const x86_op_mem *m = &x->operands[1].mem;
		if (frame_based(n, m)) {
			if (m->index == X86_REG_INVALID && frame_offset(n, m, &off))
				note_escape(n, floor_div8(off));
			else
				n->all = true;
		}
		return;
	}
	for (int i = id == X86_INS_PUSH ? 0 : 1; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		if (op->type != X86_OP_REG || !(op->access & CS_AC_READ))
			continue;
		if (op->reg == X86_REG_RSP && n->rsp_known)
			note_escape(n, floor_div8(n->rsp_off));
		else if (op->reg == X86_REG_RSP)
			n->all = true;
		else if (op->reg == X86_REG_RBP && n->fp)
			note_escape(n, floor_div8(n->rbp_off));
	}
}

static void implicit_regs(struct node *n)
{
	const cs_detail *d = insn->detail;
	bool full;
	for (int i = 0; i < d->regs_read_count; i++) {
		int r = callee_saved((x86_reg)d->regs_read[i], &full);
		if (r == GORO_CFI_RBP && n->fp)
			continue;
		if (r >= 0)
			n->use |= (uint8_t)(1u << r);
	}
}

/* Register and memory effects of the decoded instruction. */
static void effects(struct ctx *c, struct node *n)
{
	const cs_x86 *x = &insn->detail->x86;
	unsigned id = insn->id;
	bool kills = kills_dest_form(id, x);
	bool zeroing = (id == X86_INS_XOR || id == X86_INS_SUB) && x->op_count == 2 &&
	               x->operands[0].type == X86_OP_REG && x->operands[1].type == X86_OP_REG &&
	               x->operands[0].reg == x->operands[1].reg;
	n->escape = NO_ESCAPE;
	if (zeroing) {
		bool full;
		int r = callee_saved(x->operands[0].reg, &full);
		if (r >= 0 && full)
			n->def |= (uint8_t)(1u << r);
		return;
	}
	for (int i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		if (op->type == X86_OP_REG) {
			reg_operand(n, op, i == 0, kills);
		} else if (op->type == X86_OP_MEM) {
			bool full;
			int b = callee_saved(op->mem.base, &full), ix = callee_saved(op->mem.index, &full);
			if (b >= 0 && !(b == GORO_CFI_RBP && n->fp))
				n->use |= (uint8_t)(1u << b);
			if (ix >= 0)
				n->use |= (uint8_t)(1u << ix);
			if (id != X86_INS_LEA && id != X86_INS_NOP)
				mem_operand(c, n, op, kills && i == 0);
		}
	}
	implicit_regs(n);
	frame_address_taken(n, x, id);
	if (id == X86_INS_POP && n->rsp_known)
		add_mem(n, floor_div8(n->rsp_off), floor_div8(n->rsp_off) + 1, false);
	else if (id == X86_INS_PUSH && n->rsp_known)
		add_mem(n, floor_div8(n->rsp_off - 8), floor_div8(n->rsp_off), true);
}

/* ---- stack pointer bookkeeping ------------------------------------------ */

static bool imm_operand(const cs_x86 *x, int i, int64_t *v)
{
	if (x->op_count <= i || x->operands[i].type != X86_OP_IMM)
		return false;
	*v = x->operands[i].imm;
	return true;
}

/* The state after the instruction (rsp offset, frame pointer). */
static void next_state(const struct node *n, struct node *out)
{
	const cs_x86 *x = &insn->detail->x86;
	unsigned id = insn->id;
	int64_t imm;
	*out = *n;
	switch (id) {
	case X86_INS_PUSH: out->rsp_off -= 8; return;
	case X86_INS_POP:
		out->rsp_off += 8;
		if (dest_is(x, X86_REG_RBP))
			out->fp = false;
		if (dest_is(x, X86_REG_RSP))
			out->rsp_known = false;
		return;
	case X86_INS_LEAVE:
		out->rsp_known = n->fp;
		out->rsp_off = n->rbp_off + 8;
		out->fp = false;
		return;
	case X86_INS_CALL:
		return;
	default:
		break;
	}
	if (dest_is(x, X86_REG_RSP)) {
		if ((id == X86_INS_SUB || id == X86_INS_ADD) && imm_operand(x, 1, &imm))
			out->rsp_off += (int32_t)(id == X86_INS_SUB ? -imm : imm);
		else if (id == X86_INS_LEA && x->operands[1].mem.index == X86_REG_INVALID &&
		         x->operands[1].mem.base == X86_REG_RSP)
			out->rsp_off += (int32_t)x->operands[1].mem.disp;
		else if (id == X86_INS_LEA && x->operands[1].mem.index == X86_REG_INVALID &&
		         x->operands[1].mem.base == X86_REG_RBP && n->fp)
			out->rsp_off = n->rbp_off + (int32_t)x->operands[1].mem.disp;
		else if (id == X86_INS_MOV && x->operands[1].type == X86_OP_REG &&
		         x->operands[1].reg == X86_REG_RBP && n->fp)
			out->rsp_off = n->rbp_off;
		else
			out->rsp_known = false;
		return;
	}
	for (int i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_REG && x->operands[i].reg == X86_REG_RBP &&
		    (x->operands[i].access & CS_AC_WRITE))
			out->fp = false;
}

/* ---- the graph ------------------------------------------------------------ */

static int32_t *hash_slot(uintptr_t addr)
{
	size_t i = (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 40) & (HASH_SIZE - 1);
	while (scr->hash[i] >= 0 && scr->nodes[scr->hash[i]].addr != addr)
		i = (i + 1) & (HASH_SIZE - 1);
	return &scr->hash[i];
}

static bool same_state(const struct node *a, const struct node *b)
{
	return a->rsp_known == b->rsp_known && (!a->rsp_known || a->rsp_off == b->rsp_off) &&
	       a->fp == b->fp && (!a->fp || a->rbp_off == b->rbp_off);
}

/* The node at addr entered in state st (created on first sight). */
static int32_t node_at(struct ctx *c, uintptr_t addr, const struct node *st)
{
	int32_t *slot = hash_slot(addr);
	if (*slot >= 0) {
		if (!same_state(&scr->nodes[*slot], st))
			give_up(c, GORO_LIVE_WHY_DEPTHS_MEET, addr); /* two stack depths meet: not compiled code */
		return *slot;
	}
	if (scr->nnodes == MAX_NODES) {
		give_up(c, GORO_LIVE_WHY_TOO_BIG, addr);
		return NO_SUCC;
	}
	int32_t i = scr->nnodes++;
	struct node *n = &scr->nodes[i];
	memset(n, 0, sizeof *n);
	n->addr = addr;
	n->rsp_known = st->rsp_known;
	n->rsp_off = st->rsp_off;
	n->fp = st->fp;
	n->rbp_off = st->rbp_off;
	n->succ[0] = n->succ[1] = NO_SUCC;
	*slot = i;
	scr->queued[i] = 0;
	return i;
}

/* A direct jump to target leaves the function: a tail call when target
 * is a function's first instruction (its CFA is rsp + 8 with nothing
 * saved), else the same frame continuing elsewhere (gcc's .cold parts). */
static bool is_function_entry(uintptr_t target)
{
	struct goro_cfi_rule r;
	uintptr_t lo, hi;
	if (!goro__ehframe_rule(target, &r, &lo, &hi) || lo != target)
		return false;
	if (r.kind != GORO_CFI_STEP || r.cfa_from_rbp || r.cfa_off != 8)
		return false;
	for (int i = 0; i < GORO_CFI_NSAVED; i++)
		if (r.saved[i])
			return false;
	return true;
}

static bool in_code(const struct ctx *c, uintptr_t a)
{
	return a >= c->fn_lo && a < c->fn_hi;
}

static int32_t direct_target(const cs_x86 *x, uintptr_t *t)
{
	if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return 0;
	*t = (uintptr_t)x->operands[0].imm;
	return 1;
}

static void link(int32_t i, int k, int32_t s, int32_t *stack, int *sp)
{
	scr->nodes[i].succ[k] = s;
	if (s >= 0 && !scr->queued[s]) {
		scr->queued[s] = 1;
		stack[(*sp)++] = s;
	}
}

/* Decodes node i and links its successors (new ones onto stack). */
static void expand(struct ctx *c, int32_t i, int32_t *stack, int *sp)
{
	struct node *n = &scr->nodes[i];
	const uint8_t *code = (const uint8_t *)n->addr;
	size_t size = 16;
	uint64_t addr = n->addr;
	if (!goro__ehframe_is_code(n->addr) || !cs_disasm_iter(handle, &code, &size, &addr, insn)) {
		give_up(c, GORO_LIVE_WHY_UNDECODABLE, n->addr);
		return;
	}
	effects(c, n);
	struct node st;
	next_state(n, &st);
	uintptr_t next = n->addr + insn->size, t;
	const cs_x86 *x = &insn->detail->x86;
	n->kind = NK_FALL;
	if (cs_insn_group(handle, insn, CS_GRP_RET)) {
		n->kind = NK_RET;
		return;
	}
	if (insn->id == X86_INS_UD2 || insn->id == X86_INS_HLT || insn->id == X86_INS_INT3) {
		n->kind = NK_STOP;
		return;
	}
	bool jump = cs_insn_group(handle, insn, CS_GRP_JUMP);
	if (jump) {
		bool cond = insn->id != X86_INS_JMP;
		if (!direct_target(x, &t)) {
			/* Through a register or memory: with only the return address
			 * left on the frame it is a tail call, else a switch table. */
			if (!cond && n->rsp_known && n->rsp_off == -8)
				n->kind = NK_RET;
			else
				give_up(c, GORO_LIVE_WHY_INDIRECT_JUMP, n->addr);
			return;
		}
		n->kind = cond ? NK_COND : NK_JUMP;
		/* A tail call returns to our caller: the shared return node.  A
		 * jump out of the function is one when only the return address
		 * is left on the frame (to a PLT stub, say) or when it lands on
		 * a function's first instruction. */
		bool popped = n->rsp_known && n->rsp_off == -8;
		bool tail = !in_code(c, t) && (popped || is_function_entry(t));
		int32_t s = tail ? c->ret_node : node_at(c, t, &st);
		link(i, 0, s, stack, sp);
		if (!cond)
			return;
	}
	if (!in_code(c, next)) {
		/* Past the function's end: only after a call that does not return
		 * (abort, a sanitizer's report); the next bytes are another
		 * function.  Treated as a return, which keeps everything the
		 * caller may need. */
		n->kind = NK_RET;
		return;
	}
	link(i, jump ? 1 : 0, node_at(c, next, &st), stack, sp);
}

/* ---- the dataflow ------------------------------------------------------- */

static void word_range_set(uint64_t *bits, const struct ctx *c, int lo, int hi, bool set)
{
	if (lo < c->lo_word)
		lo = c->lo_word;
	if (hi > c->hi_word)
		hi = c->hi_word;
	for (int w = lo; w < hi; w++) {
		int b = w - c->lo_word;
		if (set)
			bits[b / 64] |= 1ull << (b % 64);
		else
			bits[b / 64] &= ~(1ull << (b % 64));
	}
}

/* live-in of n from its live-out; true if it changed. */
static bool transfer(const struct ctx *c, struct node *n)
{
	uint64_t out[NB] = { 0 };
	uint8_t regs = 0, thru = 0;
	if (n->kind == NK_RET) {
		thru = 0x3f; /* callee-saved values go back to the caller */
	} else if (n->kind != NK_STOP) {
		for (int k = 0; k < 2; k++) {
			if (n->succ[k] < 0)
				continue;
			const struct node *s = &scr->nodes[n->succ[k]];
			regs |= s->live_regs;
			thru |= s->live_thru;
			for (int b = 0; b < NB; b++)
				out[b] |= s->live[b];
		}
	}
	if (n->all) {
		regs = 0x3f;
		memset(out, 0xff, sizeof out);
	} else {
		regs = (uint8_t)((regs & ~n->def) | n->use);
		thru = (uint8_t)(thru & ~n->def);
		for (int m = 0; m < n->nmems; m++)
			if (n->mems[m].def)
				word_range_set(out, c, n->mems[m].lo, n->mems[m].hi, false);
		for (int m = 0; m < n->nmems; m++)
			if (!n->mems[m].def)
				word_range_set(out, c, n->mems[m].lo, n->mems[m].hi, true);
		if (n->escape != NO_ESCAPE)
			word_range_set(out, c, n->escape, c->hi_word, true);
	}
	bool changed = regs != n->live_regs || thru != n->live_thru ||
	               memcmp(out, n->live, sizeof out) != 0;
	n->live_regs = regs;
	n->live_thru = thru;
	memcpy(n->live, out, sizeof out);
	return changed;
}

static void solve(const struct ctx *c)
{
	for (bool changed = true; changed;) {
		changed = false;
		for (int i = scr->nnodes - 1; i >= 0; i--)
			changed |= transfer(c, &scr->nodes[i]);
	}
}

static void all_live(struct goro_frame_live *out)
{
	*out = (struct goro_frame_live){ .status = GORO_LIVE_ALL, .use_regs = 0x3f,
	                                 .thru_regs = 0x3f };
}

void goro__arch_frame_liveness(uintptr_t pc, int32_t rsp_off, bool rbp_fp, int32_t rbp_off,
                               uintptr_t fn_lo, uintptr_t fn_hi, struct goro_frame_live *out)
{
	struct ctx c = { .fn_lo = fn_lo, .fn_hi = fn_hi };
	c.lo_word = floor_div8(rsp_off);
	c.hi_word = GORO_LIVE_ABOVE;
	if (!scr || rsp_off > 0 || c.hi_word - c.lo_word > GORO_LIVE_WORDS) {
		all_live(out);
		out->why = GORO_LIVE_WHY_FRAME_SIZE;
		out->where = pc;
		return;
	}
	memset(scr->hash, 0xff, sizeof scr->hash);
	scr->nnodes = 0;
	/* Node 0: the return every tail call reaches (never decoded). */
	struct node none = { .rsp_known = false };
	c.ret_node = node_at(&c, 0, &none);
	scr->nodes[c.ret_node].kind = NK_RET;
	scr->queued[c.ret_node] = 1; /* never decoded */
	struct node st = { .rsp_known = true, .rsp_off = rsp_off, .fp = rbp_fp, .rbp_off = rbp_off };
	int32_t root = node_at(&c, pc, &st);
	int sp = 0;
	scr->stack[sp++] = root;
	scr->queued[root] = 1;
	while (sp > 0 && !c.give_up)
		expand(&c, scr->stack[--sp], scr->stack, &sp);
	if (c.give_up) {
		all_live(out);
		out->why = c.why;
		out->where = c.where;
		return;
	}
	solve(&c);
	const struct node *r = &scr->nodes[root];
	*out = (struct goro_frame_live){ .status = GORO_LIVE_EXACT, .use_regs = r->live_regs,
	                                 .thru_regs = r->live_thru, .lo_word = (int16_t)c.lo_word,
	                                 .nwords = (uint16_t)(c.hi_word - c.lo_word) };
	memcpy(out->bits, r->live, sizeof out->bits);
}
