/*
 * The state an AP starts in after INIT and a startup IPI (Intel SDM vol. 3A 9.1.1 "Processor
 * State After Reset" and 8.4.4.1; AMD APM vol. 2 14.1.5): real mode, CS selector vector << 8
 * and base vector << 12, IP 0, the other segments 0 with 64 KiB limits, CR0 = ET (caches on:
 * nothing here is a real cache), EFER 0, RFLAGS 0x2, GDTR/IDTR base 0 limit 0xFFFF.
 */
#ifndef HV_SIPI_H
#define HV_SIPI_H

#include <stdint.h>

#include "arch/boot_regs.h"

void sipi_boot_regs(uint8_t vector, struct boot_regs *regs);

#endif /* HV_SIPI_H */
