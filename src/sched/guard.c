/*
 * guard.c — guard pages under goroutine stacks (see guard.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sched/guard.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

static size_t page;
static atomic_long guards_left;
static bool bounded_by_env;
static atomic_int regions_work = -1; /* -1: not tried yet */

/* Room for everything else the process maps (the heap, libraries, thread
 * stacks, slabs): each mprotect guard costs two mapping entries. */
static long mprotect_budget(void)
{
	long max_maps = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	if (f) {
		if (fscanf(f, "%ld", &max_maps) != 1)
			max_maps = 65530;
		fclose(f);
	}
	return (max_maps - 30000) / 2;
}

void goro__guard_init(size_t page_size)
{
	page = page_size;
	const char *regions = getenv("GORO_STACK_GUARD_REGIONS");
	if (regions && atoi(regions) == 0) /* as on a kernel without them */
		atomic_store(&regions_work, 0);
	const char *env = getenv("GORO_STACK_GUARDS");
	bounded_by_env = env != NULL;
	long budget = env ? atol(env) : mprotect_budget();
	atomic_store(&guards_left, budget > 0 ? budget : 0);
}

static bool take_budget(long n)
{
	if (atomic_fetch_sub(&guards_left, n) >= n)
		return true;
	atomic_fetch_add(&guards_left, n);
	return false;
}

static void note_regions(bool worked, int err)
{
	if (worked)
		atomic_store_explicit(&regions_work, 1, memory_order_relaxed);
	else if (err == EINVAL || err == ENOSYS) /* an older kernel, or a tool */
		atomic_store_explicit(&regions_work, 0, memory_order_relaxed);
}

static bool regions_ruled_out(void)
{
	return atomic_load_explicit(&regions_work, memory_order_relaxed) == 0;
}

bool goro__guard_page(char *p)
{
	if (bounded_by_env && !take_budget(1))
		return false;
	if (!regions_ruled_out()) {
		bool ok = madvise(p, page, MADV_GUARD_INSTALL) == 0;
		note_regions(ok, errno);
		if (ok)
			return true;
	}
	if (!bounded_by_env && !take_budget(1))
		return false;
	if (mprotect(p, page, PROT_NONE) == 0)
		return true;
	atomic_fetch_add(&guards_left, 1);
	return false;
}

/* A pidfd for this process (process_madvise wants one); reopened after a
 * fork, whose child would otherwise act on its parent. */
static int self_pidfd(void)
{
	static int fd = -1;
	static pid_t owner;
	pid_t me = getpid();
	if (fd >= 0 && owner == me)
		return fd;
	int nfd = (int)syscall(SYS_pidfd_open, me, 0);
	if (nfd < 0)
		return -1;
	fd = nfd; /* an inherited descriptor is left alone: the parent's */
	owner = me;
	return fd;
}

enum { SLAB_MAX = 1024 }; /* IOV_MAX */

bool goro__guard_slab(char *slab, size_t size, int n)
{
	if (regions_ruled_out() || n > SLAB_MAX)
		return false;
	if (bounded_by_env && !take_budget(n))
		return false;
	struct iovec iov[SLAB_MAX];
	for (int i = 0; i < n; i++)
		iov[i] = (struct iovec){ slab + (size_t)i * size, page };
	int fd = self_pidfd();
	long done = fd < 0 ? -1 : syscall(SYS_process_madvise, fd, iov, (size_t)n,
	                                 MADV_GUARD_INSTALL, 0u);
	bool ok = done == (long)((size_t)n * page);
	if (!ok && bounded_by_env)
		atomic_fetch_add(&guards_left, n);
	if (ok)
		note_regions(true, 0);
	return ok;
}
