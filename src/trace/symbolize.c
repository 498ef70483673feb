/*
 * symbolize.c — program counter -> function, file:line, module (libdw).
 *
 * One Dwfl session describes the process's modules (from /proc/self/maps)
 * and loads each module's symbol table and DWARF lazily, on the first pc
 * that falls in it.  Results are cached per pc forever: dumping 100,000
 * goroutines parked at the same few call sites costs one DWARF lookup per
 * distinct pc and a hash probe for the rest.
 *
 * Locking: the Dwfl session lock (dwfl_session.h) guards the cache and the
 * interner too.  Lookups allocate, so callers must not hold a lock the
 * allocator might need (see trace.h: never while the world is stopped).
 *
 * Internal frames (hidden by the formats, as Go hides its runtime): code of
 * goro's own source tree (found from this file's line info), goro_-named
 * functions when there is no line info, and libc's start-up frames.
 *
 * Staleness: a module dlclose'd and replaced by another at the same address
 * keeps its old cached names.  Tolerated: goro's users do not unload code
 * that goroutines still run.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdlib.h>
#include <string.h>

#include "trace/demangle.h"
#include "trace/dwfl_session.h"
#include "trace/pccache.h"
#include "trace/intern.h"
#include "trace/srcpath.h"
#include "trace/trace.h"

/* One cache slot. pc == 0 marks an empty slot (0 is never looked up). */
struct cached_sym {
	uintptr_t pc;
	bool known;
	struct goro_sym sym;
};

/* Locking: the Dwfl session lock guards the cache (and the interner). */
static struct goro_pccache cache = GORO_PCCACHE_INIT(struct cached_sym);

static const struct goro_sym unknown_sym = {
	.func = "?", .file = "?", .line = 0, .entry = 0, .module = "?",
	.internal = false,
};

/* ---- one lookup -------------------------------------------------------- */

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Frames hidden from dumps by name, as Go hides runtime.* and
 * runtime.goexit: goro's API and goro__ internals (which still works
 * without debug info), and the libc code below main() and below a
 * thread's start routine.
 */
static bool is_internal_name(const char *func)
{
	static const char *const exact[] = {
		"__libc_start_call_main", "_start", "clone", "clone3",
		"start_thread",
	};

	if (has_prefix(func, "goro_") || has_prefix(func, "goro::") ||
	    has_prefix(func, "__libc_start_main"))
		return true;
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (strcmp(func, exact[i]) == 0)
			return true;
	return false;
}

/*
 * Without libc's debug symbols its static functions have no name, and
 * __libc_start_call_main (below every main) is one of them.  A nameless
 * libc frame tells the reader nothing, so it is hidden too.
 */
static bool is_libc(const char *module)
{
	const char *base = strrchr(module, '/');

	return has_prefix(base ? base + 1 : module, "libc.so");
}

static const char *intern_or(const char *s, const char *fallback)
{
	const char *p = s ? goro__intern(s) : NULL;
	return p ? p : fallback;
}

/*
 * The name a C programmer wrote: "memcpy@@GLIBC_2.14" loses its symbol
 * version, "worker.constprop.0" / ".isra.0" / ".part.0" / ".cold" their
 * compiler-clone suffix (no C identifier contains '.' or '@'), and a C++
 * name is demangled to its qualified name (demangle.h).  goleak's
 * IgnoreTopFunction("worker") must match whatever the optimiser did.
 */
static const char *intern_func(const char *name)
{
	size_t n = strcspn(name, "@.");
	if (n == 0)
		n = strlen(name);
	char *readable = goro__demangle(name, n); /* C++: "app::worker" */
	const char *p = readable ? goro__intern(readable) : goro__intern_n(name, n);
	free(readable);
	return p ? p : "?";
}

/* The compilation unit covering pc: through .debug_aranges, or (clang
 * emits none) by scanning the module's units. */
static Dwarf_Die *cu_of(Dwfl_Module *mod, uintptr_t pc, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, bias);

	if (cu != NULL && dwarf_haspc(cu, pc - *bias) > 0)
		return cu;
	cu = NULL;
	while ((cu = dwfl_module_nextcu(mod, cu, bias)) != NULL)
		if (dwarf_haspc(cu, pc - *bias) > 0)
			return cu;
	return NULL;
}

/* pc's line found through its unit (for clang's modules, see cu_of). */
static Dwarf_Line *line_by_scan(Dwfl_Module *mod, uintptr_t pc,
                                const char **comp_dir)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = cu_of(mod, pc, &bias);
	Dwarf_Attribute attr;

	if (cu == NULL)
		return NULL;
	*comp_dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
	return dwarf_getsrc_die(cu, pc - bias);
}

/* Whether file is one of goro's public headers (their inline wrappers are
 * goro's code, not the caller's). */
static bool is_goro_header(const char *file)
{
	static const char *const headers[] = { "goro.h", "goro_cxx.h", "goro_net.h" };
	const char *base = strrchr(file, '/');

	base = base ? base + 1 : file;
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
		if (strcmp(base, headers[i]) == 0)
			return true;
	return false;
}

/*
 * pc is in code inlined from a goro header (goro_cxx.h's always_inline
 * wrappers, which make the goro_go_ call): the line is the call site of
 * the outermost such inlined subroutine, in the user's file.  False when
 * DWARF has no inlining records for pc.
 */
