/* The guest's local APIC (dev/platform/vlapic.h): power-on state, the timer (one-shot, periodic,
 * divider), priorities, EOI, IPIs to itself, IA32_APIC_BASE, and hostile accesses. Time is the
 * fake clock. */
#include <string.h>

#include "arch/fake/fake.h"
#include "dev/platform/vlapic.h"
#include "check.h"

#define T0 (7000ull * 1000000000ull)

static struct vlapic apic;

static uint32_t rd(uint32_t reg) { return (uint32_t)vlapic_ops.read(&apic, reg, 4); }
static void wr(uint32_t reg, uint32_t v) { vlapic_ops.write(&apic, reg, 4, v); }

static void fresh(void)
{
  fake_time_set(T0);
  fake_events_clear();
  vlapic_init(&apic, NULL, 0);
}

/* What Linux's setup_local_APIC leaves: software-enabled, LINT0 ExtINT on the BSP. */
static void enabled(void)
{
  fresh();
  wr(VLAPIC_SVR, 0x1ff);
  wr(VLAPIC_LVT_LINT0, 0x700);
}

/* The backend's part: deliver and acknowledge the pending vector (it stays in service). */
static int take(void)
{
  vlapic_poll(&apic, arch_time_ns());
  int v = vlapic_pending(&apic);
  if (v >= 0)
    vlapic_ack(&apic, (uint8_t)v);
  return v;
}

/* take(), and the guest's handler ends it. */
static int take_eoi(void)
{
  int v = take();
  if (v >= 0)
    wr(VLAPIC_EOI, 0);
  return v;
}

static void test_power_on(void)
{
  fresh();
  CHECK_EQ(rd(VLAPIC_ID), 0);
  CHECK_EQ(rd(VLAPIC_VERSION), 0x50014);
  CHECK_EQ(rd(VLAPIC_SVR), 0xff); /* software-disabled */
  CHECK_EQ(rd(VLAPIC_DFR), 0xffffffffu);
  CHECK_EQ(rd(VLAPIC_LVT_TIMER), VLAPIC_LVT_MASKED);
  CHECK_EQ(rd(VLAPIC_LVT_LINT0), 0x700); /* the firmware's virtual wire */
  CHECK_EQ(rd(VLAPIC_LVT_ERROR), VLAPIC_LVT_MASKED);
  CHECK_EQ(rd(VLAPIC_TMCCT), 0);
  CHECK(vlapic_accepts_extint(&apic));
  CHECK_EQ(vlapic_pending(&apic), -1);
  CHECK_EQ(vlapic_poll(&apic, T0), VLAPIC_NO_DEADLINE);
  CHECK_EQ(vlapic_base_read(&apic), 0xfee00900ull);
}

static void test_one_shot_timer(void)
{
  enabled();
  wr(VLAPIC_LVT_TIMER, 0xec);
  CHECK_EQ(rd(VLAPIC_TDCR), 0); /* divide by 2 */
  wr(VLAPIC_TMICT, 1000);
  CHECK_EQ(vlapic_poll(&apic, T0), T0 + 2000);
  fake_time_set(T0 + 500);
  CHECK_EQ(rd(VLAPIC_TMCCT), 750);
  fake_time_set(T0 + 1999);
  CHECK_EQ(take(), -1);
  CHECK_EQ(rd(VLAPIC_TMCCT), 1);
  fake_time_set(T0 + 2000);
  CHECK_EQ(take(), 0xec);
  CHECK_EQ(rd(VLAPIC_TMCCT), 0);
  CHECK_EQ(vlapic_poll(&apic, T0 + 9000), VLAPIC_NO_DEADLINE);
  CHECK_EQ(apic.timer_fired, 1);
  /* Writing 0 to TMICT stops a count in progress. */
  wr(VLAPIC_TMICT, 50);
  wr(VLAPIC_TMICT, 0);
  fake_time_advance(1000000);
  CHECK_EQ(take(), -1);
  CHECK_EQ(apic.timer_fired, 1);
}

