#include "arch/x86/vmx/vmcs_setup.h"

#include <stdbool.h>
#include <stddef.h>

#include "arch/x86/desc.h"
#include "arch/x86/vmx/host.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "arch/x86/x86.h"
#include "hv/err.h"

#define AR_UNUSABLE (1u << 16) /* 25.4.1: segment unusable */
#define PAT_DEFAULT 0x0007040600070406ull /* power-on PAT (SDM vol. 3A 13.12.4) */
#define DR7_DEFAULT 0x400ull

/* Per CPU (x86_cpu_index): the VMCS current on it. A vCPU runs on the CPU it was set up on
 * (its host-state fields are that CPU's GDT/TSS), so a VMCS is never current on two CPUs. */
static const uint64_t *current_vmcs[X86_MAX_CPUS];

bool vmcs_load(struct vmx_vcpu *vcpu)
{
  const uint64_t **mine = &current_vmcs[x86_cpu_index()];
  if (*mine == vcpu->vmcs)
    return true;
  if (!vmx_ptrld((uintptr_t)vcpu->vmcs))
    return false;
  *mine = vcpu->vmcs;
  return true;
}

struct __attribute__((packed)) table_reg {
  uint16_t limit;
  uint64_t base;
};

static uint16_t read_sel(int which)
{
  uint16_t s = 0;
  switch (which) {
  case 0: __asm__ volatile("mov %%cs, %0" : "=r"(s)); break;
  case 1: __asm__ volatile("mov %%ss, %0" : "=r"(s)); break;
  case 2: __asm__ volatile("mov %%ds, %0" : "=r"(s)); break;
  case 3: __asm__ volatile("mov %%es, %0" : "=r"(s)); break;
  case 4: __asm__ volatile("mov %%fs, %0" : "=r"(s)); break;
  case 5: __asm__ volatile("mov %%gs, %0" : "=r"(s)); break;
  default: __asm__ volatile("str %0" : "=r"(s)); break;
  }
  return s;
}

/* The base of the 16-byte system descriptor at sel in the GDT (SDM vol. 3A 8.2.3). */
static uint64_t system_desc_base(uint64_t gdt, uint16_t sel)
{
  const uint64_t *d = (const uint64_t *)(uintptr_t)(gdt + (sel & ~7u));
  uint64_t lo = d[0], hi = d[1];
  return ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24) | ((hi & 0xffffffffull) << 32);
}

/* Writes every field in fields[]; stops at the first failure. */
struct field {
  uint32_t enc;
  uint64_t value;
};

static bool write_all(const struct field *f, uint32_t n)
{
  for (uint32_t i = 0; i < n; i++)
    if (!vmx_write(f[i].enc, f[i].value))
      return false;
  return true;
}

/* 26.2.2-26.2.4: the state the CPU loads at every exit. Selectors need RPL 0 and TI 0. */
static bool setup_host(void)
{
  struct table_reg gdtr, idtr;
  __asm__ volatile("sgdt %0" : "=m"(gdtr));
  __asm__ volatile("sidt %0" : "=m"(idtr));
  uint16_t tr = read_sel(6);
  if (tr == 0)
    return false; /* VM entry requires a host TR: D0's GDT/TSS must be loaded first */
  const struct field f[] = {
      {VMCS_HOST_CR0, x86_read_cr0()},
      {VMCS_HOST_CR3, x86_read_cr3()},
      {VMCS_HOST_CR4, x86_read_cr4()},
      {VMCS_HOST_CS_SEL, read_sel(0) & 0xf8u},
      {VMCS_HOST_SS_SEL, read_sel(1) & 0xf8u},
      {VMCS_HOST_DS_SEL, read_sel(2) & 0xf8u},
      {VMCS_HOST_ES_SEL, read_sel(3) & 0xf8u},
      {VMCS_HOST_FS_SEL, read_sel(4) & 0xf8u},
      {VMCS_HOST_GS_SEL, read_sel(5) & 0xf8u},
      {VMCS_HOST_TR_SEL, tr & 0xf8u},
      {VMCS_HOST_FS_BASE, x86_rdmsr(MSR_FS_BASE)},
      {VMCS_HOST_GS_BASE, x86_rdmsr(MSR_GS_BASE)},
      {VMCS_HOST_TR_BASE, system_desc_base(gdtr.base, tr)},
      {VMCS_HOST_GDTR_BASE, gdtr.base},
      {VMCS_HOST_IDTR_BASE, idtr.base},
      {VMCS_HOST_SYSENTER_CS, x86_rdmsr(MSR_SYSENTER_CS)},
      {VMCS_HOST_SYSENTER_ESP, x86_rdmsr(MSR_SYSENTER_ESP)},
      {VMCS_HOST_SYSENTER_EIP, x86_rdmsr(MSR_SYSENTER_EIP)},
      {VMCS_HOST_EFER, x86_rdmsr(MSR_EFER)},
      {VMCS_HOST_PAT, x86_rdmsr(MSR_PAT)},
  };
  return write_all(f, sizeof f / sizeof f[0]);
}

