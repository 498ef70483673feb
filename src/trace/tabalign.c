/*
 * tabalign.c — text/tabwriter's layout for tab-padded columns.
 *
 * tabwriter's model: a column block is a maximal run of consecutive lines
 * that all have a tab-terminated cell in that column; the block's width is
 * its widest cell (in runes) plus the padding, at least minwidth.  With '\t'
 * as pad character the width is rounded up to a multiple of the tab width
 * and a cell is followed by as many tabs as reach that width.  Blocks of
 * column k+1 nest inside blocks of column k; the recursion below follows
 * tabwriter's own format/writeLines split.
 */
#include "trace/tabalign.h"

enum { MINWIDTH = 1, TABWIDTH = 8, PADDING = 1 };

/* tabwriter measures cells in runes: count UTF-8 lead bytes. */
static int rune_width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void pad(FILE *out, int textw, int cellw)
{
	cellw = (cellw + TABWIDTH - 1) / TABWIDTH * TABWIDTH;
	for (int n = (cellw - textw + TABWIDTH - 1) / TABWIDTH; n > 0; n--)
		fputc('\t', out);
}

/* Lines whose every terminated cell has a known width (cells < depth). */
static void write_lines(FILE *out, const struct goro_tabline *l, int from,
                        int to, const int *widths, int depth)
{
	for (int i = from; i < to; i++) {
		for (int j = 0; j < l[i].ncells; j++) {
			fputs(l[i].cell[j], out);
			if (j < depth)
				pad(out, rune_width(l[i].cell[j]), widths[j]);
		}
		fputs(l[i].tail, out);
		fputc('\n', out);
	}
}

static void format(FILE *out, const struct goro_tabline *l, int line0,
                   int line1, int *widths, int depth)
{
	int column = depth;

	for (int this = line0; this < line1; this++) {
		if (column >= l[this].ncells)
			continue;
		/* A block of `column` starts here: flush the lines before it. */
		write_lines(out, l, line0, this, widths, depth);
		line0 = this;
		int width = MINWIDTH;
		for (; this < line1 && column < l[this].ncells; this++) {
			int w = rune_width(l[this].cell[column]) + PADDING;
			if (w > width)
				width = w;
		}
		widths[depth] = width;
		format(out, l, line0, this, widths, depth + 1);
		line0 = this;
	}
	write_lines(out, l, line0, line1, widths, depth);
}

void goro__tab_write(FILE *out, const struct goro_tabline *lines, int n)
{
	int widths[GORO_TAB_MAXCELLS];

	format(out, lines, 0, n, widths, 0);
}
