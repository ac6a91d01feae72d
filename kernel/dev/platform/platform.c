#include "dev/platform/platform.h"

#include "d0/lib.h"
#include "hv/err.h"

/* An ISA line drives the 8259A's input and the I/O APIC's pin alike (IRQ 0 on pin 2). */
static void isa_line(struct platform *p, uint32_t irq, bool level)
{
  pic_set_irq(&p->pic, irq, level); /* logs and ignores a line it does not have */
  if (irq < 16 && irq != 2)
    vioapic_set_irq(&p->ioapic, irq == PLATFORM_IRQ_PIT ? PLATFORM_IOAPIC_PIN_PIT : irq, level);
}

static void pit_irq0(void *ctx)
{
  /* OUT0 rose: one edge. The PIC latches it; dropping the line right away lets the next
   * period's edge be seen. */
  isa_line(ctx, PLATFORM_IRQ_PIT, true);
  isa_line(ctx, PLATFORM_IRQ_PIT, false);
}

static void uart_irq(void *ctx, bool level) { isa_line(ctx, PLATFORM_IRQ_UART, level); }

int platform_attach(struct platform *p, struct bus *pio, struct bus *mmio,
                    const struct dev_env *env, const struct platform_config *cfg)
{
  memset(p, 0, sizeof(*p));
  p->env = env;
  TRY(rtc_init(&p->rtc, env, cfg->wall, cfg->wall_ns));
  pic_init(&p->pic, env);
  pit_init(&p->pit, env, pit_irq0, p);
  uart_init(&p->uart, env, cfg->console, cfg->console_ctx, uart_irq, p);
  sysports_init(&p->sys, env, &p->pit, cfg->reset, cfg->reset_ctx);
  vlapic_init(&p->lapic, env);
  vioapic_init(&p->ioapic, env, &p->lapic);

  TRY(bus_register(pio, PIC_MASTER_PORT, PIC_PORTS, "pic-master", &pic_master_ops, &p->pic));
  TRY(bus_register(pio, PIC_SLAVE_PORT, PIC_PORTS, "pic-slave", &pic_slave_ops, &p->pic));
  TRY(bus_register(pio, PIT_PORT, PIT_PORTS, "pit", &pit_ops, &p->pit));
  TRY(bus_register(pio, RTC_PORT, RTC_PORTS, "rtc", &rtc_ops, &p->rtc));
  TRY(bus_register(pio, UART_COM1_PORT, UART_PORTS, "uart", &uart_ops, &p->uart));
  TRY(bus_register(pio, SYS_KBC_PORT, SYS_KBC_PORTS, "kbc", &sys_kbc_ops, &p->sys));
  TRY(bus_register(pio, SYS_POST_PORT, 1, "post", &sys_post_ops, &p->sys));
  TRY(bus_register(pio, SYS_DMA_PAGE_PORT, 1, "dma-page", &sys_dma_page_ops, &p->sys));
  TRY(bus_register(pio, SYS_PORT_A, 1, "port-a", &sys_port_a_ops, &p->sys));
  TRY(bus_register(mmio, VLAPIC_MMIO_BASE, VLAPIC_MMIO_SIZE, "lapic", &vlapic_ops, &p->lapic));
  TRY(bus_register(mmio, VIOAPIC_MMIO_BASE, VIOAPIC_MMIO_SIZE, "ioapic", &vioapic_ops,
                   &p->ioapic));
  return HV_OK;
}

void platform_irq_set_level(struct platform *p, uint32_t gsi, bool level)
{
  bool was = pic_line_level(&p->pic, gsi);
  isa_line(p, gsi, level);
  if (!was && pic_line_level(&p->pic, gsi))
    p->raised++;
}

uint64_t platform_poll(struct platform *p, uint64_t now_ns)
{
  uint64_t pit = pit_poll(&p->pit, now_ns), lapic = vlapic_poll(&p->lapic, now_ns);
  return pit < lapic ? pit : lapic; /* PIT_NO_DEADLINE and VLAPIC_NO_DEADLINE are UINT64_MAX */
}

/* The APIC's own interrupts first (they pass its priority check), then the PIC's through LINT0
 * (ExtINT bypasses the APIC's priority: SDM 11.5.1). */
int platform_pending_vector(const struct platform *p)
{
  int v = vlapic_pending(&p->lapic);
  if (v >= 0)
    return v;
  return vlapic_accepts_extint(&p->lapic) ? pic_pending(&p->pic) : -1;
}

bool platform_ack(struct platform *p, uint8_t vector)
{
  if (vlapic_pending(&p->lapic) == vector) {
    vlapic_ack(&p->lapic, vector);
    return true;
  }
  return vlapic_accepts_extint(&p->lapic) && pic_ack(&p->pic, vector);
}
