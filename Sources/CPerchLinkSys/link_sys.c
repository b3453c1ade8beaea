#define _GNU_SOURCE
#include "perch_link_sys.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int perch_link_mkdir(const char *path) {
    if (mkdir(path, 0755) == 0 || errno == EEXIST) return 0;
    return -errno;
}

int perch_link_write_file(const char *path, uint64_t offset, const void *bytes, size_t count,
                          int truncate, int sync, unsigned mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) return -errno;
    int result = 0;
    if (truncate && ftruncate(fd, (off_t)offset) != 0) { result = -errno; goto done; }
    size_t done_bytes = 0;
    while (done_bytes < count) {
        ssize_t n = pwrite(fd, (const char *)bytes + done_bytes, count - done_bytes,
                           (off_t)(offset + done_bytes));
        if (n < 0) {
            if (errno == EINTR) continue;
            result = -errno;
            goto done;
        }
        done_bytes += (size_t)n;
    }
    if (sync && fsync(fd) != 0) result = -errno;
done:
    close(fd);
    return result;
}

int64_t perch_link_file_size(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -errno;
    return (int64_t)st.st_size;
}

int64_t perch_link_read_file(const char *path, uint64_t offset, void *buffer, size_t count) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    size_t got = 0;
    while (got < count) {
        ssize_t n = pread(fd, (char *)buffer + got, count - got, (off_t)(offset + got));
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            return -e;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    close(fd);
    return (int64_t)got;
}

int perch_link_sync_path(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int result = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return result;
}

int perch_link_rename(const char *from, const char *to) { return rename(from, to) == 0 ? 0 : -errno; }

int perch_link_remove(const char *path, int directory) {
    int r = directory ? rmdir(path) : unlink(path);
    if (r == 0 || errno == ENOENT) return 0;
    return -errno;
}

int64_t perch_link_list_directory(const char *path, char *buffer, size_t size) {
    DIR *dir = opendir(path);
    if (!dir) return -errno;
    size_t used = 0;
    struct dirent *entry;
    int64_t result = 0;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        size_t n = strlen(entry->d_name) + 1;
        if (used + n > size) { result = -ENOBUFS; break; }
        memcpy(buffer + used, entry->d_name, n);
        used += n;
    }
    closedir(dir);
    return result < 0 ? result : (int64_t)used;
}

int perch_link_file_mode(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -errno;
    return (int)(st.st_mode & 07777);
}

int64_t perch_link_read(int fd, void *buffer, size_t count) {
    for (;;) {
        ssize_t n = read(fd, buffer, count);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) return -EAGAIN;
        return -errno;
    }
}

int64_t perch_link_write(int fd, const void *bytes, size_t count) {
    for (;;) {
        ssize_t n = send(fd, bytes, count, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK) n = write(fd, bytes, count);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) return -EAGAIN;
        return -errno;
    }
}

void perch_link_close(int fd) { close(fd); }

int perch_link_poll(const int *fds, const short *events, short *revents, int count, int timeout_ms) {
    struct pollfd p[64];
    if (count < 0 || count > 64) return -EINVAL;
    for (int i = 0; i < count; i++) {
        p[i].fd = fds[i];
        p[i].events = (short)(((events[i] & PERCH_POLL_IN) ? POLLIN : 0) |
                              ((events[i] & PERCH_POLL_OUT) ? POLLOUT : 0));
        p[i].revents = 0;
    }
    int n;
    do { n = poll(p, (nfds_t)count, timeout_ms); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    for (int i = 0; i < count; i++) {
        short r = 0;
        if (p[i].revents & (POLLIN | POLLHUP)) r |= PERCH_POLL_IN;
        if (p[i].revents & POLLOUT) r |= PERCH_POLL_OUT;
        if (p[i].revents & (POLLERR | POLLNVAL)) r |= PERCH_POLL_ERROR;
        revents[i] = r;
    }
    return n;
}

uint64_t perch_link_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t perch_link_realtime_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec;
}

static int make_address(const char *host, int port, struct sockaddr_in *addr) {
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) return -EINVAL;
    return 0;
}

int perch_link_tcp_listen(const char *host, int port) {
    struct sockaddr_in addr;
    int r = make_address(host, port, &addr);
    if (r < 0) return r;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 4) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int perch_link_tcp_port(int fd) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) return -errno;
    return ntohs(addr.sin_port);
}

int perch_link_tcp_accept(int listener) {
    int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return (errno == EWOULDBLOCK) ? -EAGAIN : -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int perch_link_tcp_connect(const char *host, int port, int timeout_ms) {
    struct sockaddr_in addr;
    int r = make_address(host, port, &addr);
    if (r < 0) return r;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (errno != EINPROGRESS) { int e = errno; close(fd); return -e; }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int n;
        do { n = poll(&p, 1, timeout_ms); } while (n < 0 && errno == EINTR);
        if (n <= 0) { close(fd); return n == 0 ? -ETIMEDOUT : -errno; }
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) { close(fd); return -err; }
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static speed_t baud_constant(int baud) {
    switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 1500000: return B1500000;
    case 2000000: return B2000000;
    default: return 0;
    }
}

static int baud_value(speed_t speed) {
    static const int rates[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
                                230400, 460800, 921600, 1000000, 1500000, 2000000};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        if (baud_constant(rates[i]) == speed) return rates[i];
    return 0;
}

int perch_link_baud_supported(int baud) { return baud_constant(baud) != 0; }

int perch_link_serial_open(const char *path, int baud, int *actual_baud) {
    speed_t speed = baud_constant(baud);
    if (speed == 0) return -EINVAL;
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct termios t;
    if (tcgetattr(fd, &t) != 0) { int e = errno; close(fd); return -e; }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~(CSTOPB | CRTSCTS);
    t.c_iflag &= ~(IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, speed);
    cfsetospeed(&t, speed);
    if (tcsetattr(fd, TCSANOW, &t) != 0) { int e = errno; close(fd); return -e; }
    struct termios back;
    if (tcgetattr(fd, &back) != 0) { int e = errno; close(fd); return -e; }
    *actual_baud = baud_value(cfgetospeed(&back));
    return fd;
}

int perch_link_open_pty(char *name, size_t size) {
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -errno;
    if (grantpt(fd) != 0 || unlockpt(fd) != 0 || ptsname_r(fd, name, size) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    struct termios t;
    if (tcgetattr(fd, &t) == 0) { cfmakeraw(&t); tcsetattr(fd, TCSANOW, &t); }
    return fd;
}
