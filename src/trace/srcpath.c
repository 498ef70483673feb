/*
 * srcpath.c — joining DWARF file names to their compilation directory.
 *
 * GCC records file names relative to the compilation directory
 * ("src/chan/chan.c", "../sysdeps/x86_64/start.S"); a dump should name the
 * file wherever it was read from, as Go's absolute paths do.
 */
#include <stdlib.h>
#include <string.h>

#include "trace/srcpath.h"

/*
 * Cleans an absolute path in place.  The write cursor never passes the
 * read cursor: each kept component is written at most as far right as it
 * was read.
 */
static void clean_absolute(char *p)
{
	char *w = p;
	const char *r = p;

	while (*r != '\0') {
		if (*r == '/') {
			r++;
			continue;
		}
		size_t n = strcspn(r, "/");
		if (n == 2 && r[0] == '.' && r[1] == '.') {
			while (w > p && *--w != '/')
				; /* back to the previous component's slash */
		} else if (!(n == 1 && r[0] == '.')) {
			*w++ = '/';
			memmove(w, r, n);
			w += n;
		}
		r += n;
	}
	if (w == p)
		*w++ = '/';
	*w = '\0';
}

char *goro__source_path(const char *file, const char *comp_dir)
{
	char *path;

	if (file[0] == '/' || comp_dir == NULL || comp_dir[0] != '/') {
		path = strdup(file);
	} else {
		size_t d = strlen(comp_dir), f = strlen(file);
		path = malloc(d + 1 + f + 1);
		if (path != NULL) {
			memcpy(path, comp_dir, d);
			path[d] = '/';
			memcpy(path + d + 1, file, f + 1);
		}
	}
	if (path != NULL && path[0] == '/')
		clean_absolute(path);
	return path;
}
