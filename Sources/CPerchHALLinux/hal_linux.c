#ifdef __linux__
#define _GNU_SOURCE
#include "perch_hal_linux.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

// ---------------------------------------------------------------------------------
// libgpiod 1.6 ABI, declared here so building needs no libgpiod-dev. When the header is
// present the declarations are checked against it at compile time.

struct gpiod_chip;
struct gpiod_line;
struct perch_gpiod_request_config { const char *consumer; int request_type; int flags; };
struct perch_gpiod_line_event { struct timespec ts; int event_type; };
enum {
    REQ_AS_IS = 1, REQ_INPUT = 2, REQ_OUTPUT = 3, REQ_FALLING = 4, REQ_RISING = 5, REQ_BOTH = 6,
};
enum {
    FLAG_ACTIVE_LOW = 1 << 2, FLAG_BIAS_DISABLE = 1 << 3, FLAG_PULL_DOWN = 1 << 4, FLAG_PULL_UP = 1 << 5,
};
enum { EVENT_RISING = 1, EVENT_FALLING = 2 };

#if __has_include(<gpiod.h>)
#include <gpiod.h>
_Static_assert(REQ_INPUT == GPIOD_LINE_REQUEST_DIRECTION_INPUT, "libgpiod ABI");
_Static_assert(REQ_OUTPUT == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, "libgpiod ABI");
_Static_assert(REQ_BOTH == GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES, "libgpiod ABI");
_Static_assert(REQ_RISING == GPIOD_LINE_REQUEST_EVENT_RISING_EDGE, "libgpiod ABI");
_Static_assert(REQ_FALLING == GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE, "libgpiod ABI");
_Static_assert(FLAG_ACTIVE_LOW == GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW, "libgpiod ABI");
_Static_assert(FLAG_BIAS_DISABLE == GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE, "libgpiod ABI");
_Static_assert(FLAG_PULL_DOWN == GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN, "libgpiod ABI");
_Static_assert(FLAG_PULL_UP == GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP, "libgpiod ABI");
_Static_assert(EVENT_RISING == GPIOD_LINE_EVENT_RISING_EDGE, "libgpiod ABI");
_Static_assert(sizeof(struct perch_gpiod_request_config) == sizeof(struct gpiod_line_request_config), "libgpiod ABI");
_Static_assert(sizeof(struct perch_gpiod_line_event) == sizeof(struct gpiod_line_event), "libgpiod ABI");
#endif

static struct {
    int loaded;  // 0 not tried, 1 loaded, -1 failed
    struct gpiod_chip *(*chip_open_by_label)(const char *);
    void (*chip_close)(struct gpiod_chip *);
    struct gpiod_line *(*chip_get_line)(struct gpiod_chip *, unsigned int);
    struct gpiod_line *(*chip_find_line)(struct gpiod_chip *, const char *);
    int (*line_request)(struct gpiod_line *, const struct perch_gpiod_request_config *, int);
    void (*line_release)(struct gpiod_line *);
    int (*line_set_value)(struct gpiod_line *, int);
    int (*line_get_value)(struct gpiod_line *);
    int (*line_event_wait)(struct gpiod_line *, const struct timespec *);
    int (*line_event_read)(struct gpiod_line *, struct perch_gpiod_line_event *);
    int (*line_event_get_fd)(struct gpiod_line *);
} gpiod;

#define LOAD(field, symbol)                                   \
    do {                                                      \
        *(void **)&gpiod.field = dlsym(library, symbol);      \
        if (!gpiod.field) { gpiod.loaded = -1; return -ENOENT; } \
    } while (0)

