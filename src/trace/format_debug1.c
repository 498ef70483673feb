/*
 * format_debug1.c — the legacy text count profile (pprof ?debug=1).
 *
 * Mirrors runtime/pprof's printCountProfile + printStackRecord:
 *
 *   goroutineleak profile: total 3
 *   3 @ 0x4a1b25 0x4a1c09 0x46ee41
 *   #	0x4a1b24	main.worker+0x24	/src/main.go:12
 *
 * The "@" line lists every stored pc (hidden frames included: they are
 * the key).  A frame line gives the call pc (goro__frame_pc, Go's
 * runtime.Frame.PC), the offset of that pc in its function and the
 * position; a pc without a symbol prints as "#\t0xPC".  Go writes all of
 * it through a tabwriter, hence goro__tab_write for the frame lines.
 * Groups come most frequent first, ties in order of first appearance.
 */
#define _GNU_SOURCE /* asprintf */
#include <inttypes.h>
#include <stdlib.h>

#include "trace/frames.h"
#include "trace/stacks.h"
#include "trace/tabalign.h"
#include "trace/trace.h"

/* Text of one frame line; the strings are malloc'd (NULL when unused). */
struct frame_text {
	char *pc, *func, *pos;
};

/* Fills line/text for visible frame f. */
static void frame_line(const struct goro_vframe *f, struct goro_tabline *line,
                       struct frame_text *t)
{
	uintptr_t pc = f->pc;
	const struct goro_sym s = f->sym;
	bool known = f->known;

	*t = (struct frame_text){ 0 };
	if (asprintf(&t->pc, "0x%" PRIxPTR, pc) < 0)
		t->pc = NULL;
	if (!known) {
		*line = (struct goro_tabline){
			.ncells = 1, .cell = { "#" }, .tail = t->pc ? t->pc : "" };
		return;
	}
	if (asprintf(&t->func, "%s+0x%" PRIxPTR, s.func, pc - s.entry) < 0)
		t->func = NULL;
	if (asprintf(&t->pos, "%s:%d", s.file, s.line) < 0)
		t->pos = NULL;
	*line = (struct goro_tabline){
		.ncells = 3,
		.cell = { "#", t->pc ? t->pc : "", t->func ? t->func : "" },
		.tail = t->pos ? t->pos : "",
	};
}

static void print_record(FILE *out, const struct goro_stackgroup *grp)
{
	const struct goro_gsnap *g = grp->g;
	struct goro_tabline lines[GORO_MAX_FRAMES];
	struct frame_text text[GORO_MAX_FRAMES];
	struct goro_vframe f[GORO_MAX_FRAMES];
	/* The blocking call as the leaf, then the user's frames (frames.h). */
	int n = goro__visible_frames(g, true, f, GORO_MAX_FRAMES);

	fprintf(out, "%" PRId64 " @", grp->count);
	for (int i = 0; i < n; i++)
		fprintf(out, " 0x%" PRIxPTR, f[i].stored);
	fputc('\n', out);

	for (int i = 0; i < n; i++)
		frame_line(&f[i], &lines[i], &text[i]);
	goro__tab_write(out, lines, n);
	fputc('\n', out);

	for (int i = 0; i < n; i++) {
		free(text[i].pc);
		free(text[i].func);
		free(text[i].pos);
	}
}

void goro__fmt_debug1_note(FILE *out, const char *name, const struct goro_gsnap *g,
                           int n, const char *note)
{
	struct goro_stackgroup *groups;
	int ngroups = goro__group_stacks(g, n, &groups);

	fprintf(out, "%s profile: total %d\n", name, n);
	if (note) /* a comment line: pprof's legacy-text parser skips it */
		fprintf(out, "# %s\n", note);
	if (ngroups < 0) {
		fputs("# out of memory\n", out);
		return;
	}
	for (int i = 0; i < ngroups; i++)
		print_record(out, &groups[i]);
	free(groups);
}
