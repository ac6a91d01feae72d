#include "dev/platform/vlapic.h"

#include "arch/arch.h"
#include "d0/lib.h"

#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull

/* LVT index by register, and the bits software may write in each (SDM figure 11-8). */
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR };
static const uint32_t lvt_writable[VLAPIC_LVT_COUNT] = {0x700ff, 0x107ff, 0x107ff,
                                                       0x1a7ff, 0x1a7ff, 0x100ff};
#define LVT_MODE_EXTINT 7u
#define TIMER_PERIODIC 1u
#define ICR_WRITABLE 0xccfffu /* vector, mode, destination mode, level, trigger, shorthand */
#define ICR_SH_SELF 1u
#define ICR_SH_ALL 2u
#define ICR_SH_OTHERS 3u

static uint32_t divide(const struct vlapic *l)
{
  uint32_t v = (l->tdcr & 3u) | ((l->tdcr & 8u) >> 1);
  return v == 7 ? 1u : 2u << v;
}

/* ns of one timer count: VLAPIC_BUS_HZ is 1 GHz, so the divider alone. */
static uint64_t count_ns(const struct vlapic *l) { return divide(l); }

static int highest(const uint32_t r[8])
{
  for (int i = 7; i >= 0; i--)
    if (r[i] != 0)
      return i * 32 + 31 - __builtin_clz(r[i]);
  return -1;
}

static bool bit(const uint32_t r[8], uint8_t v) { return (r[v / 32] >> (v % 32)) & 1u; }
static void set_bit(uint32_t r[8], uint8_t v) { r[v / 32] |= 1u << (v % 32); }
static void clear_bit(uint32_t r[8], uint8_t v) { r[v / 32] &= ~(1u << (v % 32)); }

static uint32_t ppr(const struct vlapic *l)
{
  int isrv = highest(l->isr);
  uint32_t cls = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0u;
  return (l->tpr & 0xf0u) >= cls ? l->tpr & 0xffu : cls;
}

/* A fixed interrupt arrives: IRR, unless the APIC is software-disabled (it accepts nothing) or
 * the vector is one of the reserved 0-15 (a receive error). */
static void accept_as(struct vlapic *l, uint8_t vector, bool level)
{
  if (!l->on || !(l->svr & VLAPIC_SVR_ENABLE))
    return;
  if (vector < 16) {
    l->esr_pending |= VLAPIC_ESR_RECV_ILLEGAL;
    return;
  }
  set_bit(l->irr, vector);
  l->accepted++;
  if (level)
    set_bit(l->tmr, vector);
  else
    clear_bit(l->tmr, vector);
}

/* The APIC's own interrupts (timer, IPIs) are edge-triggered. */
static void accept(struct vlapic *l, uint8_t vector) { accept_as(l, vector, false); }

void vlapic_deliver(struct vlapic *l, uint8_t vector, bool level) { accept_as(l, vector, level); }

void vlapic_set_eoi_hook(struct vlapic *l, void (*fn)(void *ctx, uint8_t vector), void *ctx)
{
  l->eoi_level = fn;
  l->eoi_ctx = ctx;
}

void vlapic_set_ipi_hook(struct vlapic *l, vlapic_ipi_fn fn, void *ctx)
{
  l->ipi = fn;
  l->ipi_ctx = ctx;
}

/* Power-on / INIT: everything but what is wired (its initial ID, the hooks, the log) and the
 * count of accepted interrupts (monotonic for whoever compares it) is reset. */
static void power_on(struct vlapic *l)
{
  struct vlapic keep = *l;
  memset(l, 0, sizeof(*l));
  l->log = keep.log;
  l->eoi_level = keep.eoi_level;
  l->eoi_ctx = keep.eoi_ctx;
  l->ipi = keep.ipi;
  l->ipi_ctx = keep.ipi_ctx;
  l->initial_id = keep.initial_id;
  l->accepted = keep.accepted;
  l->id = keep.initial_id << 24;
  l->on = true;
  l->dfr = 0xffffffffu;
  l->svr = 0xffu;
  for (uint32_t i = 0; i < VLAPIC_LVT_COUNT; i++)
    l->lvt[i] = VLAPIC_LVT_MASKED;
  if (l->initial_id == 0)
    l->lvt[LVT_LINT0] = LVT_MODE_EXTINT << 8; /* what firmware leaves on the BSP: virtual wire */
  l->timer_deadline_ns = VLAPIC_NO_DEADLINE;
}

