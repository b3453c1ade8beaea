// The Linux GPIO and I2C calls PerchHALLinux needs, wrapped so Swift never touches
// ioctl (variadic), kernel structs or errno. Every call returns >= 0 or -errno.
//
// libgpiod is loaded with dlopen at the first GPIO request, not linked: perch builds
// without libgpiod-dev and runs without libgpiod2; only GPIO on a Linux board needs it.
#ifndef PERCH_HAL_LINUX_H
#define PERCH_HAL_LINUX_H
#include <stdint.h>
#ifdef __linux__
#include <errno.h>

// The errno values the Swift side tells apart.
enum {
    PERCH_EAGAIN = EAGAIN, PERCH_EBUSY = EBUSY, PERCH_EINVAL = EINVAL, PERCH_EIO = EIO,
    PERCH_ENODEV = ENODEV, PERCH_ENOENT = ENOENT, PERCH_ENOSYS = ENOSYS, PERCH_ENXIO = ENXIO,
    PERCH_EOPNOTSUPP = EOPNOTSUPP, PERCH_EOVERFLOW = EOVERFLOW, PERCH_EREMOTEIO = EREMOTEIO,
    PERCH_ETIMEDOUT = ETIMEDOUT, PERCH_EPROTO = EPROTO, PERCH_EINTR = EINTR,
};

// --- GPIO (libgpiod 1.6 through dlopen) ---

// 0 when libgpiod is loaded; -ENOENT when libgpiod.so.2 or one of its functions is missing.
int perch_gpiod_load(void);

enum {
    PERCH_GPIO_INPUT = 0, PERCH_GPIO_OUTPUT = 1,
};
enum {
    PERCH_GPIO_BIAS_AS_IS = 0, PERCH_GPIO_BIAS_DISABLED = 1,
    PERCH_GPIO_BIAS_PULL_UP = 2, PERCH_GPIO_BIAS_PULL_DOWN = 3,
};
enum { PERCH_GPIO_EDGE_RISING = 1, PERCH_GPIO_EDGE_FALLING = 2 };

typedef struct {
    void *chip;  // struct gpiod_chip *
    void *line;  // struct gpiod_line *
} perch_gpio_line;

// Opens the chip labelled `chip_label` and requests one line, named `line_name` (when not
// NULL) or at `offset`. edges: PERCH_GPIO_EDGE_* bits (inputs only).
// -ENODEV no such chip, -ENOENT no such line, -EBUSY held elsewhere, -ENOSYS no libgpiod.
int perch_gpio_request(const char *chip_label, const char *line_name, uint32_t offset,
                       int direction, int bias, int active_low, int edges, int initial_value,
                       const char *consumer, perch_gpio_line *out);
void perch_gpio_release(perch_gpio_line *line);
int perch_gpio_set(perch_gpio_line *line, int value);
// 0 or 1, or -errno.
int perch_gpio_get(perch_gpio_line *line);
// 1 and the event when one is queued, 0 when none (never waits), or -errno.
int perch_gpio_next_event(perch_gpio_line *line, int *edge, uint64_t *timestamp_ns);
// The file descriptor that becomes readable when an edge is queued on a line requested
// with edges, or -errno.
int perch_gpio_event_fd(perch_gpio_line *line);
// Waits until one of `fds` is readable or `timeout_ms` passes (poll): 1 readable, 0
// timed out, -errno (-EINTR when a signal came first).
int perch_wait_readable(const int *fds, int count, int timeout_ms);

// --- I2C (/dev/i2c-N) ---

typedef struct {
    uint16_t address;
    uint16_t read;  // 1 read, 0 write
    uint16_t length;
    uint8_t *buffer;
} perch_i2c_segment;

// Bit set when the adapter does plain I2C (I2C_FUNC_I2C); 0 when it only speaks SMBus.
int perch_i2c_open(const char *path, int *plain_i2c);
int perch_i2c_close(int fd);
// One combined transfer (I2C_RDWR): repeated starts between segments, one stop.
// count <= PERCH_I2C_MAX_SEGMENTS.
enum { PERCH_I2C_MAX_SEGMENTS = 8 };
int perch_i2c_rdwr(int fd, const perch_i2c_segment *segments, int count);
// The same transfer as SMBus commands, for adapters without I2C_RDWR. Supported shapes:
// write 1 (send byte), write 2 (write byte data), write 3..33 (I2C block write), read 1
// (receive byte), write 1 + read 1 (read byte data), write 1 + read 2..32 (I2C block
// read). Anything else is -EOPNOTSUPP.
int perch_i2c_smbus(int fd, const perch_i2c_segment *segments, int count);
// The N of the adapter whose sysfs name is `name` (under `sys_root`, e.g. "/sys"), or -ENOENT.
int perch_i2c_find_adapter(const char *sys_root, const char *name);

#endif
#endif
