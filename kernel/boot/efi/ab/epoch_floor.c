/* The epoch floor from the TPM and the NV state; contract in epoch_floor.h. */
#include "epoch_floor.h"

#include "log/log.h"
#include "tpm/floor.h"
#include "tpm/tcg2.h"

static void log_tpm_error(const struct tpm_floor_error *e) {
  log_begin("tpm_error");
  log_str("op", e->op);
  log_str("kind", e->kind);
  log_hex("code", e->code);
  log_end();
}

static void log_floor(const char *source, uint64_t value, const char *tpm, uint64_t tpm_value,
                      uint64_t nvram) {
  log_begin("epoch_floor");
  log_str("source", source);
  log_u64("value", value);
  if (tpm)
    log_str("tpm", tpm);
  else
    log_u64("tpm", tpm_value);
  log_u64("nvram", nvram);
  log_end();
}

void ab_epoch_floor(EFI_SYSTEM_TABLE *st, struct ab_state *s) {
  struct tpm_link t;
  struct tpm_floor_error err = { 0, 0, 0 };
  uint64_t nvram = s->epoch, tpm = 0;

  if (tcg2_link(st, &t) != 0) {
    log_floor("nvram", nvram, "none", 0, nvram);
    return;
  }
  enum tpm_floor_status how = tpm_floor_read(&t, &tpm, &err);
  if (how == TPM_FLOOR_ERROR) {
    log_tpm_error(&err);
    log_floor("nvram", nvram, "error", 0, nvram);
    return;
  }
  int absent = how == TPM_FLOOR_ABSENT;
  const char *tpm_text = absent ? "absent" : 0; /* 0: the TPM holds the value tpm */
  if (absent || nvram > tpm) {
    /* Raise the TPM to the NV state's epoch (define it first if absent). On failure the floor
     * for this boot is still max(tpm, nvram): the NV state holds the higher value. */
    if (tpm_floor_raise(&t, absent, nvram, &err) != 0) {
      log_tpm_error(&err);
    } else {
      log_begin("tpm_floor_raised");
      log_u64("from", tpm);
      log_u64("to", nvram);
      log_str("defined", absent ? "yes" : "no");
      log_end();
      tpm = nvram;
      tpm_text = 0;
    }
  }
  if (!tpm_text && tpm >= nvram) {
    s->epoch = tpm;
    log_floor("tpm", tpm, 0, tpm, nvram);
  } else {
    log_floor("nvram", nvram, tpm_text, tpm, nvram);
  }
}
