/*
 * The blocks of a new GUID Partition Table (UEFI 2.10, section 5): the protective MBR (5.2.3),
 * a header (5.3.2) and the partition entry array (5.3.3), each formatted into a caller's buffer.
 * Pure formatting: where the copies go and in what order they are written is the caller's
 * (layout.c). Written the way `sgdisk -o` lays a table out, which is how `d0 disk build`
 * (builder/disk/esp.ts) makes one: 128 entries of 128 bytes, the primary array right after the
 * primary header (LBA 2..33), the backup array right before the backup header (the last LBA).
 *
 * 512-byte logical blocks only (GPT_BLOCK); the caller refuses other sizes.
 */
#ifndef D0_BOOT_EFI_INSTALL_GPT_H
#define D0_BOOT_EFI_INSTALL_GPT_H

#include <stdint.h>

#include "install/seed_ids.h"

#define GPT_BLOCK 512
#define GPT_ENTRY_COUNT 128
#define GPT_ENTRY_SIZE 128
#define GPT_ENTRIES_BYTES (GPT_ENTRY_COUNT * GPT_ENTRY_SIZE)
#define GPT_ENTRIES_BLOCKS (GPT_ENTRIES_BYTES / GPT_BLOCK) /* 32 */
#define GPT_NAME_CHARS 36 /* PartitionName: 36 UTF-16 code units */

#define GPT_MBR_LBA 0
#define GPT_PRIMARY_HEADER_LBA 1
#define GPT_PRIMARY_ENTRIES_LBA 2
/* The first block after the primary header and array; the last usable one mirrors it. */
#define GPT_FIRST_USABLE_LBA (GPT_PRIMARY_ENTRIES_LBA + GPT_ENTRIES_BLOCKS) /* 34 */
/* Blocks at the end of the disk for the backup array and header. */
#define GPT_BACKUP_BLOCKS (GPT_ENTRIES_BLOCKS + 1) /* 33 */

/* EFI System Partition, C12A7328-F81F-11D2-BA4B-00A0C93EC93B (UEFI 2.10, 5.3.3), on-disk order. */
extern const uint8_t gpt_esp_type_guid[GUID_LEN];

struct gpt_part {
  const uint8_t *type_guid;   /* GUID_LEN bytes, on-disk order */
  const uint8_t *unique_guid; /* GUID_LEN bytes, on-disk order */
  uint64_t first_lba, last_lba; /* inclusive */
  const char *name;           /* ASCII, at most GPT_NAME_CHARS characters */
};

struct gpt_header_fields {
  uint64_t my_lba, alternate_lba;
  uint64_t first_usable_lba, last_usable_lba;
  const uint8_t *disk_guid; /* GUID_LEN bytes, on-disk order */
  uint64_t entries_lba;
  uint32_t entries_crc;     /* gpt_entries()'s result */
};

/*
 * The protective MBR of a disk of disk_blocks blocks: one partition of type 0xEE from LBA 1 over
 * the rest of the disk (at most 0xFFFFFFFF blocks), no boot code, disk signature 0.
 */
void gpt_protective_mbr(uint8_t blk[GPT_BLOCK], uint64_t disk_blocks);

/* The entry array (GPT_ENTRIES_BYTES): parts in entries 1..n, the rest unused (zero). Returns the
 * array's CRC32 for the headers. */
uint32_t gpt_entries(uint8_t arr[GPT_ENTRIES_BYTES], const struct gpt_part *parts, unsigned n);

/* A header block (the header, then zeros to the block's end), its own CRC32 filled in. */
void gpt_header(uint8_t blk[GPT_BLOCK], const struct gpt_header_fields *h);

#endif
