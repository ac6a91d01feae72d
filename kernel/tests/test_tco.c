/*
 * kernel/boot/efi/wdog/tco.c on the host: D0's ICH9 TCO watchdog logic against a model of the
 * chip. The model follows QEMU's hw/acpi/tco.c and hw/isa/lpc_ich9.c (the q35 machine the A/B
 * tests boot) for the timer: TCO_TMR in 0.6 s ticks, a reload on a write to TCO_RLD or to
 * TCO1_CNT with the timer running, TIMEOUT on the first expiry, SECOND_TO_STS and a reset on the
 * second unless NO_REBOOT (GCS or the pin strap), every TCO register kept across that reset.
 * Status registers are modelled both ways D0 meets them: write-one-to-clear (the chip) and
 * QEMU's masked store; D0 must behave the same under both.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "wdog/tco.h"

#define PMBASE 0x600u
#define RCBA 0xFED1C000u
#define NS_PER_TICK 600000000ull

struct chip {
  uint32_t id, pmbase, acpi_cntl, rcba, gcs;
  int gcs_locked;   /* GCS ignores writes */
  int strap_noreboot; /* QEMU's ICH9-LPC.noreboot */
  int w1c;          /* status registers: 1 = write-one-to-clear, 0 = QEMU's masked store */
  uint16_t rld, sts1, sts2, cnt1, tmr;
  int running, timeouts;
  uint64_t now_ns, expire_ns;
  unsigned resets, writes, bad_access;
};

static void reload(struct chip *c) {
  c->running = 1;
  c->expire_ns = c->now_ns + (uint64_t)(c->tmr & 0x3FF) * NS_PER_TICK;
}

static int can_start(const struct chip *c) {
  return !(c->cnt1 & TCO1_CNT_TMR_HLT) && (c->tmr & 0x3FF) > 1;
}

/* A system reset: the LPC and GCS go back to their defaults; the TCO registers stay (QEMU). */
static void system_reset(struct chip *c) {
  c->resets++;
  c->running = 0;
  c->gcs = TCO_GCS_NO_REBOOT;
}

/* Moves the clock on by ms, firing each expiry on the way. */
static void advance(struct chip *c, uint64_t ms) {
  uint64_t end = c->now_ns + ms * 1000000ull;
  while (c->running && c->expire_ns <= end) {
    c->now_ns = c->expire_ns;
    c->sts1 |= TCO1_STS_TIMEOUT;
    if (++c->timeouts == 2) {
      c->sts2 |= TCO2_STS_SECOND_TO | TCO2_STS_BOOT;
      c->timeouts = 0;
      if (!c->strap_noreboot && !(c->gcs & TCO_GCS_NO_REBOOT)) {
        system_reset(c);
        break;
      }
    }
    reload(c);
  }
  c->now_ns = end;
}

static uint32_t cfg_read32(void *ctx, uint8_t reg) {
  struct chip *c = ctx;
  switch (reg) {
  case TCO_CFG_ID:
    return c->id;
  case TCO_CFG_PMBASE:
    return c->pmbase | 1u;
  case TCO_CFG_ACPI_CNTL:
    return c->acpi_cntl;
  case TCO_CFG_RCBA:
    return c->rcba;
  }
  c->bad_access++;
  return 0xFFFFFFFFu;
}

static uint16_t io_read16(void *ctx, uint16_t port) {
  struct chip *c = ctx;
  switch (port - PMBASE - TCO_PM_OFFSET) {
  case TCO_RLD:
    return c->rld;
  case TCO1_STS:
    return c->sts1;
  case TCO2_STS:
    return c->sts2;
  case TCO1_CNT:
    return c->cnt1;
  case TCO_TMR:
    return c->tmr;
  }
  c->bad_access++;
  return 0xFFFF;
}

static void io_write16(void *ctx, uint16_t port, uint16_t v) {
  struct chip *c = ctx;
  c->writes++;
  switch (port - PMBASE - TCO_PM_OFFSET) {
  case TCO_RLD:
    c->timeouts = 0;
    if (can_start(c))
      reload(c);
    return;
  case TCO1_STS:
    c->sts1 = c->w1c ? (uint16_t)(c->sts1 & ~v) : (uint16_t)(v & 0xe870);
    return;
  case TCO2_STS:
    c->sts2 = c->w1c ? (uint16_t)(c->sts2 & ~v) : (uint16_t)(v & 0xfff8);
    return;
  case TCO1_CNT:
    if (c->cnt1 & TCO1_CNT_LOCK)
      return; /* locked: the chip keeps its setting */
    c->cnt1 = (uint16_t)(v & 0xfeff);
    if (can_start(c))
      reload(c);
    else
      c->running = 0;
    return;
  case TCO_TMR:
    c->tmr = v;
    return;
  }
  c->bad_access++;
}

