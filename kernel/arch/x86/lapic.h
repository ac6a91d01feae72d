/*
 * The local APIC (Intel SDM vol. 3A ch. 11 / AMD APM vol. 2 ch. 16): this CPU's APIC id, INIT /
 * STARTUP IPIs to another CPU by APIC id (smp.c), and register access and EOI for D0's tick
 * (host_tick.c programs the timer through lapic_read/lapic_write).
 *
 * The mode is the one the firmware left the BSP in (IA32_APIC_BASE): x2APIC (EXTD set; CPUID.1
 * ECX bit 21 says the CPU has it) through MSRs 0x800+, else xAPIC through its 4 KiB of MMIO at
 * the MADT's local APIC address, mapped into D0's tables uncached and never executable
 * (x86_paging_map_mmio). D0 never switches the mode itself.
 */
#ifndef D0_ARCH_X86_LAPIC_H
#define D0_ARCH_X86_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Register offsets (SDM table 11-1): xAPIC MMIO offset; x2APIC MSR 0x800 + offset / 16. */
#define LAPIC_REG_TPR 0x080u
#define LAPIC_REG_EOI 0x0b0u
#define LAPIC_REG_SVR 0x0f0u      /* spurious vector (bits 7:0), software enable (bit 8) */
#define LAPIC_REG_LVT_TIMER 0x320u
#define LAPIC_REG_TIMER_ICR 0x380u /* initial count */
#define LAPIC_REG_TIMER_CCR 0x390u /* current count */
#define LAPIC_REG_TIMER_DCR 0x3e0u /* divide configuration */

/* On the BSP, once D0's page tables are live. mmio_phys: the MADT's local APIC address (used in
 * xAPIC mode only; 0 without a MADT: then IA32_APIC_BASE's address). NULL, or a reason word for the log (xapic_map_failed, apic_disabled). The
 * first call decides; later calls return its result (smp.c and host_tick.c both call it). */
const char *lapic_init(uint64_t mmio_phys);

/* lapic_init succeeded. */
bool lapic_ready(void);

/* This CPU's register `reg` (a LAPIC_REG_* offset), in the mode lapic_init found; only after it
 * succeeded. In x2APIC mode each is an RDMSR/WRMSR, in xAPIC mode a 32-bit MMIO access. */
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);

/* End of interrupt for the vector in service on this CPU (no-op before lapic_init succeeded).
 * Never for the spurious vector (SDM 11.9). */
void lapic_eoi(void);

/* "x2apic" or "xapic" (after lapic_init). */
const char *lapic_mode_name(void);

/* The APIC id of the CPU running this: CPUID 0xB's 32-bit x2APIC id when the leaf exists, else
 * CPUID 1's 8-bit initial APIC id. Any CPU, needs no lapic_init. */
uint32_t lapic_self_id(void);

/* INIT (assert, level) and STARTUP with vector = trampoline page >> 12. Each waits for the ICR's
 * delivery status to go idle (xAPIC; x2APIC has none), at most timeout_ns of arch_time_ns:
 * false when it stayed busy (the IPI was not sent) or the target id does not fit the mode. */
bool lapic_send_init(uint32_t apic_id, uint64_t timeout_ns);
bool lapic_send_startup(uint32_t apic_id, uint8_t vector, uint64_t timeout_ns);

/* A fixed interrupt at `vector` (edge) to one CPU, under the same rules. */
bool lapic_send_fixed(uint32_t apic_id, uint8_t vector, uint64_t timeout_ns);

#endif
