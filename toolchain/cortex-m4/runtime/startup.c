// Vector table and reset handler for the Cortex-M4 image.
#include <stdint.h>
#include "perch_mcu.h"

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;

// The image's Swift entry point (Sources/perch-mcu); returns the exit status.
int perch_mcu_main(void);

_Noreturn void perch_reset_handler(void) {
    uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
    // Grant full access to the FPU (CP10, CP11) before any floating-point instruction:
    // the image is built for the hard-float ABI.
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88;
    *cpacr |= 0xFu << 20;
    __asm volatile("dsb\n isb" ::: "memory");
    perch_mcu_exit(perch_mcu_main());
}

static char context[48];

void perch_mcu_set_context(const unsigned char *name, long count) {
    long n = 0;
    for (; n < count && n < (long)sizeof context - 1; n++) context[n] = (char)name[n];
    context[n] = 0;
}

// A fault (a Swift trap is an undefined instruction) ends the run with a distinct status
// instead of hanging the emulator, naming what was running.
static _Noreturn void perch_fault_handler(void) {
    perch_mcu_write("perch-mcu: fault (Swift trap or bad memory access) in: ");
    perch_mcu_write(context[0] ? context : "startup");
    perch_mcu_write("\n");
    perch_mcu_exit(255);
}

static _Noreturn void perch_unexpected_interrupt(void) {
    perch_mcu_write("perch-mcu: unexpected interrupt\n");
    perch_mcu_exit(254);
}

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used))
static const vector_t vectors[16] = {
    (vector_t)&__stack_top,
    perch_reset_handler,
    perch_unexpected_interrupt,  // NMI
    perch_fault_handler,         // HardFault
    perch_fault_handler,         // MemManage
    perch_fault_handler,         // BusFault
    perch_fault_handler,         // UsageFault
    0, 0, 0, 0,
    perch_unexpected_interrupt,  // SVCall
    perch_unexpected_interrupt,  // DebugMonitor
    0,
    perch_unexpected_interrupt,  // PendSV
    perch_unexpected_interrupt,  // SysTick
};
