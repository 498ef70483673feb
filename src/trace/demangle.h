/*
 * demangle.h — C++ symbol names as their programmer wrote them.
 *
 * "_ZN3app12gather_func1EPv" -> "app::gather_func1": the Itanium ABI's
 * demangler (libstdc++'s __cxa_demangle, found at run time: a program with
 * C++ code has it loaded, a C program has no mangled names), then the
 * parameter list, trailing qualifiers and a template's return type
 * dropped, so that a C++ frame reads like a C one ("fn()" in dumps) and
 * goleak's IgnoreTopFunction("app::gather_func1") matches.
 */
#ifndef GORO_TRACE_DEMANGLE_H
#define GORO_TRACE_DEMANGLE_H

#include <stddef.h>

#include "trace/trace.h"

/* The readable name of the first n bytes of mangled (a "_Z" name), in a
 * malloc'd string; NULL when it is not a C++ name or there is no
 * demangler.  Allocates: not while the world is stopped. */
GORO_HIDDEN char *goro__demangle(const char *mangled, size_t n);
/* Cuts a demangled function name in place to its qualified name (no
 * parameters, qualifiers or return type).  Exposed for the tests. */
GORO_HIDDEN void goro__demangled_name_only(char *name);

#endif /* GORO_TRACE_DEMANGLE_H */
