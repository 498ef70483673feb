/*
 * cfi.c — x86-64 call-frame rules from .eh_frame (libdw), memoised per pc.
 *
 * libdw evaluates the CIE/FDE programs; this file only recognises the
 * shapes libdw reports for the common rules (DWARF register numbers:
 * rbx 3, rbp 6, rsp 7, r12-r15 12-15, return address column 16):
 *   CFA                     [DW_OP_bregx reg off]          reg rsp or rbp
 *   register at CFA+off     [DW_OP_call_frame_cfa, DW_OP_plus_uconst off]
 *   caller's rsp = CFA      [DW_OP_call_frame_cfa, DW_OP_stack_value]
 *   same value / undefined  no ops (ops NULL / ops_mem)
 *
 * The cache (pccache.h) is guarded by the Dwfl session lock.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdlib.h>

#include "trace/cfi.h"
#include "trace/dwfl_session.h"
#include "trace/pccache.h"

enum { DW_RBX = 3, DW_RBP = 6, DW_RSP = 7, DW_RA = 16 };

static const int saved_regno[GORO_CFI_NSAVED] = {
	[GORO_CFI_RBP] = DW_RBP, [GORO_CFI_RBX] = DW_RBX,
	[GORO_CFI_R12] = 12,     [GORO_CFI_R13] = 13,
	[GORO_CFI_R14] = 14,     [GORO_CFI_R15] = 15,
};

struct cached_rule {
	uintptr_t pc;
	struct goro_cfi_rule rule;
};

static struct goro_pccache cache = GORO_PCCACHE_INIT(struct cached_rule);

/* ---- reading libdw's answer ------------------------------------------- */

enum where { UNCHANGED, AT_CFA_OFFSET, UNDEFINED, UNSUPPORTED };

static bool fits_int32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* Where the caller's value of register regno is kept. */
static enum where register_rule(Dwarf_Frame *f, int regno, int32_t *off)
{
	Dwarf_Op mem[3], *ops;
	size_t n;

	if (dwarf_frame_register(f, regno, mem, &ops, &n) != 0)
		return UNSUPPORTED;
	if (n == 0)
		return ops == NULL ? UNCHANGED : UNDEFINED;
	if (ops[0].atom != DW_OP_call_frame_cfa)
		return UNSUPPORTED;
	int64_t v = n == 1 ? 0 : (int64_t)ops[1].number;
	if (n > 2 || (n == 2 && ops[1].atom != DW_OP_plus_uconst) ||
	    !fits_int32(v))
		return UNSUPPORTED;
	*off = (int32_t)v;
	return AT_CFA_OFFSET;
}

static bool cfa_rule(Dwarf_Frame *f, struct goro_cfi_rule *r)
{
	Dwarf_Op *ops;
	size_t n;

	if (dwarf_frame_cfa(f, &ops, &n) != 0 || n != 1 ||
	    ops[0].atom != DW_OP_bregx ||
	    (ops[0].number != DW_RSP && ops[0].number != DW_RBP) ||
	    !fits_int32((int64_t)ops[0].number2))
		return false;
	r->cfa_from_rbp = ops[0].number == DW_RBP;
	r->cfa_off = (int32_t)(int64_t)ops[0].number2;
	return true;
}

/* The x86-64 psABI: the caller's rsp is the CFA itself. */
static bool rsp_is_cfa(Dwarf_Frame *f)
{
	Dwarf_Op mem[3], *ops;
	size_t n;

	return dwarf_frame_register(f, DW_RSP, mem, &ops, &n) == 0 && n == 2 &&
	       ops[0].atom == DW_OP_call_frame_cfa &&
	       ops[1].atom == DW_OP_stack_value;
}

/* Fills r from f; r->kind stays OTHER for anything not representable. */
static void read_frame(Dwarf_Frame *f, struct goro_cfi_rule *r)
{
	bool signal;
	int32_t off;

	if (dwarf_frame_info(f, NULL, NULL, &signal) != DW_RA || signal)
		return;
	switch (register_rule(f, DW_RA, &off)) {
	case UNDEFINED: /* .cfi_undefined rip: the trampoline's mark */
		r->kind = GORO_CFI_END;
		return;
	case AT_CFA_OFFSET:
		r->ra_off = off;
		break;
	default:
		return;
	}
	if (!cfa_rule(f, r) || !rsp_is_cfa(f))
		return;
	for (int i = 0; i < GORO_CFI_NSAVED; i++) {
		/* An undefined callee-saved register is simply not restored:
		 * nothing later needs its true value unless it is saved. */
		enum where w = register_rule(f, saved_regno[i], &off);
		if (w == UNSUPPORTED || (w == AT_CFA_OFFSET && off == 0))
			return;
		r->saved[i] = w == AT_CFA_OFFSET ? off : 0;
	}
	r->kind = GORO_CFI_STEP;
}

static void compute(uintptr_t pc, struct goro_cfi_rule *r)
{
	*r = (struct goro_cfi_rule){ .kind = GORO_CFI_OTHER };
	Dwfl_Module *mod = goro__dwfl_module(pc);
	if (mod == NULL)
		return;
	Dwarf_Addr bias;
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
	Dwarf_Frame *f;
	if (cfi == NULL || dwarf_cfi_addrframe(cfi, pc - bias, &f) != 0)
		return;
	read_frame(f, r);
	free(f);
}

/* compute() on the session's big stack (libdw's appetite for stack). */
struct compute_call {
	uintptr_t pc;
	struct goro_cfi_rule *rule;
};

static void compute_thunk(void *p)
{
	struct compute_call *c = p;

	compute(c->pc, c->rule);
}

static void deep_compute(uintptr_t pc, struct goro_cfi_rule *r)
{
	goro__dwfl_call(compute_thunk, &(struct compute_call){ pc, r });
}

/* ---- the cache --------------------------------------------------------- */

void goro__cfi_rule(uintptr_t pc, struct goro_cfi_rule *out)
{
	*out = (struct goro_cfi_rule){ .kind = GORO_CFI_OTHER };
	if (pc == 0)
		return;
	goro__dwfl_lock();
	bool fresh;
	struct cached_rule *c = goro__pccache_get(&cache, pc, &fresh);
	if (c) {
		if (fresh)
			deep_compute(pc, &c->rule);
		*out = c->rule;
	} else {
		deep_compute(pc, out);
	}
	goro__dwfl_unlock();
}
