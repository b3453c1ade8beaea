// Test-only allocation counter: the test binary's malloc family counts calls made by the
// current thread while counting is on, then forwards to glibc. Host (glibc) only.
#ifndef PERCH_ALLOC_COUNTER_H
#define PERCH_ALLOC_COUNTER_H

void perch_alloc_counting(int enabled);
long perch_alloc_count(void);

#endif
