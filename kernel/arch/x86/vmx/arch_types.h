/*
 * The VMX backend's VM and vCPU (found as "arch_types.h" through the include path of a VMX
 * build; kernel/arch/arch.h is the contract). Generic code never looks inside.
 */
#ifndef D0_ARCH_X86_VMX_TYPES_H
#define D0_ARCH_X86_VMX_TYPES_H

#include <stdbool.h>
#include <stdint.h>

/* A guest-physical address space: a 4-level EPT whose leaves are exactly the VM's RAM. */
struct arch_vm {
  uint64_t *ept_root; /* EPT PML4, host-physical == host-virtual */
  uint64_t eptp;      /* root | walk length 4 | WB (25.6.11) */
  bool ept_changed;   /* INVEPT before the next entry */
};

/* Guest GPRs by x86 register number (0 rax .. 15 r15); r[4] (RSP) is unused: the VMCS holds the
 * guest RSP. The layout is what vmentry.S saves and restores. */
struct vmx_gprs {
  uint64_t r[16];
};

struct arch_vcpu {
  uint64_t *vmcs;       /* 4 KiB VMCS region, revision id in its first dword */
  struct arch_vm *vm;
  struct vmx_gprs gprs;
  bool launched;        /* VMLAUNCH done: later entries use VMRESUME */
  bool window_requested;
  uint64_t next_rip;    /* where RIP goes when the current exit completes */
  uint64_t exits;
  uint64_t timer_exits; /* preemption timer expiries (D0's polling slices) */
};

#endif /* D0_ARCH_X86_VMX_TYPES_H */
