/* The events of measured boot; contract in measure_events.h. */
#include "measure_events.h"

#include "d0/lib.h"
#include "d0/sha2.h"
#include "log/fmt.h"

/* "d0 " + what + " " + a [+ " " + b]. */
static void describe(char out[MEASURE_TEXT_MAX + 1], const char *what, const char *a,
                     const char *b) {
  const char *parts[] = { "d0 ", what, " ", a, b[0] ? " " : "", b };
  size_t n = 0;
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    for (const char *p = parts[i]; *p && n < MEASURE_TEXT_MAX; p++)
      out[n++] = *p;
  out[n] = '\0';
}

uint32_t measure_event_count(const struct d0_manifest *m) {
  return 2 + (m->n_containers < TLV_MAX_CONTAINERS ? m->n_containers : TLV_MAX_CONTAINERS);
}

void measure_event(const struct d0_manifest *m, const uint8_t *tlv, size_t tlv_len, uint32_t i,
                   uint8_t digest[32], char text[MEASURE_TEXT_MAX + 1]) {
  if (i == 0) {
    char uuid[FMT_UUID_LEN];
    fmt_uuid(m->build_uuid, uuid);
    sha256(tlv, tlv_len, digest);
    describe(text, "manifest", uuid, "");
  } else if (i == 1) {
    memcpy(digest, m->kernel_sha256, SHA256_DIGEST_LEN);
    describe(text, "guest-kernel", m->kernel_path, "");
  } else {
    const struct d0_container *c = &m->containers[i - 2];
    memcpy(digest, c->disk_sha256, SHA256_DIGEST_LEN);
    describe(text, "disk", c->name, c->disk_path);
  }
}
