/* GPT blocks; contract in gpt.h. Offsets are those of UEFI 2.10, tables 5.4-5.7. */
#include "install/gpt.h"

#include "d0/lib.h"
#include "install/crc32.h"
#include "install/le.h"

/* Protective MBR (5.2.3, tables 5.4 and 5.5). */
#define MBR_PART_TABLE 446      /* PartitionRecord[0] */
#define MBR_SIGNATURE 510       /* 0x55 0xAA */
#define MBR_SIG_0 0x55u
#define MBR_SIG_1 0xAAu
#define PR_BOOT_INDICATOR 0     /* 0: not bootable */
#define PR_STARTING_CHS 1       /* 3 bytes */
#define PR_OS_TYPE 4
#define PR_ENDING_CHS 5         /* 3 bytes */
#define PR_STARTING_LBA 8
#define PR_SIZE_IN_LBA 12
#define OS_TYPE_GPT_PROTECTIVE 0xEEu
#define PROTECTIVE_START_LBA 1
#define PROTECTIVE_MAX_SIZE 0xFFFFFFFFu
/*
 * CHS is obsolete, but the fields still hold something: the start is 0x000200 (head 0, sector 2,
 * cylinder 0: LBA 1) and the end the CHS of the partition's last block, or 0xFFFFFF when that
 * is past what CHS can address (5.2.3). Addresses are in the 255-head, 63-sector geometry that
 * sgdisk uses.
 */
#define CHS_HEADS 255u
#define CHS_SECTORS 63u
#define CHS_MAX_CYLINDER 1023u
#define CHS_NONE 0xFFu

/* GPT header (5.3.2, table 5.6). */
#define HDR_SIGNATURE 0         /* "EFI PART" */
#define HDR_REVISION 8
#define HDR_HEADER_SIZE 12
#define HDR_HEADER_CRC32 16
#define HDR_MY_LBA 24
#define HDR_ALTERNATE_LBA 32
#define HDR_FIRST_USABLE_LBA 40
#define HDR_LAST_USABLE_LBA 48
#define HDR_DISK_GUID 56
#define HDR_ENTRIES_LBA 72
#define HDR_NUM_ENTRIES 80
#define HDR_ENTRY_SIZE 84
#define HDR_ENTRIES_CRC32 88
#define HDR_SIZE 92             /* HeaderSize: the bytes the header CRC covers */
#define GPT_REVISION_1_0 0x00010000u
static const char gpt_signature[8] = {'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'};

/* GPT partition entry (5.3.3, table 5.7). */
#define ENT_TYPE_GUID 0
#define ENT_UNIQUE_GUID 16
#define ENT_STARTING_LBA 32
#define ENT_ENDING_LBA 40
#define ENT_ATTRIBUTES 48       /* left 0: no attribute bits */
#define ENT_NAME 56             /* CHAR16[36] */

const uint8_t gpt_esp_type_guid[GUID_LEN] = {0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
                                             0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B};

static void put_chs(uint8_t chs[3], uint64_t lba) {
  uint64_t cyl = lba / (CHS_HEADS * CHS_SECTORS);
  if (cyl > CHS_MAX_CYLINDER) {
    chs[0] = chs[1] = chs[2] = CHS_NONE;
    return;
  }
  uint32_t head = (uint32_t)(lba / CHS_SECTORS % CHS_HEADS);
  uint32_t sector = (uint32_t)(lba % CHS_SECTORS) + 1;
  chs[0] = (uint8_t)head;
  chs[1] = (uint8_t)(sector | (cyl >> 8) << 6); /* cylinder bits 8-9 in the top two bits */
  chs[2] = (uint8_t)cyl;
}

void gpt_protective_mbr(uint8_t blk[GPT_BLOCK], uint64_t disk_blocks) {
  memset(blk, 0, GPT_BLOCK);
  uint8_t *pr = blk + MBR_PART_TABLE;
  uint64_t size = disk_blocks - PROTECTIVE_START_LBA;
  if (size > PROTECTIVE_MAX_SIZE)
    size = PROTECTIVE_MAX_SIZE;
  pr[PR_BOOT_INDICATOR] = 0;
  put_chs(pr + PR_STARTING_CHS, PROTECTIVE_START_LBA);
  pr[PR_OS_TYPE] = OS_TYPE_GPT_PROTECTIVE;
  put_chs(pr + PR_ENDING_CHS, PROTECTIVE_START_LBA + size - 1);
  put_le32(pr + PR_STARTING_LBA, PROTECTIVE_START_LBA);
  put_le32(pr + PR_SIZE_IN_LBA, (uint32_t)size);
  blk[MBR_SIGNATURE] = MBR_SIG_0;
  blk[MBR_SIGNATURE + 1] = MBR_SIG_1;
}

uint32_t gpt_entries(uint8_t arr[GPT_ENTRIES_BYTES], const struct gpt_part *parts, unsigned n) {
  memset(arr, 0, GPT_ENTRIES_BYTES);
  for (unsigned i = 0; i < n && i < GPT_ENTRY_COUNT; i++) {
    uint8_t *e = arr + (size_t)i * GPT_ENTRY_SIZE;
    memcpy(e + ENT_TYPE_GUID, parts[i].type_guid, GUID_LEN);
    memcpy(e + ENT_UNIQUE_GUID, parts[i].unique_guid, GUID_LEN);
    put_le64(e + ENT_STARTING_LBA, parts[i].first_lba);
    put_le64(e + ENT_ENDING_LBA, parts[i].last_lba);
    for (unsigned c = 0; c < GPT_NAME_CHARS && parts[i].name[c]; c++)
      put_le16(e + ENT_NAME + 2 * c, (uint8_t)parts[i].name[c]); /* ASCII -> UTF-16LE */
  }
  return crc32_ieee(arr, GPT_ENTRIES_BYTES);
}

void gpt_header(uint8_t blk[GPT_BLOCK], const struct gpt_header_fields *h) {
  memset(blk, 0, GPT_BLOCK);
  memcpy(blk + HDR_SIGNATURE, gpt_signature, sizeof gpt_signature);
  put_le32(blk + HDR_REVISION, GPT_REVISION_1_0);
  put_le32(blk + HDR_HEADER_SIZE, HDR_SIZE);
  put_le64(blk + HDR_MY_LBA, h->my_lba);
  put_le64(blk + HDR_ALTERNATE_LBA, h->alternate_lba);
  put_le64(blk + HDR_FIRST_USABLE_LBA, h->first_usable_lba);
  put_le64(blk + HDR_LAST_USABLE_LBA, h->last_usable_lba);
  memcpy(blk + HDR_DISK_GUID, h->disk_guid, GUID_LEN);
  put_le64(blk + HDR_ENTRIES_LBA, h->entries_lba);
  put_le32(blk + HDR_NUM_ENTRIES, GPT_ENTRY_COUNT);
  put_le32(blk + HDR_ENTRY_SIZE, GPT_ENTRY_SIZE);
  put_le32(blk + HDR_ENTRIES_CRC32, h->entries_crc);
  /* HeaderCRC32 covers HeaderSize bytes with the CRC field itself zero (it still is here). */
  put_le32(blk + HDR_HEADER_CRC32, crc32_ieee(blk, HDR_SIZE));
}
