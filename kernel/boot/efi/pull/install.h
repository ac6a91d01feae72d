/*
 * Lays a pulled build into another slot's volume, in the power-safe order of the offline writer
 * (builder/disk/writer.ts), adapted to a file system the firmware writes for D0:
 *
 *   1. install_check: the build fits the volume (nothing written otherwise);
 *   2. install_clear: every file of the slot goes, its manifest-<uuid>.tlv first (flushed), so
 *      from here on the slot names no build and D0 never tries what is left of it;
 *   3. install_file, for each file of the build: fetched (or copied from the running slot when
 *      it holds a file with the same SHA-256 and size) straight into place, hashed on the way,
 *      and refused when its size or digest is not the signed one;
 *   4. install_commit: the signature, then the manifest as manifest-<uuid>.tlv.part, flushed,
 *      then renamed to manifest-<uuid>.tlv: THE COMMIT POINT, since D0 sees a slot's build only
 *      through that name.
 *
 * A failure or a power cut before 4's rename leaves a slot with no build (not bootable): the
 * running build stays the last good one and the next boot pulls again. From the rename on the
 * slot holds the whole build, which the A/B choice then prechecks and tries like any other.
 */
#ifndef D0_BOOT_EFI_PULL_INSTALL_H
#define D0_BOOT_EFI_PULL_INSTALL_H

#include <stdint.h>

#include "esp.h"
#include "target.h"

struct install {
  struct esp *dest;         /* the slot being written */
  struct esp *own;          /* the running slot: a source of identical files (NULL: none) */
  const struct d0_manifest *own_m; /* its manifest; NULL on a first install */
  const char *own_uuid;
  const char *base_url;     /* the update server's URL (ends in '/') */
  uint64_t deadline_ns;
  const struct pull_target *t;
  /* Out: totals, and the reason of a failure (NULL while none). */
  uint64_t net_bytes, local_bytes;
  uint32_t http_status;
  const char *why;
};

/* 0 when the build's files fit the volume; else -1 with why = "slot_too_small" or "slot_io". */
int install_check(struct install *in);
int install_clear(struct install *in);
/* Every file the manifest names and D0's EFI image under its two names. */
int install_files(struct install *in);
int install_commit(struct install *in);

#endif
