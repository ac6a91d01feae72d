/*
 * D0's clock, started first thing at entry: the TSC, its rate measured against the firmware's
 * Stall (the smallest of five 10 ms delays: a Stall can only overrun, which would inflate the
 * rate). arch_time_ns() counts from here, and every event of the boot log carries ms= since D0
 * started (log.h), before and after ExitBootServices alike.
 */
#ifndef D0_BOOT_EFI_CLOCK_H
#define D0_BOOT_EFI_CLOCK_H

#include "efi/efi_system.h"

void efi_clock_init(EFI_BOOT_SERVICES *bs);

#endif
