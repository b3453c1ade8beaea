// Arm semihosting (the `bkpt 0xAB` calls QEMU answers with -semihosting-config enable=on):
// console output and the exit status of the run.
#include <stdint.h>
#include "perch_mcu.h"

enum { SYS_WRITE0 = 0x04, SYS_EXIT_EXTENDED = 0x20, ADP_STOPPED_APPLICATION_EXIT = 0x20026 };

static uintptr_t semihost(uintptr_t operation, const void *argument) {
    register uintptr_t r0 __asm("r0") = operation;
    register const void *r1 __asm("r1") = argument;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void perch_mcu_write(const char *text) { semihost(SYS_WRITE0, text); }

_Noreturn void perch_mcu_exit(int status) {
    // SYS_EXIT_EXTENDED carries a status, where plain SYS_EXIT only says success/failure.
    uintptr_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)status};
    semihost(SYS_EXIT_EXTENDED, block);
    for (;;) {}
}

// Swift's print ends in putchar: collect a line and hand it over in one call.
static char line[128];
static unsigned line_length;

int putchar(int c) {
    line[line_length++] = (char)c;
    if (c == '\n' || line_length == sizeof line - 1) {
        line[line_length] = 0;
        perch_mcu_write(line);
        line_length = 0;
    }
    return c;
}
