/*
 * alloc.h — minicriterion's cr_malloc & co.
 *
 * Criterion needs a shared arena because its test processes are fresh
 * executions of the binary; minicriterion's are forks of the runner, which
 * inherit its memory, so the ordinary heap does.
 */
#ifndef MINICRITERION_ALLOC_H
#define MINICRITERION_ALLOC_H

#include <stdlib.h>

#define cr_malloc(size) malloc(size)
#define cr_calloc(n, size) calloc((n), (size))
#define cr_realloc(p, size) realloc((p), (size))
#define cr_free(p) free(p)

#endif /* MINICRITERION_ALLOC_H */