void vlapic_init(struct vlapic *l, const struct dev_env *env, uint32_t id)
{
  memset(l, 0, sizeof(*l));
  l->log = (struct dev_log){env, "lapic", 0};
  l->initial_id = id & 0xffu;
  power_on(l);
}

void vlapic_reset(struct vlapic *l) { power_on(l); }

uint64_t vlapic_base_read(const struct vlapic *l)
{
  return VLAPIC_MMIO_BASE | (l->initial_id == 0 ? APIC_BASE_BSP : 0) |
         (l->on ? APIC_BASE_EN : 0);
}

void vlapic_base_write(struct vlapic *l, uint64_t value)
{
  uint64_t known = APIC_BASE_ADDR_MASK | APIC_BASE_BSP | APIC_BASE_EN;
  if ((value & ~known) != 0 || (value & APIC_BASE_ADDR_MASK) != VLAPIC_MMIO_BASE) {
    dev_log_event(&l->log, "apic-base-refused", value, 0); /* x2APIC, a move, reserved bits */
    return;
  }
  bool en = (value & APIC_BASE_EN) != 0;
  if (en && !l->on)
    power_on(l);
  else if (!en && l->on) {
    power_on(l);
    l->on = false;
  }
}

static void timer_start(struct vlapic *l, uint64_t now_ns)
{
  l->timer_deadline_ns =
      l->tmict == 0 ? VLAPIC_NO_DEADLINE : now_ns + (uint64_t)l->tmict * count_ns(l);
}

uint64_t vlapic_poll(struct vlapic *l, uint64_t now_ns)
{
  uint64_t d = l->timer_deadline_ns;
  if (d == VLAPIC_NO_DEADLINE || now_ns < d)
    return d;
  l->timer_fired++;
  if (!(l->lvt[LVT_TIMER] & VLAPIC_LVT_MASKED))
    accept(l, (uint8_t)l->lvt[LVT_TIMER]);
  if (((l->lvt[LVT_TIMER] >> 17) & 3u) == TIMER_PERIODIC) {
    /* Periods missed while nobody polled are one interrupt: IRR holds one per vector. */
    uint64_t period = (uint64_t)l->tmict * count_ns(l);
    l->timer_deadline_ns = d + ((now_ns - d) / period + 1) * period;
  } else {
    l->timer_deadline_ns = VLAPIC_NO_DEADLINE;
  }
  return l->timer_deadline_ns;
}

static uint32_t tmcct(struct vlapic *l, uint64_t now_ns)
{
  vlapic_poll(l, now_ns);
  if (l->timer_deadline_ns == VLAPIC_NO_DEADLINE)
    return 0;
  uint64_t c = count_ns(l);
  uint64_t left = (l->timer_deadline_ns - now_ns + c - 1) / c;
  return left > l->tmict ? l->tmict : (uint32_t)left;
}

int vlapic_highest_irr(const struct vlapic *l) { return highest(l->irr); }
int vlapic_highest_isr(const struct vlapic *l) { return highest(l->isr); }

int vlapic_pending(const struct vlapic *l)
{
  if (!l->on)
    return -1;
  int v = highest(l->irr);
  if (v < 0 || ((uint32_t)v & 0xf0u) <= (ppr(l) & 0xf0u))
    return -1;
  return v;
}

void vlapic_ack(struct vlapic *l, uint8_t vector)
{
  if (!bit(l->irr, vector))
    return;
  clear_bit(l->irr, vector);
  set_bit(l->isr, vector);
}

bool vlapic_accepts_extint(const struct vlapic *l)
{
  uint32_t lint0 = l->lvt[LVT_LINT0];
  return !l->on || (!(lint0 & VLAPIC_LVT_MASKED) && ((lint0 >> 8) & 7u) == LVT_MODE_EXTINT);
}

