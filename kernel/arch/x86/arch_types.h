/*
 * struct arch_vm and struct arch_vcpu of the x86 build (found as "arch_types.h" through the
 * include path; kernel/arch/arch.h is the contract). One BOOTX64.EFI holds both backends, so a
 * VM and a vCPU hold either one's state: the member named after the backend x86_virt_probe()
 * chose at boot (arch/x86/dispatch.c is the only code that picks a member). Generic code never
 * looks inside, except the exit counters, which are the same for both. The extended register
 * state is vendor-neutral and switched by dispatch.c (xstate.h).
 */
#ifndef D0_ARCH_X86_ARCH_TYPES_H
#define D0_ARCH_X86_ARCH_TYPES_H

#include <stdint.h>

#include "arch/x86/svm/svm_types.h"
#include "arch/x86/vmx/vmx_types.h"
#include "arch/x86/spec.h"
#include "arch/x86/xstate.h"

struct arch_vm {
  union {
    struct svm_vm svm;
    struct vmx_vm vmx;
  };
};

struct arch_vcpu {
  uint64_t exits;       /* VM exits so far (each backend counts; dispatch copies it here) */
  struct x86_xstate xstate; /* x87/SSE/AVX registers and XCR0, switched by dispatch.c */
  struct x86_spec_vcpu spec; /* its IA32_SPEC_CTRL (arch/x86/spec.h), switched by dispatch.c */
  union {
    struct svm_vcpu svm;
    struct vmx_vcpu vmx;
  };
};

#endif /* D0_ARCH_X86_ARCH_TYPES_H */
