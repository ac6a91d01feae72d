/* Slot discovery on the boot disk; contract in slots.h. */
#include "slots.h"

#include "d0/lib.h"

static const EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static const EFI_GUID sfs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static const EFI_GUID dp_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;

#define MAX_HANDLES 64
static EFI_HANDLE handles[MAX_HANDLES];

/*
 * Walks a firmware device path (bounded: at most AB_DP_MAX bytes, every node at least a header
 * long). Returns -1 for a malformed path; else sets *len (bytes before the End node) and returns
 * 1 with *hd_off (offset of its last hard drive node) and *part, or 0 when it has none.
 */
static int parse_dp(const uint8_t *dp, size_t *len, size_t *hd_off, uint32_t *part) {
  size_t off = 0;
  int found = 0;
  for (;;) {
    if (off + DP_HEADER_LEN > AB_DP_MAX)
      return -1;
    uint8_t type = dp[off], sub = dp[off + 1];
    size_t n = (size_t)dp[off + 2] | ((size_t)dp[off + 3] << 8);
    if (type == DP_TYPE_END && sub == DP_SUBTYPE_END_ENTIRE)
      break;
    if (n < DP_HEADER_LEN || off + n > AB_DP_MAX)
      return -1;
    if (type == DP_TYPE_MEDIA && sub == DP_SUBTYPE_HARD_DRIVE && n >= DP_HD_LEN) {
      const uint8_t *p = dp + off + DP_HD_PARTITION_NUMBER_OFFSET;
      *part = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
              ((uint32_t)p[3] << 24);
      *hd_off = off;
      found = 1;
    }
    off += n;
  }
  *len = off;
  return found;
}

/*
 * Copies a firmware device path node by node, at most AB_DP_MAX bytes. A node that is malformed
 * or does not fit stops the copy; the rest of dst stays zero, which parse_dp refuses.
 */
static void copy_dp(const uint8_t *src, uint8_t dst[AB_DP_MAX]) {
  size_t off = 0;
  while (off + DP_HEADER_LEN <= AB_DP_MAX) {
    size_t n = (size_t)src[off + 2] | ((size_t)src[off + 3] << 8);
    int end = src[off] == DP_TYPE_END && src[off + 1] == DP_SUBTYPE_END_ENTIRE;
    if (n < DP_HEADER_LEN || off + n > AB_DP_MAX)
      return;
    memcpy(dst + off, src + off, n);
    off += n;
    if (end)
      return;
  }
}

int ab_dp_read(EFI_BOOT_SERVICES *bs, EFI_HANDLE h, uint8_t dp[AB_DP_MAX], size_t *len,
               size_t *hd_off, uint32_t *part) {
  void *p = 0;
  memset(dp, 0, AB_DP_MAX);
  if (EFI_ERROR(bs->HandleProtocol(h, &dp_guid, &p)) || !p)
    return -1;
  copy_dp(p, dp);
  return parse_dp(dp, len, hd_off, part);
}

int ab_slots_find(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct ab_slots *out, const char **why) {
  EFI_BOOT_SERVICES *bs = st->BootServices;
  EFI_LOADED_IMAGE_PROTOCOL *li = 0;
  out->n = 0;
  out->own = -1;
  if (EFI_ERROR(bs->HandleProtocol(image, &loaded_image_guid, (void **)&li))) {
    *why = "no_loaded_image";
    return -1;
  }
  /* The boot disk is what precedes the hard drive node in D0's own partition's path. */
  static uint8_t own_dp[AB_DP_MAX];
  size_t own_len, own_hd;
  uint32_t own_part;
  int own = ab_dp_read(bs, li->DeviceHandle, own_dp, &own_len, &own_hd, &own_part);
  if (own < 0) {
    *why = "no_device_path";
    return -1;
  }
  if (own == 0) {
    *why = "not_a_partition";
    return -1;
  }

  UINTN size = sizeof handles;
  if (EFI_ERROR(bs->LocateHandle(ByProtocol, &sfs_guid, 0, &size, handles))) {
    *why = "locate_handle";
    return -1;
  }
  size_t count = size / sizeof(EFI_HANDLE);
  for (size_t i = 0; i < count && out->n < AB_MAX_SLOTS; i++) {
    struct ab_slot *s = &out->s[out->n];
    size_t len, hd;
    uint32_t part;
    if (ab_dp_read(bs, handles[i], s->dp, &len, &hd, &part) != 1)
      continue;
    if (hd != own_hd || memcmp(s->dp, own_dp, hd) != 0)
      continue; /* another disk */
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs = 0;
    if (EFI_ERROR(bs->HandleProtocol(handles[i], &sfs_guid, (void **)&fs)))
      continue;
    s->esp.bs = bs;
    if (EFI_ERROR(fs->OpenVolume(fs, &s->esp.root)))
      continue;
    s->handle = handles[i];
    s->part = part;
    s->dp_len = len;
    s->has_uuid = esp_find_manifests(&s->esp, s->uuid) == 1;
    if (!s->has_uuid)
      s->uuid[0] = '\0';
    if (handles[i] == li->DeviceHandle)
      out->own = out->n;
    out->n++;
  }
  if (out->own < 0) {
    *why = "own_volume_not_found";
    return -1;
  }
  return 0;
}

int ab_slot_by_uuid(const struct ab_slots *sl, const char *uuid) {
  if (!uuid || !uuid[0])
    return -1;
  for (int i = 0; i < sl->n; i++)
    if (sl->s[i].has_uuid && memcmp(sl->s[i].uuid, uuid, ESP_UUID_TEXT_LEN) == 0)
      return i;
  return -1;
}

const char *ab_slot_letter(uint32_t part) {
  static const char *letters[] = { "?", "A", "B", "C", "D", "E", "F", "G", "H" };
  return part < D0_ARRAY_SIZE(letters) ? letters[part] : "?";
}
