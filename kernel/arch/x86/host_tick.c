#include "arch/x86/host_tick.h"

#include "arch/x86/lapic.h"
#include "arch/x86/tick_calc.h"
#include "arch/x86/time.h"
#include "arch/x86/x86.h"
#include "log/log.h"

/* 8259A (Intel 8259A data sheet): ICW1 edge + cascade + ICW4, ICW2 vector base, ICW3 wiring
 * (slave on IRQ2), ICW4 8086 mode. OCW1 on the data port is the mask. */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT_ICW4 0x11
#define ICW4_8086 0x01

/* 8254: channel 0, lobyte/hibyte, mode 2 (rate generator), binary; input clock 1.193182 MHz. */
#define PIT_CH0 0x40
#define PIT_MODE 0x43
#define PIT_CH0_RATE 0x34
#define PIT_HZ 1193182u

/* Local APIC timer (SDM 11.5.4): LVT mode bits 18:17, mask bit 16; divide configuration 0011b
 * is divide by 16; SVR bit 8 enables the APIC in software. */
#define LVT_MASKED (1u << 16)
#define LVT_ONE_SHOT (0u << 17)
#define LVT_PERIODIC (1u << 17)
#define LVT_TSC_DEADLINE (2u << 17)
#define DCR_DIV16 0x3u
#define SVR_ENABLE (1u << 8)
#define MSR_TSC_DEADLINE 0x6e0u
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

/* APIC timer measurement: CALIB_WINDOWS windows of 1/CALIB_DIV s of TSC each, median rate. */
#define CALIB_WINDOWS 3u
#define CALIB_DIV 100u

volatile uint64_t x86_tick_count;   /* local APIC ticks */
volatile uint64_t x86_pit_irq_count; /* IRQ0s (isr.S): ticks with the PIT, strays otherwise */
volatile uint64_t x86_spurious_count;
volatile uint64_t x86_kick_count; /* X86_KICK_VECTOR taken */
extern volatile uint64_t x86_irq_other_count; /* desc.c */

static struct x86_tick_plan plan;
static bool planned;

