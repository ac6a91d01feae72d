/* A pointer's target and the install rules; contract in target.h. */
#include "target.h"

#include "d0/ed25519.h"
#include "d0/lib.h"
#include "d0/semantic.h"
#include "log/fmt.h"

const char *pull_target_read(const uint8_t *buf, size_t len, const uint8_t pubkey[32],
                             struct pull_target *t) {
  static char reason[32];
  if (len <= ED25519_SIG_LEN)
    return "pointer_short";
  t->sig = buf;
  t->tlv = buf + ED25519_SIG_LEN;
  t->tlv_len = len - ED25519_SIG_LEN;
  if (ed25519_verify(t->sig, t->tlv, t->tlv_len, pubkey) != 0)
    return "bad_signature";
  int err = manifest_parse(t->tlv, t->tlv_len, &t->m);
  if (err != 0) {
    const char *name = tlv_strerror(err);
    size_t n = strlen(name);
    if (n > sizeof reason - 5)
      n = sizeof reason - 5;
    memcpy(reason, "tlv:", 4);
    memcpy(reason + 4, name, n);
    reason[4 + n] = '\0';
    return reason;
  }
  char text[FMT_UUID_LEN];
  fmt_uuid(t->m.build_uuid, text);
  memcpy(t->uuid, text, PULL_UUID_LEN);
  t->uuid[PULL_UUID_LEN] = '\0';
  return 0;
}

enum pull_decision pull_decide(const struct pull_target *t, const char *running_uuid,
                               const char *bad_uuid, uint64_t epoch_floor, const char **reason) {
  /* UUIDv7 text order is time order (the A/B choice relies on the same). */
  int order = memcmp(t->uuid, running_uuid, PULL_UUID_LEN);
  if (order == 0) {
    *reason = "current";
    return PULL_SKIP;
  }
  if (order < 0) {
    *reason = "older";
    return PULL_REFUSE;
  }
  if (bad_uuid && bad_uuid[0] && memcmp(t->uuid, bad_uuid, PULL_UUID_LEN) == 0) {
    *reason = "known_bad";
    return PULL_REFUSE;
  }
  if (t->m.security_epoch < epoch_floor) {
    *reason = "epoch_below";
    return PULL_REFUSE;
  }
  if (!t->m.has_loader) {
    *reason = "loader_unsigned";
    return PULL_REFUSE;
  }
  int err = manifest_semantic_check(&t->m, epoch_floor, NULL);
  if (err != 0) {
    *reason = semantic_strerror(err);
    return PULL_REFUSE;
  }
  *reason = 0;
  return PULL_INSTALL;
}
