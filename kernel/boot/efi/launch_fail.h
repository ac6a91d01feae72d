/*
 * How the launch stage fails before ExitBootServices: one ev=boot_failed reason=R [detail=D]
 * stage=launch, and the EFI_STATUS d0_launch returns (nothing launched, firmware intact).
 */
#ifndef D0_BOOT_EFI_LAUNCH_FAIL_H
#define D0_BOOT_EFI_LAUNCH_FAIL_H

#include "efi/efi_types.h"

/* detail may be NULL. Returns status. */
EFI_STATUS launch_fail(const char *reason, const char *detail, EFI_STATUS status);

#endif
