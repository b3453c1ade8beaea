#include "perch_sys.h"
#include <stdlib.h>

void *perch_sys_alloc(size_t size) {
    void *p = NULL;
    if (posix_memalign(&p, 16, size) != 0) return NULL;
    return p;
}

void perch_sys_free(void *pointer) { free(pointer); }
