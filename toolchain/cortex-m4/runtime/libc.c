// The C library functions Embedded Swift and the compiler's generated code call, for an
// image with no C library: memory functions (also under their ARM EABI names) and a
// small heap behind posix_memalign/free.
#include <stddef.h>
#include <stdint.h>
#include "perch_mcu.h"

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++) {
        if (*x != *y) return *x - *y;
    }
    return 0;
}

size_t strlen(const char *s) {
    const char *p = s;
    while (*p) p++;
    return (size_t)(p - s);
}

// ARM run-time ABI names (note: __aeabi_memset takes the length before the value).
void __aeabi_memcpy(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy4(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy8(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memmove(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove4(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove8(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memset(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memset4(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memset8(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memclr(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr4(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr8(void *d, size_t n) { memset(d, 0, n); }

// Heap: first-fit over one list of blocks laid end to end between the linker symbols
// __heap_start and __heap_end. Each block starts with a 16-byte header so payloads are
// 16-byte aligned; adjacent free blocks merge while the list is searched. Perch itself
// allocates its arena once; the rest is the Swift runtime's small objects.
extern unsigned char __heap_start[], __heap_end[];

enum { HEADER = 16, FREE = 0, USED = 1, ALIGNED = 2 };
typedef struct {
    uint32_t size;   // whole block including the header (USED/FREE); offset (ALIGNED)
    uint32_t state;
    uint32_t pad[2];
} header_t;

static int heap_ready;
static unsigned heap_used, heap_peak;

static header_t *first_block(void) {
    header_t *h = (header_t *)__heap_start;
    if (!heap_ready) {
        h->size = (uint32_t)(__heap_end - __heap_start) & ~15u;
        h->state = FREE;
        heap_ready = 1;
    }
    return h;
}

static header_t *next_block(header_t *h) {
    unsigned char *next = (unsigned char *)h + h->size;
    return next + HEADER <= __heap_end ? (header_t *)next : NULL;
}

static void *heap_take(size_t size) {
    if (size > (size_t)(__heap_end - __heap_start)) return NULL;
    uint32_t need = ((uint32_t)size + HEADER + 15u) & ~15u;
    for (header_t *h = first_block(); h; h = next_block(h)) {
        if (h->state != FREE) continue;
        for (header_t *n = next_block(h); n && n->state == FREE; n = next_block(h)) h->size += n->size;
        if (h->size < need) continue;
        if (h->size - need >= 2 * HEADER) {
            header_t *rest = (header_t *)((unsigned char *)h + need);
            rest->size = h->size - need;
            rest->state = FREE;
            h->size = need;
        }
        h->state = USED;
        heap_used += h->size;
        if (heap_used > heap_peak) heap_peak = heap_used;
        return (unsigned char *)h + HEADER;
    }
    return NULL;
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment <= HEADER) {
        *result = heap_take(size);
        return *result ? 0 : 12;  // ENOMEM
    }
    // Larger alignment: over-allocate and leave a marker header just before the aligned
    // payload that leads free() back to the real block.
    unsigned char *p = heap_take(size + alignment);
    if (!p) return 12;
    unsigned char *q = (unsigned char *)(((uintptr_t)p + alignment - 1) & ~(uintptr_t)(alignment - 1));
    if (q != p) {
        header_t *marker = (header_t *)(q - HEADER);
        marker->size = (uint32_t)(q - p);
        marker->state = ALIGNED;
    }
    *result = q;
    return 0;
}

void *malloc(size_t size) { return heap_take(size); }

void free(void *pointer) {
    if (!pointer) return;
    header_t *h = (header_t *)((unsigned char *)pointer - HEADER);
    if (h->state == ALIGNED) h = (header_t *)((unsigned char *)pointer - h->size - HEADER);
    if (h->state != USED) return;
    h->state = FREE;
    heap_used -= h->size;
}

unsigned perch_mcu_heap_used(void) { return heap_used; }
unsigned perch_mcu_heap_peak(void) { return heap_peak; }
unsigned perch_mcu_heap_size(void) { return (unsigned)(__heap_end - __heap_start); }

// newlib's libm (linked for the double-precision and rounding functions the FPv4-SP FPU
// lacks) reports domain errors through errno; nothing here reads it.
static int errno_value;
int *__errno(void) { return &errno_value; }
