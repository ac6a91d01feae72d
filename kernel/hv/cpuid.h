/*
 * CPUID as a guest sees it: chosen, not inherited. Every leaf is on an allow-list (cpuid.c,
 * documented in kernel/hv/README.md "CPUID"); a leaf that is not gets zeros, and the leaves
 * that are pass only the bits D0 lets through. D0 has its own hypervisor leaves
 * (0x40000000: signature "D0D0D0D0D0D0", max leaf 0x40000001; 0x40000001: no paravirtual
 * features), and the virtualization of the host is hidden consistently: no VMX/SMX in leaf 1,
 * no SVM in 0x80000001, leaf 0x8000000A (SVM features) is not there at all.
 *
 * Bits that mirror the guest's own CR4 (OSXSAVE in leaf 1, OSPKE in leaf 7) are the backend's
 * to set from the guest's CR4 (arch_vcpu_complete_cpuid): D0's own CR4 is not the guest's.
 */
#ifndef HV_CPUID_H
#define HV_CPUID_H

#include <stdint.h>

#include "arch/arch.h"

#define CPUID_D0_SIGNATURE "D0D0D0D0D0D0"
#define CPUID_D0_MAX_LEAF 0x40000001u
#define CPUID_BASIC_MAX 0x16u       /* the highest basic leaf a guest is shown */
#define CPUID_EXT_MAX 0x80000008u   /* the highest extended leaf a guest is shown */
/* The XCR0 components a guest is shown (leaf 0xD) and may enable: x87 SSE AVX opmask ZMM_Hi256
 * Hi16_ZMM PKRU (not MPX, AMX tiles, or any supervisor component: IA32_XSS is not passed
 * through). The VMX backend's XSETBV check uses it too; under SVM XSETBV runs natively, and AMD
 * CPUs have neither MPX nor AMX. */
#define CPUID_XCR0_ALLOW 0x2e7ull

/* The guest's view of CPUID (leaf, subleaf) on the vCPU whose APIC ID is apic_id, from the
 * host's (arch_host_cpuid). */
void cpuid_guest_view(uint32_t leaf, uint32_t subleaf, uint32_t apic_id,
                      struct arch_cpuid_result *out);

#endif /* HV_CPUID_H */
