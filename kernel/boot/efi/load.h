/*
 * Loading what the manifest names for the launch. A file stage 1 already holds in memory
 * (files.h: read once, hashed in those pages) is used as it is; one it only streamed through the
 * hash (no pages were free then) is read now into fresh pages and its SHA-256 checked against
 * the manifest again. Either way what runs is exactly what was hashed.
 */
#ifndef D0_BOOT_EFI_LOAD_H
#define D0_BOOT_EFI_LOAD_H

#include <stdint.h>

#include "efi/efi_system.h"
#include "esp.h"

/* held: stage 1's verified copy of path, or NULL. With it, *out = held. Without, reads path (size
 * bytes, digest its signed SHA-256) into fresh pages: *out on success; else ev=boot_failed
 * reason=out_of_memory|size_mismatch|digest_mismatch detail=path and the status. */
EFI_STATUS load_verified(EFI_BOOT_SERVICES *bs, struct esp *esp, const char *path, uint64_t size,
                         const uint8_t digest[32], uint8_t *held, uint8_t **out);

#endif
