/* The real struct tco_io: LPC configuration through 0xCF8/0xCFC (dev/pci), port I/O, and MMIO at
 * its physical address (callers use it under an identity map; see tco_probe in tco.h). */
#include "wdog/tco_port.h"

#include "dev/pci/pci.h"

#define LPC_BUS 0
#define LPC_DEV 31
#define LPC_FN 0

static uint32_t cfg_read32(void *ctx, uint8_t reg) {
  (void)ctx;
  return pci_cfg_read32(LPC_BUS, LPC_DEV, LPC_FN, reg);
}

static uint16_t io_read16(void *ctx, uint16_t port) {
  (void)ctx;
  uint16_t v;
  __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static void io_write16(void *ctx, uint16_t port, uint16_t v) {
  (void)ctx;
  __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static uint32_t mmio_read32(void *ctx, uint64_t addr) {
  (void)ctx;
  return *(volatile uint32_t *)(uintptr_t)addr;
}

static void mmio_write32(void *ctx, uint64_t addr, uint32_t v) {
  (void)ctx;
  *(volatile uint32_t *)(uintptr_t)addr = v;
}

const struct tco_io tco_port_io = {
    .cfg_read32 = cfg_read32,
    .io_read16 = io_read16,
    .io_write16 = io_write16,
    .mmio_read32 = mmio_read32,
    .mmio_write32 = mmio_write32,
    .ctx = 0,
};
