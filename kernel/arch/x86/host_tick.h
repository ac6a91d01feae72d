/*
 * D0's host tick: the 8254 PIT's channel 0 through the 8259 PIC's IRQ0, remapped to vector
 * X86_TICK_VECTOR. It exists so that a guest never keeps the CPU: while a guest runs, the tick
 * makes the CPU leave it (SVM: the INTR intercept with V_INTR_MASKING and the host's IF set at
 * VMRUN, arch/x86/svm/vmrun.S), D0 then delivers the guest's own timer interrupts, checks health
 * deadlines and lets the next VM run. Outside guest entries D0 keeps IF=0; the tick is taken
 * (and acknowledged, isr.S) only in the short window after a #VMEXIT where the backend opens it.
 *
 * Port I/O only (no APIC MMIO to map): OVMF itself runs its timer on the 8254/8259 in virtual
 * wire mode, which it leaves set up. Hardware without a legacy PIT/PIC is a known limit (the
 * LAPIC timer is the path there).
 */
#ifndef D0_ARCH_X86_HOST_TICK_H
#define D0_ARCH_X86_HOST_TICK_H

#include <stdint.h>

#define X86_IRQ_BASE 0x20    /* master 8259: vectors 0x20-0x27, slave: 0x28-0x2f */
#define X86_TICK_VECTOR 0x20 /* IRQ0 */
#define X86_TICK_HZ 250u

/* Remaps both 8259s, masks every line but IRQ0 and starts the PIT at hz (periodic). */
void x86_host_tick_init(uint32_t hz);

/* Ticks taken so far (incremented by the IRQ0 handler in isr.S). */
uint64_t x86_host_ticks(void);

#endif