static void test_periodic_and_divider(void)
{
  enabled();
  wr(VLAPIC_LVT_TIMER, 0x20000 | 0xef); /* periodic */
  wr(VLAPIC_TDCR, 0xb);                 /* divide by 1 */
  wr(VLAPIC_TMICT, 100);
  fake_time_set(T0 + 350); /* three periods passed unpolled: one interrupt, IRR holds one */
  CHECK_EQ(take(), 0xef);
  CHECK_EQ(apic.timer_fired, 1);
  CHECK_EQ(vlapic_poll(&apic, T0 + 350), T0 + 400);
  CHECK_EQ(rd(VLAPIC_TMCCT), 50);
  wr(VLAPIC_EOI, 0);
  fake_time_set(T0 + 400);
  CHECK_EQ(take(), 0xef);
  /* Changing the divider mid-count: the count goes on at the new rate. */
  enabled();
  wr(VLAPIC_LVT_TIMER, 0xec);
  wr(VLAPIC_TDCR, 0xb);
  wr(VLAPIC_TMICT, 1000);
  fake_time_set(T0 + 400);
  wr(VLAPIC_TDCR, 0x0); /* divide by 2: 600 counts left, 1,200 ns */
  CHECK_EQ(rd(VLAPIC_TMCCT), 600);
  CHECK_EQ(vlapic_poll(&apic, T0 + 400), T0 + 1600);
  /* The divider values: 0,1,2,3,8,9,10 -> 2,4,8,16,32,64,128; 11 -> 1. */
  static const uint32_t tdcr[] = {0, 1, 2, 3, 8, 9, 10, 11};
  static const uint64_t div[] = {2, 4, 8, 16, 32, 64, 128, 1};
  for (size_t i = 0; i < 8; i++) {
    enabled();
    wr(VLAPIC_TDCR, tdcr[i]);
    wr(VLAPIC_TMICT, 10);
    CHECK_EQ(vlapic_poll(&apic, T0), T0 + 10 * div[i]);
  }
  /* A masked timer counts and expires, but raises nothing. */
  enabled();
  wr(VLAPIC_LVT_TIMER, VLAPIC_LVT_MASKED | 0xec);
  wr(VLAPIC_TMICT, 10);
  fake_time_advance(100);
  CHECK_EQ(take(), -1);
  CHECK_EQ(apic.timer_fired, 1);
}

static void test_priorities_and_eoi(void)
{
  enabled();
  wr(VLAPIC_ICR_LO, 0x40000 | 0x31); /* self IPIs */
  wr(VLAPIC_ICR_LO, 0x40000 | 0x45);
  wr(VLAPIC_TPR, 0x40);
  CHECK_EQ(rd(VLAPIC_PPR), 0x40);
  CHECK_EQ(vlapic_pending(&apic), -1); /* class 4 is not above the TPR's class 4 */
  wr(VLAPIC_TPR, 0x20);
  CHECK_EQ(take(), 0x45);
  CHECK_EQ(rd(VLAPIC_ISR + 0x20) & (1u << 5), 1u << 5); /* vector 0x45: ISR word 2, bit 5 */
  CHECK_EQ(rd(VLAPIC_PPR), 0x40);
  CHECK_EQ(take(), -1); /* 0x31 waits for the EOI of 0x45 */
  wr(VLAPIC_ICR_LO, 0x40000 | 0xfd);
  CHECK_EQ(take(), 0xfd); /* a higher class nests */
  wr(VLAPIC_EOI, 0);     /* ends 0xfd, the highest in service */
  CHECK_EQ(take(), -1);
  wr(VLAPIC_EOI, 0);
  CHECK_EQ(take(), 0x31);
  wr(VLAPIC_EOI, 0);
  wr(VLAPIC_EOI, 0); /* nothing in service: nothing happens */
  CHECK_EQ(rd(VLAPIC_PPR), 0x20);
  CHECK_EQ(rd(VLAPIC_IRR + 0x10), 0);
}

