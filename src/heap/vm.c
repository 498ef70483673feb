/*
 * vm.c — address ranges straight from the kernel.
 *
 * The heap never calls libc malloc: it must also serve as malloc itself
 * (malloc_preload.c), and the root scanner must be able to tell the heap's
 * memory from everybody else's.  A range is reserved PROT_NONE (address
 * space only, nothing resident, nothing charged) and made writable from its
 * low end as the heap grows, so the writable part is one mapping the
 * heap can name exactly (goro__heap_for_each_arena).
 */
#include <sys/mman.h>

#include "heap/heap_internal.h"

bool goro__region_reserve(struct heap_region *r, size_t size, size_t align)
{
	/* Over-reserve by align so that the base can be rounded up; the slack
	 * stays reserved, which costs nothing but address space. */
	void *p = mmap(NULL, size + align, PROT_NONE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	uintptr_t base = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	r->map = (uintptr_t)p;
	r->map_len = size + align;
	r->reserved = size;
	HEAP_STORE(&r->committed, 0);
	HEAP_STORE(&r->base, base);
	return true;
}

bool goro__region_commit(struct heap_region *r, size_t size, size_t chunk)
{
	size_t have = HEAP_LOAD(&r->committed);
	if (size <= have)
		return true;
	if (size > r->reserved)
		return false;
	/* Commit in chunks: fewer mprotect calls, and the kernel merges the
	 * pieces into a single writable mapping anyway. */
	size_t want = (size + chunk - 1) / chunk * chunk;
	if (want > r->reserved)
		want = r->reserved;
	uintptr_t base = HEAP_LOAD(&r->base);
	if (mprotect((void *)(base + have), want - have, PROT_READ | PROT_WRITE))
		return false;
	/* Release: whoever sees the new size may touch the new pages and reads
	 * whatever was published with them (page map entries). */
	HEAP_STORE_REL(&r->committed, want);
	return true;
}

void goro__vm_release(uintptr_t addr, size_t len)
{
	/* MADV_DONTNEED on private anonymous memory frees the pages now and
	 * makes them read as zero later, which the page heap relies on to
	 * skip zeroing (clean runs). */
	madvise((void *)addr, len, MADV_DONTNEED);
}

void goro__region_drop(struct heap_region *r)
{
	if (r->map)
		munmap((void *)r->map, r->map_len);
	r->map = r->map_len = r->reserved = 0;
	HEAP_STORE(&r->committed, 0);
	HEAP_STORE(&r->base, 0);
}
