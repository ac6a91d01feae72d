/* Simulated physical memory for the ACPI host tests (mem.h). */
#include "mem.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *sim_map(void *ctx, uint64_t phys, uint32_t len) {
  struct sim_mem *m = ctx;
  for (uint32_t i = 0; i < m->n; i++) {
    const struct sim_region *r = &m->r[i];
    if (phys >= r->phys && phys - r->phys <= r->len && len <= r->len - (phys - r->phys))
      return r->bytes + (phys - r->phys);
  }
  return NULL;
}

struct acpi_mem sim_acpi_mem(struct sim_mem *m) { return (struct acpi_mem){sim_map, m}; }

static void add(struct sim_mem *m, uint32_t at, uint64_t phys, const uint8_t *bytes,
                uint32_t len, const char *sig) {
  if (m->n == SIM_MAX_REGIONS) {
    fprintf(stderr, "sim_mem: too many regions\n");
    exit(2);
  }
  memmove(&m->r[at + 1], &m->r[at], (m->n - at) * sizeof m->r[0]);
  m->n++;
  struct sim_region *r = &m->r[at];
  r->phys = phys;
  r->len = len;
  r->bytes = malloc(len ? len : 1);
  memcpy(r->bytes, bytes, len);
  snprintf(r->sig, sizeof r->sig, "%s", sig);
}

void sim_add_first(struct sim_mem *m, uint64_t phys, const uint8_t *bytes, uint32_t len,
                   const char *sig) {
  add(m, 0, phys, bytes, len, sig);
}

void sim_load_dir(struct sim_mem *m, const char *dir) {
  memset(m, 0, sizeof *m);
  DIR *d = opendir(dir);
  if (d == NULL) {
    perror(dir);
    exit(2);
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    unsigned long long phys;
    char sig[5];
    if (sscanf(e->d_name, "%16llx-%4[A-Z].bin", &phys, sig) != 2)
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    static uint8_t buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f == NULL || ferror(f) || n == 0) {
      perror(path);
      exit(2);
    }
    fclose(f);
    add(m, m->n, phys, buf, (uint32_t)n, sig);
  }
  closedir(d);
}

void sim_copy(struct sim_mem *dst, const struct sim_mem *src) {
  memset(dst, 0, sizeof *dst);
  for (uint32_t i = 0; i < src->n; i++)
    add(dst, i, src->r[i].phys, src->r[i].bytes, src->r[i].len, src->r[i].sig);
}

void sim_free(struct sim_mem *m) {
  for (uint32_t i = 0; i < m->n; i++)
    free(m->r[i].bytes);
  m->n = 0;
}

struct sim_region *sim_find(struct sim_mem *m, const char *sig) {
  for (uint32_t i = 0; i < m->n; i++)
    if (strcmp(m->r[i].sig, sig) == 0)
      return &m->r[i];
  return NULL;
}

void sim_truncate(struct sim_region *r, uint32_t len) {
  uint8_t *b = malloc(len ? len : 1);
  memcpy(b, r->bytes, len < r->len ? len : r->len);
  free(r->bytes);
  r->bytes = b;
  r->len = len;
}

static uint8_t sum(const uint8_t *p, uint32_t n) {
  uint8_t s = 0;
  while (n--)
    s = (uint8_t)(s + *p++);
  return s;
}

void sim_fix_checksum(struct sim_region *r) {
  if (strcmp(r->sig, "RSDP") == 0) {
    r->bytes[8] = 0;
    r->bytes[8] = (uint8_t)-sum(r->bytes, 20);
    if (r->len >= 36) {
      r->bytes[32] = 0;
      r->bytes[32] = (uint8_t)-sum(r->bytes, r->len);
    }
    return;
  }
  r->bytes[9] = 0;
  r->bytes[9] = (uint8_t)-sum(r->bytes, r->len);
}

uint32_t sim_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void sim_put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

void sim_put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
