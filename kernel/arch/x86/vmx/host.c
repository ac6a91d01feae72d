#include "arch/x86/vmx/host.h"

#include <stdbool.h>

#include "arch/x86/pages.h"
#include "arch/x86/spec.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"
#include "hv/err.h"

static struct vmx_host host;
static bool ready;
static const char *failure;

/*
 * MSRs the guest reads and writes directly. EFER and PAT are switched by the CPU (save/load
 * EFER and PAT exit and entry controls); FS/GS base and SYSENTER_* are guest-state fields of the
 * VMCS. STAR/LSTAR/CSTAR/SFMASK/KERNEL_GS_BASE are not switched: D0's host never uses SYSCALL
 * or SWAPGS, and one VM runs at a time, so only the guest depends on them. Everything else exits
 * and reaches the core (reads 0, writes dropped, logged).
 */
static const uint32_t passthrough[] = {
    MSR_EFER,  MSR_STAR,    MSR_LSTAR,          MSR_CSTAR,       MSR_SFMASK,
    MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_SYSENTER_CS, MSR_SYSENTER_ESP,
    MSR_SYSENTER_EIP, MSR_PAT,
};

/* 25.6.9: read bitmap low MSRs at 0, high (0xC0000000..) at 1024; write bitmaps at 2048, 3072. */
static void msr_allow_dir(uint8_t *map, uint32_t msr, bool write)
{
  uint32_t base;
  if (msr < 0x2000u)
    base = 0;
  else if (msr - 0xC0000000u < 0x2000u)
    base = 1024;
  else
    return;
  uint32_t bit = msr & 0x1fffu;
  map[base + (write ? 2048 : 0) + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
}

static void msr_allow(uint8_t *map, uint32_t msr)
{
  msr_allow_dir(map, msr, false);
  msr_allow_dir(map, msr, true);
}

int vmx_host_init(void)
{
  if (ready)
    return HV_OK;
  if (failure != NULL)
    return HV_E_ARCH;
  failure = vmx_check_features(&host.caps);
  if (failure != NULL)
    return HV_E_ARCH;
  uint64_t *vmxon = x86_pages_alloc(1);
  uint8_t *io_a = x86_pages_alloc(1), *io_b = x86_pages_alloc(1), *msr = x86_pages_alloc(1);
  if (vmxon == NULL || io_a == NULL || io_b == NULL || msr == NULL)
    return HV_E_FULL;
  /* 25.6.4: one bit per port, A for 0x0000-0x7FFF, B for 0x8000-0xFFFF; all set = every port
   * exits (D0 emulates every device the guest sees). */
  memset(io_a, 0xff, X86_PAGE);
  memset(io_b, 0xff, X86_PAGE);
  memset(msr, 0xff, X86_PAGE);
  for (uint32_t i = 0; i < D0_ARRAY_SIZE(passthrough); i++)
    msr_allow(msr, passthrough[i]);
  /* The guest reads the real SPEC_CTRL, which holds its own value while it runs; writes exit
   * (arch/x86/spec.h checks and records them). */
  if (x86_spec_ctrl_virtualized())
    msr_allow_dir(msr, MSR_SPEC_CTRL, false);
  /* PRED_CMD holds no state: the guest's IBPB goes straight to the CPU (reads still exit: #GP). */
  if (x86_spec_pred_cmd_passed())
    msr_allow_dir(msr, MSR_PRED_CMD, true);
  host.vmxon_region = vmxon;
  host.io_bitmap_a_pa = (uintptr_t)io_a;
  host.io_bitmap_b_pa = (uintptr_t)io_b;
  host.msr_bitmap_pa = (uintptr_t)msr;
  failure = vmx_enable(&host.caps, vmxon);
  if (failure != NULL)
    return HV_E_ARCH;
  ready = true;
  return HV_OK;
}

const struct vmx_host *vmx_host(void) { return &host; }

const char *vmx_host_failure(void) { return failure; }
