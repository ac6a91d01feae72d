/*
 * The SVM backend's entry points: AMD SVM + nested paging (APM vol. 2, chapter 15).
 * Each mirrors the arch_* function of kernel/arch/arch.h with the same name after "arch_", on
 * the backend's own part of struct arch_vm / arch_vcpu; arch/x86/dispatch.c calls them once
 * x86_virt_probe() chose this backend. Only dispatch.c calls them.
 */
#ifndef D0_ARCH_X86_SVM_H
#define D0_ARCH_X86_SVM_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"

int svm_vm_init(struct svm_vm *avm);
void svm_vm_destroy(struct svm_vm *avm);
int svm_map_page(struct svm_vm *avm, gpa_t gpa, hpa_t hpa, uint64_t page_size, uint32_t prot);

int svm_vcpu_init(struct svm_vcpu *vcpu, struct svm_vm *avm, const struct boot_regs *regs);
void svm_vcpu_destroy(struct svm_vcpu *vcpu);
int svm_vcpu_run(struct svm_vcpu *vcpu, struct arch_exit *exit);
void svm_vcpu_complete(struct svm_vcpu *vcpu, const struct arch_exit *exit, uint64_t read_value);
void svm_vcpu_complete_cpuid(struct svm_vcpu *vcpu, const struct arch_exit *exit,
                             const struct arch_cpuid_result *res);
bool svm_vcpu_can_inject(const struct svm_vcpu *vcpu);
void svm_vcpu_inject(struct svm_vcpu *vcpu, uint8_t vector);
void svm_vcpu_inject_gp(struct svm_vcpu *vcpu);
void svm_vcpu_request_window(struct svm_vcpu *vcpu);

#endif
