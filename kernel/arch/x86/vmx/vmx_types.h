/*
 * The VMX backend's part of a VM and a vCPU: one member of the unions in arch/x86/arch_types.h
 * (kernel/arch/arch.h is the contract). Generic code never looks inside.
 */
#ifndef D0_ARCH_X86_VMX_TYPES_H
#define D0_ARCH_X86_VMX_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/decode.h"

/* A guest-physical address space: a 4-level EPT whose leaves are exactly the VM's RAM. */
struct vmx_vm {
  uint64_t *ept_root; /* EPT PML4, host-physical == host-virtual */
  uint64_t eptp;      /* root | walk length 4 | WB (25.6.11) */
  bool ept_changed;   /* INVEPT before the next entry */
};

/* Guest GPRs by x86 register number (0 rax .. 15 r15); r[4] (RSP) is unused: the VMCS holds the
 * guest RSP. The layout is what vmentry.S saves and restores. */
struct vmx_gprs {
  uint64_t r[16];
};

struct vmx_vcpu {
  uint64_t *vmcs;       /* 4 KiB VMCS region, revision id in its first dword */
  struct vmx_vm *vm;
  struct vmx_gprs gprs;
  bool launched;        /* VMLAUNCH done: later entries use VMRESUME */
  bool unrestricted;    /* started without protection (an AP after its SIPI): "unrestricted
                           guest" on, CR0.PE/PG the guest's own (vmcs_setup.c) */
  bool window_requested;
  uint64_t next_rip;    /* where RIP goes when the current exit completes */
  uint64_t exits;
  uint64_t timer_exits; /* preemption timer expiries (D0's polling slices) */
  struct x86_mmio_insn mmio; /* the access that caused the last EPT violation */
};

#endif /* D0_ARCH_X86_VMX_TYPES_H */
