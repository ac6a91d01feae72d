/* Measured boot through TCG2; contract in measure.h. */
#include "measure.h"

#include "d0/lib.h"
#include "d0/sha2.h"
#include "log/fmt.h"
#include "log/log.h"
#include "tpm/tcg2.h"

/* "d0 " + what + " " + a + " " + b: what the event-log entry describes. */
static void describe(char out[TCG2_EVENT_TEXT_MAX + 1], const char *what, const char *a,
                     const char *b) {
  const char *parts[] = { "d0 ", what, " ", a, b[0] ? " " : "", b };
  size_t n = 0;
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    for (const char *p = parts[i]; *p && n < TCG2_EVENT_TEXT_MAX; p++)
      out[n++] = *p;
  out[n] = '\0';
}

void measure_boot(EFI_SYSTEM_TABLE *st, const uint8_t *tlv, size_t tlv_len,
                  const struct d0_manifest *m) {
  struct tpm_link t;
  if (tcg2_link(st, &t) != 0) {
    log_begin("measured");
    log_str("state", "absent");
    log_str("reason", "no_tcg2");
    log_end();
    return;
  }
  static char text[TCG2_EVENT_TEXT_MAX + 1];
  uint8_t digest[SHA256_DIGEST_LEN];
  char uuid[FMT_UUID_LEN];
  fmt_uuid(m->build_uuid, uuid);
  uint32_t n = m->n_containers < TLV_MAX_CONTAINERS ? m->n_containers : TLV_MAX_CONTAINERS;
  uint32_t events = 0;
  for (uint32_t i = 0; i < 2 + n; i++) {
    if (i == 0) {
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
    uint64_t s = tcg2_hash_log_extend(&t, MEASURE_PCR, MEASURE_EV_IPL, digest, sizeof digest, text);
    if (s != 0) {
      log_begin("measured");
      log_str("state", "error");
      log_u64("pcr", MEASURE_PCR);
      log_u64("event", i);
      log_hex("status", s);
      log_end();
      return;
    }
    events++;
  }
  log_begin("measured");
  log_u64("pcr", MEASURE_PCR);
  log_u64("events", events);
  log_end();
}
