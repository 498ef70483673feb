/*
 * format_text.c — runtime.Stack-style dumps (debug=2) and goleak's report.
 *
 * Mirrors Go's runtime traceback (runtime/traceback.go):
 *
 *   goroutine 7 [chan send (leaked)]:
 *   main.Gather.func1()
 *   	/tmp/sandbox/main.go:35 +0x37
 *   created by main.Gather in goroutine 1
 *   	/tmp/sandbox/main.go:34 +0x45
 *
 * A frame's file:line comes from the call instruction (goro__frame_pc),
 * its +0xOFF from the pc as stored (the return address for callers), as
 * Go does; Go prints the offset only when the pc is past the entry.
 * Hidden (internal) frames are skipped unless no frame would remain, the
 * fallback Go's traceback has too.  C functions have no printable
 * arguments: frames print "name()".
 */
#define _GNU_SOURCE /* fputs_unlocked */
#include <stdio.h>

#include "trace/frames.h"
#include "trace/trace.h"

/*
 * Output goes through unlocked stdio under one flockfile per public call:
 * a 100,000-goroutine dump spent most of its time in vfprintf and in
 * taking the stream's lock for every piece.
 */
static void put(FILE *out, const char *s)
{
	fputs_unlocked(s, out);
}

/* v in decimal (negative ids never occur, but print them right). */
static void put_dec(FILE *out, int64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	*--p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	put(out, p);
}

static void put_hex(FILE *out, uint64_t v)
{
	char buf[24], *p = buf + sizeof buf;

	*--p = '\0';
	do
		*--p = "0123456789abcdef"[v & 15];
	while ((v >>= 4) != 0);
	*--p = 'x';
	*--p = '0';
	put(out, p);
}

/* "\tfile:line +0xOFF\n" for a frame whose pc (as stored) is pc. */
static void print_position(FILE *out, const struct goro_sym *s, uintptr_t pc)
{
	put(out, "\t");
	put(out, s->file);
	put(out, ":");
	put_dec(out, s->line);
	if (pc > s->entry) {
		put(out, " +");
		put_hex(out, pc - s->entry);
	}
	put(out, "\n");
}

/* The user's frames (frames.h): no blocking-call frame in a traceback,
 * as Go's runtime.Stack shows none of gopark & co. */
static void print_frames(FILE *out, const struct goro_gsnap *g)
{
	struct goro_vframe f[GORO_MAX_FRAMES];
	int n = goro__visible_frames(g, false, f, GORO_MAX_FRAMES);

	for (int i = 0; i < n; i++) {
		put(out, f[i].sym.func);
		put(out, "()\n");
		print_position(out, &f[i].sym, f[i].stored);
	}
	if (g->truncated)
		put(out, "...additional frames elided...\n");
}

/* create_pc is a return address: the goro_go call is the byte before. */
static void print_created_by(FILE *out, const struct goro_gsnap *g)
{
	struct goro_sym s;

	if (g->create_pc == 0)
		return;
	goro__symbolize(g->create_pc - 1, &s);
	put(out, "created by ");
	put(out, s.func);
	if (g->parent_id != 0) {
		put(out, " in goroutine ");
		put_dec(out, g->parent_id);
	}
	put(out, "\n");
	print_position(out, &s, g->create_pc);
}

/* Frames and "created by", the part goleak quotes under its own header. */
static void print_body(FILE *out, const struct goro_gsnap *g)
{
	print_frames(out, g);
	print_created_by(out, g);
}

/* Go's goroutineheader(): markers in this order, minutes before bubble. */
static void print_header(FILE *out, const struct goro_gsnap *g)
{
	put(out, "goroutine ");
	put_dec(out, g->id);
	put(out, " [");
	put(out, g->state);
	if (g->leaked)
		put(out, " (leaked)");
	if (g->durable)
		put(out, " (durable)");
	if (g->wait_minutes >= 1) {
		put(out, ", ");
		put_dec(out, g->wait_minutes);
		put(out, " minutes");
	}
	if (g->bubble_id > 0) {
		put(out, ", synctest bubble ");
		put_dec(out, g->bubble_id);
	}
	put(out, "]:\n");
}

void goro__fmt_goroutine(FILE *out, const struct goro_gsnap *g)
{
	flockfile(out);
	print_header(out, g);
	print_body(out, g);
	funlockfile(out);
}

void goro__fmt_debug2(FILE *out, const struct goro_gsnap *g, int n)
{
	flockfile(out);
	for (int i = 0; i < n; i++) {
		if (i > 0)
			put(out, "\n");
		print_header(out, &g[i]);
		print_body(out, &g[i]);
	}
	funlockfile(out);
}

const char *goro__top_function(const struct goro_gsnap *g)
{
	struct goro_vframe f[1];

	if (goro__visible_frames(g, false, f, 1) == 1 && !f[0].sym.internal)
		return f[0].sym.func;
	return "?";
}

/*
 * goleak's Stack.String(): its own header line, then the goroutine's
 * trace without runtime.Stack's header.
 */
void goro__fmt_goleak(FILE *out, const struct goro_gsnap *g, int n)
{
	flockfile(out);
	put(out, "found unexpected goroutines:\n");
	for (int i = 0; i < n; i++) {
		if (i > 0)
			put(out, "\n");
		put(out, "Goroutine ");
		put_dec(out, g[i].id);
		put(out, " in state ");
		put(out, g[i].state);
		put(out, ", with ");
		put(out, goro__top_function(&g[i]));
		put(out, " on top of the stack:\n");
		print_body(out, &g[i]);
	}
	funlockfile(out);
}
