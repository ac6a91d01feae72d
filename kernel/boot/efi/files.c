#include "files.h"

#include "d0/lib.h"
#include "d0/sha2.h"
#include "efi_mem.h"
#include "log/fmt.h"
#include "log/log.h"

static void hash_chunk(void *ctx, const uint8_t *p, size_t n) {
  sha256_update((struct sha256_ctx *)ctx, p, n);
}

static struct sha256_ctx file_hash;

/* Reads the file into fresh pages (*held) and hashes them there; without pages, streams it through
 * the hash and leaves *held NULL. The caller has checked its size. */
static int read_and_hash(EFI_BOOT_SERVICES *bs, struct esp *e, const char *path, uint64_t size,
                         uint8_t **held, uint64_t *got_size, uint8_t got[SHA256_DIGEST_LEN]) {
  uint8_t *buf = efi_alloc_pages(bs, size);
  int err;
  *held = NULL;
  if (buf == NULL) {
    sha256_init(&file_hash);
    err = esp_stream_file(e, path, hash_chunk, &file_hash, got_size);
    sha256_final(&file_hash, got);
    return err;
  }
  size_t len = 0;
  err = esp_read_file(e, path, buf, (size_t)size, &len);
  *got_size = len;
  if (err == ESP_OK) {
    sha256(buf, len, got);
    *held = buf;
  } else {
    efi_free_pages(bs, buf, size);
  }
  return err;
}

static int check_one(EFI_BOOT_SERVICES *bs, struct esp *e, const char *path, uint64_t want_size,
                     const uint8_t want_sha256[32], uint8_t **held, EFI_STATUS *status) {
  *held = NULL;
  uint64_t size = 0;
  int err = esp_file_size(e, path, &size);
  if (err == ESP_NOT_FOUND) {
    log_begin("boot_failed");
    log_str("reason", "missing_file");
    log_str("path", path);
    log_end();
    *status = EFI_NOT_FOUND;
    return -1;
  }
  if (err == ESP_OK && size != want_size) {
    log_begin("boot_failed");
    log_str("reason", "size_mismatch");
    log_str("path", path);
    log_u64("expected", want_size);
    log_u64("actual", size);
    log_end();
    *status = EFI_COMPROMISED_DATA;
    return -1;
  }
  uint8_t got[SHA256_DIGEST_LEN];
  uint8_t *buf = NULL;
  if (err == ESP_OK)
    err = read_and_hash(bs, e, path, size, &buf, &size, got);
  if (err != ESP_OK) {
    log_begin("boot_failed");
    log_str("reason", "file_error");
    log_str("path", path);
    log_str("error", esp_strerror(err));
    log_end();
    *status = EFI_LOAD_ERROR;
    return -1;
  }
  if (size != want_size || !d0_ct_eq(got, want_sha256, SHA256_DIGEST_LEN)) {
    char hex[2 * SHA256_DIGEST_LEN + 1];
    log_begin("boot_failed");
    log_str("reason", "digest_mismatch");
    log_str("path", path);
    fmt_hex(want_sha256, SHA256_DIGEST_LEN, hex);
    log_str("expected", hex);
    fmt_hex(got, SHA256_DIGEST_LEN, hex);
    log_str("actual", hex);
    log_end();
    efi_free_pages(bs, buf, want_size);
    *status = EFI_COMPROMISED_DATA;
    return -1;
  }
  *held = buf;
  log_begin("file_ok");
  log_str("path", path);
  log_u64("size", size);
  log_end();
  return 0;
}

void files_release(EFI_BOOT_SERVICES *bs, const struct d0_manifest *m, struct verified_files *f) {
  efi_free_pages(bs, f->kernel, m->kernel_size);
  for (uint32_t i = 0; i < m->n_containers && i < TLV_MAX_CONTAINERS; i++)
    efi_free_pages(bs, f->disk[i], m->containers[i].disk_size);
  memset(f, 0, sizeof *f);
}

int files_check(EFI_BOOT_SERVICES *bs, struct esp *e, const struct d0_manifest *m,
                struct verified_files *out, EFI_STATUS *status) {
  memset(out, 0, sizeof *out);
  if (check_one(bs, e, m->kernel_path, m->kernel_size, m->kernel_sha256, &out->kernel, status))
    return -1;
  if (out->kernel != NULL)
    out->bytes += m->kernel_size;
  for (uint32_t i = 0; i < m->n_containers && i < TLV_MAX_CONTAINERS; i++) {
    const struct d0_container *c = &m->containers[i];
    if (check_one(bs, e, c->disk_path, c->disk_size, c->disk_sha256, &out->disk[i], status)) {
      files_release(bs, m, out);
      return -1;
    }
    if (out->disk[i] != NULL)
      out->bytes += c->disk_size;
  }
  return 0;
}
