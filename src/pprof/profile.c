/*
 * profile.c — goroutine count profiles as gzip'd perftools.profiles.Profile
 * (pprof ?debug=0), the format `go tool pprof` reads.
 *
 * Shape, as runtime/pprof's count profiles:
 *   sample_type = period_type = (NAME, "count"), period = 1;
 *   one Sample per distinct stack, location ids leaf first, value = count;
 *   one Location per call pc (Go's Frame.PC: the return address - 1), with
 *   one Line; one Function per (name, file); Mappings from
 *   /proc/self/maps, marked symbolized (has_functions/filenames/line
 *   numbers) because every Location carries its Line already, so pprof
 *   never needs the binary.
 * Hidden frames are left out of Samples unless a stack has nothing else,
 * as in debug=1.  Ids are dense from 1; string_table[0] is "".
 */
#include <stdlib.h>
#include <time.h>

#include "pprof/gzip.h"
#include "pprof/idmap.h"
#include "pprof/mappings.h"
#include "pprof/protobuf.h"
#include "pprof/strtab.h"
#include "trace/frames.h"
#include "trace/stacks.h"
#include "trace/trace.h"

/* Field numbers of google/pprof's proto/profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
};
enum { VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2 };
enum {
	MAPPING_ID = 1,
	MAPPING_START = 2,
	MAPPING_LIMIT = 3,
	MAPPING_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
};
enum {
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
};
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum {
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

/*
 * Everything one profile needs while it is encoded.  Messages are written
 * to pb as soon as they are complete; a Function or Location is written the
 * first time an id is handed out for it, always at the top level (never
 * inside an open message).  failed: some allocation failed, give up.
 */
struct builder {
	struct goro_pb pb;
	struct goro_strtab strs;
	struct goro_idmap locs;  /* call pc -> Location id */
	struct goro_idmap funcs; /* (interned name, interned file) -> id */
	struct goro_mappings maps;
	bool failed;
};

static int64_t str(struct builder *b, const char *s)
{
	int64_t i = goro__strtab_index(&b->strs, s);

	if (i < 0)
		b->failed = true;
	return i < 0 ? 0 : i;
}

static void value_type(struct builder *b, int field, const char *type,
                       const char *unit)
{
	size_t m = goro__pb_begin(&b->pb);
	goro__pb_int64(&b->pb, VALUETYPE_TYPE, str(b, type));
	goro__pb_int64(&b->pb, VALUETYPE_UNIT, str(b, unit));
	goro__pb_end(&b->pb, field, m);
}

/* The Function id of s, writing the Function on first use. */
static uint64_t function_id(struct builder *b, const struct goro_sym *s)
{
	bool added;
	uint64_t id = goro__idmap_get(&b->funcs, (uintptr_t)s->func,
	                              (uintptr_t)s->file, &added);

	if (id == 0)
		b->failed = true;
	if (!added)
		return id;
	size_t m = goro__pb_begin(&b->pb);
	goro__pb_uint64(&b->pb, FUNCTION_ID, id);
	goro__pb_int64(&b->pb, FUNCTION_NAME, str(b, s->func));
	goro__pb_int64(&b->pb, FUNCTION_SYSTEM_NAME, str(b, s->func));
	goro__pb_int64(&b->pb, FUNCTION_FILENAME, str(b, s->file));
	if (s->start_line > 0) /* DWARF's first line of the function */
		goro__pb_int64(&b->pb, FUNCTION_START_LINE, s->start_line);
	goro__pb_end(&b->pb, PROFILE_FUNCTION, m);
	return id;
}

/* The Location id of call pc `addr`, writing the Location on first use. */
static uint64_t location_id(struct builder *b, uintptr_t addr,
                            const struct goro_sym *s, bool known)
{
	bool added;
	uint64_t id = goro__idmap_get(&b->locs, addr, 0, &added);

	if (id == 0)
		b->failed = true;
	if (!added)
		return id;
	/* An unknown pc gets an address-only Location, like Go's. */
	uint64_t fid = known ? function_id(b, s) : 0;
	int mapping = goro__mappings_find(&b->maps, addr);

	size_t m = goro__pb_begin(&b->pb);
	goro__pb_uint64(&b->pb, LOCATION_ID, id);
	goro__pb_uint64(&b->pb, LOCATION_MAPPING_ID, (uint64_t)(mapping + 1));
	goro__pb_uint64(&b->pb, LOCATION_ADDRESS, addr);
	if (fid != 0) {
		size_t l = goro__pb_begin(&b->pb);
		goro__pb_uint64(&b->pb, LINE_FUNCTION_ID, fid);
		goro__pb_int64(&b->pb, LINE_LINE, s->line);
		goro__pb_end(&b->pb, LOCATION_LINE, l);
	}
	goro__pb_end(&b->pb, PROFILE_LOCATION, m);
	return id;
}