static void test_ipis(void)
{
  enabled();
  /* Physical destination: its own ID (0) or broadcast reach it; ID 1 is nobody. */
  wr(VLAPIC_ICR_HI, 0);
  wr(VLAPIC_ICR_LO, 0x50);
  CHECK_EQ(take_eoi(), 0x50);
  wr(VLAPIC_ICR_HI, 1u << 24);
  wr(VLAPIC_ICR_LO, 0x51);
  CHECK_EQ(take_eoi(), -1);
  CHECK(fake_event_find("ipi-no-other-cpu") != NULL);
  /* Logical, flat model: its LDR bit. */
  wr(VLAPIC_LDR, 0x01000000);
  wr(VLAPIC_ICR_HI, 0x01000000);
  wr(VLAPIC_ICR_LO, 0x800 | 0x52);
  CHECK_EQ(take_eoi(), 0x52);
  /* All including self: reaches it (and is logged as reaching no other CPU). */
  wr(VLAPIC_ICR_LO, 0x80000 | 0x60);
  CHECK_EQ(take_eoi(), 0x60);
  /* All excluding self: nobody. */
  wr(VLAPIC_ICR_LO, 0xc0000 | 0x61);
  CHECK_EQ(take_eoi(), -1);
  /* INIT, NMI: not modelled, refused. */
  fake_events_clear();
  wr(VLAPIC_ICR_LO, 0x40000 | 0x500);
  wr(VLAPIC_ICR_LO, 0x40000 | 0x400 | 0x70);
  CHECK_EQ(take_eoi(), -1);
  CHECK(fake_event_find("ipi-mode-unsupported") != NULL);
  /* A reserved vector: a send error, seen in ESR after its write. */
  wr(VLAPIC_ICR_LO, 0x40000 | 0x05);
  CHECK_EQ(rd(VLAPIC_ESR), 0);
  wr(VLAPIC_ESR, 0);
  CHECK_EQ(rd(VLAPIC_ESR), VLAPIC_ESR_SEND_ILLEGAL);
  wr(VLAPIC_ESR, 0);
  CHECK_EQ(rd(VLAPIC_ESR), 0);
  /* Delivery status reads idle: Linux waits on it before each IPI. */
  CHECK_EQ(rd(VLAPIC_ICR_LO) & (1u << 12), 0);
  /* A software-disabled APIC accepts nothing. */
  wr(VLAPIC_SVR, 0xff);
  wr(VLAPIC_ICR_LO, 0x40000 | 0x80);
  CHECK_EQ(take_eoi(), -1);
}

static void test_software_disable_masks_lvts(void)
{
  enabled();
  wr(VLAPIC_LVT_TIMER, 0xec);
  wr(VLAPIC_SVR, 0xff);
  CHECK_EQ(rd(VLAPIC_LVT_TIMER), VLAPIC_LVT_MASKED | 0xec);
  CHECK_EQ(rd(VLAPIC_LVT_LINT0), VLAPIC_LVT_MASKED | 0x700);
  CHECK(!vlapic_accepts_extint(&apic));
  wr(VLAPIC_LVT_TIMER, 0xec); /* unmasking while disabled: stays masked */
  CHECK_EQ(rd(VLAPIC_LVT_TIMER), VLAPIC_LVT_MASKED | 0xec);
  wr(VLAPIC_SVR, 0x1ff);
  wr(VLAPIC_LVT_TIMER, 0xec);
  CHECK_EQ(rd(VLAPIC_LVT_TIMER), 0xec);
  /* Read-only bits: delivery status and remote IRR cannot be written. */
  wr(VLAPIC_LVT_LINT0, 0xffffffffu);
  CHECK_EQ(rd(VLAPIC_LVT_LINT0), 0x1a7ff);
  CHECK(!vlapic_accepts_extint(&apic)); /* masked */
  wr(VLAPIC_LVT_LINT0, 0x000); /* fixed mode: the PIC's INTR goes nowhere */
  CHECK(!vlapic_accepts_extint(&apic));
  wr(VLAPIC_LVT_LINT0, 0x700);
  CHECK(vlapic_accepts_extint(&apic));
}

static void test_apic_base_msr(void)
{
  enabled();
  wr(VLAPIC_LVT_LINT0, VLAPIC_LVT_MASKED | 0x700);
  wr(VLAPIC_ICR_LO, 0x40000 | 0x40);
  /* Refused: x2APIC mode, another base, reserved bits. Nothing changes. */
  vlapic_base_write(&apic, 0xfee00c00ull);
  vlapic_base_write(&apic, 0xfed00900ull);
  vlapic_base_write(&apic, 0xfee00901ull);
  CHECK_EQ(apic.log.count, 3);
  CHECK(fake_event_find("apic-base-refused") != NULL);
  CHECK_EQ(vlapic_base_read(&apic), 0xfee00900ull);
  CHECK_EQ(vlapic_pending(&apic), 0x40);
  /* Off: no interrupts, the PIC reaches the CPU directly, the page reads as nothing. */
  vlapic_base_write(&apic, 0xfee00100ull);
  CHECK_EQ(vlapic_base_read(&apic), 0xfee00100ull);
  CHECK_EQ(vlapic_pending(&apic), -1);
  CHECK(vlapic_accepts_extint(&apic));
  CHECK_EQ(vlapic_ops.read(&apic, VLAPIC_VERSION, 4), 0xffffffffull);
  wr(VLAPIC_SVR, 0x1ff); /* ignored */
  /* On again: the power-on state. */
  vlapic_base_write(&apic, 0xfee00900ull);
  CHECK_EQ(rd(VLAPIC_SVR), 0xff);
  CHECK_EQ(rd(VLAPIC_LVT_LINT0), 0x700);
  CHECK_EQ(rd(VLAPIC_IRR + 0x20), 0);
}

