/*
 * D0's host tick. It exists so that a guest never keeps the CPU: while a guest runs, the tick
 * makes the CPU leave it (SVM: the INTR intercept with V_INTR_MASKING and the host's IF set at
 * VMRUN, arch/x86/svm/vmrun.S), D0 then delivers the guest's own timer interrupts, checks health
 * deadlines and lets the next VM run. Outside guest entries D0 keeps IF=0; the tick is taken
 * (and acknowledged) only in the short window after a #VMEXIT where the backend opens it.
 *
 * The source (tick_calc.h) is the local APIC timer of the CPU that runs the VMs: TSC-deadline
 * mode where CPUID.1:ECX[24] has it, else the periodic APIC timer with its rate measured
 * against the TSC, at vector X86_LAPIC_TICK_VECTOR, acknowledged with an EOI to the local APIC
 * (xAPIC MMIO or x2APIC MSR, whichever mode the firmware left). The 8259s are then remapped to
 * 0x20-0x2f and fully masked, so no IRQ0 of the PIT the firmware left running arrives. Only
 * when the local APIC timer cannot be used does the tick fall back to the 8254 PIT through the
 * 8259's IRQ0 (vector X86_TICK_VECTOR), and the log says why:
 *   ev=tick source=tsc_deadline|lapic|pit hz=250 reason=<why this source>
 *           lapic=xapic|x2apic|none pic_masks=<the 8259s' masks read back, slave:master>
 *           [period=<TSC ticks or APIC initial count>] [lapic_hz=<measured APIC timer rate>]
 * Spurious APIC interrupts (vector X86_SPURIOUS_VECTOR) are counted and never acknowledged;
 * any other vector is counted and acknowledged to the local APIC (an EOI with nothing in
 * service is ignored), so a stray one never blocks the tick.
 */
#ifndef D0_ARCH_X86_HOST_TICK_H
#define D0_ARCH_X86_HOST_TICK_H

#include <stdbool.h>
#include <stdint.h>

#define X86_IRQ_BASE 0x20         /* master 8259: vectors 0x20-0x27, slave: 0x28-0x2f */
#define X86_TICK_VECTOR 0x20      /* IRQ0: the PIT fallback */
#define X86_LAPIC_TICK_VECTOR 0xf0 /* the local APIC timer: the highest priority class */
#define X86_KICK_VECTOR 0xf1      /* another CPU's nudge: its guest exits (x86_kick_cpu) */
#define X86_SPURIOUS_VECTOR 0xff  /* the local APIC's spurious vector (SVR) */
#define X86_TICK_HZ 250u

/* On the BSP, once D0's page tables are live (lapic_phys: the MADT's local APIC address, for
 * xAPIC mode): chooses the source, measures the APIC timer if it needs it, starts the tick on
 * this CPU at hz and logs ev=tick. Returns the source's name ("tsc_deadline", "lapic", "pit"). */
const char *x86_host_tick_init(uint64_t lapic_phys, uint32_t hz);

/* Starts the tick chosen by x86_host_tick_init on the CPU running this (an AP that will run
 * VMs; the BSP already has it). 0 when started; -1 before x86_host_tick_init or when the source
 * is the PIT (a legacy IRQ0 reaches one CPU only). */
int x86_tick_start_this_cpu(void);

/* Whether x86_tick_start_this_cpu can start the tick on an AP (a local APIC source). VMs run
 * only on CPUs with a tick: with the PIT fallback they all stay on the BSP. */
bool x86_tick_on_aps(void);

/* Sends X86_KICK_VECTOR to the CPU with this APIC id: a guest running there exits at once (the
 * tick's own path: SVM's INTR intercept, VMX's external-interrupt exit), so D0 on that CPU
 * delivers an interrupt another CPU raised for it. The handler only counts and acknowledges.
 * false when the IPI could not be sent. */
bool x86_kick_cpu(uint32_t apic_id);

/* Kicks taken so far (ev=halt kicks=). */
uint64_t x86_host_kicks(void);

/* Ticks taken so far (both sources). */
uint64_t x86_host_ticks(void);

/* Interrupts taken that were not the tick: the APIC's spurious vector, any vector nothing
 * programmed, an 8259 line other than IRQ0, and IRQ0 itself when the local APIC has the tick
 * (the 8259 should be fully masked then). 0 on a healthy host; logged at the end
 * (ev=halt host_ticks= stray_irqs=). */
uint64_t x86_host_stray_irqs(void);

#endif
