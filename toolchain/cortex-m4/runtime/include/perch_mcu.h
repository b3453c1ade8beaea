// The bare-metal runtime under the Cortex-M4 image: reset, semihosting, heap and the
// C library functions Embedded Swift code needs. See toolchain/cortex-m4/README.md.
#ifndef PERCH_MCU_H
#define PERCH_MCU_H

// Writes `text` (NUL-terminated) to the host's stdout through semihosting.
void perch_mcu_write(const char *text);
// Ends the QEMU run with `status` as the emulator's exit code (semihosting).
_Noreturn void perch_mcu_exit(int status);
// Names what is running (`count` bytes of UTF-8), for the fault message.
void perch_mcu_set_context(const unsigned char *name, long count);
// Bytes of heap in use now and at most, for size reports.
unsigned perch_mcu_heap_used(void);
unsigned perch_mcu_heap_peak(void);
unsigned perch_mcu_heap_size(void);

#endif