bool vlapic_is_destination(const struct vlapic *l, uint32_t dest, bool logical)
{
  if (!logical)
    return dest == 0xffu || dest == l->id >> 24;
  uint32_t ldr = l->ldr >> 24;
  if ((l->dfr >> 28) == 0xfu)
    return (dest & ldr) != 0;
  return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xfu) != 0;
}

/* Whether an IPI this APIC sends with ICR low word `lo` (and destination `dest`) reaches APIC
 * `to`: the shorthand, else the destination. */
bool vlapic_ipi_reaches(const struct vlapic *from, const struct vlapic *to, uint32_t lo,
                        uint32_t dest)
{
  switch ((lo >> 18) & 3u) {
  case ICR_SH_SELF: return to == from;
  case ICR_SH_ALL: return true;
  case ICR_SH_OTHERS: return to != from;
  default: return vlapic_is_destination(to, dest, (lo >> 11) & 1u);
  }
}

/* A fixed or lowest-priority IPI with a vector below 16 is a send error (nothing is sent). The
 * hook (the platform: other vCPUs, INIT, SIPI) routes everything else; without one only fixed
 * IPIs that reach this APIC itself are delivered, the rest is refused and logged. */
static void send_ipi(struct vlapic *l)
{
  uint32_t lo = l->icr_lo, mode = (lo >> 8) & 7u;
  uint32_t dest = l->icr_hi >> 24;
  if ((mode == VLAPIC_IPI_FIXED || mode == VLAPIC_IPI_LOWEST) && (lo & 0xffu) < 16) {
    l->esr_pending |= VLAPIC_ESR_SEND_ILLEGAL;
    return;
  }
  if (l->ipi != NULL) {
    l->ipi(l->ipi_ctx, l, lo, dest);
    return;
  }
  if (mode != VLAPIC_IPI_FIXED) {
    dev_log_event(&l->log, "ipi-mode-unsupported", lo, l->icr_hi);
    return;
  }
  uint32_t shorthand = (lo >> 18) & 3u;
  if (shorthand == ICR_SH_ALL || shorthand == ICR_SH_OTHERS ||
      (shorthand == 0 && (((lo >> 11) & 1u) || dest != l->id >> 24)))
    dev_log_event(&l->log, "ipi-no-other-cpu", lo, l->icr_hi);
  if (vlapic_ipi_reaches(l, l, lo, dest))
    accept(l, (uint8_t)lo);
}

static void eoi(struct vlapic *l)
{
  int v = highest(l->isr);
  if (v < 0)
    return;
  clear_bit(l->isr, (uint8_t)v);
  if (bit(l->tmr, (uint8_t)v)) {
    clear_bit(l->tmr, (uint8_t)v);
    if (l->eoi_level != NULL)
      l->eoi_level(l->eoi_ctx, (uint8_t)v); /* the I/O APIC may deliver the line again */
  }
}

static void write_svr(struct vlapic *l, uint32_t v)
{
  l->svr = v & 0x1ffu; /* vector, APIC software enable (focus checking and EOI suppression:
                          not offered) */
  if (!(l->svr & VLAPIC_SVR_ENABLE))
    for (uint32_t i = 0; i < VLAPIC_LVT_COUNT; i++)
      l->lvt[i] |= VLAPIC_LVT_MASKED; /* SDM 11.4.7.2 */
}

static void write_lvt(struct vlapic *l, uint32_t i, uint32_t v, uint64_t now_ns)
{
  if (i == LVT_TIMER)
    vlapic_poll(l, now_ns); /* an expiry before the change is delivered as it was */
  l->lvt[i] = v & lvt_writable[i];
  if (!(l->svr & VLAPIC_SVR_ENABLE))
    l->lvt[i] |= VLAPIC_LVT_MASKED;
}

static void write_tdcr(struct vlapic *l, uint32_t v, uint64_t now_ns)
{
  uint32_t left = tmcct(l, now_ns); /* the count goes on from where it is, at the new rate */
  l->tdcr = v & 0xbu;
  l->timer_deadline_ns =
      left == 0 ? VLAPIC_NO_DEADLINE : now_ns + (uint64_t)left * count_ns(l);
}

static bool bad_access(struct vlapic *l, uint64_t off, uint8_t size, bool write)
{
  if (size == 4 && (off & 0xfu) == 0)
    return false;
  dev_log_event(&l->log, write ? "bad-write" : "bad-read", off, size);
  return true;
}

