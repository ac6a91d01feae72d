/*
 * The arch_* interface (kernel/arch/arch.h) of the x86 build: one BOOTX64.EFI carries the SVM
 * and the VMX backend, and every call goes to the one x86_virt_probe() selected at boot
 * (x86_dispatch_select). The choice never changes afterwards, so a switch on one variable is
 * the whole cost. Before a selection, or with none, calls fail closed (HV_E_ARCH) and launch
 * nothing. The vendor-neutral pieces (CPUID, host addresses, interrupt lines, the switch of
 * the extended register state between vCPUs) live here once.
 */
#include "arch/arch.h"

#include "arch/x86/cpu.h"
#include "arch/x86/svm/svm.h"
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/x86.h"
#include "arch/x86/xstate.h"
#include "d0/lib.h"
#include "hv/err.h"

static enum x86_backend active = X86_BACKEND_NONE;

void x86_dispatch_select(enum x86_backend b) { active = b; }

/* Returns the chosen backend's result; `none` when no backend is selected. */
#define DISPATCH(svm_call, vmx_call, none)                                                    \
  switch (active) {                                                                           \
  case X86_BACKEND_SVM: return svm_call;                                                      \
  case X86_BACKEND_VMX: return vmx_call;                                                      \
  default: return none;                                                                       \
  }

/* For functions without a result. */
#define DISPATCH_VOID(svm_call, vmx_call)                                                     \
  switch (active) {                                                                           \
  case X86_BACKEND_SVM: svm_call; break;                                                      \
  case X86_BACKEND_VMX: vmx_call; break;                                                      \
  default: break;                                                                             \
  }

int arch_vm_init(struct arch_vm *avm)
{
  DISPATCH(svm_vm_init(&avm->svm), vmx_vm_init(&avm->vmx), HV_E_ARCH)
}

void arch_vm_destroy(struct arch_vm *avm)
{
  DISPATCH_VOID(svm_vm_destroy(&avm->svm), vmx_vm_destroy(&avm->vmx))
}

int arch_npt_map_page(struct arch_vm *avm, gpa_t gpa, hpa_t hpa, uint64_t page_size,
                      uint32_t prot)
{
  DISPATCH(svm_map_page(&avm->svm, gpa, hpa, page_size, prot),
           vmx_map_page(&avm->vmx, gpa, hpa, page_size, prot), HV_E_ARCH)
}

hpa_t arch_hva_to_hpa(hva_t hva) { return hpa_init(hva_addr(hva)); } /* identity under UEFI */

int arch_vcpu_init(struct arch_vcpu *vcpu, struct arch_vm *avm, uint32_t index,
                   const struct boot_regs *regs)
{
  vcpu->exits = 0;
  if (active == X86_BACKEND_NONE)
    return HV_E_ARCH;
  if (regs == NULL)
    return HV_E_INVAL;
  if (index >= x86_vcpus_max()) /* cpu.h: an AP starts in real mode */
    return HV_E_INVAL;
  TRY(x86_xstate_init(&vcpu->xstate));
  x86_spec_vcpu_init(&vcpu->spec);
  DISPATCH(svm_vcpu_init(&vcpu->svm, &avm->svm, regs), vmx_vcpu_init(&vcpu->vmx, &avm->vmx, regs),
           HV_E_ARCH)
}

void arch_vcpu_destroy(struct arch_vcpu *vcpu)
{
  x86_xstate_forget(&vcpu->xstate);
  DISPATCH_VOID(svm_vcpu_destroy(&vcpu->svm), vmx_vcpu_destroy(&vcpu->vmx))
}

/* The guest's SPEC_CTRL/PRED_CMD accesses are x86's (spec.h): completed here, or answered
 * with a #GP, and the vCPU runs on; false when the core must see the exit. */
static bool spec_msr_handled(struct arch_vcpu *vcpu, const struct arch_exit *exit)
{
  if (exit->reason != ARCH_EXIT_MSR)
    return false;
  uint64_t v = exit->value;
  switch (x86_spec_msr(&vcpu->spec, exit->msr, exit->dir == ARCH_DIR_WRITE, &v)) {
  case X86_SPEC_MSR_DONE:
    arch_vcpu_complete(vcpu, exit, v);
    return true;
  case X86_SPEC_MSR_GP:
    DISPATCH_VOID(svm_vcpu_inject_gp(&vcpu->svm), vmx_vcpu_inject_gp(&vcpu->vmx))
    return true;
  default: return false;
  }
}

int arch_vcpu_run(struct arch_vcpu *vcpu, struct arch_exit *exit)
{
  if (active == X86_BACKEND_NONE)
    return HV_E_ARCH;
  x86_xstate_enter(&vcpu->xstate); /* this vCPU's x87/SSE/AVX registers, not the last one's */
  x86_spec_vcpu_enter(&vcpu->spec); /* IBPB after another vCPU; its SPEC_CTRL */
  int err;
  do {
    if (active == X86_BACKEND_SVM) {
      err = svm_vcpu_run(&vcpu->svm, exit);
      vcpu->exits = vcpu->svm.exits;
    } else {
      err = vmx_vcpu_run(&vcpu->vmx, exit);
      vcpu->exits = vcpu->vmx.exits;
    }
  } while (err == HV_OK && spec_msr_handled(vcpu, exit));
  x86_spec_vcpu_leave(&vcpu->spec); /* D0 runs with its own SPEC_CTRL */
  return err;
}

void arch_vcpu_complete(struct arch_vcpu *vcpu, const struct arch_exit *exit,
                        uint64_t read_value)
{
  DISPATCH_VOID(svm_vcpu_complete(&vcpu->svm, exit, read_value),
                vmx_vcpu_complete(&vcpu->vmx, exit, read_value))
}

void arch_vcpu_complete_cpuid(struct arch_vcpu *vcpu, const struct arch_exit *exit,
                              const struct arch_cpuid_result *res)
{
  DISPATCH_VOID(svm_vcpu_complete_cpuid(&vcpu->svm, exit, res),
                vmx_vcpu_complete_cpuid(&vcpu->vmx, exit, res))
}

bool arch_vcpu_can_inject(const struct arch_vcpu *vcpu)
{
  DISPATCH(svm_vcpu_can_inject(&vcpu->svm), vmx_vcpu_can_inject(&vcpu->vmx), false)
}

void arch_vcpu_inject(struct arch_vcpu *vcpu, uint8_t vector)
{
  DISPATCH_VOID(svm_vcpu_inject(&vcpu->svm, vector), vmx_vcpu_inject(&vcpu->vmx, vector))
}

void arch_vcpu_request_window(struct arch_vcpu *vcpu)
{
  DISPATCH_VOID(svm_vcpu_request_window(&vcpu->svm), vmx_vcpu_request_window(&vcpu->vmx))
}

void arch_host_cpuid(uint32_t leaf, uint32_t subleaf, struct arch_cpuid_result *out)
{
  struct x86_cpuid r;
  x86_cpuid(leaf, subleaf, &r);
  *out = (struct arch_cpuid_result){r.eax, r.ebx, r.ecx, r.edx};
}

/* D0's VMs always have a platform (kernel/dev/platform) that owns their interrupt lines;
 * neither x86 backend has an interrupt controller of its own. */
void arch_irq_set_level(struct arch_vm *avm, uint32_t gsi, bool level)
{
  (void)avm, (void)gsi, (void)level;
}
