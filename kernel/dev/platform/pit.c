#include "dev/platform/pit.h"

#include "arch/arch.h"
#include "d0/lib.h"

#define NS_PER_S 1000000000ull
/* Port 0x61 bit 4 toggles with every DRAM refresh request, every 15.085 us on a PC/AT. */
#define REFRESH_NS 15085ull
#define PORT61_REFRESH 0x10u
#define PORT61_STORED 0x0fu

uint64_t pit_ns_to_ticks(uint64_t ns)
{
  return (ns / NS_PER_S) * PIT_HZ + ((ns % NS_PER_S) * PIT_HZ) / NS_PER_S;
}

uint64_t pit_ticks_to_ns(uint64_t ticks)
{
  return (ticks / PIT_HZ) * NS_PER_S + ((ticks % PIT_HZ) * NS_PER_S + PIT_HZ - 1) / PIT_HZ;
}

static uint64_t elapsed_ticks(const struct pit_channel *c, uint64_t now)
{
  return now > c->start_ns ? pit_ns_to_ticks(now - c->start_ns) : 0;
}

static bool periodic(uint8_t mode) { return mode == 2 || mode == 3; }

static uint16_t ch_count(const struct pit_channel *c, uint64_t now)
{
  if (!c->counting)
    return (uint16_t)c->frozen;
  uint64_t t = elapsed_ticks(c, now), n = c->reload;
  if (c->mode == 2)
    return (uint16_t)(n - t % n);
  if (c->mode == 3) {
    uint64_t ph = t % n, high = (n + 1) / 2;
    return (uint16_t)((n & ~1ull) - 2 * (ph < high ? ph : ph - high));
  }
  return (uint16_t)(n - t); /* modes 0, 1, 4, 5 wrap through 0xffff after terminal count */
}

static bool ch_out(const struct pit_channel *c, uint64_t now)
{
  if (!c->counting)
    return c->mode != 0; /* mode 0 holds OUT low until terminal count; the others idle high */
  uint64_t t = elapsed_ticks(c, now), n = c->reload;
  switch (c->mode) {
  case 0: case 1: return t >= n;
  case 2: return n == 1 || t % n != n - 1;
  case 3: return t % n < (n + 1) / 2;
  default: return t != n; /* 4, 5: one low tick at terminal count */
  }
}

/* Channel 0: the first rising edge of OUT strictly after tick `after`, or none. */
static uint64_t next_edge_ns(const struct pit_channel *c, uint64_t now)
{
  if (!c->counting)
    return PIT_NO_DEADLINE;
  uint64_t t = elapsed_ticks(c, now), n = c->reload;
  if (periodic(c->mode))
    return c->start_ns + pit_ticks_to_ns((t / n + 1) * n);
  uint64_t edge = (c->mode == 4 || c->mode == 5) ? n + 1 : n;
  return t < edge ? c->start_ns + pit_ticks_to_ns(edge) : PIT_NO_DEADLINE;
}

static void schedule(struct pit *p, uint32_t i, uint64_t now)
{
  if (i == 0)
    p->ch[0].next_irq_ns = next_edge_ns(&p->ch[0], now);
}

uint64_t pit_poll(struct pit *p, uint64_t now)
{
  struct pit_channel *c = &p->ch[0];
  if (c->next_irq_ns != PIT_NO_DEADLINE && c->next_irq_ns <= now) {
    if (p->irq0 != NULL)
      p->irq0(p->irq_ctx);
    c->next_irq_ns = next_edge_ns(c, now);
  }
  return c->next_irq_ns;
}

uint16_t pit_count(const struct pit *p, uint32_t c, uint64_t now)
{
  return c < 3 ? ch_count(&p->ch[c], now) : 0;
}

bool pit_out(const struct pit *p, uint32_t c, uint64_t now)
{
  return c < 3 && ch_out(&p->ch[c], now);
}

static void start(struct pit_channel *c, uint64_t now)
{
  c->counting = true;
  c->start_ns = now;
}

/* A complete count was written. */
static void load(struct pit *p, uint32_t i, uint32_t value, uint64_t now)
{
  struct pit_channel *c = &p->ch[i];
  c->reload = value == 0 ? 0x10000u : value;
  c->loaded = true;
  /* Modes 0, 2, 3, 4 (re)start from the new count at once when the gate allows (2 and 3 would
   * finish the current period first on the chip; restarting is within one period of that).
   * Modes 1 and 5 wait for a rising gate. */
  if (c->mode == 1 || c->mode == 5 || !c->gate) {
    c->counting = false;
    c->frozen = (uint16_t)c->reload;
  } else {
    start(c, now);
  }
  schedule(p, i, now);
}

static void set_gate(struct pit *p, uint32_t i, bool gate, uint64_t now)
{
  struct pit_channel *c = &p->ch[i];
  if (gate == c->gate)
    return;
  if (!gate) {
    if (c->counting && c->mode != 1 && c->mode != 5) {
      c->frozen = ch_count(c, now);
      c->counting = false;
    }
  } else if (c->loaded) {
    if (c->mode == 0 || c->mode == 4) {
      /* Resume where it stopped: pretend counting began (reload - frozen) ticks ago. */
      uint64_t done = (c->reload - c->frozen) & 0xffffu, back = pit_ticks_to_ns(done);
      c->counting = true;
      c->start_ns = now > back ? now - back : 0;
    } else {
      start(c, now); /* 1, 5: trigger; 2, 3: reload */
    }
  }
  c->gate = gate;
  schedule(p, i, now);
}

static void latch_count(struct pit_channel *c, uint64_t now)
{
  if (c->latched)
    return; /* a second latch before the first is read is ignored */
  c->latched = true;
  c->latch = ch_count(c, now);
  c->latch_high = false;
}