static uint64_t vlapic_read(void *ctx, uint64_t off, uint8_t size)
{
  struct vlapic *l = ctx;
  if (!l->on) {
    dev_log_event(&l->log, "read-while-off", off, size);
    return bus_ones(size);
  }
  if (bad_access(l, off, size, false))
    return 0;
  uint32_t reg = (uint32_t)off;
  if (reg >= VLAPIC_ISR && reg < VLAPIC_ISR + 0x80)
    return l->isr[(reg - VLAPIC_ISR) / 16];
  if (reg >= VLAPIC_TMR && reg < VLAPIC_TMR + 0x80)
    return l->tmr[(reg - VLAPIC_TMR) / 16];
  if (reg >= VLAPIC_IRR && reg < VLAPIC_IRR + 0x80)
    return l->irr[(reg - VLAPIC_IRR) / 16];
  if (reg >= VLAPIC_LVT_TIMER && reg <= VLAPIC_LVT_ERROR)
    return l->lvt[(reg - VLAPIC_LVT_TIMER) / 16];
  switch (reg) {
  case VLAPIC_ID: return l->id;
  case VLAPIC_VERSION: return VLAPIC_VERSION_VALUE;
  case VLAPIC_TPR: return l->tpr;
  case VLAPIC_APR: return 0;
  case VLAPIC_PPR: return ppr(l);
  case VLAPIC_LDR: return l->ldr;
  case VLAPIC_DFR: return l->dfr;
  case VLAPIC_SVR: return l->svr;
  case VLAPIC_ESR: return l->esr;
  case VLAPIC_ICR_LO: return l->icr_lo;
  case VLAPIC_ICR_HI: return l->icr_hi;
  case VLAPIC_TMICT: return l->tmict;
  case VLAPIC_TMCCT: return tmcct(l, arch_time_ns());
  case VLAPIC_TDCR: return l->tdcr;
  default:
    l->esr_pending |= VLAPIC_ESR_ILLEGAL_REG;
    dev_log_event(&l->log, "read-reserved", off, 0);
    return 0;
  }
}

static void vlapic_write(void *ctx, uint64_t off, uint8_t size, uint64_t value)
{
  struct vlapic *l = ctx;
  if (!l->on) {
    dev_log_event(&l->log, "write-while-off", off, value);
    return;
  }
  if (bad_access(l, off, size, true))
    return;
  uint32_t reg = (uint32_t)off, v = (uint32_t)value;
  uint64_t now = arch_time_ns();
  if (reg >= VLAPIC_LVT_TIMER && reg <= VLAPIC_LVT_ERROR) {
    write_lvt(l, (reg - VLAPIC_LVT_TIMER) / 16, v, now);
    return;
  }
  switch (reg) {
  case VLAPIC_ID: l->id = v & 0xff000000u; return;
  case VLAPIC_TPR: l->tpr = v & 0xffu; return;
  case VLAPIC_EOI: eoi(l); return;
  case VLAPIC_LDR: l->ldr = v & 0xff000000u; return;
  case VLAPIC_DFR: l->dfr = v | 0x0fffffffu; return;
  case VLAPIC_SVR: write_svr(l, v); return;
  case VLAPIC_ESR:
    l->esr = l->esr_pending;
    l->esr_pending = 0;
    return;
  case VLAPIC_ICR_HI: l->icr_hi = v & 0xff000000u; return;
  case VLAPIC_ICR_LO:
    l->icr_lo = v & ICR_WRITABLE;
    send_ipi(l);
    return;
  case VLAPIC_TMICT:
    l->tmict = v;
    timer_start(l, now);
    return;
  case VLAPIC_TDCR: write_tdcr(l, v, now); return;
  default:
    /* Read-only (version, APR, PPR, RRD, ISR/TMR/IRR, TMCCT) or reserved. */
    l->esr_pending |= VLAPIC_ESR_ILLEGAL_REG;
    dev_log_event(&l->log, "write-read-only", off, value);
    return;
  }
}

const struct bus_ops vlapic_ops = {vlapic_read, vlapic_write};