static uint32_t mmio_read32(void *ctx, uint64_t addr) {
  struct chip *c = ctx;
  if (addr == (uint64_t)(c->rcba & TCO_RCBA_MASK) + TCO_RCBA_GCS)
    return c->gcs;
  c->bad_access++;
  return 0xFFFFFFFFu;
}

static void mmio_write32(void *ctx, uint64_t addr, uint32_t v) {
  struct chip *c = ctx;
  c->writes++;
  if (addr != (uint64_t)(c->rcba & TCO_RCBA_MASK) + TCO_RCBA_GCS) {
    c->bad_access++;
    return;
  }
  if (!c->gcs_locked)
    c->gcs = v;
}

/* QEMU q35 after OVMF: ICH9 LPC, PMBASE 0x600 decoded, RCBA at 0xFED1C000, GCS.NO_REBOOT set. */
static void chip_init(struct chip *c, int w1c) {
  memset(c, 0, sizeof *c);
  c->id = (TCO_LPC_DEVICE_ICH9 << 16) | TCO_LPC_VENDOR;
  c->pmbase = PMBASE;
  c->acpi_cntl = TCO_ACPI_EN;
  c->rcba = RCBA | TCO_RCBA_EN;
  c->gcs = TCO_GCS_NO_REBOOT;
  c->tmr = 4; /* the chip's default */
  c->w1c = w1c;
}

static struct tco_io io_of(struct chip *c) {
  return (struct tco_io){cfg_read32, io_read16, io_write16, mmio_read32, mmio_write32, c};
}

static void test_period(void) {
  check_current = "period";
  CHECK_EQ(tco_ticks_for_period(6000), 5);
  CHECK_EQ(tco_period_ms(5), 6000);
  CHECK_EQ(tco_ticks_for_period(6599), 5); /* rounded down: never later than asked */
  CHECK_EQ(tco_ticks_for_period(7200), 6);
  CHECK_EQ(tco_ticks_for_period(0), TCO_TICKS_MIN); /* 0 and 1 would be ignored by the chip */
  CHECK_EQ(tco_ticks_for_period(2399), TCO_TICKS_MIN);
  CHECK_EQ(tco_ticks_for_period(0xFFFFFFFFu), TCO_TICKS_MAX);
  CHECK_EQ(tco_period_ms(TCO_TICKS_MAX), 2u * 1023u * 600u);
  for (uint32_t ms = 2400; ms < 1300000; ms += 137)
    CHECK_MSG(tco_period_ms(tco_ticks_for_period(ms)) <= ms, "%u ms", ms);
}

static void test_absent(void) {
  struct chip c;
  struct tco t;
  struct tco_io io;

  check_current = "absent: not ICH9";
  chip_init(&c, 1);
  c.id = 0x70008086u; /* PIIX3 (i440FX) */
  io = io_of(&c);
  CHECK_EQ(tco_probe(&t, &io), TCO_NO_ICH9);
  CHECK_EQ(c.writes, 0); /* nothing written to a chip that is not ours */
  CHECK_EQ(t.base, 0);
  c.id = 0xFFFFFFFFu; /* nothing at 00:1f.0 */
  CHECK_EQ(tco_probe(&t, &io), TCO_NO_ICH9);
  CHECK_EQ(c.writes, 0);

  check_current = "absent: PMBASE";
  chip_init(&c, 1);
  c.acpi_cntl = 0;
  io = io_of(&c);
  CHECK_EQ(tco_probe(&t, &io), TCO_NO_PMBASE);
  CHECK_EQ(c.writes, 0);
  chip_init(&c, 1);
  c.pmbase = 0;
  io = io_of(&c);
  CHECK_EQ(tco_probe(&t, &io), TCO_NO_PMBASE);
  CHECK_EQ(c.writes, 0);

  check_current = "absent: RCBA off";
  chip_init(&c, 1);
  c.rcba = RCBA; /* enable bit clear */
  c.cnt1 = 0;    /* running from the last boot */
  c.tmr = 5;
  reload(&c);
  io = io_of(&c);
  CHECK_EQ(tco_probe(&t, &io), TCO_NO_RCBA);
  CHECK(c.cnt1 & TCO1_CNT_TMR_HLT); /* halted anyway: an SMI-only timer must not run on */
  advance(&c, 60000);
  CHECK_EQ(c.sts1 & TCO1_STS_TIMEOUT, 0);

  check_current = "absent: NO_REBOOT locked";
  chip_init(&c, 1);
  c.gcs_locked = 1;
  io = io_of(&c);
  CHECK_EQ(tco_probe(&t, &io), TCO_NO_REBOOT);

  check_current = "absent: TCO_LOCK";
  chip_init(&c, 1);
  c.cnt1 = TCO1_CNT_LOCK;
  io = io_of(&c);
  CHECK_EQ(tco_probe(&t, &io), TCO_LOCKED);

  for (int w = TCO_OK; w <= TCO_LOCKED; w++)
    CHECK(strlen(tco_absent_name((enum tco_absent)w)) > 0);
}

