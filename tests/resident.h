/*
 * resident.h — the test process's resident size, for tests that check
 * memory comes back (released goroutines, finished stacks).
 */
#ifndef GORO_TEST_RESIDENT_H
#define GORO_TEST_RESIDENT_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

/* Resident bytes, from /proc/self/statm. */
static inline long resident_bytes(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%ld %ld", &size, &resident), 2);
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

#endif /* GORO_TEST_RESIDENT_H */
