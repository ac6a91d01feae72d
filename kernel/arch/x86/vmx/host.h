/*
 * Host-side VMX state shared by every vCPU: the capabilities, the VMXON region, the I/O bitmaps
 * (every port exits) and the MSR bitmap (every MSR exits but those the guest owns, below).
 */
#ifndef D0_ARCH_X86_VMX_HOST_H
#define D0_ARCH_X86_VMX_HOST_H

#include <stdint.h>

#include "arch/x86/vmx/vmx_cpu.h"

struct vmx_host {
  struct vmx_caps caps;
  uint64_t *vmxon_region;
  uint64_t io_bitmap_a_pa, io_bitmap_b_pa, msr_bitmap_pa;
};

/*
 * Checks the features, allocates the pages, fills the bitmaps and enters VMX operation on this
 * CPU (once). HV_OK, HV_E_FULL (no pages) or HV_E_ARCH (a feature or VMXON failed; the reason
 * word is vmx_host_failure()).
 */
int vmx_host_init(void);
const struct vmx_host *vmx_host(void);
const char *vmx_host_failure(void);

/* vmentry.S: enters the guest with gprs loaded (VMLAUNCH when launched is 0, else VMRESUME) and
 * returns 0 after the VM exit with the guest's GPRs saved, or 1 if the entry instruction itself
 * failed (VMfail: VMCS_INSN_ERROR says why). */
int vmx_enter(void *gprs, uint64_t launched);

#endif
