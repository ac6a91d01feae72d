/*
 * The slots of the boot disk: every FAT volume (SimpleFileSystem handle) that is a GPT partition
 * of the same disk as the volume D0 was loaded from. A slot's identity is the UUID in its one
 * manifest-<uuid>.tlv file name (unsigned: whatever is chosen is verified before it is used);
 * a volume with zero or several manifests has no UUID. Partition 1 is slot A, 2 is slot B.
 */
#ifndef D0_BOOT_EFI_AB_SLOTS_H
#define D0_BOOT_EFI_AB_SLOTS_H

#include "efi_ab.h"
#include "esp.h"

#define AB_MAX_SLOTS 8
#define AB_DP_MAX 512 /* bytes of a partition's device path we keep (End node excluded) */

struct ab_slot {
  EFI_HANDLE handle;
  uint32_t part; /* GPT partition number, 1-based */
  struct esp esp;
  int has_uuid;
  char uuid[ESP_UUID_TEXT_LEN + 1];
  uint8_t dp[AB_DP_MAX]; /* the partition's device path without its End node */
  size_t dp_len;
};

struct ab_slots {
  struct ab_slot s[AB_MAX_SLOTS];
  int n;
  int own; /* index of the slot D0 was loaded from */
};

/* Fills out; 0 on success, or a negative value with *why set to a short reason for the log. */
int ab_slots_find(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct ab_slots *out, const char **why);

/* Index of the slot holding uuid (36 characters), or -1. */
int ab_slot_by_uuid(const struct ab_slots *sl, const char *uuid);

/*
 * Reads handle h's device path into dp (zeroed first; copied node by node, bounded by AB_DP_MAX,
 * its End node included when it fits) and walks it. Returns -1 when h has none or it is malformed
 * or too long; else *len is its length before the End node, and the result is 1 when it holds a
 * hard drive node (*hd_off: the last one's offset, *part: its partition number), 0 when not (a
 * whole disk's path).
 */
int ab_dp_read(EFI_BOOT_SERVICES *bs, EFI_HANDLE h, uint8_t dp[AB_DP_MAX], size_t *len,
               size_t *hd_off, uint32_t *part);

/* "A", "B", ... for partition 1, 2, ... */
const char *ab_slot_letter(uint32_t part);

#endif
