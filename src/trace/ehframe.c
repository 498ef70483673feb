/*
 * ehframe.c — see ehframe.h.  DWARF 5 §6.4 and the LSB's .eh_frame and
 * .eh_frame_hdr layouts; x86-64 register numbers (rbx 3, rbp 6, rsp 7,
 * r12-r15 12-15, return address column 16).
 */
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "trace/ehframe.h"

enum { MAX_MODULES = 1024, MAX_SEGS = 4, NREGS = 17, MAX_REMEMBER = 8 };
enum { DW_RBX = 3, DW_RBP = 6, DW_RSP = 7, DW_RA = 16 };

struct module {
	uintptr_t hdr;                  /* .eh_frame_hdr, 0: none */
	int nsegs;
	uintptr_t lo[MAX_SEGS], hi[MAX_SEGS]; /* executable segments */
};

struct module_table {
	int n;
	struct module m[MAX_MODULES];
};

/*
 * Readers (the detector with the world stopped, the unwinder's rule cache)
 * load the published table once and use it without a lock; a refresh
 * builds a new one and publishes it only when the module set changed.
 * Old tables are never unmapped (a reader, maybe stopped mid-lookup, may
 * still use one): one leaked table per change of the loaded modules.
 */
static _Atomic(struct module_table *) current;
static pthread_mutex_t refresh_lock = PTHREAD_MUTEX_INITIALIZER;
static struct module_table scratch; /* under refresh_lock */

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct module_table *t = arg;
	if (t->n == MAX_MODULES)
		return 1;
	struct module *m = &t->m[t->n];
	*m = (struct module){ 0 };
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t at = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_GNU_EH_FRAME)
			m->hdr = at;
		else if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && m->nsegs < MAX_SEGS) {
			m->lo[m->nsegs] = at;
			m->hi[m->nsegs++] = at + ph->p_memsz;
		}
	}
	if (m->nsegs > 0)
		t->n++;
	return 0;
}

static size_t table_bytes(int n)
{
	return offsetof(struct module_table, m) + (size_t)n * sizeof(struct module);
}

void goro__ehframe_refresh(void)
{
	pthread_mutex_lock(&refresh_lock);
	scratch.n = 0;
	dl_iterate_phdr(add_module, &scratch);
	struct module_table *cur = atomic_load(&current);
	if (!cur || cur->n != scratch.n || memcmp(cur, &scratch, table_bytes(scratch.n)) != 0) {
		void *p = mmap(NULL, table_bytes(scratch.n), PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED) {
			memcpy(p, &scratch, table_bytes(scratch.n));
			atomic_store(&current, (struct module_table *)p);
		}
	}
	pthread_mutex_unlock(&refresh_lock);
}

static const struct module *module_of(uintptr_t pc)
{
	const struct module_table *t = atomic_load(&current);
	for (int i = 0; t && i < t->n; i++)
		for (int s = 0; s < t->m[i].nsegs; s++)
			if (pc >= t->m[i].lo[s] && pc < t->m[i].hi[s])
				return &t->m[i];
	return NULL;
}

bool goro__ehframe_is_code(uintptr_t pc)
{
	return module_of(pc) != NULL;
}

/* ---- reading encoded values ------------------------------------------ */

