/*
 * The VMX backend's entry points: Intel VT-x + EPT (Intel SDM vol. 3C).
 * Each mirrors the arch_* function of kernel/arch/arch.h with the same name after "arch_", on
 * the backend's own part of struct arch_vm / arch_vcpu; arch/x86/dispatch.c calls them once
 * x86_virt_probe() chose this backend. Only dispatch.c calls them.
 */
#ifndef D0_ARCH_X86_VMX_H
#define D0_ARCH_X86_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"

int vmx_vm_init(struct vmx_vm *avm);
void vmx_vm_destroy(struct vmx_vm *avm);
int vmx_map_page(struct vmx_vm *avm, gpa_t gpa, hpa_t hpa, uint64_t page_size, uint32_t prot);

int vmx_vcpu_init(struct vmx_vcpu *vcpu, struct vmx_vm *avm, const struct boot_regs *regs);
void vmx_vcpu_destroy(struct vmx_vcpu *vcpu);
int vmx_vcpu_run(struct vmx_vcpu *vcpu, struct arch_exit *exit);
void vmx_vcpu_complete(struct vmx_vcpu *vcpu, const struct arch_exit *exit, uint64_t read_value);
void vmx_vcpu_complete_cpuid(struct vmx_vcpu *vcpu, const struct arch_exit *exit,
                             const struct arch_cpuid_result *res);
bool vmx_vcpu_can_inject(const struct vmx_vcpu *vcpu);
void vmx_vcpu_inject(struct vmx_vcpu *vcpu, uint8_t vector);
void vmx_vcpu_inject_gp(struct vmx_vcpu *vcpu);
void vmx_vcpu_request_window(struct vmx_vcpu *vcpu);

#endif
