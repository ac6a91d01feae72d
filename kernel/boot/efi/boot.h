/* Stage 1 of D0: find, verify and check the slot's signed build (see kernel/README.md). */
#ifndef D0_BOOT_EFI_BOOT_H
#define D0_BOOT_EFI_BOOT_H

#include "efi/efi_system.h"
#include "stack_guard.h"

/* Logs every step; returns EFI_SUCCESS after ev=ready_to_launch, an error after ev=boot_failed. */
EFI_STATUS d0_boot(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, enum stack_guard_source guard,
                   EFI_STATUS watchdog_status);

#endif