static inline void outb(uint16_t port, uint8_t v)
{
  __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

/* Both 8259s remapped to X86_IRQ_BASE.. and every line masked. */
static void pic_remap_masked(void)
{
  outb(PIC1_DATA, 0xff);
  outb(PIC2_DATA, 0xff);
  outb(PIC1_CMD, ICW1_INIT_ICW4);
  outb(PIC2_CMD, ICW1_INIT_ICW4);
  outb(PIC1_DATA, X86_IRQ_BASE);
  outb(PIC2_DATA, X86_IRQ_BASE + 8);
  outb(PIC1_DATA, 1u << 2); /* slave on IRQ2 */
  outb(PIC2_DATA, 2);       /* slave identity */
  outb(PIC1_DATA, ICW4_8086);
  outb(PIC2_DATA, ICW4_8086);
  outb(PIC2_DATA, 0xff); /* ICW4 leaves the masks as they were: mask again, explicitly */
  outb(PIC1_DATA, 0xff);
}

/* The fallback: the PIT at hz (periodic) on IRQ0, the only line unmasked. */
static void pit_start(uint32_t hz)
{
  pic_remap_masked();
  uint32_t div = (PIT_HZ + hz / 2) / hz;
  if (div == 0 || div > 0xffff)
    div = 0xffff;
  outb(PIT_MODE, PIT_CH0_RATE);
  outb(PIT_CH0, (uint8_t)div);
  outb(PIT_CH0, (uint8_t)(div >> 8));
  outb(PIC1_DATA, (uint8_t)~1u); /* IRQ0 only */
}

static void arm_deadline(void) { x86_wrmsr(MSR_TSC_DEADLINE, x86_rdtsc() + plan.period); }

/* The APIC timer's rate after DCR_DIV16, counted down from 2^32-1 over TSC windows with the
 * timer's LVT masked (one-shot: no interrupt even if it ran out). 0 when it did not count. */
static uint64_t measure_lapic_hz(uint64_t tsc_hz)
{
  uint64_t rates[CALIB_WINDOWS];
  lapic_write(LAPIC_REG_LVT_TIMER, LVT_MASKED | LVT_ONE_SHOT | X86_LAPIC_TICK_VECTOR);
  lapic_write(LAPIC_REG_TIMER_DCR, DCR_DIV16);
  for (uint32_t i = 0; i < CALIB_WINDOWS; i++) {
    lapic_write(LAPIC_REG_TIMER_ICR, UINT32_MAX);
    uint64_t t0 = x86_rdtsc(), t1;
    while ((t1 = x86_rdtsc()) - t0 < tsc_hz / CALIB_DIV)
      x86_pause();
    uint32_t left = lapic_read(LAPIC_REG_TIMER_CCR);
    rates[i] = x86_tick_lapic_hz(UINT32_MAX - left, t1 - t0, tsc_hz);
  }
  lapic_write(LAPIC_REG_TIMER_ICR, 0); /* stops it */
  return x86_tick_median(rates, CALIB_WINDOWS);
}

int x86_tick_start_this_cpu(void)
{
  if (!planned || plan.source == X86_TICK_PIT)
    return -1;
  lapic_write(LAPIC_REG_TPR, 0);
  lapic_write(LAPIC_REG_SVR, SVR_ENABLE | X86_SPURIOUS_VECTOR);
  if (plan.source == X86_TICK_TSC_DEADLINE) {
    lapic_write(LAPIC_REG_LVT_TIMER, LVT_TSC_DEADLINE | X86_LAPIC_TICK_VECTOR);
    /* SDM 11.5.4.1: the LVT write and the deadline WRMSR are not ordered without a fence. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    arm_deadline();
  } else {
    lapic_write(LAPIC_REG_TIMER_DCR, DCR_DIV16);
    lapic_write(LAPIC_REG_LVT_TIMER, LVT_PERIODIC | X86_LAPIC_TICK_VECTOR);
    lapic_write(LAPIC_REG_TIMER_ICR, (uint32_t)plan.period);
  }
  return 0;
}

const char *x86_host_tick_init(uint64_t lapic_phys, uint32_t hz)
{
  struct x86_cpuid r;
  x86_cpuid(1, 0, &r);
  struct x86_tick_facts f = {
      .lapic_error = lapic_init(lapic_phys),
      .tsc_deadline = (r.ecx & CPUID1_ECX_TSC_DEADLINE) != 0,
      .tsc_hz = x86_tsc_measured() ? x86_tsc_hz() : 0,
      .hz = hz,
  };
#ifdef D0_SELFTEST_TICK_PIT
  /* Test builds only (test/boot/smp.test.ts): the fallback path, as on a CPU whose local APIC
   * timer cannot be used. */
  f.lapic_error = "selftest_forced_pit";
#endif
  plan = x86_tick_choose(&f);
  if (plan.source == X86_TICK_PIT && f.lapic_error == NULL && f.tsc_hz != 0) {
    f.lapic_hz = measure_lapic_hz(f.tsc_hz);
    plan = x86_tick_choose(&f);
  }
  planned = true;
  if (plan.source == X86_TICK_PIT) {
    pit_start(hz);
  } else {
    pic_remap_masked();
    x86_tick_start_this_cpu();
  }
  log_begin("tick");
  log_str("source", x86_tick_source_name(plan.source));
  log_u64("hz", hz);
  log_str("reason", plan.reason);
  log_str("lapic", lapic_ready() ? lapic_mode_name() : "none");
  /* The 8259s' mask registers read back (OCW1): 0xffff when the local APIC has the tick. */
  log_hex("pic_masks", (uint64_t)inb(PIC1_DATA) | (uint64_t)inb(PIC2_DATA) << 8);
  if (plan.period != 0)
    log_u64("period", plan.period);
  if (f.lapic_hz != 0)
    log_u64("lapic_hz", f.lapic_hz);
  log_end();
  return x86_tick_source_name(plan.source);
}

bool x86_tick_on_aps(void) { return planned && plan.source != X86_TICK_PIT; }

static bool pit_is_tick(void) { return !planned || plan.source == X86_TICK_PIT; }

uint64_t x86_host_ticks(void) { return x86_tick_count + (pit_is_tick() ? x86_pit_irq_count : 0); }

uint64_t x86_host_stray_irqs(void)
{
  return x86_spurious_count + x86_irq_other_count + (pit_is_tick() ? 0 : x86_pit_irq_count);
}

/* Called from isr.S (every caller-saved register preserved there). */
void x86_lapic_tick_irq(void);
void x86_lapic_other_irq(void);
void x86_lapic_spurious_irq(void);
void x86_lapic_kick_irq(void);

#define KICK_ICR_TIMEOUT_NS 1000000ull /* 1 ms: the ICR of an idle local APIC frees in ns */

bool x86_kick_cpu(uint32_t apic_id)
{
  return lapic_send_fixed(apic_id, X86_KICK_VECTOR, KICK_ICR_TIMEOUT_NS);
}

uint64_t x86_host_kicks(void) { return x86_kick_count; }

void x86_lapic_kick_irq(void)
{
  __atomic_fetch_add(&x86_kick_count, 1, __ATOMIC_RELAXED);
  lapic_eoi();
}

void x86_lapic_tick_irq(void)
{
  __atomic_fetch_add(&x86_tick_count, 1, __ATOMIC_RELAXED);
  if (plan.source == X86_TICK_TSC_DEADLINE)
    arm_deadline(); /* one-shot by nature: the next deadline from now, never in the past */
  lapic_eoi();
}

void x86_lapic_other_irq(void)
{
  __atomic_fetch_add(&x86_irq_other_count, 1, __ATOMIC_RELAXED);
  lapic_eoi();
}

void x86_lapic_spurious_irq(void)
{
  __atomic_fetch_add(&x86_spurious_count, 1, __ATOMIC_RELAXED); /* SDM 11.9: no EOI */
}
