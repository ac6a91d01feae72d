#include "arch/x86/svm/svm_cpu.h"

#include "arch/x86/x86.h"

/* CPUID Fn8000_0001 ECX bit 2: SVM (APM vol. 3, E.4.2). */
#define CPUID81_ECX_SVM (1u << 2)
/* CPUID Fn8000_000A EDX (APM vol. 3, E.4.10): NP = nested paging, NRIPS = next RIP save. */
#define CPUID8A_EDX_NP (1u << 0)
#define CPUID8A_EDX_NRIPS (1u << 3)

const char *svm_check_features(bool *nrip_save)
{
  struct x86_cpuid r;
  *nrip_save = false;
  x86_cpuid(0x80000000u, 0, &r);
  if (r.eax < 0x8000000Au)
    return "no_svm_leaf"; /* no 8000_000A: the CPU cannot describe its SVM features */
  x86_cpuid(0x80000001u, 0, &r);
  if (!(r.ecx & CPUID81_ECX_SVM))
    return "no_svm"; /* no AMD-V at all */
  /* VM_CR exists once SVM is reported. SVMDIS set (firmware or BIOS option) means EFER.SVME
   * cannot be set: writing it would #GP. */
  if (x86_rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
    return "svm_disabled_by_firmware";
  x86_cpuid(0x8000000Au, 0, &r);
  /* Nested paging is required: D0 never shadows guest page tables, and guest isolation is the
   * nested table that maps exactly the VM's RAM. */
  if (!(r.edx & CPUID8A_EDX_NP))
    return "no_nested_paging";
  if (r.ebx == 0)
    return "no_asids"; /* guest ASID must be non-zero (APM 15.16) */
  *nrip_save = (r.edx & CPUID8A_EDX_NRIPS) != 0;
  return 0;
}

void svm_enable(uint64_t hsave_pa)
{
  x86_wrmsr(MSR_EFER, x86_rdmsr(MSR_EFER) | EFER_SVME);
  x86_wrmsr(MSR_VM_HSAVE_PA, hsave_pa);
}
