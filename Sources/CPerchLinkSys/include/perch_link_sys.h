// System calls the supervisor needs on hosted (Linux) builds: durable file writes for the
// module store, TCP sockets, serial lines, poll. Every call returns -errno on failure so
// Swift can name the reason; none blocks unless it says so.
#ifndef PERCH_LINK_SYS_H
#define PERCH_LINK_SYS_H
#include <stddef.h>
#include <stdint.h>

// ---- files (paths are whole host paths) ----
// Creates a directory (mode 0755); 0 if it exists already.
int perch_link_mkdir(const char *path);
// Opens (creating with `mode` if needed) and writes `count` bytes at `offset`. With
// `truncate`, the file is first cut to `offset` bytes; with `sync`, fsync'd before close.
int perch_link_write_file(const char *path, uint64_t offset, const void *bytes, size_t count,
                          int truncate, int sync, unsigned mode);
// Size of a file in bytes, or -errno (-ENOENT if absent).
int64_t perch_link_file_size(const char *path);
// Reads up to `count` bytes at `offset`; bytes read (0 at end) or -errno.
int64_t perch_link_read_file(const char *path, uint64_t offset, void *buffer, size_t count);
// fsync of a file or directory by path.
int perch_link_sync_path(const char *path);
int perch_link_rename(const char *from, const char *to);
// Removes a file (or an empty directory with `directory`); 0 if it did not exist.
int perch_link_remove(const char *path, int directory);
// Writes the directory's entry names (without . and ..) into `buffer`, each ended by a NUL;
// returns bytes used, -ENOBUFS if they do not fit, or -errno.
int64_t perch_link_list_directory(const char *path, char *buffer, size_t size);
// Permission bits of a file (for checking key files), or -errno.
int perch_link_file_mode(const char *path);

// ---- descriptors ----
// Reads up to `count` bytes; bytes read, 0 at end of stream, -EAGAIN if none yet, or -errno.
int64_t perch_link_read(int fd, void *buffer, size_t count);
// Writes up to `count` bytes without raising SIGPIPE; bytes written, -EAGAIN, or -errno.
int64_t perch_link_write(int fd, const void *bytes, size_t count);
void perch_link_close(int fd);

#define PERCH_POLL_IN 1
#define PERCH_POLL_OUT 2
#define PERCH_POLL_ERROR 4
// Waits up to `timeout_ms` (-1: forever) for any of `count` descriptors; `events` and
// `revents` use the PERCH_POLL_* bits. Returns the number ready, or -errno.
int perch_link_poll(const int *fds, const short *events, short *revents, int count, int timeout_ms);
// Monotonic clock in nanoseconds.
uint64_t perch_link_monotonic_ns(void);
// Wall-clock seconds since the Unix epoch (perch push's default version number).
uint64_t perch_link_realtime_seconds(void);

// ---- TCP ----
// A non-blocking listening socket on `host` (dotted IPv4) and `port` (0: any free port).
int perch_link_tcp_listen(const char *host, int port);
// The port a socket is bound to, or -errno.
int perch_link_tcp_port(int fd);
// Accepts one connection (non-blocking); a descriptor, -EAGAIN if none waits, or -errno.
int perch_link_tcp_accept(int listener);
// Connects to `host`:`port` within `timeout_ms`; a non-blocking descriptor or -errno.
int perch_link_tcp_connect(const char *host, int port, int timeout_ms);

// ---- serial ----
// 1 when termios has a constant for this speed (B9600, B115200, ...), else 0.
int perch_link_baud_supported(int baud);
// Opens a serial device raw (8N1, no flow control, non-blocking) at `baud`; the speed the
// driver actually accepted is read back into `*actual_baud` (0 if it is not a standard one).
// Returns a descriptor or -errno (-EINVAL for a baud rate with no termios constant).
int perch_link_serial_open(const char *path, int baud, int *actual_baud);
// A pseudo-terminal pair for tests: the master descriptor, the slave's path in `name`.
int perch_link_open_pty(char *name, size_t size);

#endif
