/* The I/O APIC (dev/platform/vioapic.h) in front of the local APIC: register access, edge and
 * level entries, remote IRR and the EOIs that clear it, polarity, masks, destinations, and
 * hostile accesses. Time is the fake clock. */
#include <string.h>

#include "arch/fake/fake.h"
#include "dev/platform/vioapic.h"
#include "check.h"

static struct vlapic apic;
static struct vioapic io;

static void sel(uint32_t r) { vioapic_ops.write(&io, VIOAPIC_IOREGSEL, 4, r); }
static uint32_t rd(uint32_t r)
{
  sel(r);
  return (uint32_t)vioapic_ops.read(&io, VIOAPIC_IOWIN, 4);
}
static void wr(uint32_t r, uint32_t v)
{
  sel(r);
  vioapic_ops.write(&io, VIOAPIC_IOWIN, 4, v);
}
/* Redirection entry of `pin`: low word (vector, flags), destination APIC in the high word. */
static void route(uint32_t pin, uint32_t lo, uint8_t dest)
{
  wr(VIOAPIC_REG_REDIR + 2 * pin + 1, (uint32_t)dest << 24);
  wr(VIOAPIC_REG_REDIR + 2 * pin, lo);
}
static uint64_t rte(uint32_t pin)
{
  return rd(VIOAPIC_REG_REDIR + 2 * pin) | (uint64_t)rd(VIOAPIC_REG_REDIR + 2 * pin + 1) << 32;
}

static void fresh(void)
{
  fake_time_set(1000000000ull);
  fake_events_clear();
  vlapic_init(&apic, NULL, 0);
  vlapic_ops.write(&apic, VLAPIC_SVR, 4, 0x1ff);
  vioapic_init(&io, NULL, &apic, 1);
}

/* The CPU takes the pending vector; eoi: its handler ends it. */
static int take(bool eoi)
{
  int v = vlapic_pending(&apic);
  if (v >= 0) {
    vlapic_ack(&apic, (uint8_t)v);
    if (eoi)
      vlapic_ops.write(&apic, VLAPIC_EOI, 4, 0);
  }
  return v;
}

static void test_registers(void)
{
  fresh();
  CHECK_EQ(rd(1), VIOAPIC_VERSION);
  CHECK_EQ(rd(0), VIOAPIC_ID << 24);
  CHECK_EQ(vioapic_ops.read(&io, VIOAPIC_IOREGSEL, 4), 0);
  for (uint32_t pin = 0; pin < VIOAPIC_PINS; pin++)
    CHECK_EQ(rte(pin), VIOAPIC_RTE_MASKED);
  wr(0, 0x0a000000);
  CHECK_EQ(rd(0), 0x0a000000);
  route(3, 0x8000 | 0x2000 | 0x800 | 0x100 | 0x43, 0x5a);
  CHECK_EQ(rte(3), (0x5aull << 56) | 0xa943);
  /* Delivery status and remote IRR cannot be written; the version cannot either. */
  route(4, 0x5000 | 0x44, 0);
  CHECK_EQ(rte(4), 0x44);
  wr(1, 0);
  CHECK_EQ(rd(1), VIOAPIC_VERSION);
  CHECK(fake_event_find("write-read-only") != NULL);
}

static void test_edge(void)
{
  fresh();
  route(5, 0x35, 0);
  vioapic_set_irq(&io, 5, true);
  CHECK_EQ(take(true), 0x35);
  CHECK_EQ(apic.tmr[1], 0); /* edge: not in TMR */
  vioapic_set_irq(&io, 5, true); /* still high: no new edge */
  CHECK_EQ(take(true), -1);
  vioapic_set_irq(&io, 5, false);
  vioapic_set_irq(&io, 5, true);
  CHECK_EQ(take(true), 0x35);
  /* Masked: the edge is lost, and unmasking a high edge line delivers nothing. */
  vioapic_set_irq(&io, 5, false);
  route(5, VIOAPIC_RTE_MASKED | 0x35, 0);
  vioapic_set_irq(&io, 5, true);
  route(5, 0x35, 0);
  CHECK_EQ(take(true), -1);
  /* Active low: the falling edge is the interrupt. */
  route(7, 0x2000 | 0x37, 0);
  vioapic_set_irq(&io, 7, true);
  CHECK_EQ(take(true), -1);
  vioapic_set_irq(&io, 7, false);
  CHECK_EQ(take(true), 0x37);
  CHECK_EQ(io.delivered, 3);
}