/* A healthy run, a hang, the reset, the next boot: under both status-register behaviours. */
static void test_cycle(int w1c) {
  struct chip c;
  struct tco t;
  check_current = w1c ? "cycle (write-one-to-clear)" : "cycle (QEMU masked store)";
  chip_init(&c, w1c);
  struct tco_io io = io_of(&c);
  CHECK_EQ(tco_probe(&t, &io), TCO_OK);
  CHECK_EQ(t.base, PMBASE + TCO_PM_OFFSET);
  CHECK_EQ(t.rcba, RCBA);
  CHECK(!t.fired);
  CHECK_EQ(c.gcs & TCO_GCS_NO_REBOOT, 0);
  CHECK(c.cnt1 & TCO1_CNT_TMR_HLT);
  CHECK(!c.running);
  CHECK_EQ(c.bad_access, 0);

  uint16_t ticks = tco_ticks_for_period(6000);
  tco_arm(&t, ticks);
  CHECK(c.running);
  CHECK_EQ(c.tmr & 0x3FF, 5);
  CHECK_EQ(c.cnt1 & TCO1_CNT_TMR_HLT, 0);
  /* Petted every 2.9 s (a little under one expiry) for 10 minutes: never a reset. */
  for (int i = 0; i < 200; i++) {
    advance(&c, 2900);
    tco_pet(&t);
  }
  CHECK_EQ(c.resets, 0);
  CHECK_EQ(c.sts2 & TCO2_STS_SECOND_TO, 0);
  /* Petted every 5.9 s: one expiry between pets, never two without a reload (QEMU restarts the
   * count of expiries at each reload). */
  for (int i = 0; i < 50; i++) {
    advance(&c, 5900);
    tco_pet(&t);
  }
  CHECK_EQ(c.resets, 0);

  /* The hang: the reset comes 6 s after the last pet, not before. */
  advance(&c, 5999);
  CHECK_EQ(c.resets, 0);
  advance(&c, 1);
  CHECK_EQ(c.resets, 1);
  CHECK(c.sts2 & TCO2_STS_SECOND_TO);

  /* The next boot: it learns the cause, clears it, and no timer runs before it arms one. */
  CHECK_EQ(tco_probe(&t, &io), TCO_OK);
  CHECK(t.fired);
  CHECK_EQ(c.sts2 & TCO2_STS_SECOND_TO, 0);
  CHECK_EQ(c.gcs & TCO_GCS_NO_REBOOT, 0);
  advance(&c, 600000);
  CHECK_EQ(c.resets, 1);
  /* And the boot after that one sees a clean status. */
  CHECK_EQ(tco_probe(&t, &io), TCO_OK);
  CHECK(!t.fired);

  /* Armed after a first expiry was left pending: a fresh full period, not half of one. */
  tco_arm(&t, ticks);
  advance(&c, 3100); /* one expiry */
  CHECK(c.sts1 & TCO1_STS_TIMEOUT);
  tco_arm(&t, ticks);
  CHECK_EQ(c.sts1 & TCO1_STS_TIMEOUT, 0);
  advance(&c, 5999);
  CHECK_EQ(c.resets, 1);
  advance(&c, 1);
  CHECK_EQ(c.resets, 2);

  /* Stopped: no reset however long nothing pets it. */
  CHECK_EQ(tco_probe(&t, &io), TCO_OK);
  tco_arm(&t, ticks);
  advance(&c, 1000);
  tco_stop(&t);
  CHECK(!c.running);
  advance(&c, 3600000);
  CHECK_EQ(c.resets, 2);

  /* With the pin strap (QEMU's default noreboot=true) an expiry never resets. */
  c.strap_noreboot = 1;
  tco_arm(&t, ticks);
  advance(&c, 60000);
  CHECK_EQ(c.resets, 2);
  CHECK(c.sts2 & TCO2_STS_SECOND_TO);
  CHECK_EQ(c.bad_access, 0);
}

int main(void) {
  test_period();
  test_absent();
  test_cycle(1);
  test_cycle(0);
  return check_exit("tco");
}
