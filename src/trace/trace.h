/*
 * trace.h — stacks of goroutines and Go's output formats (internal).
 *
 * Pipeline: the scheduler fills one goro_gsnap per goroutine (registers of a
 * parked goroutine -> unwound program counters), then a formatter turns an
 * array of snapshots into one of Go's formats:
 *   debug=2  runtime.Stack(all) style dump        (goro__fmt_debug2)
 *   debug=1  aggregated "N @ 0x.." text profile    (goro__fmt_debug1)
 *   debug=0  gzip'd perftools.profiles.Profile     (goro__fmt_proto)
 *   goleak   "found unexpected goroutines:" text   (goro__fmt_goleak)
 *
 * Unwinding and symbolisation allocate (libunwind, libdw): never call them
 * while the world is stopped.
 */
#ifndef GORO_TRACE_H
#define GORO_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define GORO_HIDDEN __attribute__((visibility("hidden")))

/* Registers a parked goroutine saved (x86-64 callee-saved + pc + sp). */
struct goro_regs {
	uintptr_t rip, rsp, rbp, rbx, r12, r13, r14, r15;
};

/* Maximum frames kept per goroutine; deeper stacks are elided like Go's. */
#define GORO_MAX_FRAMES 64

/*
 * Unwinds from saved registers. pcs[0] is regs->rip; later entries are
 * return addresses.  Returns the number of frames stored (<= max); sets
 * *truncated when the stack had more frames than max.
 */
GORO_HIDDEN int goro__unwind_regs(const struct goro_regs *regs, uintptr_t *pcs,
                                  int max, bool *truncated);
/*
 * Unwinds the calling thread's current stack, skipping `skip` frames.
 * Like Go's runtime.Callers, skip counts from goro__unwind_here's own frame:
 * skip 0 keeps it as pcs[0] (an internal frame the formats hide, whose pc
 * symbolises exactly), skip 1 starts at its caller (pcs[0] is then a
 * return address).
 */
GORO_HIDDEN int goro__unwind_here(uintptr_t *pcs, int max, int skip,
                                  bool *truncated);

/* GORO_TRACEBACK=system: goro's own goroutines and internal frames shown
 * in dumps, checks and profiles (Go's GOTRACEBACK=system). */
GORO_HIDDEN bool goro__traceback_system(void);

/* What one program counter means. Strings are interned: valid forever. */
struct goro_sym {
	const char *func;   /* "worker", or "?" when unknown */
	const char *file;   /* "/abs/path/file.c", or "?" */
	int line;           /* 0 when unknown */
	int start_line;     /* the function's first line; 0 when unknown */
	uintptr_t entry;    /* address of the function's first instruction */
	const char *module; /* path of the ELF module, or "?" */
	bool internal;      /* goro runtime / libc start-up frame: hidden */
};

/*
 * Symbolises pc (for a return address pass pc-1; see goro__frame_pc).
 * Cached and thread-safe.  Returns false when nothing is known (out->func
 * is "?" then).
 */
GORO_HIDDEN bool goro__symbolize(uintptr_t pc, struct goro_sym *out);

/* The address to look up for frame i: pcs[0] as is, callers pc-1. */
static inline uintptr_t goro__frame_pc(const uintptr_t *pcs, int i)
{
	return i == 0 ? pcs[0] : pcs[i] - 1;
}

/* One goroutine as the formats see it. */
struct goro_gsnap {
	int64_t id;
	char state[48];       /* "running", "runnable", "chan send", ... */
	bool leaked;          /* print " (leaked)" after the state */
	bool durable;         /* print " (durable)" after the state */
	int64_t bubble_id;    /* > 0: ", synctest bubble N" */
	int64_t wait_minutes; /* >= 1: ", N minutes" */
	int npcs;
	bool truncated;       /* more frames than GORO_MAX_FRAMES */
	uintptr_t pcs[GORO_MAX_FRAMES];
	uintptr_t create_pc;  /* return address of the goro_go call; 0: none */
	int64_t parent_id;    /* goroutine that called goro_go */
	uintptr_t start_pc;   /* the user function it started with; 0: none */
};

/* debug=2: every snapshot, blank line between them (runtime.Stack style). */
GORO_HIDDEN void goro__fmt_debug2(FILE *out, const struct goro_gsnap *g, int n);
/* One goroutine in debug=2 style (header, frames, created by). */
GORO_HIDDEN void goro__fmt_goroutine(FILE *out, const struct goro_gsnap *g);
/* debug=1: "<name> profile: total N" then one entry per distinct stack;
 * a note (NULL: none) follows the header as a "# note" comment line. */
GORO_HIDDEN void goro__fmt_debug1_note(FILE *out, const char *name,
                                       const struct goro_gsnap *g, int n, const char *note);
static inline void goro__fmt_debug1(FILE *out, const char *name, const struct goro_gsnap *g,
                                    int n)
{
	goro__fmt_debug1_note(out, name, g, n, NULL);
}
/* debug=0: gzip'd protobuf, sample type (name, "count"); a note (NULL:
 * none) becomes the Profile's comment.  0 on success. */
GORO_HIDDEN int goro__fmt_proto_note(FILE *out, const char *name,
                                     const struct goro_gsnap *g, int n, const char *note);
static inline int goro__fmt_proto(FILE *out, const char *name, const struct goro_gsnap *g,
                                  int n)
{
	return goro__fmt_proto_note(out, name, g, n, NULL);
}
/* goleak's failure text for n unexpected goroutines. */
GORO_HIDDEN void goro__fmt_goleak(FILE *out, const struct goro_gsnap *g, int n);
/* The first visible (non-internal) frame's function name, "?" if none. */
GORO_HIDDEN const char *goro__top_function(const struct goro_gsnap *g);

#endif /* GORO_TRACE_H */
