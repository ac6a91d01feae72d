/*
 * The vCPU state at a guest's 64-bit entry, as data: what the generic core computes (hv/
 * linux_boot.c writes it for Linux) and what arch_vcpu_init loads into the VMCB/VMCS. Neutral
 * between the two sides: it includes nothing of either, so a backend never needs hv/ for it.
 */
#ifndef ARCH_BOOT_REGS_H
#define ARCH_BOOT_REGS_H

#include <stdbool.h>
#include <stdint.h>

/* A segment register as VMCS/VMCB load it: attributes in the VMX access-rights layout. */
struct boot_seg {
  uint16_t selector;
  uint64_t base;
  uint32_t limit;
  uint16_t ar; /* type[3:0] S[4] DPL[6:5] P[7] AVL[12] L[13] D/B[14] G[15]; 0x10000 = unusable */
  bool unusable;
};

/* Control register bits (Intel SDM vol. 3A, 2.5; AMD APM vol. 2, 3.1). */
#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define RFLAGS_FIXED (1ull << 1)

/* The vCPU state at the 64-bit entry, as data the arch backend loads. */
struct boot_regs {
  uint64_t rip, rsp, rsi, rflags;
  uint64_t cr0, cr3, cr4, efer;
  struct boot_seg cs, ds, es, ss, fs, gs, tr, ldtr;
  uint64_t gdtr_base, idtr_base;
  uint16_t gdtr_limit, idtr_limit;
};

#endif /* ARCH_BOOT_REGS_H */
