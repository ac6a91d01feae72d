/*
 * kernel/boot/efi/measure_events.c on the host: the events D0 measures for a manifest (which
 * digest, which event-log text, in which order) and the SHA-256 PCR chain over them must equal
 * the golden files test/vectors/measure/<name>.expect, the same files `d0 manifest pcr` is
 * checked against (test/cli/manifest-pcr.test.ts). So C and TypeScript agree on the prediction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "d0/manifest.h"
#include "d0/sha2.h"
#include "log/fmt.h"
#include "measure.h"
#include "measure_events.h"
#include "vector_files.h"

static struct d0_manifest manifest;
static char got[64 * 1024];

/* The text `d0 manifest pcr` prints for tlv. */
static void render(const uint8_t *tlv, size_t len) {
  size_t o = 0;
  uint8_t pcr[32] = { 0 }, d[32], hd[32], cat[64];
  char text[MEASURE_TEXT_MAX + 1], hex[65];
  uint32_t n = measure_event_count(&manifest);
  for (uint32_t i = 0; i < n; i++) {
    measure_event(&manifest, tlv, len, i, d, text);
    fmt_hex(d, 32, hex);
    o += (size_t)snprintf(got + o, sizeof got - o, "# event %u: %s  measured %s\n", i + 1, text, hex);
    sha256(d, 32, hd);
    memcpy(cat, pcr, 32);
    memcpy(cat + 32, hd, 32);
    sha256(cat, 64, pcr);
  }
  fmt_hex(pcr, 32, hex);
  snprintf(got + o, sizeof got - o, "sha256:%d %s\n", MEASURE_PCR, hex);
}

static void one(const char *name) {
  char path[256];
  size_t len = 0, elen = 0;
  snprintf(path, sizeof path, "test/vectors/manifest/%s.tlv", name);
  uint8_t *tlv = vector_read_file(path, &len);
  snprintf(path, sizeof path, "test/vectors/measure/%s.expect", name);
  uint8_t *expect = vector_read_file(path, &elen);
  CHECK_MSG(tlv != NULL && expect != NULL, "%s: vector files", name);
  if (tlv == NULL || expect == NULL)
    return;
  CHECK_EQ(manifest_parse(tlv, len, &manifest), 0);
  render(tlv, len);
  CHECK_MSG(strlen(got) == elen && memcmp(got, expect, elen) == 0, "%s: got\n%s\nexpected\n%.*s",
            name, got, (int)elen, (const char *)expect);
  free(tlv);
  free(expect);
}

static void golden(void) {
  one("valid-minimal");
  one("valid-64-containers");
}

static void text_is_cut(void) {
  /* A description longer than MEASURE_TEXT_MAX is cut there, never overrun. */
  memset(&manifest, 0, sizeof manifest);
  manifest.n_containers = 1;
  memset(manifest.containers[0].name, 'n', D0_NAME_MAX);
  memset(manifest.containers[0].disk_path, 'p', D0_PATH_MAX);
  char text[MEASURE_TEXT_MAX + 2];
  text[MEASURE_TEXT_MAX + 1] = 'X';
  uint8_t d[32];
  measure_event(&manifest, (const uint8_t *)"", 0, 2, d, text);
  CHECK_EQ(strlen(text), (size_t)MEASURE_TEXT_MAX);
  CHECK(text[MEASURE_TEXT_MAX + 1] == 'X');
  CHECK(strncmp(text, "d0 disk nnn", 11) == 0);
  CHECK_EQ(measure_event_count(&manifest), 3u);
}

int main(void) {
  RUN(golden);
  RUN(text_is_cut);
  return check_exit("measure");
}
