/*
 * arch_time_ns() from the TSC. The TSC rate is measured once against a firmware delay
 * (UEFI Stall) before ExitBootServices; the CPUs D0 targets have an invariant TSC, and under
 * QEMU TCG the TSC follows the host clock.
 */
#ifndef D0_ARCH_X86_TIME_H
#define D0_ARCH_X86_TIME_H

#include <stdbool.h>
#include <stdint.h>

/* tsc_delta ticks were counted over us microseconds. */
void x86_time_calibrate(uint64_t tsc_delta, uint64_t us);

uint64_t x86_tsc_hz(void);

/* x86_time_calibrate accepted a measurement (x86_tsc_hz is not the 1 GHz placeholder). */
bool x86_tsc_measured(void);

/* arch_time_ns() counts from this TSC value (default: the end of the calibration). */
void x86_time_set_origin(uint64_t tsc);

#endif
