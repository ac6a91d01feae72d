#include "hv/bus.h"

#include <stddef.h>

#include "hv/err.h"

void bus_init(struct bus *b) { b->count = 0; }

int bus_register(struct bus *b, uint64_t base, uint64_t len, const char *name,
                 const struct bus_ops *ops, void *ctx)
{
  if (len == 0 || base + len < base || ops == NULL)
    return HV_E_INVAL;
  for (uint32_t i = 0; i < b->count; i++) {
    const struct bus_range *r = &b->ranges[i];
    if (base < r->base + r->len && r->base < base + len)
      return HV_E_BUSY;
  }
  if (b->count == BUS_MAX_RANGES)
    return HV_E_FULL;
  b->ranges[b->count++] = (struct bus_range){base, len, name, ops, ctx};
  return HV_OK;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr, uint8_t size)
{
  if (size == 0 || addr + size < addr)
    return NULL;
  for (uint32_t i = 0; i < b->count; i++) {
    const struct bus_range *r = &b->ranges[i];
    if (addr >= r->base && addr + size <= r->base + r->len)
      return r;
  }
  return NULL;
}

uint64_t bus_ones(uint8_t size)
{
  return size >= 8 ? ~0ull : (1ull << (8u * size)) - 1u;
}
