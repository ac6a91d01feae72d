/* Writing a slot's volume; contracts in esp_write.h. */
#include "esp_write.h"

#include "d0/lib.h"

#define MAX_DEPTH 8 /* an ESP tree is EFI/BOOT/<file> deep; anything deeper is cleared anyway */

static const EFI_GUID file_info_guid = EFI_FILE_INFO_ID;
static const EFI_GUID fs_info_guid = EFI_FILE_SYSTEM_INFO_ID;

static union {
  EFI_FILE_INFO info;
  EFI_FILE_SYSTEM_INFO fs;
  uint8_t bytes[1024];
} info_buf;

static int is_dot(const CHAR16 *n) {
  return n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0));
}

/* The next entry of dir (from its start) that is not "." or ".."; 1 found, 0 none, <0 error.
 * With files_only, directories are skipped. */
static int first_entry(EFI_FILE_PROTOCOL *dir, int files_only) {
  if (EFI_ERROR(dir->SetPosition(dir, 0)))
    return ESP_IO;
  for (;;) {
    UINTN n = sizeof info_buf - sizeof(CHAR16);
    if (EFI_ERROR(dir->Read(dir, &n, &info_buf)))
      return ESP_IO;
    if (n == 0)
      return 0;
    if (n < sizeof(EFI_FILE_INFO))
      return ESP_IO;
    info_buf.bytes[n] = 0;
    info_buf.bytes[n + 1] = 0;
    if (is_dot(info_buf.info.FileName))
      continue;
    if (files_only && (info_buf.info.Attribute & EFI_FILE_DIRECTORY))
      continue;
    return 1;
  }
}

/* Deletes the entries of dir (all, or only its files), restarting the listing after each
 * deletion: a directory being changed is not listed further. */
static int clear_dir(EFI_FILE_PROTOCOL *dir, int files_only, int depth) {
  for (int rounds = 0; rounds < 4096; rounds++) {
    int found = first_entry(dir, files_only);
    if (found <= 0)
      return found;
    CHAR16 name[ESP_PATH_MAX_CHARS + 1];
    size_t i = 0;
    for (; i < ESP_PATH_MAX_CHARS && info_buf.info.FileName[i]; i++)
      name[i] = info_buf.info.FileName[i];
    name[i] = 0;
    int is_dir = (info_buf.info.Attribute & EFI_FILE_DIRECTORY) != 0;
    EFI_FILE_PROTOCOL *f = 0;
    if (EFI_ERROR(dir->Open(dir, &f, name, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0)))
      return ESP_IO;
    if (is_dir && (depth >= MAX_DEPTH || clear_dir(f, 0, depth + 1) != 0)) {
      f->Close(f);
      return ESP_IO;
    }
    if (EFI_ERROR(f->Delete(f)))
      return ESP_IO;
  }
  return ESP_IO; /* more entries than an ESP of D0's ever holds: a loop, not a volume */
}

int esp_clear(struct esp *e) {
  if (clear_dir(e->root, 1, 0) != 0 || EFI_ERROR(e->root->Flush(e->root)))
    return ESP_IO;
  if (clear_dir(e->root, 0, 0) != 0 || EFI_ERROR(e->root->Flush(e->root)))
    return ESP_IO;
  return ESP_OK;
}

static int open_dirs(struct esp *e, const CHAR16 *name) {
  CHAR16 part[ESP_PATH_MAX_CHARS + 1];
  for (size_t i = 0; name[i]; i++) {
    if (name[i] != '\\')
      continue;
    memcpy(part, name, i * sizeof(CHAR16));
    part[i] = 0;
    EFI_FILE_PROTOCOL *d = 0;
    EFI_STATUS s = e->root->Open(e->root, &d, part,
                                 EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE,
                                 EFI_FILE_DIRECTORY);
    if (EFI_ERROR(s))
      return ESP_IO;
    d->Close(d);
  }
  return ESP_OK;
}

int esp_create(struct esp *e, const char *path, EFI_FILE_PROTOCOL **f) {
  CHAR16 name[ESP_PATH_MAX_CHARS + 1];
  int err = esp_efi_path(path, name);
  if (err)
    return err;
  if (open_dirs(e, name) != ESP_OK)
    return ESP_IO;
  EFI_FILE_PROTOCOL *old = 0;
  if (!EFI_ERROR(e->root->Open(e->root, &old, name, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0)))
    if (EFI_ERROR(old->Delete(old)))
      return ESP_IO; /* FAT's Create opens an existing file as it is: never append to one */
  EFI_STATUS s = e->root->Open(e->root, f, name,
                               EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0);
  return EFI_ERROR(s) ? ESP_IO : ESP_OK;
}

int esp_write_all(EFI_FILE_PROTOCOL *f, const uint8_t *p, size_t n) {
  size_t done = 0;
  while (done < n) {
    UINTN len = n - done;
    if (EFI_ERROR(f->Write(f, &len, p + done)) || len == 0 || len > n - done)
      return ESP_IO;
    done += len;
  }
  return ESP_OK;
}

int esp_finish(EFI_FILE_PROTOCOL *f) {
  EFI_STATUS s = f->Flush(f);
  EFI_STATUS c = f->Close(f);
  return EFI_ERROR(s) || EFI_ERROR(c) ? ESP_IO : ESP_OK;
}

int esp_rename(struct esp *e, const char *path, const char *new_name) {
  CHAR16 name[ESP_PATH_MAX_CHARS + 1];
  int err = esp_efi_path(path, name);
  if (err)
    return err;
  size_t nl = strlen(new_name);
  if (nl == 0 || nl > 200)
    return ESP_BAD_PATH;
  for (size_t i = 0; i < nl; i++)
    if (new_name[i] == '/')
      return ESP_BAD_PATH;
  EFI_FILE_PROTOCOL *f = 0;
  if (EFI_ERROR(e->root->Open(e->root, &f, name, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0)))
    return ESP_NOT_FOUND;
  UINTN n = sizeof info_buf;
  if (EFI_ERROR(f->GetInfo(f, &file_info_guid, &n, &info_buf))) {
    f->Close(f);
    return ESP_IO;
  }
  /* The same info with the new name: the FAT driver renames on SetInfo. */
  for (size_t i = 0; i < nl; i++)
    info_buf.info.FileName[i] = (CHAR16)(uint8_t)new_name[i];
  info_buf.info.FileName[nl] = 0;
  info_buf.info.Size = sizeof(EFI_FILE_INFO) + (nl + 1) * sizeof(CHAR16);
  EFI_STATUS s = f->SetInfo(f, &file_info_guid, (UINTN)info_buf.info.Size, &info_buf);
  err = esp_finish(f);
  if (EFI_ERROR(s) || err)
    return ESP_IO;
  return EFI_ERROR(e->root->Flush(e->root)) ? ESP_IO : ESP_OK;
}

int esp_space(struct esp *e, uint64_t *size, uint64_t *free_bytes) {
  UINTN n = sizeof info_buf;
  if (EFI_ERROR(e->root->GetInfo(e->root, &fs_info_guid, &n, &info_buf)))
    return ESP_IO;
  *size = info_buf.fs.VolumeSize;
  *free_bytes = info_buf.fs.FreeSpace;
  return ESP_OK;
}