static uint64_t seg_ar(const struct boot_seg *s) { return s->unusable ? AR_UNUSABLE : s->ar; }

#define GUEST_SEG(NAME, s)                                                                  \
  {VMCS_GUEST_##NAME##_SEL, (s).selector}, {VMCS_GUEST_##NAME##_BASE, (s).base},            \
      {VMCS_GUEST_##NAME##_LIMIT, (s).limit}, {VMCS_GUEST_##NAME##_AR, seg_ar(&(s))}

uint64_t vmx_cr0_fixed0(const struct vmx_vcpu *vcpu)
{
  uint64_t fixed0 = x86_rdmsr(MSR_VMX_CR0_FIXED0);
  return vcpu->unrestricted ? fixed0 & ~(CR0_PE | CR0_PG) : fixed0;
}

/* 26.3.1: guest state of the Linux 64-bit entry, or of an AP after its SIPI (real mode, with
 * "unrestricted guest"). CR0/CR4 bits the CPU pins in VMX operation (FIXED0/FIXED1, e.g.
 * CR4.VMXE; CR0.PE and PG not for an unrestricted guest) are owned by D0: set in the real
 * register, hidden behind the read shadow, and a guest write that would change them exits. */
static bool setup_guest(const struct vmx_vcpu *vcpu, const struct boot_regs *r)
{
  uint64_t cr0_fixed0 = vmx_cr0_fixed0(vcpu), cr0_fixed1 = x86_rdmsr(MSR_VMX_CR0_FIXED1);
  uint64_t cr4_fixed0 = x86_rdmsr(MSR_VMX_CR4_FIXED0), cr4_fixed1 = x86_rdmsr(MSR_VMX_CR4_FIXED1);
  const struct field f[] = {
      GUEST_SEG(CS, r->cs), GUEST_SEG(DS, r->ds), GUEST_SEG(ES, r->es), GUEST_SEG(SS, r->ss),
      GUEST_SEG(FS, r->fs), GUEST_SEG(GS, r->gs), GUEST_SEG(TR, r->tr), GUEST_SEG(LDTR, r->ldtr),
      {VMCS_GUEST_GDTR_BASE, r->gdtr_base},
      {VMCS_GUEST_GDTR_LIMIT, r->gdtr_limit},
      {VMCS_GUEST_IDTR_BASE, r->idtr_base},
      {VMCS_GUEST_IDTR_LIMIT, r->idtr_limit},
      {VMCS_GUEST_CR0, (r->cr0 | cr0_fixed0) & cr0_fixed1},
      {VMCS_CR0_MASK, cr0_fixed0 | ~cr0_fixed1},
      {VMCS_CR0_SHADOW, r->cr0},
      {VMCS_GUEST_CR3, r->cr3},
      {VMCS_GUEST_CR4, (r->cr4 | cr4_fixed0) & cr4_fixed1},
      {VMCS_CR4_MASK, cr4_fixed0 | ~cr4_fixed1},
      {VMCS_CR4_SHADOW, r->cr4},
      {VMCS_GUEST_EFER, r->efer},
      {VMCS_GUEST_PAT, PAT_DEFAULT},
      {VMCS_GUEST_DEBUGCTL, 0},
      {VMCS_GUEST_DR7, DR7_DEFAULT},
      {VMCS_GUEST_RSP, r->rsp},
      {VMCS_GUEST_RIP, r->rip},
      {VMCS_GUEST_RFLAGS, r->rflags | RFLAGS_FIXED},
      {VMCS_GUEST_PENDING_DBG, 0},
      {VMCS_GUEST_INTERRUPTIBILITY, 0},
      {VMCS_GUEST_ACTIVITY, 0}, /* active */
      {VMCS_GUEST_SYSENTER_CS, 0},
      {VMCS_GUEST_SYSENTER_ESP, 0},
      {VMCS_GUEST_SYSENTER_EIP, 0},
      {VMCS_LINK_POINTER, ~0ull}, /* no shadow VMCS: must be all ones (26.3.1.5) */
  };
  return write_all(f, sizeof f / sizeof f[0]);
}

/*
 * Instructions that #UD in a guest unless a secondary control enables them, although CPUID (which
 * the guest sees mostly as the host's) reports them: enabled whenever the CPU allows, so the
 * guest runs them natively as it does under SVM.
 */
#define PROC2_NATIVE (PROC2_RDTSCP | PROC2_INVPCID | PROC2_XSAVES)

/* 25.6-25.8: the controls, each adjusted to what the CPU allows (vmx_check_features already
 * proved every wanted bit is allowed). MONITOR/MWAIT exit: the guest must not wait inside the
 * CPU for a store or an interrupt D0 would never deliver (vcpu.c treats MWAIT as HLT). */
static bool setup_controls(const struct vmx_vcpu *vcpu, const struct boot_regs *r)
{
  const struct vmx_host *h = vmx_host();
  const struct vmx_caps *c = &h->caps;
  uint32_t pin, proc, proc2, exit, entry;
  bool guest64 = (r->efer & EFER_LMA) != 0;
  if (!vmx_adjust_ctls(c->pin, PIN_EXT_INT_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER,
                       &pin) ||
      !vmx_adjust_ctls(c->proc,
                       PROC_HLT_EXITING | PROC_MWAIT_EXITING | PROC_MONITOR_EXITING |
                           PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS | PROC_SECONDARY,
                       &proc) ||
      !vmx_adjust_ctls(c->proc2,
                       PROC2_EPT | (c->proc2 >> 32 & PROC2_NATIVE) |
                           (vcpu->unrestricted ? PROC2_UNRESTRICTED : 0),
                       &proc2) ||
      !vmx_adjust_ctls(c->exit,
                       EXIT_HOST_64 | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER |
                           EXIT_LOAD_EFER,
                       &exit) ||
      !vmx_adjust_ctls(c->entry,
                       (guest64 ? ENTRY_IA32E_GUEST : 0) | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER,
                       &entry))
    return false;
  const struct field f[] = {
      {VMCS_PIN_CTLS, pin},
      {VMCS_PROC_CTLS, proc},
      {VMCS_PROC_CTLS2, proc2},
      {VMCS_EXIT_CTLS, exit},
      {VMCS_ENTRY_CTLS, entry},
      {VMCS_EXCEPTION_BITMAP, 0}, /* the guest handles its own exceptions */
      {VMCS_CR3_TARGET_COUNT, 0},
      {VMCS_EXIT_MSR_STORE_COUNT, 0},
      {VMCS_EXIT_MSR_LOAD_COUNT, 0},
      {VMCS_ENTRY_MSR_LOAD_COUNT, 0},
      {VMCS_ENTRY_INTR_INFO, 0},
      {VMCS_IO_BITMAP_A, h->io_bitmap_a_pa},
      {VMCS_IO_BITMAP_B, h->io_bitmap_b_pa},
      {VMCS_MSR_BITMAP, h->msr_bitmap_pa},
      {VMCS_EPT_POINTER, vcpu->vm->eptp},
  };
  /* With XSAVES enabled, a zero XSS-exiting bitmap lets every XSAVES/XRSTORS run natively. */
  if ((proc2 & PROC2_XSAVES) && !vmx_write(VMCS_XSS_EXIT_BITMAP, 0))
    return false;
  return write_all(f, sizeof f / sizeof f[0]);
}

int vmcs_setup(struct vmx_vcpu *vcpu, const struct boot_regs *regs)
{
  /* 25.2: the region starts with the revision identifier; VMCLEAR makes it "clear" (launch
   * state) before it becomes current. */
  *(uint32_t *)vcpu->vmcs = vmx_host()->caps.revision;
  if (!vmx_clear((uintptr_t)vcpu->vmcs))
    return HV_E_ARCH;
  current_vmcs[x86_cpu_index()] = NULL;
  vcpu->unrestricted = (regs->cr0 & CR0_PE) == 0;
  if (!vmcs_load(vcpu) || !setup_controls(vcpu, regs) || !setup_host() ||
      !setup_guest(vcpu, regs))
    return HV_E_ARCH;
  return HV_OK;
}
