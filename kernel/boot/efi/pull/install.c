/* Writing a pulled build into a slot; the order and its reasons are in install.h. */
#include "install.h"

#include "arch/arch.h"
#include "d0/lib.h"
#include "d0/sha2.h"
#include "esp_write.h"
#include "http.h"
#include "log/log.h"
#include "url.h"

#define CLUSTER_SLACK 65536u /* per file: FAT rounds each file up to its cluster size */
#define NAME_CAP 64

struct fetch {
  struct sha256_ctx h;
  EFI_FILE_PROTOCOL *f[2];
  int nf;
  uint64_t want, got;
  const char *why;
};

static struct fetch fx;

static int on_length(void *ctx, uint64_t n) {
  struct fetch *x = ctx;
  if (n != x->want) {
    x->why = "size_mismatch";
    return -1;
  }
  return 0;
}

static int on_data(void *ctx, const uint8_t *p, size_t n) {
  struct fetch *x = ctx;
  sha256_update(&x->h, p, n);
  x->got += n;
  for (int i = 0; i < x->nf; i++)
    if (esp_write_all(x->f[i], p, n) != ESP_OK) {
      x->why = "write_error";
      return -1;
    }
  return 0;
}

/* For esp_stream_file, which has no way to stop: errors are remembered and checked after. */
static void on_local(void *ctx, const uint8_t *p, size_t n) {
  struct fetch *x = ctx;
  if (!x->why)
    on_data(ctx, p, n);
}

/* The running build's file with this digest and size, if it has one. */
static const char *local_source(const struct install *in, const uint8_t sha[32], uint64_t size,
                                char efi_name[NAME_CAP]) {
  const struct d0_manifest *m = in->own_m;
  if (m == 0)
    return 0; /* a first install: no running build */
  if (m->kernel_size == size && memcmp(m->kernel_sha256, sha, 32) == 0)
    return m->kernel_path;
  for (uint32_t i = 0; i < m->n_containers; i++)
    if (m->containers[i].disk_size == size && memcmp(m->containers[i].disk_sha256, sha, 32) == 0)
      return m->containers[i].disk_path;
  if (m->has_loader && m->loader_size == size && memcmp(m->loader_sha256, sha, 32) == 0) {
    const char *parts[] = { in->own_uuid, ".EFI", 0 };
    if (pull_url_join(efi_name, NAME_CAP, "EFI/BOOT/BOOTX64-", parts) == 0)
      return efi_name;
  }
  return 0;
}

/* One file of the build into paths[0] (and paths[1] when given, same bytes). */
static int one_file(struct install *in, const char *const paths[2], const uint8_t sha[32],
                    uint64_t size) {
  uint64_t t0 = arch_time_ns();
  memset(&fx, 0, sizeof fx);
  sha256_init(&fx.h);
  fx.want = size;
  for (int i = 0; i < 2 && paths[i]; i++) {
    if (esp_create(in->dest, paths[i], &fx.f[i]) != ESP_OK) {
      in->why = "write_error";
      for (int j = 0; j < i; j++)
        esp_finish(fx.f[j]);
      return -1;
    }
    fx.nf = i + 1;
  }
  char efi_name[NAME_CAP];
  const char *local = local_source(in, sha, size, efi_name);
  const char *source = local ? "local" : "net";
  int err = 0;
  if (local) {
    uint64_t got = 0;
    err = esp_stream_file(in->own, local, on_local, &fx, &got);
    if (err == ESP_OK && !fx.why && got != size)
      fx.why = "size_mismatch";
    if (err != ESP_OK && !fx.why)
      fx.why = "local_read_error";
  } else {
    char url[PULL_URL_CAP];
    const char *parts[] = { "builds/", in->t->uuid, "/", paths[0], 0 };
    struct http_sink sink = { on_length, on_data, &fx };
    uint64_t got = 0;
    if (pull_url_join(url, sizeof url, in->base_url, parts) != 0) {
      fx.why = "url_too_long";
    } else {
      err = http_get(url, in->deadline_ns, &sink, &in->http_status, &got);
      if (err != HTTP_OK && !fx.why)
        fx.why = http_strerror(err);
    }
  }
  int ferr = 0;
  for (int i = 0; i < fx.nf; i++)
    ferr |= esp_finish(fx.f[i]);
  if (!fx.why && ferr)
    fx.why = "write_error";
  if (!fx.why) {
    uint8_t digest[32];
    sha256_final(&fx.h, digest);
    if (fx.got != size)
      fx.why = "size_mismatch";
    else if (memcmp(digest, sha, 32) != 0)
      fx.why = "digest_mismatch";
  }
  log_begin("pull_file");
  log_str("path", paths[0]);
  log_str("source", source);
  log_u64("bytes", fx.got);
  log_u64("size", size);
  log_str("result", fx.why ? fx.why : "ok");
  log_u64("took_ms", (arch_time_ns() - t0) / 1000000);
  log_end();
  if (fx.why) {
    in->why = fx.why;
    return -1;
  }
  if (local)
    in->local_bytes += size;
  else
    in->net_bytes += size;
  return 0;
}

