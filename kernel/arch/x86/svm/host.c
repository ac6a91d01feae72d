#include "arch/x86/svm/host.h"

#include <stdbool.h>

#include "arch/x86/desc.h"
#include "arch/x86/pages.h"
#include "arch/x86/svm/svm_cpu.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/spec.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"
#include "hv/err.h"

static struct svm_host host;
static bool ready;
/* The VMSAVE page of each AP (the BSP's is host.vmsave_pa): it holds that CPU's own TR, FS/GS
 * bases and syscall MSRs while its guest runs, so it is per CPU like the host save area. */
static uint8_t ap_vmsave[X86_MAX_CPUS][X86_PAGE] __attribute__((aligned(X86_PAGE)));

/*
 * MSRs the guest reads and writes directly: their guest values live in the VMCB save area and
 * are switched by VMRUN (EFER, PAT) or by VMLOAD/VMSAVE in vmrun.S (the rest). Everything else
 * exits and reaches the core (reads 0, writes dropped, logged).
 */
static const uint32_t passthrough[] = {
    MSR_EFER,  MSR_STAR,    MSR_LSTAR,          MSR_CSTAR,       MSR_SFMASK,
    MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_SYSENTER_CS, MSR_SYSENTER_ESP,
    MSR_SYSENTER_EIP, MSR_PAT,
};

/* 15.11: MSR permission map offsets of the three ranges, 2 bits per MSR (read, then write). */
static void msrpm_allow_dir(uint8_t *map, uint32_t msr, bool read, bool write)
{
  uint32_t base;
  if (msr < 0x2000u)
    base = 0;
  else if (msr - 0xC0000000u < 0x2000u)
    base = 0x800 * 8;
  else if (msr - 0xC0010000u < 0x2000u)
    base = 0x1000 * 8;
  else
    return;
  uint32_t bit = base + (msr & 0x1fffu) * 2;
  map[bit / 8] &= (uint8_t) ~(((read ? 1u : 0u) | (write ? 2u : 0u)) << (bit % 8));
}

static void msrpm_allow(uint8_t *map, uint32_t msr) { msrpm_allow_dir(map, msr, true, true); }

int svm_host_init(void)
{
  if (ready)
    return HV_OK;
  uint8_t *hsave = x86_pages_alloc(1), *vmsave = x86_pages_alloc(1);
  uint8_t *iopm = x86_pages_alloc(SVM_IOPM_PAGES), *msrpm = x86_pages_alloc(SVM_MSRPM_PAGES);
  if (hsave == NULL || vmsave == NULL || iopm == NULL || msrpm == NULL)
    return HV_E_FULL;
  memset(iopm, 0xff, SVM_IOPM_PAGES * X86_PAGE);
  memset(msrpm, 0xff, SVM_MSRPM_PAGES * X86_PAGE);
  for (uint32_t i = 0; i < D0_ARRAY_SIZE(passthrough); i++)
    msrpm_allow(msrpm, passthrough[i]);
  /* The guest reads the real SPEC_CTRL, which holds its own value while it runs; writes exit
   * (arch/x86/spec.h checks and records them). */
  if (x86_spec_ctrl_virtualized())
    msrpm_allow_dir(msrpm, MSR_SPEC_CTRL, true, false);
  /* PRED_CMD holds no state: the guest's IBPB goes straight to the CPU (reads still exit: #GP). */
  if (x86_spec_pred_cmd_passed())
    msrpm_allow_dir(msrpm, MSR_PRED_CMD, false, true);
  host = (struct svm_host){(uintptr_t)hsave, (uintptr_t)vmsave, (uintptr_t)iopm,
                           (uintptr_t)msrpm};
  svm_enable(host.hsave_pa);
  ready = true;
  return HV_OK;
}

const struct svm_host *svm_host(void) { return &host; }

uint64_t svm_host_vmsave_pa(void)
{
  uint32_t cpu = x86_cpu_index();
  return cpu == 0 ? host.vmsave_pa : (uint64_t)(uintptr_t)ap_vmsave[cpu];
}
