#include "arch/x86/host_tick.h"

#include "arch/x86/x86.h"

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

volatile uint64_t x86_tick_count; /* isr.S increments it */

static inline void outb(uint16_t port, uint8_t v)
{
  __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

void x86_host_tick_init(uint32_t hz)
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
  uint32_t div = (PIT_HZ + hz / 2) / hz;
  if (div == 0 || div > 0xffff)
    div = 0xffff;
  outb(PIT_MODE, PIT_CH0_RATE);
  outb(PIT_CH0, (uint8_t)div);
  outb(PIT_CH0, (uint8_t)(div >> 8));
  outb(PIC2_DATA, 0xff);
  outb(PIC1_DATA, (uint8_t)~1u); /* IRQ0 only */
}

uint64_t x86_host_ticks(void) { return x86_tick_count; }
