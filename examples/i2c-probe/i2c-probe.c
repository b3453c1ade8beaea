/* i2c-probe BUS ADDRESS REGISTER COUNT: reads COUNT bytes from REGISTER of the chip at
 * ADDRESS (a register write, repeated start, read) and prints them, or the status the
 * bus gave. The device tests use it to see each I2C error reach a module as a status. */
#include <stdio.h>
#include <stdlib.h>

#include "perch.h"

int main(int argc, char **argv) {
    if (argc != 5) {
        printf("usage: i2c-probe BUS ADDRESS REGISTER COUNT\n");
        return 2;
    }
    uint32_t address = (uint32_t)strtoul(argv[2], NULL, 0);
    uint8_t reg = (uint8_t)strtoul(argv[3], NULL, 0);
    size_t count = (size_t)strtoul(argv[4], NULL, 0);
    uint8_t data[32];
    if (count < 1 || count > sizeof data) count = 1;
    perch_handle bus;
    perch_status status = perch_i2c_open(argv[1], &bus);
    if (status != PERCH_OK) {
        printf("i2c-probe: open %s: status %d\n", argv[1], (int)status);
        return 1;
    }
    status = perch_i2c_write_read(bus, address, &reg, 1, data, count);
    if (status != PERCH_OK) {
        printf("i2c-probe: %s 0x%02x register 0x%02x: status %d\n", argv[1], (unsigned)address, reg, (int)status);
        return 1;
    }
    printf("%s 0x%02x register 0x%02x:", argv[1], (unsigned)address, reg);
    for (size_t i = 0; i < count; i++) printf(" %02x", data[i]);
    printf("\n");
    return 0;
}
