/*
 * Host-side SVM state shared by every vCPU: the host save area VMRUN uses (VM_HSAVE_PA), the
 * page vmrun.S saves the host's VMSAVE state to, and the I/O and MSR permission maps.
 */
#ifndef D0_ARCH_X86_SVM_HOST_H
#define D0_ARCH_X86_SVM_HOST_H

#include <stdint.h>

struct svm_host {
  uint64_t hsave_pa;     /* VM_HSAVE_PA: the CPU's own area */
  uint64_t vmsave_pa;    /* vmrun.S on the BSP: host FS/GS/TR/syscall MSRs while a guest runs */
  uint64_t iopm_pa;      /* every port intercepted */
  uint64_t msrpm_pa;     /* every MSR intercepted but those the VMCB holds for the guest */
};

/* Allocates the pages, fills the maps and enables SVM on this CPU (once). 0 or HV_E_FULL. */
int svm_host_init(void);
const struct svm_host *svm_host(void);

/* The page vmrun.S VMSAVEs the host's state to on the CPU running this: the BSP's vmsave_pa,
 * an AP's own page (each CPU's TR and FS/GS bases differ). */
uint64_t svm_host_vmsave_pa(void);

/* vmrun.S */
void svm_vmrun(uint64_t vmcb_pa, void *gprs, uint64_t host_save_pa);

#endif
