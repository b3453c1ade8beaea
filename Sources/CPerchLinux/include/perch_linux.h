// Linux system calls for PerchPlatform's Linux seam, wrapped so Swift never touches
// variadic functions (open, fcntl, syscall) or the errno macro: every call returns a
// non-negative result or -errno.
#ifndef PERCH_LINUX_H
#define PERCH_LINUX_H
#include <stddef.h>
#include <stdint.h>
#ifdef __linux__
#include <errno.h>

// Flags for perch_openat (mapped to O_* in linux.c so Swift needs no fcntl.h).
enum {
    PERCH_O_READ = 1, PERCH_O_WRITE = 2, PERCH_O_CREATE = 4, PERCH_O_EXCL = 8,
    PERCH_O_TRUNC = 16, PERCH_O_DIRECTORY = 32, PERCH_O_APPEND = 64, PERCH_O_NONBLOCK = 128,
    // Only for preopens named by the user: follow a symlink as the last component.
    PERCH_O_FOLLOW = 256,
};

typedef struct {
    uint64_t dev, ino, nlink, size, atim, mtim, ctim;
    uint32_t mode;  // S_IFMT bits, see perch_file_type
} perch_stat_t;

// 0 unknown, 1 block device, 2 char device, 3 directory, 4 regular, 5 socket, 7 symlink
// (WASI filetype numbering; sockets reported as stream sockets by the caller).
int perch_file_type(uint32_t mode);

// dirfd < 0 opens a host path relative to the working directory (preopens only).
// Always O_CLOEXEC, and O_NOFOLLOW unless PERCH_O_FOLLOW.
int perch_openat(int dirfd, const char *name, int flags);
int perch_close(int fd);
long perch_read(int fd, void *buf, size_t count);
long perch_write(int fd, const void *buf, size_t count);
long perch_pread(int fd, void *buf, size_t count, uint64_t offset);
long perch_pwrite(int fd, const void *buf, size_t count, uint64_t offset);
// whence: 0 set, 1 current, 2 end. Result through *result.
int perch_lseek(int fd, int64_t offset, int whence, uint64_t *result);
int perch_fsync(int fd);
int perch_set_flags(int fd, int append, int nonblock);
int perch_ftruncate(int fd, uint64_t size);
int perch_fstat(int fd, perch_stat_t *out);
int perch_fstatat_nofollow(int dirfd, const char *name, perch_stat_t *out);
long perch_readlinkat(int dirfd, const char *name, char *buf, size_t size);
int perch_mkdirat(int dirfd, const char *name);
int perch_unlinkat(int dirfd, const char *name, int directory);
int perch_renameat(int olddirfd, const char *oldname, int newdirfd, const char *newname);
// Positions the directory at `cookie` (a d_off from a previous entry, 0 = start).
int perch_dir_seek(int fd, uint64_t cookie);
// Raw getdents64 records; use perch_dirent_* to read them.
long perch_getdents(int fd, void *buf, size_t size);
// Walks one record at buf+pos: fills its fields, returns its length.
size_t perch_dirent_at(const void *buf, size_t pos, uint64_t *ino, uint64_t *next_cookie,
                       int *type, const char **name, size_t *name_len);

int perch_clock_gettime(int clock, uint64_t *nanoseconds);  // clock: WASI clock id
int perch_clock_getres(int clock, uint64_t *nanoseconds);
void perch_sleep_ns(uint64_t nanoseconds);
int perch_getrandom(void *buf, size_t size);
// 1 readable, 0 timed out; timeout_ns < 0: wait forever.
int perch_poll_readable(int fd, int64_t timeout_ns);
#endif
#endif
