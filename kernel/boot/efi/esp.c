/* ESP file access through the firmware's SimpleFileSystem; contracts in esp.h. */
#include "esp.h"

#include "d0/lib.h"

static const EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static const EFI_GUID sfs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static const EFI_GUID file_info_guid = EFI_FILE_INFO_ID;

/* One EFI_FILE_INFO: 80 bytes of fixed fields plus a FAT long name (<= 255 UCS-2 + NUL). */
static union {
  EFI_FILE_INFO info;
  uint8_t bytes[1024];
} info_buf;

static uint8_t chunk[ESP_CHUNK];

EFI_STATUS esp_open(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct esp *out) {
  EFI_BOOT_SERVICES *bs = st->BootServices;
  EFI_LOADED_IMAGE_PROTOCOL *li = 0;
  EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs = 0;
  EFI_STATUS s = bs->HandleProtocol(image, &loaded_image_guid, (void **)&li);
  if (EFI_ERROR(s))
    return s;
  s = bs->HandleProtocol(li->DeviceHandle, &sfs_guid, (void **)&fs);
  if (EFI_ERROR(s))
    return s;
  out->bs = bs;
  return fs->OpenVolume(fs, &out->root);
}

static int path_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '/';
}

int esp_efi_path(const char *path, CHAR16 out[ESP_PATH_MAX_CHARS + 1]) {
  size_t i = 0;
  if (path[0] == '\0' || path[0] == '/')
    return ESP_BAD_PATH;
  for (; path[i]; i++) {
    if (i >= ESP_PATH_MAX_CHARS || !path_char_ok(path[i]))
      return ESP_BAD_PATH;
    out[i] = path[i] == '/' ? u'\\' : (CHAR16)path[i];
  }
  out[i] = 0;
  return ESP_OK;
}

/* Opens a regular file and returns its size (the info stays in info_buf). */
static int open_file(struct esp *e, const char *path, EFI_FILE_PROTOCOL **f, uint64_t *size) {
  CHAR16 name[ESP_PATH_MAX_CHARS + 1];
  int err = esp_efi_path(path, name);
  if (err)
    return err;
  EFI_STATUS s = e->root->Open(e->root, f, name, EFI_FILE_MODE_READ, 0);
  if (s == EFI_NOT_FOUND)
    return ESP_NOT_FOUND;
  if (EFI_ERROR(s))
    return ESP_IO;
  UINTN n = sizeof info_buf;
  s = (*f)->GetInfo(*f, &file_info_guid, &n, &info_buf);
  if (EFI_ERROR(s)) {
    (*f)->Close(*f);
    return ESP_IO;
  }
  if (info_buf.info.Attribute & EFI_FILE_DIRECTORY) {
    (*f)->Close(*f);
    return ESP_IS_DIR;
  }
  *size = info_buf.info.FileSize;
  return ESP_OK;
}

int esp_file_size(struct esp *e, const char *path, uint64_t *size) {
  EFI_FILE_PROTOCOL *f;
  int err = open_file(e, path, &f, size);
  if (err)
    return err;
  f->Close(f);
  return ESP_OK;
}

/* Reads exactly n bytes (the firmware may return fewer per call). */
static int read_exact(EFI_FILE_PROTOCOL *f, uint8_t *buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    UINTN got = n - done;
    /* got > requested would be a firmware bug; treat it as an I/O error, never as data. */
    if (EFI_ERROR(f->Read(f, &got, buf + done)) || got == 0 || got > n - done)
      return ESP_IO;
    done += got;
  }
  return ESP_OK;
}

int esp_read_file(struct esp *e, const char *path, uint8_t *buf, size_t cap, size_t *len) {
  EFI_FILE_PROTOCOL *f;
  uint64_t size;
  int err = open_file(e, path, &f, &size);
  if (err)
    return err;
  if (size > cap) {
    f->Close(f);
    *len = (size_t)size;
    return ESP_TOO_BIG;
  }
  err = read_exact(f, buf, (size_t)size);
  f->Close(f);
  *len = (size_t)size;
  return err;
}

