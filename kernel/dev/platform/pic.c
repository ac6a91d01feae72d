#include "dev/platform/pic.h"

#include "d0/lib.h"

#define NO_IRQ 8

/* Priority rank of the requests in `mask`: 0 is the highest. NO_IRQ when mask is empty. */
static uint8_t best_rank(const struct pic_chip *c, uint8_t mask)
{
  for (uint8_t rank = 0; rank < 8; rank++)
    if (mask & (1u << ((c->priority_low + 1u + rank) & 7u)))
      return rank;
  return NO_IRQ;
}

static uint8_t irq_of_rank(const struct pic_chip *c, uint8_t rank)
{
  return (uint8_t)((c->priority_low + 1u + rank) & 7u);
}

/* The IR this chip's INT output requests, or NO_IRQ. */
static uint8_t chip_request(const struct pic_chip *c)
{
  uint8_t req = best_rank(c, (uint8_t)(c->irr & ~c->imr));
  if (req == NO_IRQ)
    return NO_IRQ;
  /* Special mask mode: masked in-service levels no longer inhibit lower priorities. */
  uint8_t inservice = c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
  return req < best_rank(c, inservice) ? irq_of_rank(c, req) : NO_IRQ;
}

static void chip_line(struct pic_chip *c, uint8_t ir, bool level)
{
  uint8_t m = (uint8_t)(1u << ir);
  if (c->level_mode) {
    c->irr = level ? (uint8_t)(c->irr | m) : (uint8_t)(c->irr & ~m);
  } else if (level && !(c->line & m)) {
    c->irr |= m;
  }
  c->line = level ? (uint8_t)(c->line | m) : (uint8_t)(c->line & ~m);
}

/* The slave's INT output drives master input 2. */
static void update_cascade(struct pic *p)
{
  chip_line(&p->chip[0], PIC_CASCADE_IRQ, chip_request(&p->chip[1]) != NO_IRQ);
}

/* The INTA cycle on one chip for `ir`. */
static void chip_intack(struct pic_chip *c, uint8_t ir)
{
  uint8_t m = (uint8_t)(1u << ir);
  if (c->auto_eoi) {
    if (c->rotate_on_aeoi)
      c->priority_low = ir;
  } else {
    c->isr |= m;
  }
  if (!c->level_mode)
    c->irr &= (uint8_t)~m;
}

static void chip_reset(struct pic_chip *c)
{
  uint8_t line = c->line;
  memset(c, 0, sizeof(*c));
  c->line = line;
  c->priority_low = 7;
}

void pic_init(struct pic *p, const struct dev_env *env)
{
  memset(p, 0, sizeof(*p));
  chip_reset(&p->chip[0]);
  chip_reset(&p->chip[1]);
  /* Until the guest programs them, everything is masked: nothing can be delivered to vectors
   * it has not chosen. */
  p->chip[0].imr = p->chip[1].imr = 0xff;
  p->log = (struct dev_log){env, "pic", 0};
}

bool pic_line_level(const struct pic *p, uint32_t irq)
{
  return irq < PIC_IRQS && (p->chip[irq >> 3].line >> (irq & 7u)) & 1u;
}

void pic_set_irq(struct pic *p, uint32_t irq, bool level)
{
  if (irq >= PIC_IRQS || irq == PIC_CASCADE_IRQ) {
    dev_log_event(&p->log, "bad-irq-line", irq, level);
    return;
  }
  chip_line(&p->chip[irq >> 3], (uint8_t)(irq & 7u), level);
  update_cascade(p);
}

int pic_pending(const struct pic *p)
{
  const struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
  uint8_t ir = chip_request(m);
  if (ir == NO_IRQ)
    return -1;
  if (ir == PIC_CASCADE_IRQ && !m->single) {
    uint8_t sir = chip_request(s);
    /* The slave dropped its request after the master latched it: the slave answers INTA with
     * its IR7 vector and sets no ISR bit (the 8259A's spurious interrupt). */
    return s->vector_base + (sir == NO_IRQ ? 7 : sir);
  }
  return m->vector_base + ir;
}

bool pic_ack(struct pic *p, uint8_t vector)
{
  int want = pic_pending(p);
  if (want < 0 || (uint8_t)want != vector) {
    p->stale_acks++;
    dev_log_event(&p->log, "stale-ack", vector, (uint64_t)(int64_t)want);
    return false;
  }
  struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
  uint8_t ir = chip_request(m);
  chip_intack(m, ir);
  if (ir == PIC_CASCADE_IRQ && !m->single) {
    uint8_t sir = chip_request(s);
    if (sir == NO_IRQ)
      p->spurious++;
    else
      chip_intack(s, sir);
  }
  update_cascade(p);
  return true;
}

