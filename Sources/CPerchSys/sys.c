#include "perch_sys.h"

#if defined(__linux__) || defined(__APPLE__)
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#else
// Bare metal: toolchain/baremetal provides these over a static buffer.
int posix_memalign(void **result, size_t alignment, size_t size);
void free(void *pointer);
#endif

#if defined(__linux__) || defined(__APPLE__)
// Anonymous pages are zero and become resident only when first touched.
void *perch_sys_alloc(size_t size, int32_t *zero_filled) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_NOHUGEPAGE
    // With transparent huge pages set to "always", one touched byte would make 2 MB resident.
    madvise(p, size, MADV_NOHUGEPAGE);
#endif
    *zero_filled = 1;
    return p;
}

void perch_sys_free(void *pointer, size_t size) { munmap(pointer, size); }
#else
void *perch_sys_alloc(size_t size, int32_t *zero_filled) {
    void *p = NULL;
    if (posix_memalign(&p, 16, size) != 0) return NULL;
    *zero_filled = 0;
    return p;
}

void perch_sys_free(void *pointer, size_t size) {
    (void)size;
    free(pointer);
}
#endif

#if defined(__linux__) || defined(__APPLE__)
int perch_sys_write_all(int fd, const void *bytes, size_t count) {
    const char *p = bytes;
    while (count > 0) {
        ssize_t n = write(fd, p, count);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        p += n;
        count -= (size_t)n;
    }
    return 0;
}

int perch_sys_open_read(const char *path) {
    int fd;
    do { fd = open(path, O_RDONLY | O_CLOEXEC); } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

int64_t perch_sys_file_size(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -errno;
    if (S_ISDIR(st.st_mode)) return -EISDIR;
    return (int64_t)st.st_size;
}

int64_t perch_sys_read(int fd, void *buffer, size_t count) {
    ssize_t n;
    do { n = read(fd, buffer, count); } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (int64_t)n;
}

void perch_sys_close(int fd) { close(fd); }

const char *perch_sys_error_text(int error) { return strerror(error); }
#endif
