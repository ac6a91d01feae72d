#include "hv/mptable.h"

#include "d0/lib.h"
#include "dev/platform/platform.h"
#include "hv/cpuid.h"
#include "hv/err.h"

#define FLOATING_LEN 16u
#define HEADER_LEN 44u
#define CPU_ENTRY_LEN 20u
#define BUS_ENTRY_LEN 8u
#define INT_ENTRY_LEN 8u /* an I/O or a local interrupt entry */
#define IOAPIC_ENTRY_LEN 8u
#define ISA_IRQS 16u
#define INTSRC_ENTRIES (ISA_IRQS - 1) /* every ISA IRQ but 2 (the cascade) */
#define TABLE_GPA (MPTABLE_GPA + FLOATING_LEN)
#define SPEC_1_4 4u

enum { ENTRY_CPU = 0, ENTRY_BUS = 1, ENTRY_IOAPIC = 2, ENTRY_INTSRC = 3, ENTRY_LINT = 4 };
enum { INT_INT = 0, INT_NMI = 1, INT_EXTINT = 3 };
#define CPU_ENABLED 1u
#define CPU_BSP 2u
#define ALL_APICS 0xffu

_Static_assert(FLOATING_LEN + HEADER_LEN + MPTABLE_MAX_CPUS * CPU_ENTRY_LEN + BUS_ENTRY_LEN +
                       IOAPIC_ENTRY_LEN + (INTSRC_ENTRIES + 2) * INT_ENTRY_LEN <=
                   MPTABLE_SIZE,
               "the largest table fits its KiB");

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* The byte that makes p[0..len) sum to 0 (mod 256). */
static uint8_t checksum(const uint8_t *p, uint32_t len)
{
  uint8_t sum = 0;
  for (uint32_t i = 0; i < len; i++)
    sum = (uint8_t)(sum + p[i]);
  return (uint8_t)(0u - sum);
}

/* An interrupt entry (I/O interrupt or local interrupt: the same layout): source ISA IRQ, then
 * the destination APIC and its pin or LINT. */
static uint32_t put_int(uint8_t *e, uint8_t entry, uint8_t type, uint8_t irq, uint8_t apic,
                        uint8_t pin)
{
  e[0] = entry;
  e[1] = type;
  put16(e + 2, 0);  /* conforming polarity and trigger */
  e[4] = 0;         /* source bus: ISA */
  e[5] = irq;
  e[6] = apic;
  e[7] = pin;
  return INT_ENTRY_LEN;
}

int mptable_write(const struct guest_mem *mem, uint32_t ncpus)
{
  if (ncpus == 0 || ncpus > MPTABLE_MAX_CPUS)
    return HV_E_INVAL;
  uint8_t buf[MPTABLE_SIZE];
  memset(buf, 0, sizeof buf);
  uint8_t *t = buf + FLOATING_LEN, *e = t + HEADER_LEN;
  struct arch_cpuid_result leaf1;
  cpuid_guest_view(1, 0, 0, &leaf1);
  for (uint32_t i = 0; i < ncpus; i++, e += CPU_ENTRY_LEN) {
    e[0] = ENTRY_CPU;
    e[1] = (uint8_t)i;                           /* APIC ID */
    e[2] = (uint8_t)VLAPIC_VERSION_VALUE;        /* 0x14 */
    e[3] = CPU_ENABLED | (i == 0 ? CPU_BSP : 0); /* the BSP is vCPU 0 */
    put32(e + 4, leaf1.eax);                     /* stepping, model, family */
    put32(e + 8, leaf1.edx);                     /* feature flags */
  }
  e[0] = ENTRY_BUS;
  memcpy(e + 2, "ISA   ", 6);
  e += BUS_ENTRY_LEN;
  e[0] = ENTRY_IOAPIC;
  e[1] = VIOAPIC_ID;
  e[2] = (uint8_t)VIOAPIC_VERSION; /* 0x20 */
  e[3] = 1;                        /* enabled */
  put32(e + 4, (uint32_t)VIOAPIC_MMIO_BASE);
  e += IOAPIC_ENTRY_LEN;
  for (uint8_t irq = 0; irq < ISA_IRQS; irq++)
    if (irq != 2)
      e += put_int(e, ENTRY_INTSRC, INT_INT, irq, VIOAPIC_ID,
                   irq == PLATFORM_IRQ_PIT ? PLATFORM_IOAPIC_PIN_PIT : irq);
  e += put_int(e, ENTRY_LINT, INT_EXTINT, 0, 0, 0);
  e += put_int(e, ENTRY_LINT, INT_NMI, 0, ALL_APICS, 1);
  uint32_t len = (uint32_t)(e - t);

  memcpy(t, "PCMP", 4);
  put16(t + 4, (uint16_t)len);
  t[6] = SPEC_1_4;
  memcpy(t + 8, "D0      ", 8);
  memcpy(t + 16, "MICRO-VM    ", 12);
  put16(t + 34, (uint16_t)(ncpus + 4 + INTSRC_ENTRIES)); /* entries */
  put32(t + 36, (uint32_t)VLAPIC_MMIO_BASE);
  t[7] = checksum(t, len);

  uint8_t *f = buf;
  memcpy(f, "_MP_", 4);
  put32(f + 4, (uint32_t)TABLE_GPA);
  f[8] = 1; /* length in 16-byte units */
  f[9] = SPEC_1_4;
  f[10] = checksum(f, FLOATING_LEN);
  return guest_mem_write(mem, gpa_init(MPTABLE_GPA), buf, FLOATING_LEN + len);
}
