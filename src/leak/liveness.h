/*
 * liveness.h — which words of a stack frame can still be read.
 *
 * A conservative scan treats every stack word as a reference; in optimised
 * code many of them are dead (a callee-saved register's old value that its
 * frame never reads again, a slot of an inlined function that has
 * returned) and keep leaked goroutines "reachable".  Go's compiler emits
 * stack maps; C compilers do not, so goro derives the same facts from the
 * machine code: from a frame's resume pc, every path through the
 * function is decoded and a backward dataflow finds the stack slots and
 * callee-saved registers that some path reads before it writes them.
 *
 * Soundness rests on the analysis being conservative wherever it cannot
 * see: an instruction whose effect it does not model reads everything, an
 * indirect jump (a switch table) or an unknown stack pointer gives up on
 * the frame (every word live), and taking a frame slot's address (lea,
 * mov from rsp/rbp) reads every slot from there up — the object's bytes
 * may be read through the pointer later.  A pointer into a frame that was
 * made *before* the resume pc and is still held somewhere live is caught
 * by the marker instead: it reaches the frame from that address up.
 * Assumptions (see docs/architecture.md): a callee reads only its
 * arguments' registers, memory reachable from them and its own stack
 * arguments, which compilers store after the previous call returned.
 *
 * Descriptors depend on the pc and the frame's stack offset only, so they
 * are computed once and cached (livecache.c).  Nothing here allocates or
 * locks: it runs with the world stopped or in the snapshot process.
 */
#ifndef GORO_LEAK_LIVENESS_H
#define GORO_LEAK_LIVENESS_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include "trace/cfi.h"

/* Words tracked per frame: the frame's region [sp, CFA) up to 16 KiB and
 * 8 words above the CFA (stack arguments the frame reads). */
enum { GORO_LIVE_WORDS = 2048 + 64, GORO_LIVE_ABOVE = 8 };

enum goro_live_status {
	GORO_LIVE_EXACT = 1, /* bits/use/thru are the analysis' answer */
	GORO_LIVE_ALL,       /* could not tell: every word and register live */
};

/* Why a frame is GORO_LIVE_ALL (GORO_LEAK_DEBUG says). */
enum goro_live_why {
	GORO_LIVE_WHY_NONE,
	GORO_LIVE_WHY_FRAME_SIZE,     /* frame beyond the window (16 KiB) */
	GORO_LIVE_WHY_RSP_UNKNOWN,    /* a stack access after rsp moved by an unknown amount */
	GORO_LIVE_WHY_DEPTHS_MEET,    /* two paths reach an instruction at different depths */
	GORO_LIVE_WHY_TOO_BIG,        /* more instructions than the analysis keeps */
	GORO_LIVE_WHY_UNDECODABLE,    /* an instruction capstone cannot decode, or not code */
	GORO_LIVE_WHY_INDIRECT_JUMP,  /* a jump through a register or memory (a switch table) */
};

struct goro_frame_live {
	uint8_t status;
	uint8_t why;       /* GORO_LIVE_ALL: enum goro_live_why */
	uintptr_t where;   /* ... at this instruction */
	uint8_t use_regs;  /* GORO_CFI_* bits: callee-saved registers read before written */
	uint8_t thru_regs; /* ... that reach a return unwritten (the caller's value) */
	int16_t lo_word;   /* CFA-relative index (in words) of bit 0: the frame's sp */
	uint16_t nwords;
	uint64_t bits[GORO_LIVE_WORDS / 64];
};

static inline bool goro__live_word(const struct goro_frame_live *l, int word)
{
	int i = word - l->lo_word;
	if (i < 0 || i >= l->nwords)
		return false;
	return (l->bits[i / 64] >> (i % 64)) & 1;
}

/*
 * Computes the descriptor of the frame resuming at pc (a return address,
 * or the exact pc of frame 0) whose sp is CFA + rsp_off; rbp holds
 * CFA + rbp_off when the frame uses it as its frame pointer (rbp_fp).
 * [fn_lo, fn_hi) is the code the frame's FDE covers.  Per architecture
 * (src/arch/liveness_<arch>.c).
 */
GORO_HIDDEN void goro__arch_frame_liveness(uintptr_t pc, int32_t rsp_off, bool rbp_fp,
                                           int32_t rbp_off, uintptr_t fn_lo,
                                           uintptr_t fn_hi, struct goro_frame_live *out);

/* Prepares the decoder (allocates: call before any stop). */
GORO_HIDDEN bool goro__arch_liveness_init(void);

#endif /* GORO_LEAK_LIVENESS_H */
