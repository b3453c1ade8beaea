/* Perch guest SDK for C: the device imports (gpio, i2c, sensor, time) described in
 * docs/devices-abi.md, plus small helpers. Build guests with the Swift toolchain's clang:
 *   clang --target=wasm32-wasi --sysroot=/usr -I toolchain/sdk app.c -o app.wasm
 * Every function returns a perch_status (0 = PERCH_OK) unless noted. */
#ifndef PERCH_H
#define PERCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PERCH_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

typedef int32_t perch_status;
typedef int32_t perch_handle;

enum {
    PERCH_OK = 0,
    PERCH_DENIED = 1,
    PERCH_NOT_FOUND = 2,
    PERCH_BUSY = 3,
    PERCH_BAD_HANDLE = 4,
    PERCH_INVALID = 5,
    PERCH_FAULT = 6,
    PERCH_PENDING = 7,
    PERCH_TIMED_OUT = 8,
    PERCH_NO_HANDLES = 9,
    PERCH_UNAVAILABLE = 10,
    PERCH_IO = 11,
    PERCH_UNSUPPORTED = 12,
    PERCH_WRONG_DEVICE = 13,
    PERCH_I2C_BUS = 16,
    PERCH_I2C_ARBITRATION_LOSS = 17,
    PERCH_I2C_NAK_ADDRESS = 18,
    PERCH_I2C_NAK_DATA = 19,
    PERCH_I2C_NAK_UNKNOWN = 20,
    PERCH_I2C_OVERRUN = 21,
    PERCH_I2C_OTHER = 22,
    PERCH_I2C_TIMEOUT = 23,
};

/* ---- gpio ---- */

enum {
    PERCH_GPIO_INPUT = 0,
    PERCH_GPIO_OUTPUT = 1 << 0,
    PERCH_GPIO_BIAS_DISABLED = 1 << 1,
    PERCH_GPIO_PULL_UP = 2 << 1,
    PERCH_GPIO_PULL_DOWN = 3 << 1,
    PERCH_GPIO_ACTIVE_LOW = 1 << 3,
    PERCH_GPIO_INITIAL_HIGH = 1 << 4,
    PERCH_GPIO_RISING_EDGE = 1 << 5,
    PERCH_GPIO_FALLING_EDGE = 1 << 6,
    PERCH_GPIO_BOTH_EDGES = (1 << 5) | (1 << 6),
};

enum { PERCH_EDGE_RISING = 1, PERCH_EDGE_FALLING = 2, PERCH_EDGE_BOTH = 3 };

typedef struct {
    uint64_t timestamp_ns;
    uint32_t edge; /* PERCH_EDGE_RISING or PERCH_EDGE_FALLING */
    uint32_t reserved;
} perch_gpio_event;

PERCH_IMPORT("gpio", "open") perch_status perch_gpio_open_raw(const char *label, size_t label_len, uint32_t flags, perch_handle *handle);
PERCH_IMPORT("gpio", "close") perch_status perch_gpio_close(perch_handle handle);
PERCH_IMPORT("gpio", "set") perch_status perch_gpio_set(perch_handle handle, uint32_t value);
PERCH_IMPORT("gpio", "get") perch_status perch_gpio_get(perch_handle handle, uint32_t *value);
PERCH_IMPORT("gpio", "toggle") perch_status perch_gpio_toggle(perch_handle handle);
PERCH_IMPORT("gpio", "wait_edge") perch_status perch_gpio_wait_edge_once(perch_handle handle, uint32_t edges, int32_t timeout_ms, perch_gpio_event *event);

static inline perch_status perch_gpio_open(const char *label, uint32_t flags, perch_handle *handle) {
    return perch_gpio_open_raw(label, strlen(label), flags, handle);
}

/* Waits for an edge; timeout_ms < 0 waits for ever. The module is suspended between
 * looks, so the runtime (and other modules) keep running. */
static inline perch_status perch_gpio_wait_edge(perch_handle handle, uint32_t edges, int32_t timeout_ms, perch_gpio_event *event) {
    perch_status status;
    do {
        status = perch_gpio_wait_edge_once(handle, edges, timeout_ms, event);
    } while (status == PERCH_PENDING);
    return status;
}

/* ---- i2c ---- */

typedef struct {
    uint32_t kind; /* PERCH_I2C_WRITE or PERCH_I2C_READ */
    void *buffer;
    uint32_t length;
} perch_i2c_segment;

enum { PERCH_I2C_WRITE = 0, PERCH_I2C_READ = 1, PERCH_I2C_MAX_SEGMENTS = 8 };

PERCH_IMPORT("i2c", "open") perch_status perch_i2c_open_raw(const char *label, size_t label_len, perch_handle *handle);
PERCH_IMPORT("i2c", "close") perch_status perch_i2c_close(perch_handle handle);
PERCH_IMPORT("i2c", "read") perch_status perch_i2c_read(perch_handle bus, uint32_t address, void *buffer, size_t length);
PERCH_IMPORT("i2c", "write") perch_status perch_i2c_write(perch_handle bus, uint32_t address, const void *buffer, size_t length);
PERCH_IMPORT("i2c", "write_read") perch_status perch_i2c_write_read(perch_handle bus, uint32_t address, const void *out, size_t out_length, void *in, size_t in_length);
PERCH_IMPORT("i2c", "transaction") perch_status perch_i2c_transaction(perch_handle bus, uint32_t address, perch_i2c_segment *segments, size_t count);

static inline perch_status perch_i2c_open(const char *label, perch_handle *handle) {
    return perch_i2c_open_raw(label, strlen(label), handle);
}

/* ---- sensor ---- */

enum { PERCH_TEMPERATURE_MILLI_C = 0, PERCH_PRESSURE_PA = 1, PERCH_HUMIDITY_MILLI_PERCENT = 2 };

PERCH_IMPORT("sensor", "count") int32_t perch_sensor_count(void);
PERCH_IMPORT("sensor", "name") perch_status perch_sensor_name(uint32_t index, char *buffer, size_t capacity, uint32_t *length);
PERCH_IMPORT("sensor", "open") perch_status perch_sensor_open_raw(const char *label, size_t label_len, perch_handle *handle);
PERCH_IMPORT("sensor", "close") perch_status perch_sensor_close(perch_handle handle);
PERCH_IMPORT("sensor", "channels") perch_status perch_sensor_channels(perch_handle handle, uint32_t *mask);
PERCH_IMPORT("sensor", "read") perch_status perch_sensor_read_once(perch_handle handle, uint32_t channel, int64_t *value);

static inline perch_status perch_sensor_open(const char *label, perch_handle *handle) {
    return perch_sensor_open_raw(label, strlen(label), handle);
}

/* Reads a channel, waiting (suspended) while the chip has no measurement yet. */
static inline perch_status perch_sensor_read(perch_handle handle, uint32_t channel, int64_t *value) {
    perch_status status;
    do {
        status = perch_sensor_read_once(handle, channel, value);
    } while (status == PERCH_PENDING);
    return status;
}

/* ---- time ---- */

PERCH_IMPORT("time", "monotonic_ms") int64_t perch_monotonic_ms(void);
PERCH_IMPORT("time", "sleep_ms") perch_status perch_sleep_ms(int32_t milliseconds);

#endif
