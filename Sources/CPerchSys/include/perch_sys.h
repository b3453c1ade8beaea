// The few C functions Perch needs from the system, behind one header so that Linux and
// bare-metal builds differ only in this target's implementation.
#ifndef PERCH_SYS_H
#define PERCH_SYS_H
#include <stddef.h>
#include <stdint.h>

// Allocates the arena once at start-up (16-byte aligned); NULL if there is no room.
// Sets *zero_filled to 1 when the memory is known to hold only zeros (fresh pages mapped
// on demand: the arena then never writes pages a module does not use), else to 0.
void *perch_sys_alloc(size_t size, int32_t *zero_filled);
// Gives back what perch_sys_alloc returned; `size` is the size it was asked for.
void perch_sys_free(void *pointer, size_t size);

// Byte I/O for the command line on hosted (Linux) builds; absent on bare metal, where
// nothing calls them. Failures return -errno so Swift can name the reason.
// Writes all `count` bytes to `fd` (retrying short writes); 0 or -errno.
int perch_sys_write_all(int fd, const void *bytes, size_t count);
// Opens `path` for reading; a file descriptor, or -errno.
int perch_sys_open_read(const char *path);
// Size in bytes of the regular file open as `fd`; -errno, or -EISDIR for a directory.
int64_t perch_sys_file_size(int fd);
// Reads up to `count` bytes (retrying on EINTR); bytes read (0 at end of file) or -errno.
int64_t perch_sys_read(int fd, void *buffer, size_t count);
void perch_sys_close(int fd);
// The system's text for an errno value ("No such file or directory").
const char *perch_sys_error_text(int error);

#endif
