/*
 * The guest's MP table (Intel MultiProcessor Specification 1.4, chapter 4): how a Linux guest
 * without ACPI finds its CPUs' local APICs. Without any such configuration Linux 6.1 keeps the
 * firmware's "virtual wire" and never starts its APIC timer (native_smp_prepare_cpus returns
 * early for APIC_VIRTUAL_WIRE_NO_CONFIG); with one it runs in "symmetric I/O" mode and ticks with
 * each CPU's APIC timer.
 *
 * Placed in the top KiB of base memory, [0x9FC00, 0xA0000): outside e820 RAM (the EBDA's place,
 * kernel/hv/linux_boot.h) and one of the three ranges Linux scans (arch/x86/kernel/mpparse.c):
 *   0x9FC00  floating pointer "_MP_" (16 bytes): spec 1.4, the table's address, no default
 *            configuration, no IMCR (virtual wire mode)
 *   0x9FC10  configuration table "PCMP": header (44 bytes), then
 *            one processor entry per vCPU (APIC ID = index, version 0x14, enabled; 0 is the BSP;
 *            signature and features from the guest's CPUID leaf 1)
 *            the ISA bus (bus 0)
 *            the I/O APIC (dev/platform/vioapic.h: ID 0, version 0x20, at 0xFEC00000)
 *            one I/O interrupt entry per ISA IRQ but 2: IRQ n on pin n, IRQ 0 on pin 2
 *            ExtINT (the 8259A) on the BSP's LINT0, NMI on every CPU's LINT1
 * With it Linux selects "symmetric I/O" mode: the ISA lines through the I/O APIC, the 8259A
 * masked, each CPU's tick from its APIC timer. (Without an I/O APIC it would need `noapic`:
 * setup_local_APIC soft-disables the APIC, which masks every LVT (SDM 11.4.7.2), and x86-64 Linux
 * re-enables ExtINT on LINT0 only when the I/O APIC is off; without any configuration it keeps
 * "virtual wire no-config" and never starts the APIC timer on an SMP kernel.) Both checksums make
 * their structure's bytes sum to 0.
 */
#ifndef HV_MPTABLE_H
#define HV_MPTABLE_H

#include <stdint.h>

#include "hv/guest_mem.h"

#define MPTABLE_GPA 0x9fc00ull
#define MPTABLE_SIZE 0x400ull
#define MPTABLE_MAX_CPUS 16u /* the manifest's vcpu range */

/* Writes the floating pointer and the table for ncpus (1..MPTABLE_MAX_CPUS) CPUs into guest
 * memory. HV_E_INVAL for another count; a guest_mem error if the KiB is not guest memory. */
int mptable_write(const struct guest_mem *mem, uint32_t ncpus);

#endif /* HV_MPTABLE_H */
