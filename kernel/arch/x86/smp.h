/*
 * Bringing every CPU up (kernel/docs/acpi-and-cpus.md "CPUs"): after D0's descriptors and page
 * tables are live on the BSP, each other enabled CPU of the MADT gets INIT-SIPI-SIPI, runs the
 * trampoline (smp_tramp.h) into 64-bit mode on D0's tables, loads its own GDT/TSS and the shared
 * IDT, turns its virtualization backend on (the backend's own enable function: svm_enable with its
 * own host save area, or vmx_enable with its own VMXON region), logs ev=cpu_up and parks (HLT with
 * interrupts off) or takes the work the BSP gives it (x86_smp_give: the VMs placed on it, with the
 * host tick started on its own local APIC). A CPU that does not check in within
 * SMP_CHECKIN_MS, or whose backend fails, is logged ev=cpu_failed apic_id= reason= and excluded.
 */
#ifndef D0_ARCH_X86_SMP_H
#define D0_ARCH_X86_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"

/* How long an AP has to reach C after its STARTUP IPIs, and then to report its backend. Wider
 * than the 100 ms real hardware needs: under QEMU TCG on a loaded 2-core host an AP's thread may
 * wait that long to be scheduled. */
#define SMP_CHECKIN_MS 500u
#define SMP_REPORT_MS 2000u

/*
 * On the BSP, after x86_desc_init and x86_paging_init, before any VM runs. tramp_phys: a 4 KiB
 * page below 1 MiB reserved before ExitBootServices (0: none could be had: the BSP only).
 * lapic_phys: the MADT's local APIC address. apic_ids[0..n): the MADT's enabled CPUs (the BSP
 * among them). Turns the BSP's backend on too and logs its ev=cpu_up, then ev=cpus_up count=
 * (CPUs up with their backend on, the BSP included) of=n. Returns that count.
 */
uint32_t x86_smp_start(uint64_t tramp_phys, uint64_t lapic_phys, const uint32_t *apic_ids,
                       uint32_t n, enum x86_backend backend);

/* The CPUs that came up with their backend on (none when the BSP's failed), the BSP first,
 * then the APs in the order they came up: their slots (x86_cpu_index on that CPU) and APIC
 * ids, at most max. Returns how many. */
uint32_t x86_smp_cpus(uint32_t *slots, uint32_t *apic_ids, uint32_t max);

/* On the BSP, once per AP: the AP in `slot` (one x86_smp_cpus listed, not the BSP) reloads its
 * TLB, starts the host tick on its local APIC and runs fn(arg); if fn returns it parks. false
 * when that slot is not an AP that is up, or was already given work or parked. */
bool x86_smp_give(uint32_t slot, void (*fn)(void *), void *arg);

/* On the BSP, after the x86_smp_give calls: every AP given nothing parks (HLT, IF=0). Until
 * then they poll their mailbox. */
void x86_smp_park_idle(void);

#endif
