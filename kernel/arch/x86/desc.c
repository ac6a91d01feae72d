#include "arch/x86/desc.h"

#include "arch/x86/host_tick.h"
#include "d0/lib.h"

/* Intel SDM vol. 3A 7.7 / APM vol. 2 12.2.5: the 64-bit TSS. */
struct __attribute__((packed)) tss64 {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "tss64");

/* SDM 6.14.1: a 64-bit interrupt gate. */
struct idt_gate {
  uint16_t offset_lo, selector;
  uint8_t ist, type_attr;
  uint16_t offset_mid;
  uint32_t offset_hi, reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "idt gate");

struct __attribute__((packed)) desc_ptr {
  uint16_t limit;
  uint64_t base;
};

#define EXCEPTION_VECTORS 32
#define IRQ_VECTORS 16
#define IDT_VECTORS 256
#define GATE_INTERRUPT_P 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define IST_STACK_BYTES 8192

/* Per CPU: its own GDT (a TSS descriptor is marked busy by LTR, so each CPU needs its own slot),
 * its own TSS and the IST1 stack its exceptions run on. The IDT is shared: read-only once built. */
struct cpu_desc {
  uint64_t gdt[5]; /* null, flat 64-bit code (L=1), data, then the TSS descriptor (two slots) */
  struct tss64 tss;
  uint8_t ist_stack[IST_STACK_BYTES] __attribute__((aligned(16)));
} __attribute__((aligned(16)));
static struct cpu_desc cpus[X86_MAX_CPUS];
static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

extern const uint64_t x86_isr_table[EXCEPTION_VECTORS]; /* isr.S */
extern const uint64_t x86_irq_table[IRQ_VECTORS];      /* isr.S: host_tick.h */
void x86_irq_other(void);                              /* isr.S: any other vector */
void x86_irq_lapic_tick(void);                         /* isr.S: X86_LAPIC_TICK_VECTOR */
void x86_irq_spurious(void);                           /* isr.S: X86_SPURIOUS_VECTOR */
void x86_irq_kick(void);                               /* isr.S: X86_KICK_VECTOR */
volatile uint64_t x86_irq_other_count;
void x86_load_segments(const struct desc_ptr *gdtr, uint16_t code, uint16_t data, uint16_t tr);

/* Loads CPU `cpu`'s GDT and TSS (built here) and the shared IDT on the CPU running this. */
static void load_cpu(uint32_t cpu)
{
  struct cpu_desc *c = &cpus[cpu];
  c->gdt[0] = 0;
  c->gdt[1] = 0x00af9a000000ffffull;
  c->gdt[2] = 0x00cf92000000ffffull;
  c->tss.ist[0] = (uint64_t)(uintptr_t)(c->ist_stack + IST_STACK_BYTES);
  c->tss.iomap_base = sizeof(c->tss); /* no I/O bitmap */
  uint64_t base = (uint64_t)(uintptr_t)&c->tss, limit = sizeof(c->tss) - 1;
  /* SDM 8.2.3: type 9 (available 64-bit TSS), present. */
  c->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
              (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
  c->gdt[4] = base >> 32;
  struct desc_ptr gdtr = {sizeof(c->gdt) - 1, (uint64_t)(uintptr_t)c->gdt};
  struct desc_ptr idtr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
  x86_load_segments(&gdtr, X86_SEL_CODE, X86_SEL_DATA, X86_SEL_TSS);
  __asm__ volatile("lidt %0" : : "m"(idtr));
}

/* An interrupt gate for vector v; ist 1 (exceptions) or 0 (interrupts: the current stack). */
static void set_gate(int v, uint64_t h, uint8_t ist)
{
  idt[v] = (struct idt_gate){(uint16_t)h, X86_SEL_CODE, ist, GATE_INTERRUPT_P,
                             (uint16_t)(h >> 16), (uint32_t)(h >> 32), 0};
}

void x86_desc_init(void)
{
  for (int v = 0; v < EXCEPTION_VECTORS; v++)
    set_gate(v, x86_isr_table[v], 1);
  for (int v = X86_IRQ_BASE + IRQ_VECTORS; v < IDT_VECTORS; v++)
    set_gate(v, (uint64_t)(uintptr_t)x86_irq_other, 0);
  for (int i = 0; i < IRQ_VECTORS; i++)
    set_gate(X86_IRQ_BASE + i, x86_irq_table[i], 0);
  set_gate(X86_LAPIC_TICK_VECTOR, (uint64_t)(uintptr_t)x86_irq_lapic_tick, 0);
  set_gate(X86_SPURIOUS_VECTOR, (uint64_t)(uintptr_t)x86_irq_spurious, 0);
  set_gate(X86_KICK_VECTOR, (uint64_t)(uintptr_t)x86_irq_kick, 0);
  load_cpu(0);
}

uint32_t x86_cpu_index(void)
{
  struct desc_ptr gdtr;
  __asm__ volatile("sgdt %0" : "=m"(gdtr));
  uintptr_t first = (uintptr_t)&cpus[0].gdt, at = (uintptr_t)gdtr.base;
  if (at < first || (at - first) % sizeof(cpus[0]) != 0)
    return 0; /* the firmware's GDT: only the BSP runs before x86_desc_init */
  uint64_t i = (at - first) / sizeof(cpus[0]);
  return i < X86_MAX_CPUS ? (uint32_t)i : 0;
}

void x86_desc_init_ap(uint32_t cpu)
{
  if (cpu > 0 && cpu < X86_MAX_CPUS)
    load_cpu(cpu);
}
