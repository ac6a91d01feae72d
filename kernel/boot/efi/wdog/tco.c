/* The ICH9 TCO watchdog's register logic; contract in tco.h. */
#include "wdog/tco.h"

static uint16_t rd(const struct tco *t, uint16_t reg) {
  return t->io.io_read16(t->io.ctx, (uint16_t)(t->base + reg));
}

static void wr(const struct tco *t, uint16_t reg, uint16_t v) {
  t->io.io_write16(t->io.ctx, (uint16_t)(t->base + reg), v);
}

const char *tco_absent_name(enum tco_absent why) {
  switch (why) {
  case TCO_OK:
    return "none";
  case TCO_NO_ICH9:
    return "no_ich9_lpc";
  case TCO_NO_PMBASE:
    return "no_pmbase";
  case TCO_NO_RCBA:
    return "no_rcba";
  case TCO_NO_REBOOT:
    return "no_reboot_locked";
  case TCO_LOCKED:
    return "tco_locked";
  }
  return "unknown";
}

enum tco_absent tco_probe(struct tco *t, const struct tco_io *io) {
  t->io = *io;
  t->base = 0;
  t->rcba = 0;
  t->fired = false;
  uint32_t id = io->cfg_read32(io->ctx, TCO_CFG_ID);
  if ((id & 0xFFFFu) != TCO_LPC_VENDOR || (id >> 16) != TCO_LPC_DEVICE_ICH9)
    return TCO_NO_ICH9;
  uint32_t pmbase = io->cfg_read32(io->ctx, TCO_CFG_PMBASE) & TCO_PMBASE_MASK;
  uint32_t acpi_cntl = io->cfg_read32(io->ctx, TCO_CFG_ACPI_CNTL) & 0xFFu;
  if (pmbase == 0 || (acpi_cntl & TCO_ACPI_EN) == 0)
    return TCO_NO_PMBASE;
  t->base = (uint16_t)(pmbase + TCO_PM_OFFSET);

  /* The last reset's cause first, before anything here could change it. */
  t->fired = (rd(t, TCO2_STS) & TCO2_STS_SECOND_TO) != 0;
  if (t->fired)
    wr(t, TCO2_STS, TCO2_STS_SECOND_TO);
  uint16_t cnt = rd(t, TCO1_CNT);
  if (cnt & TCO1_CNT_LOCK)
    return TCO_LOCKED;
  wr(t, TCO1_CNT, (uint16_t)(cnt | TCO1_CNT_TMR_HLT));

  uint32_t rcba = io->cfg_read32(io->ctx, TCO_CFG_RCBA);
  if ((rcba & TCO_RCBA_EN) == 0 || (rcba & TCO_RCBA_MASK) == 0)
    return TCO_NO_RCBA;
  t->rcba = rcba & TCO_RCBA_MASK;
  uint64_t gcs_at = t->rcba + TCO_RCBA_GCS;
  uint32_t gcs = io->mmio_read32(io->ctx, gcs_at);
  if (gcs & TCO_GCS_NO_REBOOT) {
    io->mmio_write32(io->ctx, gcs_at, gcs & ~TCO_GCS_NO_REBOOT);
    if (io->mmio_read32(io->ctx, gcs_at) & TCO_GCS_NO_REBOOT)
      return TCO_NO_REBOOT;
  }
  return TCO_OK;
}

uint16_t tco_ticks_for_period(uint32_t period_ms) {
  uint32_t ticks = period_ms / 2u / TCO_TICK_MS;
  if (ticks < TCO_TICKS_MIN)
    ticks = TCO_TICKS_MIN;
  if (ticks > TCO_TICKS_MAX)
    ticks = TCO_TICKS_MAX;
  return (uint16_t)ticks;
}

uint32_t tco_period_ms(uint16_t ticks) {
  return 2u * (uint32_t)(ticks & TCO_TMR_MASK) * TCO_TICK_MS;
}

void tco_arm(const struct tco *t, uint16_t ticks) {
  /* Halted while it is set up, so a half-set timer never runs. */
  uint16_t cnt = (uint16_t)(rd(t, TCO1_CNT) | TCO1_CNT_TMR_HLT);
  wr(t, TCO1_CNT, cnt);
  wr(t, TCO1_STS, TCO1_STS_TIMEOUT);
  wr(t, TCO2_STS, TCO2_STS_SECOND_TO);
  wr(t, TCO_TMR, (uint16_t)((rd(t, TCO_TMR) & ~TCO_TMR_MASK) | (ticks & TCO_TMR_MASK)));
  wr(t, TCO1_CNT, (uint16_t)(cnt & ~TCO1_CNT_TMR_HLT));
  wr(t, TCO_RLD, 1); /* a fresh count (a write also clears the chip's first-expiry state) */
}

void tco_pet(const struct tco *t) {
  wr(t, TCO_RLD, 1);
}

void tco_stop(const struct tco *t) {
  wr(t, TCO1_CNT, (uint16_t)(rd(t, TCO1_CNT) | TCO1_CNT_TMR_HLT));
}
