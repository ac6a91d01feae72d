/*
 * VMX feature checks and enabling (Intel SDM vol. 3C, 24.6 "Discovering Support for VMX",
 * 24.7 "Enabling and Entering VMX Operation", 24.8 "Restrictions on VMX Operation").
 */
#ifndef D0_ARCH_X86_VMX_CPU_H
#define D0_ARCH_X86_VMX_CPU_H

#include <stdint.h>

/* What the checks learnt, for the VMCS setup. */
struct vmx_caps {
  uint32_t revision;  /* VMCS revision identifier (IA32_VMX_BASIC 30:0) */
  uint64_t pin, proc, proc2, exit, entry; /* allowed-0 (low dword) / allowed-1 (high) pairs */
  uint64_t ept;       /* IA32_VMX_EPT_VPID_CAP */
  uint32_t timer_shift; /* preemption timer rate: TSC >> timer_shift */
};

/*
 * NULL when this CPU can run D0's VMX backend; otherwise a stable reason word for the log.
 * Reads only MSRs whose existence CPUID.1:ECX.VMX guarantees. Fills *caps on success.
 */
const char *vmx_check_features(struct vmx_caps *caps);

/*
 * Makes VMXON possible and executes it: IA32_FEATURE_CONTROL (locks it with VMXON-outside-SMX
 * when the firmware left it unlocked), CR0/CR4 to the FIXED0/FIXED1 constraints with CR4.VMXE,
 * then VMXON on vmxon_region (a zeroed 4 KiB page). NULL or a reason word.
 */
const char *vmx_enable(const struct vmx_caps *caps, uint64_t *vmxon_region);

/* Whether the CPU allows "unrestricted guest" (a guest in real mode or with paging off: an AP
 * after its SIPI). */
_Bool vmx_unrestricted_guest(const struct vmx_caps *caps);

/* The control value with every bit the CPU requires set and every bit it forbids cleared;
 * false (and nothing written) if a wanted bit is not allowed. */
_Bool vmx_adjust_ctls(uint64_t cap_msr_value, uint32_t wanted, uint32_t *out);

#endif