struct reader {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t uleb(struct reader *r)
{
	uint64_t v = 0;
	for (int shift = 0; r->p < r->end; shift += 7) {
		uint8_t b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static int64_t sleb(struct reader *r)
{
	int64_t v = 0;
	int shift = 0;
	uint8_t b = 0x80;
	while (r->p < r->end && (b & 0x80)) {
		b = *r->p++;
		if (shift < 64)
			v |= (int64_t)(b & 0x7f) << shift;
		shift += 7;
	}
	if (b & 0x80)
		r->bad = true;
	else if (shift < 64 && (b & 0x40))
		v |= -((int64_t)1 << shift);
	return v;
}

static uint64_t fixed(struct reader *r, int n)
{
	if (r->end - r->p < n) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	memcpy(&v, r->p, (size_t)n);
	r->p += n;
	return v;
}

enum { PE_OMIT = 0xff, PE_PCREL = 0x10, PE_DATAREL = 0x30, PE_INDIRECT = 0x80 };

/* A pointer in encoding enc; datarel is relative to base (the hdr). */
static uintptr_t encoded(struct reader *r, uint8_t enc, uintptr_t base)
{
	if (enc == PE_OMIT)
		return 0;
	uintptr_t at = (uintptr_t)r->p;
	uint64_t v;
	switch (enc & 0x0f) {
	case 0x00: v = fixed(r, 8); break;
	case 0x01: v = uleb(r); break;
	case 0x02: v = fixed(r, 2); break;
	case 0x03: v = fixed(r, 4); break;
	case 0x04: v = fixed(r, 8); break;
	case 0x09: v = (uint64_t)sleb(r); break;
	case 0x0a: v = (uint64_t)(int64_t)(int16_t)fixed(r, 2); break;
	case 0x0b: v = (uint64_t)(int64_t)(int32_t)fixed(r, 4); break;
	case 0x0c: v = fixed(r, 8); break;
	default: r->bad = true; return 0;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case PE_PCREL: v += at; break;
	case PE_DATAREL: v += base; break;
	default: r->bad = true; return 0;
	}
	if (enc & PE_INDIRECT)
		r->bad = true; /* only personality pointers use it: never read */
	return (uintptr_t)v;
}

/* ---- finding the FDE ---------------------------------------------------- */

/* The FDE whose function starts at or below pc (the hdr's sorted table). */
static const uint8_t *search_hdr(uintptr_t hdr, uintptr_t pc)
{
	const uint8_t *h = (const uint8_t *)hdr;
	if (h[0] != 1)
		return NULL;
	uint8_t ptr_enc = h[1], count_enc = h[2], table_enc = h[3];
	struct reader r = { h + 4, h + 64, false };
	encoded(&r, ptr_enc, hdr); /* .eh_frame itself: not needed */
	uintptr_t count = encoded(&r, count_enc, hdr);
	/* The table must be datarel sdata4 pairs for a binary search. */
	if (r.bad || table_enc != (PE_DATAREL | 0x0b) || count == 0)
		return NULL;
	const int32_t *tab = (const int32_t *)r.p;
	size_t lo = 0, hi = count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)(hdr + (intptr_t)tab[2 * mid]) <= pc)
			lo = mid;
		else
			hi = mid;
	}
	if ((uintptr_t)(hdr + (intptr_t)tab[2 * lo]) > pc)
		return NULL;
	return (const uint8_t *)(hdr + (intptr_t)tab[2 * lo + 1]);
}

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint8_t fde_enc;
	bool has_z, signal;
	const uint8_t *insns, *end;
};

/* Reads a CIE or FDE header: its length and where its body starts. */
static bool entry_bounds(const uint8_t *e, const uint8_t **body, const uint8_t **end)
{
	uint32_t len32;
	memcpy(&len32, e, 4);
	if (len32 == 0 || len32 == 0xffffffff)
		return false; /* a terminator, or 64-bit DWARF (never in .eh_frame) */
	*body = e + 4;
	*end = e + 4 + len32;
	return true;
}

static bool parse_cie(const uint8_t *e, struct cie *c)
{
	const uint8_t *body, *end;
	if (!entry_bounds(e, &body, &end))
		return false;
	struct reader r = { body, end, false };
	if (fixed(&r, 4) != 0)
		return false; /* not a CIE */
	uint8_t version = (uint8_t)fixed(&r, 1);
	const char *aug = (const char *)r.p;
	size_t auglen = strnlen(aug, (size_t)(r.end - r.p));
	r.p += auglen + 1;
	*c = (struct cie){ .fde_enc = 0 };
	c->code_align = uleb(&r);
	c->data_align = sleb(&r);
	if (version == 1)
		fixed(&r, 1);
	else
		uleb(&r); /* return address column: 16 on x86-64 */
	const uint8_t *aug_end = NULL;
	for (size_t i = 0; i < auglen && !r.bad; i++) {
		switch (aug[i]) {
		case 'z': {
			uint64_t n = uleb(&r);
			c->has_z = true;
			aug_end = r.p + n;
			break;
		}
		case 'R': c->fde_enc = (uint8_t)fixed(&r, 1); break;
		case 'L': fixed(&r, 1); break;
		case 'P': {
			uint8_t enc = (uint8_t)fixed(&r, 1);
			encoded(&r, (uint8_t)(enc & ~PE_INDIRECT), 0);
			break;
		}
		case 'S': c->signal = true; break;
		case 'B': break;
		default:
			if (!aug_end)
				return false; /* unknown augmentation without 'z' */
			i = auglen;
			break;
		}
	}
	if (aug_end)
		r.p = aug_end;
	c->insns = r.p;
	c->end = end;
	return !r.bad && r.p <= end;
}