int perch_gpiod_load(void) {
    if (gpiod.loaded == 1) return 0;
    if (gpiod.loaded == -1) return -ENOENT;
    void *library = dlopen("libgpiod.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!library) { gpiod.loaded = -1; return -ENOENT; }
    LOAD(chip_open_by_label, "gpiod_chip_open_by_label");
    LOAD(chip_close, "gpiod_chip_close");
    LOAD(chip_get_line, "gpiod_chip_get_line");
    LOAD(chip_find_line, "gpiod_chip_find_line");
    LOAD(line_request, "gpiod_line_request");
    LOAD(line_release, "gpiod_line_release");
    LOAD(line_set_value, "gpiod_line_set_value");
    LOAD(line_get_value, "gpiod_line_get_value");
    LOAD(line_event_wait, "gpiod_line_event_wait");
    LOAD(line_event_read, "gpiod_line_event_read");
    LOAD(line_event_get_fd, "gpiod_line_event_get_fd");
    gpiod.loaded = 1;
    return 0;
}

int perch_gpio_request(const char *chip_label, const char *line_name, uint32_t offset,
                       int direction, int bias, int active_low, int edges, int initial_value,
                       const char *consumer, perch_gpio_line *out) {
    if (perch_gpiod_load() < 0) return -ENOSYS;
    struct gpiod_chip *chip = gpiod.chip_open_by_label(chip_label);
    if (!chip) return errno == ENOENT ? -ENODEV : -errno;
    struct gpiod_line *line = line_name ? gpiod.chip_find_line(chip, line_name)
                                        : gpiod.chip_get_line(chip, offset);
    if (!line) {
        int error = errno;
        gpiod.chip_close(chip);
        return error == EINVAL || error == ENOENT || error == 0 ? -ENOENT : -error;
    }
    struct perch_gpiod_request_config config = { consumer, REQ_INPUT, 0 };
    if (direction == PERCH_GPIO_OUTPUT) config.request_type = REQ_OUTPUT;
    else if (edges == (PERCH_GPIO_EDGE_RISING | PERCH_GPIO_EDGE_FALLING)) config.request_type = REQ_BOTH;
    else if (edges == PERCH_GPIO_EDGE_RISING) config.request_type = REQ_RISING;
    else if (edges == PERCH_GPIO_EDGE_FALLING) config.request_type = REQ_FALLING;
    if (active_low) config.flags |= FLAG_ACTIVE_LOW;
    if (bias == PERCH_GPIO_BIAS_DISABLED) config.flags |= FLAG_BIAS_DISABLE;
    if (bias == PERCH_GPIO_BIAS_PULL_UP) config.flags |= FLAG_PULL_UP;
    if (bias == PERCH_GPIO_BIAS_PULL_DOWN) config.flags |= FLAG_PULL_DOWN;
    if (gpiod.line_request(line, &config, initial_value) < 0) {
        int error = errno;
        gpiod.chip_close(chip);
        return -error;
    }
    out->chip = chip;
    out->line = line;
    return 0;
}

void perch_gpio_release(perch_gpio_line *line) {
    if (gpiod.loaded != 1 || !line->chip) return;
    gpiod.line_release(line->line);
    gpiod.chip_close(line->chip);
    line->chip = NULL;
    line->line = NULL;
}

int perch_gpio_set(perch_gpio_line *line, int value) {
    if (gpiod.loaded != 1 || !line->line) return -EBADF;
    return gpiod.line_set_value(line->line, value) < 0 ? -errno : 0;
}

int perch_gpio_get(perch_gpio_line *line) {
    if (gpiod.loaded != 1 || !line->line) return -EBADF;
    int value = gpiod.line_get_value(line->line);
    return value < 0 ? -errno : value;
}

int perch_gpio_next_event(perch_gpio_line *line, int *edge, uint64_t *timestamp_ns) {
    if (gpiod.loaded != 1 || !line->line) return -EBADF;
    struct timespec zero = { 0, 0 };
    int ready = gpiod.line_event_wait(line->line, &zero);
    if (ready <= 0) return ready < 0 ? -errno : 0;
    struct perch_gpiod_line_event event;
    if (gpiod.line_event_read(line->line, &event) < 0) return -errno;
    *edge = event.event_type == EVENT_RISING ? PERCH_GPIO_EDGE_RISING : PERCH_GPIO_EDGE_FALLING;
    *timestamp_ns = (uint64_t)event.ts.tv_sec * 1000000000u + (uint64_t)event.ts.tv_nsec;
    return 1;
}

int perch_gpio_event_fd(perch_gpio_line *line) {
    if (gpiod.loaded != 1 || !line->line) return -EBADF;
    int fd = gpiod.line_event_get_fd(line->line);
    return fd < 0 ? -errno : fd;
}

int perch_wait_readable(const int *fds, int count, int timeout_ms) {
    struct pollfd polled[32];
    if (count < 0 || count > 32) return -EINVAL;
    for (int i = 0; i < count; i++) {
        polled[i].fd = fds[i];
        polled[i].events = POLLIN;
        polled[i].revents = 0;
    }
    int ready = poll(polled, (nfds_t)count, timeout_ms);
    if (ready < 0) return -errno;
    return ready > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------
// I2C

int perch_i2c_open(const char *path, int *plain_i2c) {
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return -errno;
    unsigned long funcs = 0;
    if (ioctl(fd, I2C_FUNCS, &funcs) < 0) funcs = 0;
    *plain_i2c = (funcs & I2C_FUNC_I2C) != 0;
    return fd;
}

int perch_i2c_close(int fd) { return close(fd) < 0 ? -errno : 0; }

int perch_i2c_rdwr(int fd, const perch_i2c_segment *segments, int count) {
    if (count < 1 || count > PERCH_I2C_MAX_SEGMENTS) return -EINVAL;
    struct i2c_msg messages[PERCH_I2C_MAX_SEGMENTS];
    for (int i = 0; i < count; i++) {
        messages[i].addr = segments[i].address;
        messages[i].flags = segments[i].read ? I2C_M_RD : 0;
        messages[i].len = segments[i].length;
        messages[i].buf = segments[i].buffer;
    }
    struct i2c_rdwr_ioctl_data data = { messages, (uint32_t)count };
    return ioctl(fd, I2C_RDWR, &data) < 0 ? -errno : 0;
}

static int smbus(int fd, char read_write, uint8_t command, int size, union i2c_smbus_data *data) {
    struct i2c_smbus_ioctl_data args = { read_write, command, (uint32_t)size, data };
    return ioctl(fd, I2C_SMBUS, &args) < 0 ? -errno : 0;
}

int perch_i2c_smbus(int fd, const perch_i2c_segment *s, int count) {
    if (count < 1 || count > 2) return -EOPNOTSUPP;
    if (count == 2 && (s[0].address != s[1].address || s[0].read || !s[1].read || s[0].length != 1))
        return -EOPNOTSUPP;
    if (ioctl(fd, I2C_SLAVE, (unsigned long)s[0].address) < 0) return -errno;
    union i2c_smbus_data data;
    if (count == 2) {
        uint8_t command = s[0].buffer[0];
        uint16_t length = s[1].length;
        if (length == 1) {
            int result = smbus(fd, I2C_SMBUS_READ, command, I2C_SMBUS_BYTE_DATA, &data);
            if (result == 0) s[1].buffer[0] = data.byte;
            return result;
        }
        if (length < 2 || length > I2C_SMBUS_BLOCK_MAX) return -EOPNOTSUPP;
        data.block[0] = (uint8_t)length;
        int result = smbus(fd, I2C_SMBUS_READ, command, I2C_SMBUS_I2C_BLOCK_DATA, &data);
        if (result < 0) return result;
        if (data.block[0] < length) return -EIO;  // the adapter returned fewer bytes
        memcpy(s[1].buffer, &data.block[1], length);
        return 0;
    }
    if (s[0].read) {
        if (s[0].length != 1) return -EOPNOTSUPP;
        int result = smbus(fd, I2C_SMBUS_READ, 0, I2C_SMBUS_BYTE, &data);
        if (result == 0) s[0].buffer[0] = data.byte;
        return result;
    }
    uint16_t length = s[0].length;
    if (length == 1) return smbus(fd, I2C_SMBUS_WRITE, s[0].buffer[0], I2C_SMBUS_BYTE, NULL);
    if (length == 2) {
        data.byte = s[0].buffer[1];
        return smbus(fd, I2C_SMBUS_WRITE, s[0].buffer[0], I2C_SMBUS_BYTE_DATA, &data);
    }
    if (length < 2 || length - 1 > I2C_SMBUS_BLOCK_MAX) return -EOPNOTSUPP;
    data.block[0] = (uint8_t)(length - 1);
    memcpy(&data.block[1], &s[0].buffer[1], length - 1);
    return smbus(fd, I2C_SMBUS_WRITE, s[0].buffer[0], I2C_SMBUS_I2C_BLOCK_DATA, &data);
}

int perch_i2c_find_adapter(const char *sys_root, const char *name) {
    char path[256];
    char found[128];
    for (int n = 0; n < 256; n++) {
        snprintf(path, sizeof path, "%s/class/i2c-adapter/i2c-%d/name", sys_root, n);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t length = read(fd, found, sizeof found - 1);
        close(fd);
        if (length <= 0) continue;
        while (length > 0 && (found[length - 1] == '\n' || found[length - 1] == ' ')) length--;
        found[length] = 0;
        if (strcmp(found, name) == 0) return n;
    }
    return -ENOENT;
}
#endif
