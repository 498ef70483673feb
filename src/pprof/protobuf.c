/*
 * protobuf.c — protocol-buffers wire format, written by hand.
 *
 * Wire facts used: a field key is the varint (field << 3 | wire type);
 * wire type 0 = varint, 2 = length-delimited (strings, nested messages,
 * packed repeated scalars).  Varints are little-endian base-128 with the
 * high bit of each byte meaning "more bytes follow"; an int64 is encoded
 * as its two's-complement uint64.
 */
#include <stdlib.h>
#include <string.h>

#include "pprof/protobuf.h"

enum { WIRE_VARINT = 0, WIRE_BYTES = 2 };
enum { MAX_VARINT = 10 }; /* bytes in the longest 64-bit varint */

/* Room for n more bytes; false (and failed set) when memory ran out. */
static bool reserve(struct goro_pb *b, size_t n)
{
	if (b->failed)
		return false;
	if (b->len + n <= b->cap)
		return true;
	size_t ncap = b->cap ? b->cap : 4096;
	while (ncap < b->len + n)
		ncap *= 2;
	uint8_t *nbuf = realloc(b->buf, ncap);
	if (nbuf == NULL) {
		b->failed = true;
		return false;
	}
	b->buf = nbuf;
	b->cap = ncap;
	return true;
}

/* Encodes v into out (MAX_VARINT bytes of room); returns its length. */
static size_t encode_varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static void put_varint(struct goro_pb *b, uint64_t v)
{
	if (reserve(b, MAX_VARINT))
		b->len += encode_varint(b->buf + b->len, v);
}

static void put_key(struct goro_pb *b, int field, int wire)
{
	put_varint(b, (uint64_t)field << 3 | (uint64_t)wire);
}

void goro__pb_free(struct goro_pb *b)
{
	free(b->buf);
	*b = (struct goro_pb){ 0 };
}

void goro__pb_uint64(struct goro_pb *b, int field, uint64_t v)
{
	if (v == 0)
		return;
	put_key(b, field, WIRE_VARINT);
	put_varint(b, v);
}

void goro__pb_int64(struct goro_pb *b, int field, int64_t v)
{
	goro__pb_uint64(b, field, (uint64_t)v);
}

void goro__pb_bool(struct goro_pb *b, int field, bool v)
{
	goro__pb_uint64(b, field, v ? 1 : 0);
}

void goro__pb_string(struct goro_pb *b, int field, const char *s)
{
	size_t n = strlen(s);

	put_key(b, field, WIRE_BYTES);
	put_varint(b, n);
	if (reserve(b, n)) {
		memcpy(b->buf + b->len, s, n);
		b->len += n;
	}
}

void goro__pb_packed_uint64(struct goro_pb *b, int field, const uint64_t *v,
                            int n)
{
	if (n == 0)
		return;
	size_t mark = goro__pb_begin(b);
	for (int i = 0; i < n; i++)
		put_varint(b, v[i]);
	goro__pb_end(b, field, mark);
}

size_t goro__pb_begin(struct goro_pb *b)
{
	return b->len;
}

/*
 * The body [mark, len) is already written; slide it right by the size of
 * key + length and write those in the gap.  Profile messages are small
 * (a Location, a Sample), so the move is cheap.
 */
void goro__pb_end(struct goro_pb *b, int field, size_t mark)
{
	uint8_t head[2 * MAX_VARINT];
	size_t body = b->len - mark;
	size_t n = encode_varint(head, (uint64_t)field << 3 | WIRE_BYTES);

	n += encode_varint(head + n, body);
	if (!reserve(b, n))
		return;
	memmove(b->buf + mark + n, b->buf + mark, body);
	memcpy(b->buf + mark, head, n);
	b->len += n;
}
