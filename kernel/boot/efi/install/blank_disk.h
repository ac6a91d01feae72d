/*
 * The disk a netbooted D0 may lay out: a whole disk (not a partition), present, writable, with
 * 512-byte blocks, large enough for two slots, and blank: its first MiB and its last 33 blocks
 * (where an MBR, a GPT or its backup would be) hold nothing but zeros. A disk with anything there
 * is never written: D0 does not guess whether data matters.
 */
#ifndef D0_BOOT_EFI_INSTALL_BLANK_DISK_H
#define D0_BOOT_EFI_INSTALL_BLANK_DISK_H

#include <stdint.h>

#include "efi/efi_protocols.h"
#include "install/layout.h"

struct blank_disk {
  EFI_HANDLE handle;
  EFI_BLOCK_IO_PROTOCOL *io;
  uint64_t blocks;
  uint32_t disks_seen; /* whole disks looked at */
};

/* The first blank disk; NULL, or the reason none was found ("no_disk", "no_blank_disk"). */
const char *blank_disk_find(EFI_BOOT_SERVICES *bs, struct blank_disk *out);

/* Lays the empty A/B disk out (layout.h) on d and flushes it; 0, or a layout error. */
int blank_disk_write(struct blank_disk *d, const struct disk_layout *l);

#endif
