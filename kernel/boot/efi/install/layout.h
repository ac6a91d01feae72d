/*
 * The empty A/B disk, laid out by D0 itself: a host that netboots D0 with a blank disk gets the
 * same layout `d0 disk build` makes (builder/disk/slots.ts, esp.ts; docs/ab.md), after which the
 * first build is installed into slot A like any other.
 *
 *   LBA 0                 protective MBR
 *   LBA 1, 2..33          primary GPT header, entries (128 x 128 bytes)
 *   LBA 2048              partition 1: slot A, FAT32 "D0_A", GPT name "ESP_A", type EF00
 *   LBA 2048 + S          partition 2: slot B, FAT32 "D0_B", GPT name "ESP_B", type EF00
 *   (free space up to the backup table)
 *   last-32..last-1, last backup GPT entries, header
 *
 * Both slots are S = slot_mib MiB, whole MiB so every partition is 1 MiB aligned (esp.ts:
 * ALIGN_SECTORS). slot_mib is what `d0 disk build --size-mib` accepts, 40..65536 (40 being the
 * smallest ESP, esp.ts MIN_ESP_MIB); 0 asks for the largest that fits the disk, capped at 65536.
 * Each slot is an empty FAT32 volume with mkfs.fat's parameters (fat32.h).
 *
 * The disk GUID, the partitions' unique GUIDs and the volume serials come from a 32-byte seed
 * (seed_ids.h): a random one for a real disk, a fixed one for a reproducible image.
 *
 * Pure code over a write callback (no firmware calls), so kernel/tests/test_disk_layout.c runs it
 * on the host against image files that sgdisk, fsck.fat and mtools then check.
 */
#ifndef D0_BOOT_EFI_INSTALL_LAYOUT_H
#define D0_BOOT_EFI_INSTALL_LAYOUT_H

#include <stdint.h>

#include "install/fat32.h"
#include "install/seed_ids.h"

#define DISK_SLOTS 2
#define DISK_BLOCK_SIZE 512
#define DISK_SLOT_MIN_MIB 40u
#define DISK_SLOT_MAX_MIB 65536u
#define DISK_ALIGN_BLOCKS 2048u /* 1 MiB: the first slot's LBA, and the slots' granule */

enum {
  DISK_LAYOUT_OK = 0,
  DISK_LAYOUT_EBLOCK = -1, /* the logical block size is not 512 bytes */
  DISK_LAYOUT_ESMALL = -2, /* the disk cannot hold two slots of DISK_SLOT_MIN_MIB */
  DISK_LAYOUT_ESLOT = -3,  /* slot_mib is not 0 and outside DISK_SLOT_MIN_MIB..MAX */
  DISK_LAYOUT_ENOFIT = -4, /* two slots of slot_mib do not fit this disk */
  DISK_LAYOUT_EINVAL = -5, /* a NULL argument, or a layout disk_layout_plan did not make */
  DISK_LAYOUT_EIO = -6,    /* the write callback failed; the writer stopped there */
};

struct disk_layout {
  uint64_t disk_blocks;
  uint32_t block_size;
  uint32_t slot_mib;
  uint64_t slot_first_lba[DISK_SLOTS], slot_blocks[DISK_SLOTS]; /* [0] = A, [1] = B */
  /* The GPT: usable range, and the backup copy (header at the last LBA, entries before it). */
  uint64_t first_usable_lba, last_usable_lba;
  uint64_t backup_entries_lba, backup_header_lba;
  uint8_t disk_guid[GUID_LEN];
  uint8_t part_guid[DISK_SLOTS][GUID_LEN];
  uint32_t volume_id[DISK_SLOTS];
  struct fat32_geom fat; /* each slot's file system (both the same size) */
};

/*
 * Plans the layout for a disk of disk_blocks blocks of block_size bytes and slots of slot_mib MiB
 * each (0 = the largest that fits both, whole MiB, at most DISK_SLOT_MAX_MIB). Slots must end by
 * the GPT's last usable LBA (disk_blocks - 34). Returns DISK_LAYOUT_OK and fills *out, or
 * EINVAL (NULL seed or out), EBLOCK, ESLOT, ESMALL, ENOFIT (checked in that order; *out is left
 * as it was on error).
 */
int disk_layout_plan(uint64_t disk_blocks, uint32_t block_size, uint32_t slot_mib,
                     const uint8_t seed[SEED_LEN], struct disk_layout *out);

/* The callback: writes nblocks blocks from buf at lba; 0, or nonzero for an I/O error. */
typedef int (*disk_layout_write_fn)(void *ctx, uint64_t lba, const void *buf, uint32_t nblocks);

/* The most blocks one callback gets: the module's own static buffer (64 KiB). */
#define DISK_LAYOUT_MAX_WRITE_BLOCKS 128u

/*
 * Writes the whole empty layout, only the blocks that must hold something, in this order:
 *
 *   1. LBA 1 and the last LBA: zero blocks over any older GPT header, so no older table (whose
 *      partitions would cover blocks about to be rewritten) is read from here on;
 *   2. LBA 0: the protective MBR;
 *   3. for slot A then slot B: both FATs (entries 0-2, the rest free), the root directory's
 *      cluster (the volume label, then the end of the directory), then sectors 0-7 (boot sector,
 *      FSInfo, the backup boot sector and its FSInfo): a boot sector never describes tables that
 *      are not written yet;
 *   4. the backup GPT entries, then the backup header at the last LBA;
 *   5. the primary GPT entries (LBA 2..33);
 *   6. the primary GPT header (LBA 1), LAST.
 *
 * A cut before 4 leaves a disk with no valid GPT (a protective MBR over nothing): it is still
 * blank to whatever lays it out next. A cut in 4 or 5 leaves the primary header invalid (zero)
 * and, from the backup header on, a valid backup table that firmware and builder/disk/gpt.ts
 * read instead (UEFI 2.10, 5.3.2) and that describes file systems already complete. Only the
 * last write makes the primary table valid, so there is never a primary table over half a
 * layout. A failed callback stops the writer at once (DISK_LAYOUT_EIO).
 *
 * The buffer the callback gets is this module's own (static, DISK_LAYOUT_MAX_WRITE_BLOCKS
 * blocks): not reentrant, and only valid during the call. Returns DISK_LAYOUT_OK, EINVAL or EIO.
 */
int disk_layout_write(const struct disk_layout *l, disk_layout_write_fn write, void *ctx);

/* A short text for a DISK_LAYOUT_* code ("unknown error" for any other). */
const char *disk_layout_strerror(int err);

#endif