int esp_stream_file(struct esp *e, const char *path, void (*fn)(void *ctx, const uint8_t *p, size_t n),
                    void *ctx, uint64_t *size) {
  EFI_FILE_PROTOCOL *f;
  uint64_t total;
  int err = open_file(e, path, &f, &total);
  if (err)
    return err;
  uint64_t done = 0;
  while (done < total) {
    size_t n = total - done < ESP_CHUNK ? (size_t)(total - done) : ESP_CHUNK;
    err = read_exact(f, chunk, n);
    if (err)
      break;
    fn(ctx, chunk, n);
    done += n;
  }
  f->Close(f);
  *size = done;
  return err;
}

static char lower(CHAR16 c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (c < 0x80 ? (char)c : 0);
}

static int is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

void esp_manifest_name(const char *uuid, const char *ext, char out[ESP_MANIFEST_NAME_LEN + 1]) {
  const size_t plen = sizeof ESP_MANIFEST_PREFIX - 1;
  memcpy(out, ESP_MANIFEST_PREFIX, plen);
  memcpy(out + plen, uuid, ESP_UUID_TEXT_LEN);
  memcpy(out + plen + ESP_UUID_TEXT_LEN, ext, 4);
  out[ESP_MANIFEST_NAME_LEN] = '\0';
}

/* Matches manifest-<8-4-4-4-12 hex>.tlv; on a match writes the lowercase uuid text. */
static int match_manifest_name(const CHAR16 *name, char uuid[ESP_UUID_TEXT_LEN + 1]) {
  static const char prefix[] = ESP_MANIFEST_PREFIX;
  static const char suffix[] = ".tlv";
  const size_t plen = sizeof prefix - 1, slen = sizeof suffix - 1;
  size_t len = 0;
  while (name[len] && len <= plen + ESP_UUID_TEXT_LEN + slen)
    len++;
  if (len != plen + ESP_UUID_TEXT_LEN + slen)
    return 0;
  for (size_t i = 0; i < plen; i++)
    if (lower(name[i]) != prefix[i])
      return 0;
  for (size_t i = 0; i < slen; i++)
    if (lower(name[plen + ESP_UUID_TEXT_LEN + i]) != suffix[i])
      return 0;
  for (size_t i = 0; i < ESP_UUID_TEXT_LEN; i++) {
    char c = lower(name[plen + i]);
    int dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !is_hex(c))
      return 0;
    uuid[i] = c;
  }
  uuid[ESP_UUID_TEXT_LEN] = '\0';
  return 1;
}

int esp_find_manifests(struct esp *e, char uuid[ESP_UUID_TEXT_LEN + 1]) {
  char candidate[ESP_UUID_TEXT_LEN + 1];
  int count = 0;
  if (EFI_ERROR(e->root->SetPosition(e->root, 0)))
    return ESP_IO;
  for (;;) {
    UINTN n = sizeof info_buf - sizeof(CHAR16); /* room for a forced terminator below */
    if (EFI_ERROR(e->root->Read(e->root, &n, &info_buf)))
      return ESP_IO;
    if (n == 0)
      break;
    if (n < sizeof(EFI_FILE_INFO))
      return ESP_IO;
    /* The name is firmware data: bound it even if the terminator is missing. */
    info_buf.bytes[n] = 0;
    info_buf.bytes[n + 1] = 0;
    if (info_buf.info.Attribute & EFI_FILE_DIRECTORY)
      continue;
    if (!match_manifest_name(info_buf.info.FileName, candidate))
      continue;
    if (count == 0)
      memcpy(uuid, candidate, sizeof candidate);
    count++;
  }
  return count;
}

const char *esp_strerror(int err) {
  switch (err) {
  case ESP_OK:
    return "ok";
  case ESP_NOT_FOUND:
    return "not_found";
  case ESP_IO:
    return "io_error";
  case ESP_TOO_BIG:
    return "too_big";
  case ESP_IS_DIR:
    return "is_directory";
  case ESP_BAD_PATH:
    return "bad_path";
  }
  return "unknown";
}
