/*
 * mappings.c — executable mappings and their GNU build ids.
 *
 * Ranges, offsets and paths come from /proc/self/maps (what Go's runtime
 * reports too).  Build ids come from the PT_NOTE segments of the loaded
 * objects (dl_iterate_phdr): they are in memory already, so no file is
 * opened; pprof uses them to match the profile to binaries later.
 */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <elf.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprof/mappings.h"

/* ---- build ids --------------------------------------------------------- */

/* What the dl_iterate_phdr callback looks for: the object one of whose
 * segments overlaps the mapping [lo, hi). */
struct build_id_query {
	uintptr_t lo, hi;
	char *hex; /* out: sizeof goro_mapping.build_id bytes */
};

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

/* Hex build id from one PT_NOTE segment; true when found. */
static bool note_build_id(const uint8_t *p, size_t size, size_t align,
                          char *hex, size_t hexsz)
{
	const uint8_t *end = p + size;

	while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
		const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
		const uint8_t *name = p + sizeof *nh;
		const uint8_t *desc = name + align_up(nh->n_namesz, align);
		const uint8_t *next = desc + align_up(nh->n_descsz, align);
		if (next > end || next <= p)
			return false;
		if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
		    memcmp(name, "GNU", 4) == 0 && 2 * nh->n_descsz < hexsz) {
			for (size_t i = 0; i < nh->n_descsz; i++)
				sprintf(hex + 2 * i, "%02x", desc[i]);
			return true;
		}
		p = next;
	}
	return false;
}

/* Overlap, not containment of one probe address: a mapping is whole
 * pages, and a small text segment (a main program linking libgoro.so)
 * covers only the first bytes of its page. */
static bool object_overlaps(const struct dl_phdr_info *info, uintptr_t lo, uintptr_t hi)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t seg = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && seg < hi && lo < seg + ph->p_memsz)
			return true;
	}
	return false;
}

static int find_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct build_id_query *q = arg;

	(void)size;
	if (!object_overlaps(info, q->lo, q->hi))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		size_t align = ph->p_align == 8 ? 8 : 4;
		if (ph->p_type == PT_NOTE &&
		    note_build_id((const uint8_t *)(info->dlpi_addr + ph->p_vaddr),
		                  ph->p_filesz, align, q->hex,
		                  sizeof ((struct goro_mapping *)0)->build_id))
			break;
	}
	return 1; /* the containing object was found: stop iterating */
}

/* ---- /proc/self/maps --------------------------------------------------- */

/* Parses one maps line; true for an executable file-backed mapping. */
static bool parse_line(char *line, struct goro_mapping *m)
{
	unsigned long long start, limit, offset;
	char perms[8];
	int pathpos = 0;

	/* "lo-hi perms ...": most lines (stacks, guard pages, heaps) are not
	 * executable; reject them before the costly sscanf. */
	const char *sp = strchr(line, ' ');
	if (!sp || strlen(sp) < 4 || sp[3] != 'x')
		return false;
	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &limit, perms,
	           &offset, &pathpos) < 4 ||
	    pathpos == 0)
		return false;
	char *path = line + pathpos;
	path[strcspn(path, "\n")] = '\0';
	if (strlen(perms) < 3 || perms[2] != 'x' || path[0] != '/')
		return false;
	*m = (struct goro_mapping){ .start = start, .limit = limit,
	                            .offset = offset, .file = strdup(path) };
	return m->file != NULL;
}

static bool append(struct goro_mappings *ms, int *cap,
                   const struct goro_mapping *m)
{
	if (ms->n == *cap) {
		int ncap = *cap ? *cap * 2 : 16;
		struct goro_mapping *nm = realloc(ms->m, (size_t)ncap * sizeof *nm);
		if (nm == NULL)
			return false;
		ms->m = nm;
		*cap = ncap;
	}
	ms->m[ms->n++] = *m;
	return true;
}

int goro__mappings_read(struct goro_mappings *out)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char *line = NULL;
	size_t linecap = 0;
	int cap = 0;
	int rc = 0;

	*out = (struct goro_mappings){ 0 };
	if (f == NULL)
		return -1;
	while (getline(&line, &linecap, f) > 0) {
		struct goro_mapping m;
		if (!parse_line(line, &m))
			continue;
		struct build_id_query q = { .lo = m.start, .hi = m.limit, .hex = m.build_id };
		dl_iterate_phdr(find_build_id, &q);
		if (!append(out, &cap, &m)) {
			free(m.file);
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(f);
	if (rc != 0)
		goro__mappings_free(out);
	return rc;
}

int goro__mappings_find(const struct goro_mappings *ms, uintptr_t addr)
{
	int lo = 0, hi = ms->n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (addr < ms->m[mid].start)
			hi = mid;
		else if (addr >= ms->m[mid].limit)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

void goro__mappings_free(struct goro_mappings *ms)
{
	for (int i = 0; i < ms->n; i++)
		free(ms->m[i].file);
	free(ms->m);
	*ms = (struct goro_mappings){ 0 };
}
