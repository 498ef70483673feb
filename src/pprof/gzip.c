/*
 * gzip.c — zlib deflate with a gzip wrapper (windowBits 15 + 16), the
 * encoding pprof expects of a profile.proto file.
 */
#include <limits.h>
#include <zlib.h>

#include "pprof/gzip.h"

/* Small: this may run on a goroutine's stack. */
enum { CHUNK = 4096 };

int goro__gzip_write(FILE *out, const uint8_t *data, size_t len)
{
	z_stream zs = { 0 };
	unsigned char buf[CHUNK];
	int zrc;

	if (len > UINT_MAX) /* avail_in is a uInt */
		return -1;
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	/* The whole input is handed over at once: profiles fit in memory. */
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = buf;
		zs.avail_out = CHUNK;
		zrc = deflate(&zs, Z_FINISH);
		size_t n = CHUNK - zs.avail_out;
		if (zrc == Z_STREAM_ERROR || fwrite(buf, 1, n, out) != n) {
			deflateEnd(&zs);
			return -1;
		}
	} while (zrc != Z_STREAM_END);
	deflateEnd(&zs);
	return 0;
}
