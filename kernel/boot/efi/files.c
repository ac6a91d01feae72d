#include "files.h"

#include "d0/lib.h"
#include "d0/sha2.h"
#include "log/fmt.h"
#include "log/log.h"

static void hash_chunk(void *ctx, const uint8_t *p, size_t n) {
  sha256_update((struct sha256_ctx *)ctx, p, n);
}

static struct sha256_ctx file_hash;

static int check_one(struct esp *e, const char *path, uint64_t want_size,
                     const uint8_t want_sha256[32], EFI_STATUS *status) {
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
  if (err == ESP_OK) {
    sha256_init(&file_hash);
    err = esp_stream_file(e, path, hash_chunk, &file_hash, &size);
    sha256_final(&file_hash, got);
  }
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
    *status = EFI_COMPROMISED_DATA;
    return -1;
  }
  log_begin("file_ok");
  log_str("path", path);
  log_u64("size", size);
  log_end();
  return 0;
}

int files_check(struct esp *e, const struct d0_manifest *m, EFI_STATUS *status) {
  if (check_one(e, m->kernel_path, m->kernel_size, m->kernel_sha256, status))
    return -1;
  for (uint32_t i = 0; i < m->n_containers; i++) {
    const struct d0_container *c = &m->containers[i];
    if (check_one(e, c->disk_path, c->disk_size, c->disk_sha256, status))
      return -1;
  }
  return 0;
}