static void control_word(struct pit *p, uint8_t v, uint64_t now)
{
  uint32_t sc = v >> PIT_CW_SC_SHIFT;
  if (sc == 3) {
    for (uint32_t i = 0; i < 3; i++) {
      struct pit_channel *c = &p->ch[i];
      if (!(v & (2u << i)))
        continue;
      if (!(v & PIT_RB_NO_COUNT))
        latch_count(c, now);
      if (!(v & PIT_RB_NO_STATUS) && !c->status_latched) {
        c->status_latched = true;
        c->status = (uint8_t)((ch_out(c, now) ? PIT_ST_OUT : 0) | (c->loaded ? 0 : PIT_ST_NULL) |
                              (c->rw << PIT_CW_RW_SHIFT) | (c->mode << PIT_CW_MODE_SHIFT) |
                              c->bcd);
      }
    }
    return;
  }
  struct pit_channel *c = &p->ch[sc];
  uint8_t rw = (v & PIT_CW_RW_MASK) >> PIT_CW_RW_SHIFT;
  if (rw == PIT_RW_LATCH) {
    latch_count(c, now);
    return;
  }
  uint8_t mode = (v & PIT_CW_MODE_MASK) >> PIT_CW_MODE_SHIFT;
  bool gate = c->gate;
  memset(c, 0, sizeof(*c));
  c->gate = gate;
  c->mode = mode > 5 ? (uint8_t)(mode - 4) : mode;
  c->rw = rw;
  c->bcd = v & PIT_CW_BCD;
  c->reload = 0x10000u;
  c->next_irq_ns = PIT_NO_DEADLINE;
  if (c->bcd)
    dev_log_event(&p->log, "bcd-mode-counted-binary", sc, v);
}

static void count_write(struct pit *p, uint32_t i, uint8_t v, uint64_t now)
{
  struct pit_channel *c = &p->ch[i];
  switch (c->rw) {
  case PIT_RW_LSB: load(p, i, v, now); break;
  case PIT_RW_MSB: load(p, i, (uint32_t)v << 8, now); break;
  case PIT_RW_WORD:
    if (!c->write_high) {
      c->write_lsb = v;
      c->write_high = true;
      if (c->mode == 0 && c->counting) { /* mode 0: the first byte stops the count */
        c->frozen = ch_count(c, now);
        c->counting = false;
        schedule(p, i, now);
      }
    } else {
      c->write_high = false;
      load(p, i, c->write_lsb | ((uint32_t)v << 8), now);
    }
    break;
  default: /* no control word written yet: the chip ignores the count */
    dev_log_event(&p->log, "count-before-control-word", i, v);
    break;
  }
}

static uint8_t count_read(struct pit *p, uint32_t i, uint64_t now)
{
  struct pit_channel *c = &p->ch[i];
  if (c->status_latched) {
    c->status_latched = false;
    return c->status;
  }
  bool high;
  uint16_t value;
  if (c->latched) {
    value = c->latch;
    if (c->rw == PIT_RW_WORD && !c->latch_high) {
      high = false;
      c->latch_high = true;
    } else {
      high = c->rw == PIT_RW_MSB || (c->rw == PIT_RW_WORD && c->latch_high);
      c->latched = false;
    }
  } else {
    value = ch_count(c, now);
    if (c->rw == PIT_RW_WORD) {
      high = c->read_high;
      c->read_high = !c->read_high;
    } else {
      high = c->rw == PIT_RW_MSB;
    }
  }
  return (uint8_t)(high ? value >> 8 : value);
}

static uint8_t pit_rd(void *ctx, uint64_t off)
{
  struct pit *p = ctx;
  if (off == 3) {
    dev_log_event(&p->log, "read-control-port", PIT_PORT + off, 0);
    return 0;
  }
  return count_read(p, (uint32_t)off, arch_time_ns());
}

static void pit_wr(void *ctx, uint64_t off, uint8_t v)
{
  struct pit *p = ctx;
  uint64_t now = arch_time_ns();
  if (off == 3)
    control_word(p, v, now);
  else
    count_write(p, (uint32_t)off, v, now);
}

static uint64_t pit_read(void *ctx, uint64_t off, uint8_t size)
{
  return isa_split_read(ctx, off, size, pit_rd);
}

static void pit_write(void *ctx, uint64_t off, uint8_t size, uint64_t v)
{
  isa_split_write(ctx, off, size, v, pit_wr);
}

const struct bus_ops pit_ops = {pit_read, pit_write};

uint8_t pit_port61_read(struct pit *p, uint64_t now)
{
  uint8_t v = p->port61 & PORT61_STORED;
  if (ch_out(&p->ch[2], now))
    v |= PORT61_OUT2;
  if ((now / REFRESH_NS) & 1u)
    v |= PORT61_REFRESH;
  return v;
}

void pit_port61_write(struct pit *p, uint8_t v, uint64_t now)
{
  p->port61 = v & PORT61_STORED;
  set_gate(p, 2, v & PORT61_GATE2, now);
}

void pit_init(struct pit *p, const struct dev_env *env, void (*irq0)(void *), void *irq_ctx)
{
  memset(p, 0, sizeof(*p));
  for (uint32_t i = 0; i < 3; i++) {
    p->ch[i].reload = 0x10000u;
    p->ch[i].next_irq_ns = PIT_NO_DEADLINE;
  }
  p->ch[0].gate = p->ch[1].gate = true; /* tied high on a PC; channel 2's is port 0x61 bit 0 */
  p->irq0 = irq0;
  p->irq_ctx = irq_ctx;
  p->log = (struct dev_log){env, "pit", 0};
}
