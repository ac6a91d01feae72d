#include "arch/x86/lapic.h"

#include "arch/arch.h"
#include "arch/x86/paging.h"
#include "arch/x86/x86.h"

#define MSR_APIC_BASE 0x1Bu
#define APIC_BASE_EN (1ull << 11)   /* SDM 11.4.4: the APIC is enabled */
#define APIC_BASE_EXTD (1ull << 10) /* SDM 11.12.1: x2APIC mode */
#define APIC_BASE_ADDR 0x000ffffffffff000ull /* SDM 11.4.4: bits 51:12, the xAPIC page */
#define CPUID1_ECX_X2APIC (1u << 21)

/* xAPIC register offsets (SDM table 11-1); x2APIC MSR = 0x800 + offset / 16 (SDM 11.12.1.2). */
#define REG_ICR_LO 0x300u
#define REG_ICR_HI 0x310u
#define MSR_X2APIC_ICR 0x830u
#define MSR_X2APIC_BASE 0x800u

/* ICR fields (SDM 11.6.1). */
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_BUSY (1u << 12) /* delivery status: send pending (xAPIC only) */
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)

static bool x2apic;
static volatile uint32_t *mmio;
static bool init_done;
static const char *init_error;

static const char *init_once(uint64_t mmio_phys)
{
  uint64_t base = x86_rdmsr(MSR_APIC_BASE);
  if (!(base & APIC_BASE_EN))
    return "apic_disabled";
  struct x86_cpuid r;
  x86_cpuid(1, 0, &r);
  x2apic = (base & APIC_BASE_EXTD) && (r.ecx & CPUID1_ECX_X2APIC);
  if (x2apic)
    return 0;
  /* No MADT (the ACPI fallback): the address this CPU's APIC decodes, from IA32_APIC_BASE. */
  if (mmio_phys == 0)
    mmio_phys = base & APIC_BASE_ADDR;
  if (mmio_phys == 0 || (mmio_phys & 0xfffu) != 0 || x86_paging_map_mmio(mmio_phys, 4096) != 0)
    return "xapic_map_failed";
  mmio = (volatile uint32_t *)(uintptr_t)mmio_phys;
  return 0;
}

const char *lapic_init(uint64_t mmio_phys)
{
  if (!init_done) {
    init_error = init_once(mmio_phys);
    init_done = true;
  }
  return init_error;
}

bool lapic_ready(void) { return init_done && init_error == NULL; }

uint32_t lapic_read(uint32_t reg)
{
  if (x2apic)
    return (uint32_t)x86_rdmsr(MSR_X2APIC_BASE + reg / 16);
  return mmio[reg / 4];
}

void lapic_write(uint32_t reg, uint32_t v)
{
  if (x2apic)
    x86_wrmsr(MSR_X2APIC_BASE + reg / 16, v);
  else
    mmio[reg / 4] = v;
}

void lapic_eoi(void)
{
  if (lapic_ready())
    lapic_write(LAPIC_REG_EOI, 0); /* x2APIC: a non-zero write is a #GP (SDM 11.12.1.2) */
}

const char *lapic_mode_name(void) { return x2apic ? "x2apic" : "xapic"; }

uint32_t lapic_self_id(void)
{
  struct x86_cpuid r;
  x86_cpuid(0, 0, &r);
  if (r.eax >= 0xB) {
    x86_cpuid(0xB, 0, &r);
    if (r.ebx != 0)
      return r.edx;
  }
  x86_cpuid(1, 0, &r);
  return r.ebx >> 24;
}

/* Waits for the xAPIC's delivery status to go idle; true when it did within timeout_ns. */
static bool icr_idle(uint64_t timeout_ns)
{
  uint64_t end = arch_time_ns() + timeout_ns;
  while (mmio[REG_ICR_LO / 4] & ICR_BUSY) {
    if (arch_time_ns() >= end)
      return false;
    x86_pause();
  }
  return true;
}

static bool send(uint32_t apic_id, uint32_t lo, uint64_t timeout_ns)
{
  if (x2apic) {
    /* x2APIC: one 64-bit write, destination in bits 63:32; no delivery status (SDM 11.12.9). */
    x86_wrmsr(MSR_X2APIC_ICR, ((uint64_t)apic_id << 32) | lo);
    return true;
  }
  if (mmio == NULL || apic_id > 0xff || !icr_idle(timeout_ns))
    return false;
  mmio[REG_ICR_HI / 4] = apic_id << 24; /* the write of ICR_LO sends */
  mmio[REG_ICR_LO / 4] = lo;
  return icr_idle(timeout_ns);
}

bool lapic_send_init(uint32_t apic_id, uint64_t timeout_ns)
{
  return send(apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL, timeout_ns);
}

bool lapic_send_startup(uint32_t apic_id, uint8_t vector, uint64_t timeout_ns)
{
  return send(apic_id, ICR_DELIVERY_STARTUP | ICR_LEVEL_ASSERT | vector, timeout_ns);
}

bool lapic_send_fixed(uint32_t apic_id, uint8_t vector, uint64_t timeout_ns)
{
  /* Delivery mode 000 (fixed), physical destination, edge. */
  return send(apic_id, ICR_LEVEL_ASSERT | vector, timeout_ns);
}
