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
#include <inttypes.h>

#include "trace/stacks.h"
#include "trace/trace.h"

/* "\tfile:line +0xOFF\n" for a frame whose pc (as stored) is pc. */
static void print_position(FILE *out, const struct goro_sym *s, uintptr_t pc)
{
	fprintf(out, "\t%s:%d", s->file, s->line);
	if (pc > s->entry)
		fprintf(out, " +0x%" PRIxPTR, pc - s->entry);
	fputc('\n', out);
}

static void print_frames(FILE *out, const struct goro_gsnap *g)
{
	bool all = goro__show_all_frames(g);

	for (int i = 0; i < g->npcs; i++) {
		struct goro_sym s;
		goro__symbolize(goro__frame_pc(g->pcs, i), &s);
		if (s.internal && !all)
			continue;
		fprintf(out, "%s()\n", s.func);
		print_position(out, &s, g->pcs[i]);
	}
	if (g->truncated)
		fputs("...additional frames elided...\n", out);
}

/* create_pc is a return address: the goro_go call is the byte before. */
static void print_created_by(FILE *out, const struct goro_gsnap *g)
{
	struct goro_sym s;

	if (g->create_pc == 0)
		return;
	goro__symbolize(g->create_pc - 1, &s);
	fprintf(out, "created by %s", s.func);
	if (g->parent_id != 0)
		fprintf(out, " in goroutine %" PRId64, g->parent_id);
	fputc('\n', out);
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
	fprintf(out, "goroutine %" PRId64 " [%s", g->id, g->state);
	if (g->leaked)
		fputs(" (leaked)", out);
	if (g->durable)
		fputs(" (durable)", out);
	if (g->wait_minutes >= 1)
		fprintf(out, ", %" PRId64 " minutes", g->wait_minutes);
	if (g->bubble_id > 0)
		fprintf(out, ", synctest bubble %" PRId64, g->bubble_id);
	fputs("]:\n", out);
}

void goro__fmt_goroutine(FILE *out, const struct goro_gsnap *g)
{
	print_header(out, g);
	print_body(out, g);
}

void goro__fmt_debug2(FILE *out, const struct goro_gsnap *g, int n)
{
	for (int i = 0; i < n; i++) {
		if (i > 0)
			fputc('\n', out);
		goro__fmt_goroutine(out, &g[i]);
	}
}

const char *goro__top_function(const struct goro_gsnap *g)
{
	for (int i = 0; i < g->npcs; i++) {
		struct goro_sym s;
		goro__symbolize(goro__frame_pc(g->pcs, i), &s);
		if (!s.internal)
			return s.func;
	}
	return "?";
}

/*
 * goleak's Stack.String(): its own header line, then the goroutine's
 * trace without runtime.Stack's header.
 */
void goro__fmt_goleak(FILE *out, const struct goro_gsnap *g, int n)
{
	fputs("found unexpected goroutines:\n", out);
	for (int i = 0; i < n; i++) {
		if (i > 0)
			fputc('\n', out);
		fprintf(out,
		        "Goroutine %" PRId64 " in state %s, with %s on top of "
		        "the stack:\n",
		        g[i].id, g[i].state, goro__top_function(&g[i]));
		print_body(out, &g[i]);
	}
}
