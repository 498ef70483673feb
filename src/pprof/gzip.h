/*
 * gzip.h — one buffer, gzip-compressed, to a stdio stream.
 */
#ifndef GORO_PPROF_GZIP_H
#define GORO_PPROF_GZIP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace/trace.h"

/* Writes data[0..len) as one gzip member.  0 on success, -1 on error. */
GORO_HIDDEN int goro__gzip_write(FILE *out, const uint8_t *data, size_t len);

#endif /* GORO_PPROF_GZIP_H */