struct fde {
	uintptr_t lo, hi;
	const uint8_t *insns, *end;
};

static bool parse_fde(const uint8_t *e, struct cie *c, struct fde *f)
{
	const uint8_t *body, *end;
	if (!entry_bounds(e, &body, &end))
		return false;
	struct reader r = { body, end, false };
	uint32_t cie_off = (uint32_t)fixed(&r, 4);
	if (cie_off == 0 || !parse_cie(body - cie_off, c))
		return false;
	f->lo = encoded(&r, c->fde_enc, 0);
	f->hi = f->lo + encoded(&r, (uint8_t)(c->fde_enc & 0x0f), 0);
	if (c->has_z)
		r.p += uleb(&r);
	f->insns = r.p;
	f->end = end;
	return !r.bad && r.p <= end;
}

/* ---- running the CFA programs ----------------------------------------- */

enum rule_kind { RK_SAME, RK_UNDEF, RK_OFFSET, RK_OTHER };

struct reg_rule {
	uint8_t kind;
	int32_t off;
};

struct row {
	int cfa_reg;       /* -1: an expression */
	int64_t cfa_off;
	struct reg_rule regs[NREGS];
};

struct machine {
	struct row row, initial;
	struct row stack[MAX_REMEMBER];
	int depth;
	const struct cie *cie;
	uintptr_t loc, target;
	bool bad;
};

static void set_rule(struct machine *m, uint64_t reg, uint8_t kind, int64_t off)
{
	if (reg >= NREGS)
		return; /* vector registers: never needed here */
	m->row.regs[reg] = (struct reg_rule){ kind, (int32_t)off };
	if (off != (int32_t)off)
		m->row.regs[reg].kind = RK_OTHER;
}

static void restore_reg(struct machine *m, uint64_t reg)
{
	if (reg < NREGS)
		m->row.regs[reg] = m->initial.regs[reg];
}

/* Advances the location; false once it passes the target (stop). */
static bool advance(struct machine *m, uint64_t delta)
{
	m->loc += delta * m->cie->code_align;
	return m->loc <= m->target;
}

static bool step_primary(struct machine *m, uint8_t op, struct reader *r)
{
	uint8_t low = op & 0x3f;
	switch (op & 0xc0) {
	case 0x40: return advance(m, low);
	case 0x80: set_rule(m, low, RK_OFFSET, (int64_t)uleb(r) * m->cie->data_align); return true;
	case 0xc0: restore_reg(m, low); return true;
	default: return true;
	}
}

/* One extended instruction; false once past the target. */
static bool step_extended(struct machine *m, uint8_t op, struct reader *r)
{
	uint64_t reg;
	switch (op) {
	case 0x00: break;                                            /* nop */
	case 0x01: m->loc = encoded(r, m->cie->fde_enc, 0); return m->loc <= m->target;
	case 0x02: return advance(m, fixed(r, 1));
	case 0x03: return advance(m, fixed(r, 2));
	case 0x04: return advance(m, fixed(r, 4));
	case 0x05: reg = uleb(r); set_rule(m, reg, RK_OFFSET, (int64_t)uleb(r) * m->cie->data_align); break;
	case 0x06: restore_reg(m, uleb(r)); break;
	case 0x07: set_rule(m, uleb(r), RK_UNDEF, 0); break;
	case 0x08: set_rule(m, uleb(r), RK_SAME, 0); break;
	case 0x09: reg = uleb(r); uleb(r); set_rule(m, reg, RK_OTHER, 0); break;
	case 0x0a:
		if (m->depth == MAX_REMEMBER)
			m->bad = true;
		else
			m->stack[m->depth++] = m->row;
		break;
	case 0x0b:
		if (m->depth == 0)
			m->bad = true;
		else
			m->row = m->stack[--m->depth];
		break;
	case 0x0c: m->row.cfa_reg = (int)uleb(r); m->row.cfa_off = (int64_t)uleb(r); break;
	case 0x0d: m->row.cfa_reg = (int)uleb(r); break;
	case 0x0e: m->row.cfa_off = (int64_t)uleb(r); break;
	case 0x0f: m->row.cfa_reg = -1; r->p += uleb(r); break;
	case 0x10: reg = uleb(r); r->p += uleb(r); set_rule(m, reg, RK_OTHER, 0); break;
	case 0x11: reg = uleb(r); set_rule(m, reg, RK_OFFSET, sleb(r) * m->cie->data_align); break;
	case 0x12: m->row.cfa_reg = (int)uleb(r); m->row.cfa_off = sleb(r) * m->cie->data_align; break;
	case 0x13: m->row.cfa_off = sleb(r) * m->cie->data_align; break;
	case 0x14: reg = uleb(r); uleb(r); set_rule(m, reg, RK_OTHER, 0); break;
	case 0x15: reg = uleb(r); sleb(r); set_rule(m, reg, RK_OTHER, 0); break;
	case 0x16: reg = uleb(r); r->p += uleb(r); set_rule(m, reg, RK_OTHER, 0); break;
	case 0x2e: uleb(r); break;                                    /* GNU_args_size */
	case 0x2f: reg = uleb(r); set_rule(m, reg, RK_OFFSET, -(int64_t)uleb(r) * m->cie->data_align); break;
	default: m->bad = true; break;
	}
	return true;
}

