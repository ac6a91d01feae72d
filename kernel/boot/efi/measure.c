/* Measured boot through TCG2; contract in measure.h, the events in measure_events.h. */
#include "measure.h"

#include "log/log.h"
#include "measure_events.h"
#include "tpm/tcg2.h"

_Static_assert(MEASURE_TEXT_MAX == TCG2_EVENT_TEXT_MAX, "event text fits the TCG2 event");

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
  static char text[MEASURE_TEXT_MAX + 1];
  uint8_t digest[32];
  uint32_t n = measure_event_count(m);
  for (uint32_t i = 0; i < n; i++) {
    measure_event(m, tlv, tlv_len, i, digest, text);
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
  }
  log_begin("measured");
  log_u64("pcr", MEASURE_PCR);
  log_u64("events", n);
  log_end();
}