static bool inlined_call_site(Dwfl_Module *mod, uintptr_t pc, const char **file,
                              int *lineno)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = cu_of(mod, pc, &bias), *scopes = NULL;
	Dwarf_Files *files;
	size_t nfiles;
	bool found = false;

	if (cu == NULL || dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
		return false;
	int n = dwarf_getscopes(cu, pc - bias, &scopes);
	for (int i = 0; i < n && !found; i++) {
		Dwarf_Attribute attr;
		Dwarf_Word fileidx, line;
		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine ||
		    dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &fileidx) != 0 ||
		    dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &line) != 0)
			continue;
		const char *f = dwarf_filesrc(files, fileidx, NULL, NULL);
		if (f != NULL && !is_goro_header(f)) {
			*file = f;
			*lineno = (int)line;
			found = true;
		}
	}
	free(scopes);
	return found;
}

/* The file:line of pc, with the file made absolute (see srcpath.h). */
static void lookup_line(Dwfl_Module *mod, uintptr_t pc, struct goro_sym *s)
{
	const char *file = NULL, *comp_dir = NULL;
	int lineno = 0;
	Dwfl_Line *line = dwfl_module_getsrc(mod, pc);

	if (line != NULL) {
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		comp_dir = dwfl_line_comp_dir(line);
	} else {
		Dwarf_Line *dl = line_by_scan(mod, pc, &comp_dir);
		if (dl != NULL) {
			file = dwarf_linesrc(dl, NULL, NULL);
			dwarf_lineno(dl, &lineno);
		}
	}
	if (file == NULL)
		return;
	/* Code of a goro header: the user's line it was inlined at, or (an
	 * out-of-line copy, as at -O0) goro's own frame, hidden. */
	if (is_goro_header(file) && !inlined_call_site(mod, pc, &file, &lineno))
		s->internal = true;
	char *path = goro__source_path(file, comp_dir);
	s->file = intern_or(path ? path : file, "?");
	s->line = lineno;
	free(path);
}

/*
 * goro's source tree, "/path/to/goro/src/", read from this very file's
 * line info (NULL when goro was built without -g).  Computed once.
 */
static const char *goro_source_root(void)
{
	static const char suffix[] = "trace/symbolize.c";
	static bool done;
	static const char *root;
	uintptr_t self = (uintptr_t)goro__symbolize;
	Dwfl_Module *mod;

	if (done)
		return root;
	done = true;
	if ((mod = goro__dwfl_module(self)) != NULL) {
		struct goro_sym s = unknown_sym;
		lookup_line(mod, self, &s);
		size_t n = strlen(s.file), m = sizeof suffix - 1;
		if (n > m && strcmp(s.file + n - m, suffix) == 0)
			root = goro__intern_n(s.file, n - m);
	}
	return root;
}

/*
 * Whether the function starting at entry is goro's own code, named goro_
 * or not (the runtime's static helpers).  The function's first line is
 * asked, not pc's: goro code inlined into a user function stays the user's.
 */
static bool is_goro_source(const struct goro_sym *at_entry)
{
	const char *root = goro_source_root();

	return root != NULL && has_prefix(at_entry->file, root);
}

/* Asks libdw; fills what it can.  True when the function is known. */
static bool lookup(uintptr_t pc, struct goro_sym *s)
{
	*s = unknown_sym;
	Dwfl_Module *mod = goro__dwfl_module(pc);
	if (mod == NULL)
		return false;
	s->module = intern_or(dwfl_module_info(mod, NULL, NULL, NULL, NULL,
	                                       NULL, NULL, NULL), "?");

	GElf_Off off;
	GElf_Sym elfsym;
	const char *name = dwfl_module_addrinfo(mod, pc, &off, &elfsym, NULL,
	                                        NULL, NULL);
	if (name == NULL) {
		s->internal = is_libc(s->module);
		return false;
	}
	s->func = intern_func(name);
	s->entry = pc - off;
	lookup_line(mod, pc, s);
	/* The function's first line: pprof's Function.start_line, and where
	 * the function's code comes from (is_goro_source). */
	struct goro_sym at_entry = unknown_sym;
	lookup_line(mod, s->entry, &at_entry);
	s->start_line = at_entry.line;
	s->internal = s->internal || is_internal_name(s->func) ||
	              is_goro_source(&at_entry);
	return true;
}

/* lookup() on the session's big stack: libdw may need ~150 KiB of it. */
struct lookup_call {
	uintptr_t pc;
	struct goro_sym *sym;
	bool known;
};

static void lookup_thunk(void *p)
{
	struct lookup_call *c = p;

	c->known = lookup(c->pc, c->sym);
}

static bool deep_lookup(uintptr_t pc, struct goro_sym *s)
{
	struct lookup_call c = { .pc = pc, .sym = s };

	goro__dwfl_call(lookup_thunk, &c);
	return c.known;
}

/* ---- the cache --------------------------------------------------------- */

/* The cached entry for pc, computing it on a miss; NULL if out of memory
 * (the caller then computes without caching). */
static const struct cached_sym *cache_get(uintptr_t pc)
{
	bool fresh;
	struct cached_sym *c = goro__pccache_get(&cache, pc, &fresh);
	if (c && fresh)
		c->known = deep_lookup(pc, &c->sym);
	return c;
}

bool goro__symbolize(uintptr_t pc, struct goro_sym *out)
{
	bool known = false;

	*out = unknown_sym;
	if (pc == 0)
		return false;
	goro__dwfl_lock();
	const struct cached_sym *c = cache_get(pc);
	if (c != NULL) {
		*out = c->sym;
		known = c->known;
	} else {
		known = deep_lookup(pc, out);
	}
	goro__dwfl_unlock();
	return known;
}