/* Runs insns [p, end) while the location stays at or below the target. */
static void run(struct machine *m, const uint8_t *p, const uint8_t *end)
{
	struct reader r = { p, end, false };
	while (r.p < r.end && !m->bad && !r.bad) {
		uint8_t op = *r.p++;
		bool more = (op & 0xc0) ? step_primary(m, op, &r) : step_extended(m, op, &r);
		if (!more)
			return;
	}
	if (r.bad)
		m->bad = true;
}

static const int saved_regno[GORO_CFI_NSAVED] = {
	[GORO_CFI_RBP] = DW_RBP, [GORO_CFI_RBX] = DW_RBX,
	[GORO_CFI_R12] = 12,     [GORO_CFI_R13] = 13,
	[GORO_CFI_R14] = 14,     [GORO_CFI_R15] = 15,
};

/* The row's shape as a goro_cfi_rule (kind OTHER when it has none). */
static void to_rule(const struct row *w, bool signal, struct goro_cfi_rule *out)
{
	*out = (struct goro_cfi_rule){ .kind = GORO_CFI_OTHER };
	if (signal || (w->cfa_reg != DW_RSP && w->cfa_reg != DW_RBP) ||
	    w->cfa_off != (int32_t)w->cfa_off)
		return;
	const struct reg_rule *ra = &w->regs[DW_RA];
	if (ra->kind == RK_UNDEF) {
		out->kind = GORO_CFI_END;
		return;
	}
	if (ra->kind != RK_OFFSET)
		return;
	for (int i = 0; i < GORO_CFI_NSAVED; i++) {
		const struct reg_rule *s = &w->regs[saved_regno[i]];
		if (s->kind == RK_OTHER || (s->kind == RK_OFFSET && s->off == 0))
			return;
		out->saved[i] = s->kind == RK_OFFSET ? s->off : 0;
	}
	out->cfa_from_rbp = w->cfa_reg == DW_RBP;
	out->cfa_off = (int32_t)w->cfa_off;
	out->ra_off = ra->off;
	out->kind = GORO_CFI_STEP;
}

bool goro__ehframe_rule(uintptr_t pc, struct goro_cfi_rule *rule, uintptr_t *fde_lo,
                        uintptr_t *fde_hi)
{
	*rule = (struct goro_cfi_rule){ .kind = GORO_CFI_OTHER };
	const struct module *mod = module_of(pc);
	if (!mod || !mod->hdr)
		return false;
	const uint8_t *e = search_hdr(mod->hdr, pc);
	struct cie cie;
	struct fde fde;
	if (!e || !parse_fde(e, &cie, &fde) || pc < fde.lo || pc >= fde.hi)
		return false;
	struct machine m = { .cie = &cie, .loc = fde.lo, .target = pc };
	m.row.cfa_reg = -1;
	run(&m, cie.insns, cie.end);
	m.initial = m.row;
	m.loc = fde.lo;
	run(&m, fde.insns, fde.end);
	*fde_lo = fde.lo;
	*fde_hi = fde.hi;
	if (!m.bad)
		to_rule(&m.row, cie.signal, rule);
	return true;
}
