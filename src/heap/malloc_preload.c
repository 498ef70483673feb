/*
 * malloc_preload.c — malloc and friends on top of the tracked heap.
 *
 * Linked with the other files of src/heap/ (not with the rest of goro)
 * into libgoro_malloc.so, which replaces glibc's malloc when preloaded:
 *
 *   gcc -std=gnu11 -O2 -fPIC -shared -fvisibility=hidden -Iinclude -Isrc \
 *       $(ls src/heap/[a-z]*.c) \
 *       -Wl,--version-script=src/heap/malloc_preload.map \
 *       -lpthread -o libgoro_malloc.so
 *   LD_PRELOAD=./libgoro_malloc.so ls
 *
 * The version script exports only the functions below: the preloaded
 * copy of the heap must not interpose goro_malloc & co., or a program
 * that also links libgoro would allocate its tracked blocks from this
 * copy, which the leak detector does not look at.
 *
 * These follow glibc where the standards leave a choice, since the
 * programs this runs under were written against it: realloc(p, 0) frees
 * and returns NULL; memalign and aligned_alloc round an alignment that is
 * not a power of two up to one.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include "goro.h"
#include "heap/heap.h"

#define EXPORT __attribute__((visibility("default")))
#define MIN_ALIGN 16

static size_t pow2_at_least(size_t n)
{
	size_t p = MIN_ALIGN;
	while (p < n && p)
		p <<= 1;
	return p;
}

static bool is_pow2(size_t n)
{
	return n && !(n & (n - 1));
}

EXPORT void *malloc(size_t size)
{
	return goro__heap_alloc_kind(size, GORO_HEAP_USER, false);
}

EXPORT void free(void *p)
{
	goro_free(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
	return goro_calloc(n, size);
}

EXPORT void *realloc(void *p, size_t size)
{
	return goro_realloc(p, size);
}

EXPORT void *memalign(size_t align, size_t size)
{
	size_t a = pow2_at_least(align);
	if (!a) {
		errno = EINVAL;
		return NULL;
	}
	return goro__heap_alloc_aligned(a, size, GORO_HEAP_USER);
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	return memalign(align, size);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	if (!is_pow2(align) || align % sizeof(void *))
		return EINVAL;
	int saved = errno; /* posix_memalign reports through its result only */
	void *p = goro__heap_alloc_aligned(align < MIN_ALIGN ? MIN_ALIGN : align,
	                                   size, GORO_HEAP_USER);
	errno = saved;
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

EXPORT void *valloc(size_t size)
{
	return memalign((size_t)getpagesize(), size);
}

EXPORT void *pvalloc(size_t size)
{
	size_t page = (size_t)getpagesize();
	size_t rounded = (size + page - 1) & ~(page - 1);
	if (rounded < size) {
		errno = ENOMEM;
		return NULL;
	}
	return memalign(page, rounded ? rounded : page);
}

EXPORT size_t malloc_usable_size(void *p)
{
	return p ? goro__heap_usable_size(p) : 0;
}

/*
 * Whole-heap tracking: libgoro's leak detector looks these up (dlsym) when
 * this library is preloaded, and then treats malloc'd memory as tracked
 * blocks — marked from the roots like goro_malloc's — instead of scanning
 * it as a root.  That is what makes plain malloc stop hiding leaks.
 */
__attribute__((visibility("default"))) bool goro_preload_heap_find(const void *p, void **base,
                                                                   size_t *size)
{
	return goro__heap_find(p, base, size);
}

__attribute__((visibility("default"))) bool goro_preload_heap_mark(const void *base)
{
	return goro__heap_mark(base);
}

__attribute__((visibility("default"))) bool goro_preload_heap_is_marked(const void *base)
{
	return goro__heap_is_marked(base);
}

__attribute__((visibility("default"))) void goro_preload_heap_mark_clear(void)
{
	goro__heap_mark_clear();
}

extern char __start_goro_rt_state[] __attribute__((weak, visibility("hidden")));
extern char __stop_goro_rt_state[] __attribute__((weak, visibility("hidden")));

/* The arena, and this library's own heap globals (they point into it). */
__attribute__((visibility("default"))) void
goro_preload_heap_for_each_arena(void (*fn)(void *lo, void *hi, void *arg), void *arg)
{
	goro__heap_for_each_arena(fn, arg);
	if (__start_goro_rt_state && __stop_goro_rt_state)
		fn(__start_goro_rt_state, __stop_goro_rt_state, arg);
}
