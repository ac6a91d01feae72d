#include "arch/x86/vmx/vmx_cpu.h"

#include <stdbool.h>
#include <stddef.h>

#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "arch/x86/x86.h"

/* CPUID.1:ECX bit 5: VMX (SDM vol. 2A, CPUID, table 3-10). */
#define CPUID1_ECX_VMX (1u << 5)

/* Controls D0 sets on every VMCS (vcpu.c); the checks below refuse a CPU lacking any of them. */
#define WANT_PIN (PIN_EXT_INT_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER)
#define WANT_PROC                                                                          \
  (PROC_HLT_EXITING | PROC_MWAIT_EXITING | PROC_MONITOR_EXITING | PROC_USE_IO_BITMAPS |       \
   PROC_USE_MSR_BITMAPS | PROC_SECONDARY)
#define WANT_PROC2 PROC2_EPT
#define WANT_EXIT (EXIT_HOST_64 | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER)
#define WANT_ENTRY (ENTRY_IA32E_GUEST | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER)

bool vmx_adjust_ctls(uint64_t cap, uint32_t wanted, uint32_t *out)
{
  uint32_t must_be_one = (uint32_t)cap, may_be_one = (uint32_t)(cap >> 32);
  if ((wanted & may_be_one) != wanted)
    return false;
  *out = (wanted | must_be_one) & may_be_one;
  return true;
}

static bool allows(uint64_t cap, uint32_t wanted)
{
  uint32_t unused;
  return vmx_adjust_ctls(cap, wanted, &unused);
}

bool vmx_unrestricted_guest(const struct vmx_caps *caps)
{
  return allows(caps->proc2, PROC2_UNRESTRICTED);
}

const char *vmx_check_features(struct vmx_caps *caps)
{
  struct x86_cpuid r;
  x86_cpuid(1, 0, &r);
  if (!(r.ecx & CPUID1_ECX_VMX))
    return "no_vmx"; /* no VT-x at all (or hidden by a hypervisor below us) */

  uint64_t basic = x86_rdmsr(MSR_VMX_BASIC);
  /* D0 maps its VMCS and every VMX structure write-back: the CPU must accept WB for them. */
  if (((basic >> VMX_BASIC_MEMTYPE_SHIFT) & VMX_BASIC_MEMTYPE_MASK) != MEMTYPE_WB)
    return "vmx_memtype_not_wb";
  /* The TRUE_* MSRs tell which default-1 controls may be 0; without them D0 would have to keep
   * CR3-load/store exiting and other costs it never wants. Every CPU with EPT has them. */
  if (!(basic & VMX_BASIC_TRUE_CTLS))
    return "vmx_no_true_ctls";
  caps->revision = (uint32_t)(basic & VMX_BASIC_REVISION_MASK);

  caps->pin = x86_rdmsr(MSR_VMX_TRUE_PINBASED);
  caps->proc = x86_rdmsr(MSR_VMX_TRUE_PROCBASED);
  caps->exit = x86_rdmsr(MSR_VMX_TRUE_EXIT);
  caps->entry = x86_rdmsr(MSR_VMX_TRUE_ENTRY);
  /* External-interrupt and NMI exiting keep host events out of the guest; the preemption timer
   * is how D0 regains the CPU to poll its device timers while a guest spins. */
  if (!allows(caps->pin, WANT_PIN))
    return "vmx_no_pin_controls";
  /* HLT/MWAIT/MONITOR exiting (idle guests), I/O and MSR bitmaps (every port and most MSRs
   * are D0's), and the secondary controls (where EPT lives). */
  if (!allows(caps->proc, WANT_PROC | PROC_INTR_WINDOW))
    return "vmx_no_proc_controls";
  caps->proc2 = x86_rdmsr(MSR_VMX_PROCBASED2);
  /* EPT is required: D0 never shadows guest page tables; the EPT mapping exactly the VM's RAM
   * is the guest's isolation. */
  if (!allows(caps->proc2, WANT_PROC2))
    return "no_ept";
  /* A 64-bit host, and EFER/PAT switched by the CPU on entry and exit (Linux sets EFER.NXE/SCE
   * and its PAT; the host's must come back). The guest enters in IA-32e mode directly. */
  if (!allows(caps->exit, WANT_EXIT))
    return "vmx_no_exit_controls";
  if (!allows(caps->entry, WANT_ENTRY))
    return "vmx_no_entry_controls";

  caps->ept = x86_rdmsr(MSR_VMX_EPT_VPID_CAP);
  /* EPTP = PML4 | (3 << 3) | WB: a 4-level walk of write-back tables. */
  if (!(caps->ept & EPT_CAP_WALK4))
    return "ept_no_4level_walk";
  if (!(caps->ept & EPT_CAP_WB))
    return "ept_no_wb";
  /* Guest RAM is mapped with 2 MiB pages wherever aligned (guest_mem_map). */
  if (!(caps->ept & EPT_CAP_2M))
    return "ept_no_2m_pages";
  /* A changed EPT must be flushed before the next entry. */
  if (!(caps->ept & EPT_CAP_INVEPT) ||
      !(caps->ept & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
    return "ept_no_invept";

  caps->timer_shift = (uint32_t)(x86_rdmsr(MSR_VMX_MISC) & VMX_MISC_TIMER_RATE_MASK);

  /* Locked without VMXON-outside-SMX: the firmware disabled VT-x, and WRMSR would #GP. */
  uint64_t fc = x86_rdmsr(MSR_FEATURE_CONTROL);
  if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX))
    return "vmx_disabled_by_firmware";
  return NULL;
}

static inline void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

const char *vmx_enable(const struct vmx_caps *caps, uint64_t *vmxon_region)
{
  uint64_t fc = x86_rdmsr(MSR_FEATURE_CONTROL);
  if (!(fc & FEATURE_CONTROL_LOCK)) {
    /* Unlocked (OVMF under Bochs leaves it 0): allow VMXON outside SMX and lock, as firmware
     * would; it stays so until reset. */
    x86_wrmsr(MSR_FEATURE_CONTROL,
              fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
  } else if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
    return "vmx_disabled_by_firmware";
  }
  /* 24.8: in VMX operation CR0 and CR4 must respect the FIXED0 (must be 1) and FIXED1 (may be 1)
   * MSRs; CR4.VMXE enables the VMX instructions. */
  uint64_t cr0 = x86_read_cr0();
  cr0 = (cr0 | x86_rdmsr(MSR_VMX_CR0_FIXED0)) & x86_rdmsr(MSR_VMX_CR0_FIXED1);
  write_cr0(cr0);
  uint64_t cr4 = x86_read_cr4() | CR4_VMXE;
  cr4 = (cr4 | x86_rdmsr(MSR_VMX_CR4_FIXED0)) & x86_rdmsr(MSR_VMX_CR4_FIXED1);
  write_cr4(cr4);
  /* 25.11.5: the VMXON region starts with the VMCS revision identifier. */
  *(uint32_t *)vmxon_region = caps->revision;
  if (!vmx_on((uint64_t)(uintptr_t)vmxon_region))
    return "vmxon_failed";
  return NULL;
}
