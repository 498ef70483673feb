/*
 * srcpath.h — source file names as Go prints them: absolute and clean.
 */
#ifndef GORO_TRACE_SRCPATH_H
#define GORO_TRACE_SRCPATH_H

#include "trace/trace.h"

/*
 * The display path of a line-table file name: a relative name is joined
 * to the compilation directory (when that is absolute), then "." and ".."
 * components and repeated slashes are removed lexically, like Go's
 * path.Clean.  Returns a malloc'd string, or NULL when out of memory.
 */
GORO_HIDDEN char *goro__source_path(const char *file, const char *comp_dir);

#endif /* GORO_TRACE_SRCPATH_H */
