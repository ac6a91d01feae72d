/*
 * Loading what the manifest names for the launch: each file is read into fresh pages and its
 * SHA-256 checked against the manifest again, so what runs is what was hashed (stage 1 checked
 * the file on the ESP; this checks the bytes in memory).
 */
#ifndef D0_BOOT_EFI_LOAD_H
#define D0_BOOT_EFI_LOAD_H

#include <stdint.h>

#include "efi/efi_system.h"
#include "esp.h"

/* Reads path (size bytes, digest its signed SHA-256) into fresh pages: *out on success; else
 * ev=boot_failed reason=out_of_memory|size_mismatch|digest_mismatch detail=path and the status. */
EFI_STATUS load_verified(EFI_BOOT_SERVICES *bs, struct esp *esp, const char *path, uint64_t size,
                         const uint8_t digest[32], uint8_t **out);

#endif
