/*
 * Checks that every file a verified manifest references (the guest kernel, each container's
 * disk) is on the ESP as a regular file with the size and SHA-256 the signed manifest states.
 * Logs ev=file_ok per file, or ev=boot_failed with the specific reason for the first failure.
 *
 * Each file is read from the ESP once: into fresh pages (EfiLoaderData) that the launch then
 * uses as they are, and the SHA-256 is computed over those pages, so what runs is exactly what
 * was hashed and nothing of a file is used before its digest matched. A file the firmware has
 * no pages for is streamed through the hash instead (64 KiB at a time) and left for the launch
 * to load and hash itself, after it compared what the build needs with what is free.
 */
#ifndef D0_BOOT_EFI_FILES_H
#define D0_BOOT_EFI_FILES_H

#include <stdint.h>

#include "d0/manifest.h"
#include "efi/efi_system.h"
#include "esp.h"

/* The files stage 1 verified in memory; NULL where a file was only streamed. */
struct verified_files {
  uint8_t *kernel;
  uint8_t *disk[TLV_MAX_CONTAINERS]; /* by the container's index in the manifest */
  uint64_t bytes;                    /* the sizes of the files held */
};

/* 0 when every file matches (*out says which are held); -1 after logging ev=boot_failed, with
 * nothing held. *status gets the EFI status. */
int files_check(EFI_BOOT_SERVICES *bs, struct esp *e, const struct d0_manifest *m,
                struct verified_files *out, EFI_STATUS *status);

/* Gives the held files' pages back to the firmware (a launch that returned: nothing runs). */
void files_release(EFI_BOOT_SERVICES *bs, const struct d0_manifest *m, struct verified_files *f);

#endif
