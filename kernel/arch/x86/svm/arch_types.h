/*
 * The SVM backend's VM and vCPU (found as "arch_types.h" through the include path of the UEFI
 * build; kernel/arch/arch.h is the contract). Generic code never looks inside.
 */
#ifndef D0_ARCH_X86_SVM_TYPES_H
#define D0_ARCH_X86_SVM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

struct vmcb;

/* A nested address space: a 4-level table whose leaves are exactly the VM's RAM. */
struct arch_vm {
  uint64_t *npt_root; /* PML4, host-physical == host-virtual */
  uint32_t asid;      /* non-zero (APM 15.16: ASID 0 is the host's) */
  bool npt_changed;   /* flush the TLB of this ASID at the next VMRUN */
};

/* Guest GPRs by x86 register number (0 rax .. 15 r15). VMRUN keeps RAX and RSP in the VMCB, so
 * r[0] and r[4] are unused here: svm_reg_read/svm_reg_write map them to the VMCB. The layout is
 * what vmrun.S saves and restores. */
struct svm_gprs {
  uint64_t r[16];
};

/* The memory access that caused the last #NPF exit, as decoded (decode.h). */
struct svm_mmio_insn {
  uint8_t len;      /* instruction length */
  uint8_t size;     /* access size in bytes */
  uint8_t reg;      /* register operand number (loads: destination; stores: source) */
  uint8_t dest_size;/* loads: bytes written to the destination register (movzx: wider) */
  bool high_byte;   /* 8-bit register AH/CH/DH/BH */
  bool is_write;
  bool has_imm;
  uint64_t imm;
};

struct arch_vcpu {
  struct vmcb *vmcb;
  struct arch_vm *vm;
  struct svm_gprs gprs;
  uint64_t next_rip;        /* where RIP goes when the current exit completes */
  struct svm_mmio_insn mmio;
  bool window_requested;
  uint64_t exits;
};

#endif /* D0_ARCH_X86_SVM_TYPES_H */
