/* Trial candidate check; contract in precheck.h. */
#include "precheck.h"

#include "d0/ed25519.h"
#include "d0/lib.h"
#include "d0/manifest.h"
#include "d0/semantic.h"
#include "log/fmt.h"
#include "pubkey.h"

#define TLV_FILE_MAX 65536 /* proto/TLV.md "Limits" */

static uint8_t tlv[TLV_FILE_MAX];
static struct d0_manifest m;
static char reason[32];

const char *ab_precheck(struct esp *e, const char *uuid, uint64_t committed_epoch,
                        uint64_t *epoch) {
  char name[ESP_MANIFEST_NAME_LEN + 1];
  uint8_t sig[ED25519_SIG_LEN + 1];
  size_t tlv_len = 0, sig_len = 0;
  *epoch = 0;

  esp_manifest_name(uuid, ".tlv", name);
  int err = esp_read_file(e, name, tlv, sizeof tlv, &tlv_len);
  if (err == ESP_TOO_BIG)
    return "tlv:OVERSIZE";
  if (err != ESP_OK)
    return "manifest_unreadable";
  esp_manifest_name(uuid, ".sig", name);
  err = esp_read_file(e, name, sig, sizeof sig, &sig_len);
  if (err == ESP_NOT_FOUND)
    return "missing_signature";
  if ((err == ESP_OK && sig_len != ED25519_SIG_LEN) || err == ESP_TOO_BIG)
    return "bad_signature_length";
  if (err != ESP_OK)
    return "signature_unreadable";
  if (ed25519_verify(sig, tlv, tlv_len, d0_signing_pubkey) != 0)
    return "bad_signature";
  struct manifest_diag diag = { 0, 0 };
  err = manifest_parse_diag(tlv, tlv_len, &m, &diag);
  if (err != 0) {
    const char *tn = tlv_strerror(err);
    size_t n = strlen(tn);
    if (n > sizeof reason - 5)
      n = sizeof reason - 5;
    memcpy(reason, "tlv:", 4);
    memcpy(reason + 4, tn, n);
    reason[4 + n] = '\0';
    return reason;
  }
  char signed_uuid[FMT_UUID_LEN];
  fmt_uuid(m.build_uuid, signed_uuid);
  if (memcmp(signed_uuid, uuid, ESP_UUID_TEXT_LEN) != 0)
    return "uuid_mismatch";
  *epoch = m.security_epoch;
  if (m.security_epoch < committed_epoch)
    return "epoch_below";
  err = manifest_semantic_check(&m, committed_epoch, NULL);
  if (err != 0)
    return semantic_strerror(err); /* proto/SEMANTICS.md: never tried, like a bad signature */
  return 0;
}
