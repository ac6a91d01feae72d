#include "dev/platform/vioapic.h"

#include "d0/lib.h"

#define REG_ID 0u
#define REG_VERSION 1u
#define REG_ARB 2u
#define RTE_WRITABLE_LO 0x1afffull /* vector, mode, dest mode, polarity, trigger, mask */
#define RTE_RO_LO 0x5000ull                    /* delivery status (12), remote IRR (14) */
#define MODE_FIXED 0u
#define MODE_LOWEST 1u

static bool asserted(const struct vioapic *io, uint32_t pin)
{
  bool line = (io->lines >> pin) & 1u;
  return (io->rte[pin] & VIOAPIC_RTE_ACTIVE_LOW) ? !line : line;
}

/* Sends pin's interrupt to the local APICs its entry names (fixed: every one; lowest priority:
 * the first, the lowest index); for a level entry sets remote IRR until the EOI. */
static void deliver(struct vioapic *io, uint32_t pin)
{
  uint64_t rte = io->rte[pin];
  uint32_t mode = (uint32_t)(rte >> 8) & 7u;
  if (mode != MODE_FIXED && mode != MODE_LOWEST) {
    dev_log_event(&io->log, "delivery-mode-unsupported", pin, rte);
    return;
  }
  uint32_t dest = (uint32_t)(rte >> 56);
  bool logical = (rte >> 11) & 1u, level = (rte & VIOAPIC_RTE_LEVEL) != 0, sent = false;
  for (uint32_t i = 0; i < io->n_lapics && !(sent && mode == MODE_LOWEST); i++) {
    if (!vlapic_is_destination(&io->lapics[i], dest, logical))
      continue;
    if (level && !sent)
      io->rte[pin] |= VIOAPIC_RTE_REMOTE_IRR;
    sent = true;
    io->delivered++;
    vlapic_deliver(&io->lapics[i], (uint8_t)rte, level);
  }
  if (!sent)
    dev_log_event(&io->log, "no-destination", pin, rte);
}

/* A level entry whose line is asserted and that is not waiting for its EOI: deliver now. */
static void recheck_level(struct vioapic *io, uint32_t pin)
{
  uint64_t rte = io->rte[pin];
  if ((rte & VIOAPIC_RTE_LEVEL) && !(rte & (VIOAPIC_RTE_MASKED | VIOAPIC_RTE_REMOTE_IRR)) &&
      asserted(io, pin))
    deliver(io, pin);
}

void vioapic_set_irq(struct vioapic *io, uint32_t pin, bool level)
{
  if (pin >= VIOAPIC_PINS)
    return;
  bool was = asserted(io, pin);
  io->lines = level ? io->lines | (1u << pin) : io->lines & ~(1u << pin);
  uint64_t rte = io->rte[pin];
  if (rte & VIOAPIC_RTE_MASKED)
    return;
  if (rte & VIOAPIC_RTE_LEVEL)
    recheck_level(io, pin);
  else if (!was && asserted(io, pin))
    deliver(io, pin);
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
  for (uint32_t pin = 0; pin < VIOAPIC_PINS; pin++) {
    if ((uint8_t)io->rte[pin] != vector || !(io->rte[pin] & VIOAPIC_RTE_REMOTE_IRR))
      continue;
    io->rte[pin] &= ~VIOAPIC_RTE_REMOTE_IRR;
    recheck_level(io, pin);
  }
}

static void lapic_eoi(void *ctx, uint8_t vector) { vioapic_eoi(ctx, vector); }

void vioapic_init(struct vioapic *io, const struct dev_env *env, struct vlapic *lapics,
                  uint32_t n_lapics)
{
  memset(io, 0, sizeof(*io));
  io->log = (struct dev_log){env, "ioapic", 0};
  io->lapics = lapics;
  io->n_lapics = n_lapics;
  io->id = VIOAPIC_ID;
  for (uint32_t pin = 0; pin < VIOAPIC_PINS; pin++)
    io->rte[pin] = VIOAPIC_RTE_MASKED;
  for (uint32_t i = 0; i < n_lapics; i++)
    vlapic_set_eoi_hook(&lapics[i], lapic_eoi, io);
}

static uint32_t read_reg(struct vioapic *io)
{
  uint32_t r = io->sel;
  if (r == REG_ID || r == REG_ARB)
    return io->id << 24;
  if (r == REG_VERSION)
    return VIOAPIC_VERSION;
  if (r >= VIOAPIC_REG_REDIR && r < VIOAPIC_REG_REDIR + 2 * VIOAPIC_PINS) {
    uint64_t rte = io->rte[(r - VIOAPIC_REG_REDIR) / 2];
    return (r & 1u) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
  }
  dev_log_event(&io->log, "read-unknown-register", r, 0);
  return 0;
}

static void write_reg(struct vioapic *io, uint32_t v)
{
  uint32_t r = io->sel;
  if (r == REG_ID) {
    io->id = (v >> 24) & 0xfu;
    return;
  }
  if (r < VIOAPIC_REG_REDIR || r >= VIOAPIC_REG_REDIR + 2 * VIOAPIC_PINS) {
    dev_log_event(&io->log, "write-read-only", r, v); /* version, arbitration, unknown */
    return;
  }
  uint32_t pin = (r - VIOAPIC_REG_REDIR) / 2;
  uint64_t rte = io->rte[pin];
  if (r & 1u)
    rte = (rte & 0xffffffffull) | ((uint64_t)(v & 0xff000000u) << 32); /* destination */
  else
    rte = (rte & (0xffffffff00000000ull | RTE_RO_LO)) | (v & RTE_WRITABLE_LO);
  if (!(rte & VIOAPIC_RTE_LEVEL))
    rte &= ~VIOAPIC_RTE_REMOTE_IRR; /* remote IRR is meaningless for edge entries */
  io->rte[pin] = rte;
  recheck_level(io, pin); /* unmasking an asserted level line delivers it */
}

static bool bad_access(struct vioapic *io, uint64_t off, uint8_t size, bool write)
{
  if (size == 4 && (off == VIOAPIC_IOREGSEL || off == VIOAPIC_IOWIN ||
                    (write && off == VIOAPIC_EOI)))
    return false;
  dev_log_event(&io->log, write ? "bad-write" : "bad-read", off, size);
  return true;
}

static uint64_t vioapic_read(void *ctx, uint64_t off, uint8_t size)
{
  struct vioapic *io = ctx;
  if (bad_access(io, off, size, false))
    return 0;
  return off == VIOAPIC_IOREGSEL ? io->sel : read_reg(io);
}

static void vioapic_write(void *ctx, uint64_t off, uint8_t size, uint64_t value)
{
  struct vioapic *io = ctx;
  if (bad_access(io, off, size, true))
    return;
  if (off == VIOAPIC_IOREGSEL)
    io->sel = (uint32_t)value & 0xffu;
  else if (off == VIOAPIC_IOWIN)
    write_reg(io, (uint32_t)value);
  else
    vioapic_eoi(io, (uint8_t)value);
}

const struct bus_ops vioapic_ops = {vioapic_read, vioapic_write};
