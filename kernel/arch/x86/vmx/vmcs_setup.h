/*
 * Filling a fresh VMCS (Intel SDM vol. 3C, 25 "Virtual Machine Control Structures"): execution,
 * exit and entry controls; the host state the CPU loads at every exit (D0's own GDT/TSS/IDT,
 * CR0/CR3/CR4, EFER, PAT); the guest state of the Linux 64-bit entry (struct boot_regs).
 */
#ifndef D0_ARCH_X86_VMX_VMCS_SETUP_H
#define D0_ARCH_X86_VMX_VMCS_SETUP_H

#include <stdint.h>

#include "arch/arch.h"
#include "arch/boot_regs.h"

/*
 * Makes vcpu->vmcs current and writes every field D0 relies on. The host part reads the live
 * descriptor tables, so call it after D0's GDT/TSS/IDT are loaded (x86_desc_init): TR must be
 * non-zero (26.2.3). HV_OK or HV_E_ARCH (a VMCLEAR/VMPTRLD/VMWRITE failed, or a control D0
 * needs is not allowed).
 */
int vmcs_setup(struct vmx_vcpu *vcpu, const struct boot_regs *regs);

/* IA32_VMX_CR0_FIXED0 as it binds this vCPU: without PE and PG for an unrestricted guest. */
uint64_t vmx_cr0_fixed0(const struct vmx_vcpu *vcpu);

/* Makes vcpu's VMCS the current one of this CPU if it is not already. false if VMPTRLD failed. */
_Bool vmcs_load(struct vmx_vcpu *vcpu);

#endif