static void test_level_and_eoi(void)
{
  fresh();
  route(6, 0x8000 | 0x46, 0);
  vioapic_set_irq(&io, 6, true);
  CHECK_EQ(rte(6) & VIOAPIC_RTE_REMOTE_IRR, VIOAPIC_RTE_REMOTE_IRR);
  CHECK_EQ(take(false), 0x46);
  CHECK_EQ((apic.tmr[2] >> 6) & 1, 1); /* level: in TMR */
  /* Still asserted, still in service: nothing more until the EOI. */
  vioapic_set_irq(&io, 6, true);
  CHECK_EQ(vlapic_pending(&apic), -1);
  vlapic_ops.write(&apic, VLAPIC_EOI, 4, 0); /* the line is still high: delivered again */
  CHECK_EQ(take(false), 0x46);
  vioapic_set_irq(&io, 6, false); /* the device is served */
  vlapic_ops.write(&apic, VLAPIC_EOI, 4, 0);
  CHECK_EQ(rte(6) & VIOAPIC_RTE_REMOTE_IRR, 0);
  CHECK_EQ(take(false), -1);
  /* The EOI register ends a level vector the same way (Linux with version 0x20). */
  vioapic_set_irq(&io, 6, true);
  CHECK_EQ(take(false), 0x46);
  vioapic_ops.write(&io, VIOAPIC_EOI, 4, 0x46);
  CHECK_EQ(rte(6) & VIOAPIC_RTE_REMOTE_IRR, VIOAPIC_RTE_REMOTE_IRR); /* again: still high */
  /* A masked level line waits; unmasking it while asserted delivers. */
  fresh();
  route(9, VIOAPIC_RTE_MASKED | 0x8000 | 0x49, 0);
  vioapic_set_irq(&io, 9, true);
  CHECK_EQ(vlapic_pending(&apic), -1);
  route(9, 0x8000 | 0x49, 0);
  CHECK_EQ(take(true), 0x49);
}

static void test_destinations_and_refusals(void)
{
  fresh();
  route(1, 0x31, 1); /* physical APIC 1: nobody */
  vioapic_set_irq(&io, 1, true);
  CHECK_EQ(take(true), -1);
  CHECK(fake_event_find("no-destination") != NULL);
  route(1, 0x31, 0xff); /* broadcast */
  vioapic_set_irq(&io, 1, false);
  vioapic_set_irq(&io, 1, true);
  CHECK_EQ(take(true), 0x31);
  vlapic_ops.write(&apic, VLAPIC_LDR, 4, 0x02000000);
  route(3, 0x800 | 0x33, 0x02); /* logical, flat: its LDR bit */
  vioapic_set_irq(&io, 3, true);
  CHECK_EQ(take(true), 0x33);
  route(4, 0x800 | 0x100 | 0x34, 0x06); /* lowest priority among a set that holds it */
  vioapic_set_irq(&io, 4, true);
  CHECK_EQ(take(true), 0x34);
  route(8, 0x200 | 0x38, 0); /* SMI: refused */
  vioapic_set_irq(&io, 8, true);
  CHECK_EQ(take(true), -1);
  CHECK(fake_event_find("delivery-mode-unsupported") != NULL);
  /* Hostile accesses: wrong size or offset, unknown registers, pins out of range. */
  fake_events_clear();
  CHECK_EQ(vioapic_ops.read(&io, VIOAPIC_IOWIN, 2), 0);
  CHECK_EQ(vioapic_ops.read(&io, 0x20, 4), 0);
  CHECK_EQ(vioapic_ops.read(&io, VIOAPIC_EOI, 4), 0); /* write-only */
  vioapic_ops.write(&io, VIOAPIC_IOWIN, 8, ~0ull);
  CHECK_EQ(rd(0x40), 0); /* past the last entry */
  wr(0xff, 1);
  vioapic_set_irq(&io, VIOAPIC_PINS, true);
  vioapic_set_irq(&io, 1000, true);
  CHECK(fake_event_find("bad-read") != NULL);
  CHECK(fake_event_find("bad-write") != NULL);
  CHECK(fake_event_find("read-unknown-register") != NULL);
  CHECK_EQ(rd(1), VIOAPIC_VERSION);
}

/* Random register writes and line changes: whatever the guest programs, the local APIC only
 * ever holds vectors from 16 up, and remote IRR is set on level entries only. */
static void test_random_traffic(void)
{
  fresh();
  uint64_t x = 0x6a09e667f3bcc909ull;
  uint32_t delivered = 0, bad = 0;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    switch (x & 3) {
    case 0: {
      uint32_t reg = (uint32_t)(x >> 8) % 0x40, v = (uint32_t)(x >> 20);
      if ((x >> 50) & 7) /* mostly entries that deliver: fixed, physical, unmasked, to APIC 0 */
        v = reg >= VIOAPIC_REG_REDIR && (reg & 1) ? 0 : v & ~0x10f00u;
      wr(reg, v);
      break;
    }
    case 1: vioapic_set_irq(&io, (uint32_t)(x >> 8) % 26, (x >> 16) & 1); break;
    case 2: (void)rd((uint32_t)(x >> 8) % 0x40); break;
    default: vioapic_ops.write(&io, VIOAPIC_EOI, 4, (x >> 8) & 0xff); break;
    }
    int v = take(false);
    if ((x >> 40) & 3) /* the handler's EOI, mostly (it ends the highest in service) */
      vlapic_ops.write(&apic, VLAPIC_EOI, 4, 0);
    if (v >= 0) {
      delivered++;
      if (v < 16)
        bad++;
    }
    for (uint32_t pin = 0; pin < VIOAPIC_PINS; pin++)
      if ((io.rte[pin] & VIOAPIC_RTE_REMOTE_IRR) && !(io.rte[pin] & VIOAPIC_RTE_LEVEL))
        bad++;
  }
  CHECK_EQ(bad, 0);
  CHECK(delivered > 100);
}

void test_vioapic_all(void)
{
  RUN(test_registers);
  RUN(test_edge);
  RUN(test_level_and_eoi);
  RUN(test_destinations_and_refusals);
  RUN(test_random_traffic);
}
