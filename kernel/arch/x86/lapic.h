/*
 * The local APIC, as far as bringing CPUs up needs it (Intel SDM vol. 3A ch. 11 / AMD APM vol. 2
 * ch. 16): this CPU's APIC id, and INIT / STARTUP IPIs to another CPU by APIC id.
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

/* On the BSP, once D0's page tables are live. mmio_phys: the MADT's local APIC address (used in
 * xAPIC mode only). NULL, or a reason word for the log (xapic_map_failed, apic_disabled). */
const char *lapic_init(uint64_t mmio_phys);

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

#endif
