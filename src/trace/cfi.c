/*
 * cfi.c — x86-64 call-frame rules, memoised per pc.
 *
 * The rules come from ehframe.c, which reads .eh_frame itself (no libdw,
 * no allocation): one reader of call-frame information for the unwinder
 * and the leak detector alike.  A pc in no known module may belong to a
 * module loaded since the last look: the module list is refreshed once
 * before giving up on it.
 *
 * The cache (pccache.h) is guarded by the Dwfl session lock.
 */
#include "trace/cfi.h"
#include "trace/dwfl_session.h"
#include "trace/ehframe.h"
#include "trace/pccache.h"

struct cached_rule {
	uintptr_t pc;
	struct goro_cfi_rule rule;
};

static struct goro_pccache cache = GORO_PCCACHE_INIT(struct cached_rule);

static void compute(uintptr_t pc, struct goro_cfi_rule *r)
{
	uintptr_t lo, hi;
	if (goro__ehframe_rule(pc, r, &lo, &hi) || goro__ehframe_is_code(pc))
		return;
	goro__ehframe_refresh();
	goro__ehframe_rule(pc, r, &lo, &hi);
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
			compute(pc, &c->rule);
		*out = c->rule;
	} else {
		compute(pc, out);
	}
	goro__dwfl_unlock();
}
