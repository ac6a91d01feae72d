/*
 * Shared by the platform devices: a per-device event budget (a hostile guest can hammer a port
 * millions of times; only the first few reach the log, all are counted) and the ISA byte-lane
 * rule for wide port accesses.
 */
#ifndef DEV_PLATFORM_DEV_LOG_H
#define DEV_PLATFORM_DEV_LOG_H

#include <stdint.h>

#include "hv/dev_env.h"
#include "hv/event.h"

/* Events logged per device and VM; the count goes on. */
#define PLATFORM_LOG_LIMIT 8

struct dev_log {
  const struct dev_env *env;
  const char *dev;
  uint64_t count; /* odd accesses seen, logged or not */
};

static inline void dev_log_event(struct dev_log *l, const char *what, uint64_t a, uint64_t b)
{
  if (l->count++ < PLATFORM_LOG_LIMIT)
    hv_event(l->env != NULL ? l->env->vm_name : "", l->dev, what, 0, a, b);
}

/*
 * The platform devices are byte-wide ISA devices. An ISA bus splits a wider IN/OUT into byte
 * accesses at consecutive ports (low byte first); the bus core only hands us accesses that lie
 * wholly inside one device's range, so off + i stays inside the device.
 */
typedef uint8_t (*byte_read_fn)(void *ctx, uint64_t off);
typedef void (*byte_write_fn)(void *ctx, uint64_t off, uint8_t value);

static inline uint64_t isa_split_read(void *ctx, uint64_t off, uint8_t size, byte_read_fn rd)
{
  uint64_t v = 0;
  for (uint8_t i = 0; i < size; i++)
    v |= (uint64_t)rd(ctx, off + i) << (8u * i);
  return v;
}

static inline void isa_split_write(void *ctx, uint64_t off, uint8_t size, uint64_t value,
                                   byte_write_fn wr)
{
  for (uint8_t i = 0; i < size; i++)
    wr(ctx, off + i, (uint8_t)(value >> (8u * i)));
}

#endif /* DEV_PLATFORM_DEV_LOG_H */
