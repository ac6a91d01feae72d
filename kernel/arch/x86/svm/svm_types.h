/*
 * The SVM backend's part of a VM and a vCPU: one member of the unions in arch/x86/arch_types.h
 * (kernel/arch/arch.h is the contract). Generic code never looks inside.
 */
#ifndef D0_ARCH_X86_SVM_TYPES_H
#define D0_ARCH_X86_SVM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/decode.h"

struct vmcb;

/* A nested address space: a 4-level table whose leaves are exactly the VM's RAM. */
struct svm_vm {
  uint64_t *npt_root; /* PML4, host-physical == host-virtual */
  uint32_t asid;      /* non-zero (APM 15.16: ASID 0 is the host's) */
  uint64_t npt_gen;   /* bumped by every change: a vCPU that saw another flushes its TLB */
};

/* Guest GPRs by x86 register number (0 rax .. 15 r15). VMRUN keeps RAX and RSP in the VMCB, so
 * r[0] and r[4] are unused here: svm_reg_read/svm_reg_write map them to the VMCB. The layout is
 * what vmrun.S saves and restores. */
struct svm_gprs {
  uint64_t r[16];
};

struct svm_vcpu {
  struct vmcb *vmcb;
  struct svm_vm *vm;
  struct svm_gprs gprs;
  uint64_t next_rip;        /* where RIP goes when the current exit completes */
  struct x86_mmio_insn mmio; /* the access that caused the last #NPF exit */
  bool window_requested;
  uint64_t exits;
  uint64_t npt_gen_seen;    /* svm_vm.npt_gen at its last VMRUN */
};

#endif /* D0_ARCH_X86_SVM_TYPES_H */
