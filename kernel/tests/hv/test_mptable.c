/* The guest's MP table (hv/mptable.h), read back the way Linux's mpparse.c finds and walks it:
 * the floating pointer on a 16-byte boundary of the top KiB of base memory, both checksums, the
 * spec revision, the local APIC address, and the entries by their sizes. */
#include <stdlib.h>
#include <string.h>

#include "hv/err.h"
#include "hv/linux_boot.h"
#include "hv/mptable.h"
#include "check.h"

#define MIB (1024ull * 1024ull)

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint8_t sum(const uint8_t *p, uint32_t n)
{
  uint8_t s = 0;
  for (uint32_t i = 0; i < n; i++)
    s = (uint8_t)(s + p[i]);
  return s;
}

struct parsed {
  uint32_t cpus, bsp_count, bsp_id, buses, extint, nmi, entries, ioapics, intsrc;
  uint8_t ids[32];
  int pin_of_irq[16]; /* -1: no entry */
  bool ok;
};

/* smp_scan_config(639 * 0x400, 0x400) then smp_check_mpc and smp_read_mpc's walk. */
static struct parsed linux_reads(const uint8_t *ram)
{
  struct parsed r = {0};
  for (int i = 0; i < 16; i++)
    r.pin_of_irq[i] = -1;
  const uint8_t *f = NULL;
  for (uint64_t a = 639 * 0x400; a < 640 * 0x400; a += 16)
    if (memcmp(ram + a, "_MP_", 4) == 0 && ram[a + 8] == 1 && sum(ram + a, 16) == 0 &&
        (ram[a + 9] == 1 || ram[a + 9] == 4)) {
      f = ram + a;
      break;
    }
  if (f == NULL || f[11] != 0 || (f[12] & 0x80) != 0) /* feature1: no default config; no IMCR */
    return r;
  const uint8_t *t = ram + get32(f + 4);
  uint16_t len = get16(t + 4);
  if (memcmp(t, "PCMP", 4) != 0 || sum(t, len) != 0 || (t[6] != 1 && t[6] != 4) ||
      get32(t + 36) != 0xfee00000u)
    return r;
  r.entries = get16(t + 34);
  for (uint32_t off = 44; off < len;) {
    const uint8_t *e = t + off;
    switch (e[0]) {
    case 0:
      if (r.cpus < 32)
        r.ids[r.cpus] = e[1];
      r.cpus++;
      if (e[3] & 2)
        r.bsp_count++, r.bsp_id = e[1];
      if (!(e[3] & 1) || e[2] != 0x14)
        return r;
      off += 20;
      break;
    case 1:
      if (memcmp(e + 2, "ISA   ", 6) != 0)
        return r;
      r.buses++;
      off += 8;
      break;
    case 2:
      if (e[3] != 1 || get32(e + 4) != 0xfec00000u || e[2] != 0x20)
        return r;
      r.ioapics++;
      off += 8;
      break;
    case 3:
      if (e[1] != 0 || e[4] != 0 || e[5] >= 16 || e[6] != 0 || r.pin_of_irq[e[5]] != -1)
        return r; /* INT from the ISA bus to I/O APIC 0, once per IRQ */
      r.pin_of_irq[e[5]] = e[7];
      r.intsrc++;
      off += 8;
      break;
    case 4:
      if (e[1] == 3 && e[6] == 0 && e[7] == 0)
        r.extint++;
      if (e[1] == 1 && e[6] == 0xff && e[7] == 1)
        r.nmi++;
      off += 8;
      break;
    default: return r; /* Linux: "Your mptable is wrong" */
    }
  }
  r.ok = true;
  return r;
}

static void test_tables(void)
{
  uint8_t *ram = aligned_alloc(2 * MIB, 4 * MIB);
  struct guest_mem mem;
  CHECK_EQ(guest_mem_init(&mem, ram, 4 * MIB), HV_OK);
  static const uint32_t counts[] = {1, 2, 4, MPTABLE_MAX_CPUS};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    memset(ram, 0xcc, 4 * MIB);
    CHECK_EQ(mptable_write(&mem, counts[i]), HV_OK);
    struct parsed p = linux_reads(ram);
    CHECK(p.ok);
    CHECK_EQ(p.cpus, counts[i]);
    CHECK_EQ(p.entries, counts[i] + 4 + 15);
    CHECK_EQ(p.ioapics, 1);
    CHECK_EQ(p.intsrc, 15);
    CHECK_EQ(p.pin_of_irq[0], 2); /* the PIT: the usual override */
    CHECK_EQ(p.pin_of_irq[2], -1);
    for (int irq = 1; irq < 16; irq++)
      if (irq != 2)
        CHECK_EQ(p.pin_of_irq[irq], irq);
    CHECK_EQ(p.bsp_count, 1);
    CHECK_EQ(p.bsp_id, 0);
    for (uint32_t c = 0; c < counts[i]; c++)
      CHECK_EQ(p.ids[c], c);
    CHECK_EQ(p.buses, 1);
    CHECK_EQ(p.extint, 1);
    CHECK_EQ(p.nmi, 1);
    /* Everything inside its KiB, outside e820 RAM ([0, 0x9FC00)); nothing written past it. */
    CHECK_EQ(ram[MPTABLE_GPA - 1], 0xcc);
    CHECK_EQ(ram[MPTABLE_GPA + MPTABLE_SIZE], 0xcc);
    CHECK(MPTABLE_GPA >= BOOT_E820_LOW_RAM_END);
  }
  /* Counts outside 1..16 are refused, nothing written. */
  memset(ram, 0xcc, 4 * MIB);
  CHECK_EQ(mptable_write(&mem, 0), HV_E_INVAL);
  CHECK_EQ(mptable_write(&mem, MPTABLE_MAX_CPUS + 1), HV_E_INVAL);
  CHECK_EQ(ram[MPTABLE_GPA], 0xcc);
  /* A corrupted byte fails Linux's checksum: the reader above is not a rubber stamp. */
  CHECK_EQ(mptable_write(&mem, 2), HV_OK);
  ram[MPTABLE_GPA + 16 + 50]++;
  CHECK(!linux_reads(ram).ok);
  free(ram);
}

void test_mptable_all(void) { RUN(test_tables); }