static void ocw2(struct pic_chip *c, uint8_t v)
{
  uint8_t level = v & 7u;
  uint8_t top = best_rank(c, c->isr);
  switch (v >> 5) {
  case 0: c->rotate_on_aeoi = false; break;
  case 4: c->rotate_on_aeoi = true; break;
  case 1: /* non-specific EOI */
  case 5: /* rotate on non-specific EOI */
    if (top != NO_IRQ) {
      uint8_t ir = irq_of_rank(c, top);
      c->isr &= (uint8_t)~(1u << ir);
      if ((v >> 5) == 5)
        c->priority_low = ir;
    }
    break;
  case 3: c->isr &= (uint8_t)~(1u << level); break;
  case 7: c->isr &= (uint8_t)~(1u << level); c->priority_low = level; break;
  case 6: c->priority_low = level; break;
  default: break; /* 2: no operation */
  }
}

static void write_even(struct pic *p, struct pic_chip *c, uint8_t v)
{
  if (v & PIC_ICW1_INIT) {
    chip_reset(c);
    c->icw4_needed = v & PIC_ICW1_IC4;
    c->single = v & PIC_ICW1_SNGL;
    c->level_mode = v & PIC_ICW1_LTIM;
    if (c->level_mode)
      c->irr = c->line;
    c->init_step = 2;
    return;
  }
  if (v & PIC_OCW3_SEL) {
    if (v & PIC_OCW3_P)
      c->poll = true;
    if (v & PIC_OCW3_RR)
      c->read_isr = v & PIC_OCW3_RIS;
    if (v & PIC_OCW3_ESMM)
      c->special_mask = v & PIC_OCW3_SMM;
    return;
  }
  ocw2(c, v);
  (void)p;
}

static void write_odd(struct pic *p, struct pic_chip *c, uint8_t v)
{
  switch (c->init_step) {
  case 2:
    c->vector_base = v & 0xf8u;
    c->init_step = c->single ? (c->icw4_needed ? 4 : 0) : 3;
    break;
  case 3:
    c->icw3 = v;
    c->init_step = c->icw4_needed ? 4 : 0;
    break;
  case 4:
    c->auto_eoi = v & PIC_ICW4_AEOI;
    if (!(v & PIC_ICW4_UPM))
      dev_log_event(&p->log, "icw4-8080-mode", v, 0);
    c->init_step = 0;
    break;
  default:
    c->imr = v;
    break;
  }
}

static uint8_t chip_read(struct pic *p, struct pic_chip *c, uint64_t off)
{
  if (off == 1)
    return c->imr;
  if (c->poll) {
    /* Poll command: the next read is an INTA without the CPU interrupt. */
    c->poll = false;
    uint8_t ir = chip_request(c);
    if (ir == NO_IRQ)
      return 0;
    chip_intack(c, ir);
    update_cascade(p);
    return (uint8_t)(0x80u | ir);
  }
  return c->read_isr ? c->isr : c->irr;
}

static uint8_t master_rd(void *ctx, uint64_t off)
{
  struct pic *p = ctx;
  return chip_read(p, &p->chip[0], off);
}

static uint8_t slave_rd(void *ctx, uint64_t off)
{
  struct pic *p = ctx;
  return chip_read(p, &p->chip[1], off);
}

static void chip_write(struct pic *p, struct pic_chip *c, uint64_t off, uint8_t v)
{
  if (off == 0)
    write_even(p, c, v);
  else
    write_odd(p, c, v);
  update_cascade(p);
}

static void master_wr(void *ctx, uint64_t off, uint8_t v)
{
  struct pic *p = ctx;
  chip_write(p, &p->chip[0], off, v);
}

static void slave_wr(void *ctx, uint64_t off, uint8_t v)
{
  struct pic *p = ctx;
  chip_write(p, &p->chip[1], off, v);
}

static uint64_t master_read(void *ctx, uint64_t off, uint8_t size)
{
  return isa_split_read(ctx, off, size, master_rd);
}
static void master_write(void *ctx, uint64_t off, uint8_t size, uint64_t v)
{
  isa_split_write(ctx, off, size, v, master_wr);
}
static uint64_t slave_read(void *ctx, uint64_t off, uint8_t size)
{
  return isa_split_read(ctx, off, size, slave_rd);
}
static void slave_write(void *ctx, uint64_t off, uint8_t size, uint64_t v)
{
  isa_split_write(ctx, off, size, v, slave_wr);
}

const struct bus_ops pic_master_ops = {master_read, master_write};
const struct bus_ops pic_slave_ops = {slave_read, slave_write};
