/*
 * An address bus (port I/O or MMIO) with devices registered by range. Ranges never overlap.
 * An access belongs to a device only when it lies entirely inside the device's range; anything
 * else is unclaimed: the caller counts and logs it, reads see all ones (what an ISA/PCI bus
 * with nothing behind it returns), writes are dropped.
 */
#ifndef HV_BUS_H
#define HV_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_RANGES 16

struct bus_ops {
  /* off is relative to the range base; size is 1, 2, 4 or 8. */
  uint64_t (*read)(void *ctx, uint64_t off, uint8_t size);
  void (*write)(void *ctx, uint64_t off, uint8_t size, uint64_t value);
};

struct bus_range {
  uint64_t base, len;
  const char *name;
  const struct bus_ops *ops;
  void *ctx;
};

struct bus {
  struct bus_range ranges[BUS_MAX_RANGES];
  uint32_t count;
};

void bus_init(struct bus *b);

/* HV_E_INVAL (empty or wrapping range), HV_E_BUSY (overlap) or HV_E_FULL. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, const char *name,
                 const struct bus_ops *ops, void *ctx);

/* The device range holding [addr, addr+size), or NULL. */
const struct bus_range *bus_find(const struct bus *b, uint64_t addr, uint8_t size);

/* All ones in the low `size` bytes. */
uint64_t bus_ones(uint8_t size);

#endif /* HV_BUS_H */