static int loader_paths(const struct install *in, char name[NAME_CAP]) {
  const char *parts[] = { in->t->uuid, ".EFI", 0 };
  return pull_url_join(name, NAME_CAP, "EFI/BOOT/BOOTX64-", parts);
}

int install_check(struct install *in) {
  const struct d0_manifest *m = &in->t->m;
  uint64_t need = m->kernel_size + 2 * m->loader_size + in->t->tlv_len + 64;
  uint32_t files = 5;
  for (uint32_t i = 0; i < m->n_containers; i++, files++)
    need += m->containers[i].disk_size;
  need += (uint64_t)files * CLUSTER_SLACK;
  uint64_t size, free_bytes;
  if (esp_space(in->dest, &size, &free_bytes) != ESP_OK) {
    in->why = "slot_io";
    return -1;
  }
  if (need > size) {
    in->why = "slot_too_small";
    return -1;
  }
  return 0;
}

int install_clear(struct install *in) {
  if (esp_clear(in->dest) != ESP_OK) {
    in->why = "slot_io";
    return -1;
  }
  return 0;
}

int install_files(struct install *in) {
  const struct d0_manifest *m = &in->t->m;
  const char *kernel[2] = { m->kernel_path, 0 };
  if (one_file(in, kernel, m->kernel_sha256, m->kernel_size) != 0)
    return -1;
  for (uint32_t i = 0; i < m->n_containers; i++) {
    const char *disk[2] = { m->containers[i].disk_path, 0 };
    if (one_file(in, disk, m->containers[i].disk_sha256, m->containers[i].disk_size) != 0)
      return -1;
  }
  /* D0 last: the EFI image the firmware will start is fetched once, written under both names. */
  char name[NAME_CAP];
  if (loader_paths(in, name) != 0) {
    in->why = "url_too_long";
    return -1;
  }
  const char *efi[2] = { name, "EFI/BOOT/BOOTX64.EFI" };
  return one_file(in, efi, m->loader_sha256, m->loader_size);
}

static int write_small(struct install *in, const char *path, const uint8_t *p, size_t n) {
  EFI_FILE_PROTOCOL *f;
  if (esp_create(in->dest, path, &f) != ESP_OK)
    return -1;
  int err = esp_write_all(f, p, n);
  return esp_finish(f) != ESP_OK || err != ESP_OK ? -1 : 0;
}

int install_commit(struct install *in) {
  char sig[ESP_MANIFEST_NAME_LEN + 1], tlv[ESP_MANIFEST_NAME_LEN + 1], part[NAME_CAP];
  esp_manifest_name(in->t->uuid, ".sig", sig);
  esp_manifest_name(in->t->uuid, ".tlv", tlv);
  const char *p_parts[] = { ".part", 0 };
  if (pull_url_join(part, NAME_CAP, tlv, p_parts) != 0) {
    in->why = "url_too_long";
    return -1;
  }
  if (write_small(in, sig, in->t->sig, 64) != 0 ||
      write_small(in, part, in->t->tlv, in->t->tlv_len) != 0 ||
      esp_rename(in->dest, part, tlv) != ESP_OK) {
    in->why = "write_error";
    return -1;
  }
  return 0;
}
