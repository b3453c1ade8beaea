#include "perch_sys.h"

#if defined(__linux__) || defined(__APPLE__)
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#else
// Bare metal: toolchain/baremetal provides these over a static buffer.
int posix_memalign(void **result, size_t alignment, size_t size);
void free(void *pointer);
#endif

void *perch_sys_alloc(size_t size) {
    void *p = NULL;
    if (posix_memalign(&p, 16, size) != 0) return NULL;
    return p;
}

void perch_sys_free(void *pointer) { free(pointer); }

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
