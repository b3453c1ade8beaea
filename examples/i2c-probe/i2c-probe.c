/* i2c-probe BUS ADDRESS REGISTER COUNT: reads COUNT bytes from REGISTER of the chip at
 * ADDRESS (a register write, repeated start, read) and prints them, or the status the
 * bus gave. The device tests use it to see each I2C error reach a module as a status. */
#include <stdio.h>
#include <stdlib.h>

#include "perch.h"

/* A whole number in [min, max] (decimal, 0x hex or 0 octal, as strtoul reads it), or -1. */
static long parse_number(const char *text, unsigned long min, unsigned long max) {
    char *end;
    if (text[0] < '0' || text[0] > '9') return -1;  /* strtoul would take "-1" or " 1" */
    unsigned long value = strtoul(text, &end, 0);
    if (*end != '\0' || value < min || value > max) return -1;
    return (long)value;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        printf("usage: i2c-probe BUS ADDRESS REGISTER COUNT\n");
        return 2;
    }
    uint8_t data[32];
    long address = parse_number(argv[2], 0, 0xffffffffUL);  /* the host judges the address */
    long reg_number = parse_number(argv[3], 0, 0xff);
    long count = parse_number(argv[4], 1, sizeof data);
    if (address < 0 || reg_number < 0 || count < 0) {
        if (address < 0) printf("i2c-probe: ADDRESS '%s' is not a number\n", argv[2]);
        if (reg_number < 0) printf("i2c-probe: REGISTER '%s' is not a register number (0 to 0xff)\n", argv[3]);
        if (count < 0) printf("i2c-probe: COUNT '%s' is not a byte count (1 to %u)\n", argv[4], (unsigned)sizeof data);
        return 2;
    }
    uint8_t reg = (uint8_t)reg_number;
    perch_handle bus;
    perch_status status = perch_i2c_open(argv[1], &bus);
    if (status != PERCH_OK) {
        printf("i2c-probe: open %s: status %d\n", argv[1], (int)status);
        return 1;
    }
    status = perch_i2c_write_read(bus, (uint32_t)address, &reg, 1, data, (size_t)count);
    if (status != PERCH_OK) {
        printf("i2c-probe: %s 0x%02x register 0x%02x: status %d\n", argv[1], (unsigned)address, reg, (int)status);
        return 1;
    }
    printf("%s 0x%02x register 0x%02x:", argv[1], (unsigned)address, reg);
    for (long i = 0; i < count; i++) printf(" %02x", data[i]);
    printf("\n");
    return 0;
}
