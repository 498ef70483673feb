/*
 * protobuf.h — a minimal protocol-buffers writer (wire format only).
 *
 * Enough for perftools.profiles.Profile: varint fields, strings, packed
 * repeated varints and nested messages.  Nested messages are written in
 * place and their length prefix is inserted when they end, so no message
 * is built twice.
 */
#ifndef GORO_PPROF_PROTOBUF_H
#define GORO_PPROF_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

/*
 * The encoded bytes so far.  Invariant: len <= cap.  After an allocation
 * failure `failed` is set and every later write is a no-op, so callers
 * check once at the end.
 */
struct goro_pb {
	uint8_t *buf;
	size_t len, cap;
	bool failed;
};

GORO_HIDDEN void goro__pb_free(struct goro_pb *b);

/* Varint fields.  Zero is omitted: proto3 reads an absent field as 0. */
GORO_HIDDEN void goro__pb_uint64(struct goro_pb *b, int field, uint64_t v);
GORO_HIDDEN void goro__pb_int64(struct goro_pb *b, int field, int64_t v);
GORO_HIDDEN void goro__pb_bool(struct goro_pb *b, int field, bool v);

/* A length-delimited string, always written (repeated strings may be ""). */
GORO_HIDDEN void goro__pb_string(struct goro_pb *b, int field, const char *s);

/* A packed repeated varint field (nothing when n == 0). */
GORO_HIDDEN void goro__pb_packed_uint64(struct goro_pb *b, int field,
                                        const uint64_t *v, int n);

/*
 * Nested message: goro__pb_begin() returns a mark, the message's fields
 * follow, goro__pb_end() puts the field key and length in front of them.
 */
GORO_HIDDEN size_t goro__pb_begin(struct goro_pb *b);
GORO_HIDDEN void goro__pb_end(struct goro_pb *b, int field, size_t mark);

#endif /* GORO_PPROF_PROTOBUF_H */
