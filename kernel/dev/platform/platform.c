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

/* The IPI hook of every vCPU's APIC (platform.h "vCPUs"). */
static void route_ipi(void *ctx, struct vlapic *from, uint32_t lo, uint32_t dest)
{
  struct platform *p = ctx;
  uint32_t mode = (lo >> 8) & 7u;
  bool init_deassert = mode == VLAPIC_IPI_INIT && !(lo & VLAPIC_ICR_LEVEL_ASSERT) &&
                       (lo & VLAPIC_ICR_TRIGGER_LEVEL);
  if (init_deassert)
    return;
  bool signal = mode == VLAPIC_IPI_INIT || mode == VLAPIC_IPI_SIPI;
  if (mode != VLAPIC_IPI_FIXED && mode != VLAPIC_IPI_LOWEST && !signal) {
    dev_log_event(&p->ipi_log, "ipi-mode-unsupported", lo, dest);
    return;
  }
  bool sent = false;
  for (uint32_t i = 0; i < p->vcpus && !(sent && mode == VLAPIC_IPI_LOWEST); i++) {
    struct vlapic *to = &p->lapic[i];
    if (!vlapic_ipi_reaches(from, to, lo, dest))
      continue;
    if (!signal) {
      vlapic_deliver(to, (uint8_t)lo, false);
      sent = true;
    } else if (to == from || p->cpu_signal == NULL) {
      dev_log_event(&p->ipi_log, "ipi-signal-refused", lo, i); /* to itself, or no owner */
    } else {
      if (mode == VLAPIC_IPI_INIT)
        vlapic_reset(to);
      p->cpu_signal(p->signal_ctx, i,
                    mode == VLAPIC_IPI_INIT ? PLATFORM_SIGNAL_INIT : PLATFORM_SIGNAL_SIPI,
                    (uint8_t)lo);
      sent = true;
    }
  }
  if (!sent && !signal)
    dev_log_event(&p->ipi_log, "ipi-no-destination", lo, dest);
}

/* 0xFEE00000 is each vCPU's own APIC: the current one's. */
static uint64_t lapic_read(void *ctx, uint64_t off, uint8_t size)
{
  return vlapic_ops.read(platform_current_lapic(ctx), off, size);
}

static void lapic_write(void *ctx, uint64_t off, uint8_t size, uint64_t value)
{
  vlapic_ops.write(platform_current_lapic(ctx), off, size, value);
}

static const struct bus_ops current_lapic_ops = {lapic_read, lapic_write};

int platform_attach(struct platform *p, struct bus *pio, struct bus *mmio,
                    const struct dev_env *env, const struct platform_config *cfg)
{
  memset(p, 0, sizeof(*p));
  p->env = env;
  p->vcpus = cfg->vcpus == 0 ? 1 : cfg->vcpus;
  if (p->vcpus > PLATFORM_VCPUS_MAX)
    return HV_E_INVAL;
  p->cpu_signal = cfg->cpu_signal;
  p->signal_ctx = cfg->signal_ctx;
  p->ipi_log = (struct dev_log){env, "ipi", 0};
  TRY(rtc_init(&p->rtc, env, cfg->wall, cfg->wall_ns));
  pic_init(&p->pic, env);
  pit_init(&p->pit, env, pit_irq0, p);
  uart_init(&p->uart, env, cfg->console, cfg->console_ctx, uart_irq, p);
  sysports_init(&p->sys, env, &p->pit, cfg->reset, cfg->reset_ctx);
  for (uint32_t i = 0; i < p->vcpus; i++) {
    vlapic_init(&p->lapic[i], env, i);
    vlapic_set_ipi_hook(&p->lapic[i], route_ipi, p);
  }
  vioapic_init(&p->ioapic, env, p->lapic, p->vcpus);

  TRY(bus_register(pio, PIC_MASTER_PORT, PIC_PORTS, "pic-master", &pic_master_ops, &p->pic));
  TRY(bus_register(pio, PIC_SLAVE_PORT, PIC_PORTS, "pic-slave", &pic_slave_ops, &p->pic));
  TRY(bus_register(pio, PIT_PORT, PIT_PORTS, "pit", &pit_ops, &p->pit));
  TRY(bus_register(pio, RTC_PORT, RTC_PORTS, "rtc", &rtc_ops, &p->rtc));
  TRY(bus_register(pio, UART_COM1_PORT, UART_PORTS, "uart", &uart_ops, &p->uart));
  TRY(bus_register(pio, SYS_KBC_PORT, SYS_KBC_PORTS, "kbc", &sys_kbc_ops, &p->sys));
  TRY(bus_register(pio, SYS_POST_PORT, 1, "post", &sys_post_ops, &p->sys));
  TRY(bus_register(pio, SYS_DMA_PAGE_PORT, 1, "dma-page", &sys_dma_page_ops, &p->sys));
  TRY(bus_register(pio, SYS_PORT_A, 1, "port-a", &sys_port_a_ops, &p->sys));
  TRY(bus_register(mmio, VLAPIC_MMIO_BASE, VLAPIC_MMIO_SIZE, "lapic", &current_lapic_ops, p));
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

void platform_set_current(struct platform *p, uint32_t vcpu)
{
  p->current = vcpu < p->vcpus ? vcpu : 0;
}

struct vlapic *platform_current_lapic(struct platform *p) { return &p->lapic[p->current]; }

uint64_t platform_poll_vcpu(struct platform *p, uint32_t vcpu, uint64_t now_ns)
{
  uint64_t next = pit_poll(&p->pit, now_ns); /* PIT_NO_DEADLINE is UINT64_MAX */
  if (vcpu < p->vcpus) {
    uint64_t d = vlapic_poll(&p->lapic[vcpu], now_ns); /* VLAPIC_NO_DEADLINE too */
    next = d < next ? d : next;
  }
  return next;
}

/* The APIC's own interrupts first (they pass its priority check), then, on the BSP, the PIC's
 * through LINT0 (ExtINT bypasses the APIC's priority: SDM 11.5.1). */
int platform_pending_vector(const struct platform *p, uint32_t vcpu)
{
  if (vcpu >= p->vcpus)
    return -1;
  int v = vlapic_pending(&p->lapic[vcpu]);
  if (v >= 0)
    return v;
  return vcpu == 0 && vlapic_accepts_extint(&p->lapic[0]) ? pic_pending(&p->pic) : -1;
}

bool platform_ack(struct platform *p, uint32_t vcpu, uint8_t vector)
{
  if (vcpu >= p->vcpus)
    return false;
  struct vlapic *l = &p->lapic[vcpu];
  if (vlapic_pending(l) == vector) {
    vlapic_ack(l, vector);
    return true;
  }
  return vcpu == 0 && vlapic_accepts_extint(l) && pic_ack(&p->pic, vector);
}

uint64_t platform_wakeups(const struct platform *p, uint32_t vcpu)
{
  if (vcpu >= p->vcpus)
    return 0;
  return p->lapic[vcpu].accepted + (vcpu == 0 ? p->raised : 0);
}