static void test_hostile_accesses(void)
{
  enabled();
  fake_events_clear();
  /* Not a 4-byte access at a register's start: refused. */
  CHECK_EQ(vlapic_ops.read(&apic, VLAPIC_VERSION, 2), 0);
  CHECK_EQ(vlapic_ops.read(&apic, VLAPIC_VERSION + 4, 4), 0);
  vlapic_ops.write(&apic, VLAPIC_TPR, 1, 0xff);
  vlapic_ops.write(&apic, VLAPIC_TPR, 8, 0xff);
  CHECK_EQ(rd(VLAPIC_TPR), 0);
  CHECK(fake_event_find("bad-read") != NULL);
  CHECK(fake_event_find("bad-write") != NULL);
  /* Read-only and reserved registers: an illegal-register error, nothing changes. */
  wr(VLAPIC_VERSION, 0);
  wr(VLAPIC_TMCCT, 5);
  CHECK_EQ(rd(0x400), 0);
  CHECK_EQ(rd(VLAPIC_VERSION), 0x50014);
  wr(VLAPIC_ESR, 0);
  CHECK_EQ(rd(VLAPIC_ESR), VLAPIC_ESR_ILLEGAL_REG);
  /* The log has a budget; every odd access is counted. */
  for (int i = 0; i < 1000; i++)
    wr(VLAPIC_PPR, 1);
  CHECK_EQ(fake_events_count(), PLATFORM_LOG_LIMIT);
  CHECK(apic.log.count >= 1000);
}

/* Random register traffic and timer polls: whatever the guest writes, a delivered vector is
 * never a reserved one and always above the processor priority. */
static void test_random_traffic(void)
{
  enabled();
  uint64_t x = 0x2545f4914f6cdd1dull;
  uint32_t delivered = 0, bad = 0;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint32_t reg = (uint32_t)((x >> 8) % 0x400) & ~0xfu;
    uint32_t value = (uint32_t)(x >> 20);
    if (reg == VLAPIC_SVR && (x >> 40) % 16 != 0)
      value |= VLAPIC_SVR_ENABLE; /* mostly enabled, so that interrupts flow */
    if ((x & 3) == 0)
      (void)rd(reg);
    else
      wr(reg, value);
    if ((x >> 52) == 0) /* now and then off */
      vlapic_base_write(&apic, 0xfee00100ull);
    if ((x >> 45) % 8 == 0) { /* on again (the power-on state), and enabled */
      vlapic_base_write(&apic, 0xfee00900ull);
      wr(VLAPIC_SVR, 0x1ff);
    }
    fake_time_advance((x >> 50) % 5000);
    vlapic_poll(&apic, arch_time_ns());
    uint32_t before = rd(VLAPIC_PPR);
    int v = vlapic_pending(&apic);
    if (v >= 0) {
      if (v < 16 || ((uint32_t)v & 0xf0u) <= (before & 0xf0u))
        bad++;
      vlapic_ack(&apic, (uint8_t)v);
      if ((x >> 30) & 1)
        wr(VLAPIC_EOI, 0);
      delivered++;
    }
  }
  CHECK_EQ(bad, 0);
  CHECK(delivered > 100);
}

void test_vlapic_all(void)
{
  RUN(test_power_on);
  RUN(test_one_shot_timer);
  RUN(test_periodic_and_divider);
  RUN(test_priorities_and_eoi);
  RUN(test_ipis);
  RUN(test_software_disable_masks_lvts);
  RUN(test_apic_base_msr);
  RUN(test_hostile_accesses);
  RUN(test_random_traffic);
}
