#define _GNU_SOURCE
#include "perch_linux.h"
#ifdef __linux__
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RET(expr) do { long r_ = (long)(expr); return r_ < 0 ? -errno : r_; } while (0)

int perch_file_type(uint32_t mode) {
    switch (mode & S_IFMT) {
    case S_IFBLK: return 1;
    case S_IFCHR: return 2;
    case S_IFDIR: return 3;
    case S_IFREG: return 4;
    case S_IFSOCK: return 6;
    case S_IFLNK: return 7;
    default: return 0;
    }
}

int perch_openat(int dirfd, const char *name, int flags) {
    int o = (flags & PERCH_O_FOLLOW) ? O_CLOEXEC : (O_NOFOLLOW | O_CLOEXEC);
    int rw = (flags & PERCH_O_READ) && (flags & PERCH_O_WRITE);
    o |= rw ? O_RDWR : (flags & PERCH_O_WRITE) ? O_WRONLY : O_RDONLY;
    if (flags & PERCH_O_CREATE) o |= O_CREAT;
    if (flags & PERCH_O_EXCL) o |= O_EXCL;
    if (flags & PERCH_O_TRUNC) o |= O_TRUNC;
    if (flags & PERCH_O_DIRECTORY) o |= O_DIRECTORY;
    if (flags & PERCH_O_APPEND) o |= O_APPEND;
    if (flags & PERCH_O_NONBLOCK) o |= O_NONBLOCK;
    RET(openat(dirfd < 0 ? AT_FDCWD : dirfd, name, o, 0666));
}

int perch_close(int fd) { RET(close(fd)); }
long perch_read(int fd, void *buf, size_t count) { RET(read(fd, buf, count)); }
long perch_write(int fd, const void *buf, size_t count) { RET(write(fd, buf, count)); }
long perch_pread(int fd, void *buf, size_t count, uint64_t offset) {
    if (offset > INT64_MAX) return -EINVAL;
    RET(pread(fd, buf, count, (off_t)offset));
}
long perch_pwrite(int fd, const void *buf, size_t count, uint64_t offset) {
    if (offset > INT64_MAX) return -EINVAL;
    RET(pwrite(fd, buf, count, (off_t)offset));
}

int perch_lseek(int fd, int64_t offset, int whence, uint64_t *result) {
    int w = whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : SEEK_END;
    off_t r = lseek(fd, (off_t)offset, w);
    if (r < 0) return -errno;
    *result = (uint64_t)r;
    return 0;
}

int perch_fsync(int fd) { RET(fsync(fd)); }

int perch_set_flags(int fd, int append, int nonblock) {
    int f = fcntl(fd, F_GETFL);
    if (f < 0) return -errno;
    f = append ? (f | O_APPEND) : (f & ~O_APPEND);
    f = nonblock ? (f | O_NONBLOCK) : (f & ~O_NONBLOCK);
    RET(fcntl(fd, F_SETFL, f));
}

int perch_ftruncate(int fd, uint64_t size) {
    if (size > INT64_MAX) return -EFBIG;
    RET(ftruncate(fd, (off_t)size));
}

static uint64_t ns(struct timespec t) { return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec; }

static void fill(perch_stat_t *out, const struct stat *s) {
    out->dev = s->st_dev;
    out->ino = s->st_ino;
    out->nlink = s->st_nlink;
    out->size = (uint64_t)s->st_size;
    out->atim = ns(s->st_atim);
    out->mtim = ns(s->st_mtim);
    out->ctim = ns(s->st_ctim);
    out->mode = s->st_mode;
}

int perch_fstat(int fd, perch_stat_t *out) {
    struct stat s;
    if (fstat(fd, &s) < 0) return -errno;
    fill(out, &s);
    return 0;
}

int perch_fstatat_nofollow(int dirfd, const char *name, perch_stat_t *out) {
    struct stat s;
    if (fstatat(dirfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0) return -errno;
    fill(out, &s);
    return 0;
}

long perch_readlinkat(int dirfd, const char *name, char *buf, size_t size) {
    RET(readlinkat(dirfd, name, buf, size));
}

int perch_mkdirat(int dirfd, const char *name) { RET(mkdirat(dirfd, name, 0777)); }
int perch_unlinkat(int dirfd, const char *name, int directory) {
    RET(unlinkat(dirfd, name, directory ? AT_REMOVEDIR : 0));
}
int perch_renameat(int olddirfd, const char *oldname, int newdirfd, const char *newname) {
    RET(renameat(olddirfd, oldname, newdirfd, newname));
}

int perch_dir_seek(int fd, uint64_t cookie) {
    if (lseek(fd, (off_t)cookie, SEEK_SET) < 0) return -errno;
    return 0;
}

long perch_getdents(int fd, void *buf, size_t size) { RET(syscall(SYS_getdents64, fd, buf, size)); }

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

size_t perch_dirent_at(const void *buf, size_t pos, uint64_t *ino, uint64_t *next_cookie,
                       int *type, const char **name, size_t *name_len) {
    const struct linux_dirent64 *d = (const struct linux_dirent64 *)((const char *)buf + pos);
    *ino = d->d_ino;
    *next_cookie = (uint64_t)d->d_off;
    switch (d->d_type) {
    case DT_BLK: *type = 1; break;
    case DT_CHR: *type = 2; break;
    case DT_DIR: *type = 3; break;
    case DT_REG: *type = 4; break;
    case DT_SOCK: *type = 6; break;
    case DT_LNK: *type = 7; break;
    default: *type = 0; break;
    }
    *name = d->d_name;
    size_t n = 0;
    size_t max = d->d_reclen - offsetof(struct linux_dirent64, d_name);
    while (n < max && d->d_name[n] != 0) n++;
    *name_len = n;
    return d->d_reclen;
}

static clockid_t clock_for(int clock) {
    switch (clock) {
    case 0: return CLOCK_REALTIME;
    case 1: return CLOCK_MONOTONIC;
    case 2: return CLOCK_PROCESS_CPUTIME_ID;
    default: return CLOCK_THREAD_CPUTIME_ID;
    }
}

int perch_clock_gettime(int clock, uint64_t *nanoseconds) {
    struct timespec t;
    if (clock_gettime(clock_for(clock), &t) < 0) return -errno;
    *nanoseconds = ns(t);
    return 0;
}

int perch_clock_getres(int clock, uint64_t *nanoseconds) {
    struct timespec t;
    if (clock_getres(clock_for(clock), &t) < 0) return -errno;
    *nanoseconds = ns(t);
    return 0;
}

void perch_sleep_ns(uint64_t nanoseconds) {
    struct timespec t = { (time_t)(nanoseconds / 1000000000u), (long)(nanoseconds % 1000000000u) };
    while (nanosleep(&t, &t) < 0 && errno == EINTR) {}
}

int perch_getrandom(void *buf, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t r = getrandom((char *)buf + done, size - done, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        done += (size_t)r;
    }
    return 0;
}

int perch_poll_readable(int fd, int64_t timeout_ns) {
    struct pollfd p = { fd, POLLIN, 0 };
    int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000 > 2147483647 ? 2147483647 : (timeout_ns + 999999) / 1000000);
    int r;
    do { r = poll(&p, 1, ms); } while (r < 0 && errno == EINTR);
    return r > 0 ? 1 : 0;
}
#endif