static void sample(struct builder *b, const struct goro_stackgroup *grp)
{
	const struct goro_gsnap *g = grp->g;
	uint64_t locs[GORO_MAX_FRAMES];
	struct goro_vframe f[GORO_MAX_FRAMES];
	/* The blocking call as the leaf, then the user's frames (frames.h). */
	int n = goro__visible_frames(g, true, f, GORO_MAX_FRAMES);

	/* Ids first: they may write Locations, which must not nest. */
	for (int i = 0; i < n; i++)
		locs[i] = location_id(b, f[i].pc, &f[i].sym, f[i].known);
	uint64_t value = (uint64_t)grp->count;
	size_t m = goro__pb_begin(&b->pb);
	goro__pb_packed_uint64(&b->pb, SAMPLE_LOCATION_ID, locs, n);
	goro__pb_packed_uint64(&b->pb, SAMPLE_VALUE, &value, 1);
	goro__pb_end(&b->pb, PROFILE_SAMPLE, m);
}

static void mapping(struct builder *b, int i)
{
	const struct goro_mapping *mp = &b->maps.m[i];
	size_t m = goro__pb_begin(&b->pb);

	goro__pb_uint64(&b->pb, MAPPING_ID, (uint64_t)i + 1);
	goro__pb_uint64(&b->pb, MAPPING_START, mp->start);
	goro__pb_uint64(&b->pb, MAPPING_LIMIT, mp->limit);
	goro__pb_uint64(&b->pb, MAPPING_OFFSET, mp->offset);
	goro__pb_int64(&b->pb, MAPPING_FILENAME, str(b, mp->file));
	goro__pb_int64(&b->pb, MAPPING_BUILD_ID, str(b, mp->build_id));
	goro__pb_bool(&b->pb, MAPPING_HAS_FUNCTIONS, true);
	goro__pb_bool(&b->pb, MAPPING_HAS_FILENAMES, true);
	goro__pb_bool(&b->pb, MAPPING_HAS_LINE_NUMBERS, true);
	goro__pb_end(&b->pb, PROFILE_MAPPING, m);
}

static int64_t now_nanos(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Encodes the whole Profile into b->pb. */
static void build(struct builder *b, const char *name,
                  const struct goro_gsnap *g, int n, const char *note)
{
	struct goro_stackgroup *groups;
	int ngroups = goro__group_stacks(g, n, &groups);

	if (ngroups < 0 || goro__mappings_read(&b->maps) != 0) {
		b->failed = true;
		if (ngroups >= 0)
			free(groups);
		return;
	}
	value_type(b, PROFILE_SAMPLE_TYPE, name, "count");
	value_type(b, PROFILE_PERIOD_TYPE, name, "count");
	goro__pb_int64(&b->pb, PROFILE_PERIOD, 1);
	goro__pb_int64(&b->pb, PROFILE_TIME_NANOS, now_nanos());
	/* duration_nanos stays 0 (absent): a snapshot, not an interval. */
	if (note) /* `go tool pprof -comments` shows it */
		goro__pb_int64(&b->pb, PROFILE_COMMENT, str(b, note));
	for (int i = 0; i < ngroups; i++)
		sample(b, &groups[i]);
	free(groups);
	for (int i = 0; i < b->maps.n; i++)
		mapping(b, i);
	/* Last: every string above must already have its index. */
	for (size_t i = 0; i < b->strs.n; i++)
		goro__pb_string(&b->pb, PROFILE_STRING_TABLE, b->strs.strs[i]);
}

int goro__fmt_proto_note(FILE *out, const char *name, const struct goro_gsnap *g,
                         int n, const char *note)
{
	struct builder b = { 0 };
	int rc = -1;

	build(&b, name, g, n, note);
	if (!b.failed && !b.pb.failed)
		rc = goro__gzip_write(out, b.pb.buf, b.pb.len);
	goro__pb_free(&b.pb);
	goro__strtab_free(&b.strs);
	goro__idmap_free(&b.locs);
	goro__idmap_free(&b.funcs);
	goro__mappings_free(&b.maps);
	return rc;
}
