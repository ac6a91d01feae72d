/*
 * Checks that every file a verified manifest references (the guest kernel, each container's
 * disk) is on the ESP as a regular file with the size and SHA-256 the signed manifest states.
 * Logs ev=file_ok per file, or ev=boot_failed with the specific reason for the first failure.
 */
#ifndef D0_BOOT_EFI_FILES_H
#define D0_BOOT_EFI_FILES_H

#include "d0/manifest.h"
#include "esp.h"

/* 0 when every file matches; -1 after logging ev=boot_failed. *status gets the EFI status. */
int files_check(struct esp *e, const struct d0_manifest *m, EFI_STATUS *status);

#endif
