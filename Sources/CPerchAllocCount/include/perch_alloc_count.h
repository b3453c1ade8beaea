// Counts heap allocations of the whole process (benchmarks only: it replaces malloc and
// friends by forwarding wrappers, which only an executable may do).
#ifndef PERCH_ALLOC_COUNT_H
#define PERCH_ALLOC_COUNT_H
#include <stdint.h>

// Allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) so far.
uint64_t perch_alloc_count(void);

#endif
