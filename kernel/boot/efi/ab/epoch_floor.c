/* The epoch floor from the TPM and the NV state; contract in epoch_floor.h. */
#include "epoch_floor.h"

#include "d0/lib.h"
#include "log/log.h"
#include "tpm/direct.h"
#include "tpm/floor.h"
#include "tpm/tcg2.h"

/* The boot's TPM read succeeded (TCG2 present, D0's index or none): the commit may raise it. */
static int tpm_read_at_boot;

/* detail: D0's driver's reason for a transport failure (commit), else 0. */
static void log_tpm_error(const struct tpm_floor_error *e, const char *at, const char *detail) {
  log_begin("tpm_error");
  log_str("op", e->op);
  log_str("kind", e->kind);
  log_hex("code", e->code);
  if (detail)
    log_str("detail", detail);
  log_str("at", at);
  log_end();
}

/* us: the time the read and raise took at the commit (D0's driver), or -1 at boot (untimed). */
static void log_raised(uint64_t from, uint64_t to, int defined, const char *at, uint64_t us) {
  log_begin("tpm_floor_raised");
  log_u64("from", from);
  log_u64("to", to);
  log_str("defined", defined ? "yes" : "no");
  log_str("at", at);
  if (us != (uint64_t)-1)
    log_u64("us", us);
  log_end();
}

/* Which interface D0's own driver would use after ExitBootServices (tpm/direct.h). */
static void probe_interface(void) {
  uint32_t id = 0;
  enum tis_iface i = tpm_direct_probe(&id);
  log_begin("tpm_interface");
  log_str("iface", tis_iface_name(i));
  log_hex("did_vid", id);
  log_str("commit_raise", i == TIS_IFACE_FIFO || i == TIS_IFACE_CRB ? "yes" : "no");
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
  probe_interface();
  enum tpm_floor_status how = tpm_floor_read(&t, &tpm, &err);
  if (how == TPM_FLOOR_ERROR) {
    log_tpm_error(&err, "boot", 0);
    log_floor("nvram", nvram, "error", 0, nvram);
    return;
  }
  tpm_read_at_boot = 1;
  int absent = how == TPM_FLOOR_ABSENT;
  const char *tpm_text = absent ? "absent" : 0; /* 0: the TPM holds the value tpm */
  if (absent || nvram > tpm) {
    /* Raise the TPM to the NV state's epoch (define it first if absent). On failure the floor
     * for this boot is still max(tpm, nvram): the NV state holds the higher value. */
    if (tpm_floor_raise(&t, absent, nvram, &err) != 0) {
      log_tpm_error(&err, "boot", 0);
    } else {
      log_raised(tpm, nvram, absent, "boot", (uint64_t)-1);
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

void ab_epoch_floor_commit(uint64_t epoch) {
  if (!tpm_read_at_boot)
    return; /* no TPM, or one whose index D0 could not read: nothing to raise */
  struct tpm_link t;
  const char *why = 0;
  if (tpm_direct_link(&t, &why) != 0) {
    log_begin("tpm_floor_deferred");
    log_str("reason", why); /* none, other, or unmapped */
    log_str("at", "commit");
    log_end();
    return;
  }
  struct tpm_floor_error err = { 0, 0, 0 };
  uint64_t tpm = 0, t0 = tpm_direct_now_us();
  enum tpm_floor_status how = tpm_floor_read(&t, &tpm, &err);
  if (how == TPM_FLOOR_OK && tpm >= epoch)
    return; /* already there (or above): never lowered */
  if (how != TPM_FLOOR_ERROR && tpm_floor_raise(&t, how == TPM_FLOOR_ABSENT, epoch, &err) == 0) {
    log_raised(tpm, epoch, how == TPM_FLOOR_ABSENT, "commit", tpm_direct_now_us() - t0);
    return;
  }
  int transport = strlen(err.kind) == 9 && memcmp(err.kind, "transport", 9) == 0;
  log_tpm_error(&err, "commit", transport ? tpm_direct_last_error() : 0);
}
