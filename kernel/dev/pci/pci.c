/* Legacy PCI configuration access (contract in pci.h). */
#include "dev/pci/pci.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define REG_ID 0x00
#define REG_COMMAND 0x04
#define REG_HEADER 0x0c /* byte 2: header type; bit 7: multi-function */
#define REG_BAR0 0x10
#define CMD_IO 0x1u
#define CMD_MEMORY 0x2u
#define CMD_BUS_MASTER 0x4u
#define BAR_IO 0x1u
#define BAR_TYPE_64 0x4u
#define BAR_TYPE_MASK 0x6u

static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port)
{
  uint32_t v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static uint32_t cfg_addr(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg)
{
  return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t cfg_read(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg)
{
  outl(CONFIG_ADDRESS, cfg_addr(bus, dev, fn, reg));
  return inl(CONFIG_DATA);
}

uint32_t pci_cfg_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t reg)
{
  return cfg_read(bus, dev, fn, reg);
}

static void cfg_write(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg, uint32_t v)
{
  outl(CONFIG_ADDRESS, cfg_addr(bus, dev, fn, reg));
  outl(CONFIG_DATA, v);
}

/* BAR0's base and size: the standard probe (write all ones, read the size mask back, restore),
 * with memory decoding off meanwhile so the transient address decodes nothing. */
static bool read_bar0(struct pci_dev *d)
{
  uint32_t cmd = cfg_read(d->bus, d->dev, d->fn, REG_COMMAND);
  uint32_t lo = cfg_read(d->bus, d->dev, d->fn, REG_BAR0);
  if (lo & BAR_IO)
    return false;
  bool is64 = (lo & BAR_TYPE_MASK) == BAR_TYPE_64;
  uint32_t hi = is64 ? cfg_read(d->bus, d->dev, d->fn, REG_BAR0 + 4) : 0;
  cfg_write(d->bus, d->dev, d->fn, REG_COMMAND, cmd & ~(CMD_MEMORY | CMD_IO) & 0xffff);
  cfg_write(d->bus, d->dev, d->fn, REG_BAR0, 0xffffffffu);
  uint32_t mask_lo = cfg_read(d->bus, d->dev, d->fn, REG_BAR0) & ~0xfu;
  uint32_t mask_hi = 0xffffffffu;
  if (is64) {
    cfg_write(d->bus, d->dev, d->fn, REG_BAR0 + 4, 0xffffffffu);
    mask_hi = cfg_read(d->bus, d->dev, d->fn, REG_BAR0 + 4);
    cfg_write(d->bus, d->dev, d->fn, REG_BAR0 + 4, hi);
  }
  cfg_write(d->bus, d->dev, d->fn, REG_BAR0, lo);
  cfg_write(d->bus, d->dev, d->fn, REG_COMMAND, cmd & 0xffff);
  uint64_t mask = (uint64_t)mask_hi << 32 | mask_lo;
  d->bar0 = ((uint64_t)hi << 32 | lo) & ~0xfull;
  d->bar0_bytes = mask_lo == 0 ? 0 : ~mask + 1;
  return d->bar0 != 0 && d->bar0_bytes != 0;
}

bool pci_find(uint16_t vendor, uint16_t device, struct pci_dev *out)
{
  for (uint32_t bus = 0; bus < PCI_MAX_BUS; bus++)
    for (uint32_t dev = 0; dev < 32; dev++)
      for (uint32_t fn = 0; fn < 8; fn++) {
        uint32_t id = cfg_read(bus, dev, fn, REG_ID);
        if ((id & 0xffff) == 0xffff) {
          if (fn == 0)
            break; /* no device here */
          continue;
        }
        if ((id & 0xffff) == vendor && id >> 16 == device) {
          *out = (struct pci_dev){(uint8_t)bus, (uint8_t)dev, (uint8_t)fn, vendor, device, 0, 0};
          return read_bar0(out);
        }
        if (fn == 0 && !((cfg_read(bus, dev, 0, REG_HEADER) >> 16) & 0x80))
          break; /* single-function device */
      }
  return false;
}

void pci_enable_mmio_dma(const struct pci_dev *d)
{
  uint32_t cmd = cfg_read(d->bus, d->dev, d->fn, REG_COMMAND) & 0xffff;
  cmd = (cmd | CMD_MEMORY | CMD_BUS_MASTER) & ~CMD_IO;
  cfg_write(d->bus, d->dev, d->fn, REG_COMMAND, cmd);
}
