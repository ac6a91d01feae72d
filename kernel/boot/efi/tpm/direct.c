/* D0's TIS and CRB drivers on MMIO and the TSC; contract in direct.h. */
#include "direct.h"

#include "arch/x86/paging.h"
#include "arch/x86/time.h"
#include "arch/x86/x86.h"
#include "crb.h"
#include "wdog/watchdog.h"

static enum tis_iface probed = TIS_IFACE_NONE;
static int mapped;
static const char *last = "ok";

static volatile uint8_t *reg8(uint32_t off) {
  return (volatile uint8_t *)(uintptr_t)(TIS_BASE + off);
}

static uint8_t rd8(void *ctx, uint32_t off) {
  (void)ctx;
  return *reg8(off);
}

static uint32_t rd32(void *ctx, uint32_t off) {
  (void)ctx;
  return *(volatile uint32_t *)reg8(off);
}

static void wr8(void *ctx, uint32_t off, uint8_t v) {
  (void)ctx;
  *reg8(off) = v;
}

static void wr32(void *ctx, uint32_t off, uint32_t v) {
  (void)ctx;
  *(volatile uint32_t *)reg8(off) = v;
}

static uint64_t now_us(void *ctx) {
  (void)ctx;
  /* Every wait of the drivers is bounded (tis.h, crb.h), but a failing TPM's waits add up to
   * more than the watchdog's period (the commit's raise runs inside the run loop): a bounded
   * wait is progress, so it services the watchdog. */
  watchdog_pet();
  uint64_t hz = x86_tsc_hz();
  x86_pause();
  /* Before the TSC is calibrated (never on D0's paths), count 1 GHz: still bounded. */
  return x86_rdtsc() / ((hz >= 1000000u ? hz : 1000000000u) / 1000000u);
}

static const struct tis_io mmio = { rd8, rd32, wr8, wr32, now_us, 0 };

/* A non-zero status is the driver's error code (tis.h, crb.h: distinct ranges). */
static uint64_t submit_tis(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                           size_t rsp_cap, size_t *rsp_len) {
  (void)ctx;
  enum tis_error e = tis_submit(&mmio, cmd, cmd_len, rsp, rsp_cap, rsp_len);
  last = tis_error_name(e);
  return (uint64_t)e;
}

static uint64_t submit_crb(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                           size_t rsp_cap, size_t *rsp_len) {
  (void)ctx;
  enum crb_error e = crb_submit(&mmio, TIS_BASE, cmd, cmd_len, rsp, rsp_cap, rsp_len);
  last = crb_error_name(e);
  return (uint64_t)e;
}

enum tis_iface tpm_direct_probe(uint32_t *did_vid) {
  probed = tis_probe(&mmio, did_vid);
  return probed;
}

int tpm_direct_link(struct tpm_link *t, const char **why) {
  if (probed != TIS_IFACE_FIFO && probed != TIS_IFACE_CRB) {
    *why = tis_iface_name(probed);
    return -1;
  }
  if (!mapped && x86_paging_map_mmio(TIS_BASE, TIS_SIZE) != 0) {
    *why = "unmapped";
    return -1;
  }
  mapped = 1;
  t->submit = probed == TIS_IFACE_CRB ? submit_crb : submit_tis;
  t->ctx = 0;
  return 0;
}

const char *tpm_direct_last_error(void) {
  return last;
}

uint64_t tpm_direct_now_us(void) {
  return now_us(0);
}
