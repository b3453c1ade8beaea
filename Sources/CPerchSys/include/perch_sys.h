// The few C functions Perch needs from the system, behind one header so that Linux and
// bare-metal builds differ only in this target's implementation.
#ifndef PERCH_SYS_H
#define PERCH_SYS_H
#include <stddef.h>

// Allocates the arena once at start-up (16-byte aligned); NULL if there is no room.
void *perch_sys_alloc(size_t size);
void perch_sys_free(void *pointer);

#endif
